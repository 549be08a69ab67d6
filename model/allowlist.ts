// `preflight allowlist`: the firewall allow-list that runs observed. A DNS-based firewall (FQDN rules, an external
// dynamic list) must allow every name the agent's resolver walks through, not only the name configured: each hop
// of every CNAME chain, and the registrable suffixes those names fall under; an IP-based one must allow the
// addresses and ports. Each entry says which endpoint needed it, so a rule can be traced to the reason for it.
//
// Names and addresses come from DNS answers, which anyone on the path can forge: a name that is not a DNS name
// (a newline in an external dynamic list is a second entry) is left out and reported, never written.
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { serviceTagsByAddress } from './annotate-service-tags.js';
import type { CheckResult, JsonValue } from './result.js';
import type { ServiceTagIndex } from './service-tags.js';

export interface AllowListName {
  name: string;
  /** The registrable domain (public suffix list, private section included, as the dns check records it). */
  suffix: string;
  ports: number[];
  /** The endpoint hosts whose lookup went through this name. */
  endpoints: string[];
}

export interface AllowListSuffix {
  suffix: string;
  names: string[];
  endpoints: string[];
}

export interface AllowListAddress {
  address: string;
  family: 4 | 6;
  ports: number[];
  /** The names that resolved to it (the last hop of a chain). */
  names: string[];
  endpoints: string[];
  /** The service tags whose prefixes contain it ([] none does); null when no tags file was given or recorded. */
  serviceTags: string[] | null;
}

export interface AllowListEndpoint {
  host: string;
  urls: string[];
  ports: number[];
  names: string[];
  addresses: string[];
}

export interface AllowList {
  names: AllowListName[];
  suffixes: AllowListSuffix[];
  addresses: AllowListAddress[];
  endpoints: AllowListEndpoint[];
  /** Names from the evidence that are not DNS names, as they were (escape before showing). */
  rejected: string[];
}

/** Checks about the machine itself: the proxy is the firewall's own business, the clock needs no rule. */
const NOT_ENDPOINTS: ReadonlySet<string> = new Set(['clock', 'proxy']);

/** Letters, digits, hyphens and underscores (SRV-style and Azure names use them), 63 per label, 253 in all. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

export function buildAllowList(results: readonly CheckResult[], tags: ServiceTagIndex | null = null): AllowList {
  const endpoints = new Map<string, { urls: Set<string>; ports: Set<number>; names: Set<string>; addresses: Set<string> }>();
  const nameEndpoints = new Map<string, Set<string>>();
  const addressInfo = new Map<string, { ports: Set<number>; names: Set<string>; endpoints: Set<string> }>();
  const rejected = new Set<string>();
  const endpointOf = (host: string) => {
    let entry = endpoints.get(host);
    if (!entry) endpoints.set(host, (entry = { urls: new Set(), ports: new Set(), names: new Set(), addresses: new Set() }));
    return entry;
  };
  const addName = (raw: string, endpoint: string) => {
    const name = normalName(raw);
    if (name === null) {
      rejected.add(raw);
      return;
    }
    endpointOf(endpoint).names.add(name);
    add(nameEndpoints, name, endpoint);
  };
  const addAddress = (address: string, endpoint: string, name: string | null, port: number | null) => {
    if (isIP(address) === 0) {
      rejected.add(address);
      return;
    }
    let info = addressInfo.get(address);
    if (!info) addressInfo.set(address, (info = { ports: new Set(), names: new Set(), endpoints: new Set() }));
    info.endpoints.add(endpoint);
    if (port !== null) info.ports.add(port);
    const normal = name === null ? null : normalName(name);
    if (normal !== null) info.names.add(normal);
    endpointOf(endpoint).addresses.add(address);
  };

  for (const result of results) {
    if (NOT_ENDPOINTS.has(result.check)) continue;
    const endpoint = endpointOf(result.host);
    if (result.url !== null) endpoint.urls.add(result.url);
    if (result.port !== null) endpoint.ports.add(result.port);
    if (isIP(result.host) === 0) addName(result.host, result.host);
    if (result.check === 'dns') {
      // A failed lookup still names every hop it walked (each must be allowed), but its addresses, a sinkhole's
      // 0.0.0.0 for one, are not the service's.
      const resolved = result.status !== 'fail';
      for (const hop of listOf(result.evidence['chain'])) {
        if (!isRecord(hop) || typeof hop['name'] !== 'string') continue;
        addName(hop['name'], result.host);
        if (hop['type'] === 'CNAME' && typeof hop['value'] === 'string') addName(hop['value'], result.host);
        if (resolved && (hop['type'] === 'A' || hop['type'] === 'AAAA') && typeof hop['value'] === 'string') addAddress(hop['value'], result.host, hop['name'], null);
      }
      if (resolved) for (const address of listOf(result.evidence['addresses'])) if (typeof address === 'string') addAddress(address, result.host, null, null);
    } else if (result.address !== null) {
      addAddress(result.address, result.host, null, result.port);
    }
  }
  // An address serves the ports of the endpoints that resolved to it, whether or not a tcp check reached it.
  for (const info of addressInfo.values()) for (const endpoint of info.endpoints) for (const port of endpoints.get(endpoint)?.ports ?? []) info.ports.add(port);

  const recorded = tags === null ? serviceTagsByAddress(results) : null;
  const names: AllowListName[] = [...nameEndpoints].map(([name, needing]) => ({
    name,
    suffix: suffixOf(name),
    ports: sortedNumbers([...needing].flatMap((host) => [...(endpoints.get(host)?.ports ?? [])])),
    endpoints: sorted(needing),
  })).sort((a, b) => compare(a.name, b.name));
  const suffixes = new Map<string, { names: Set<string>; endpoints: Set<string> }>();
  for (const entry of names) {
    const group = suffixes.get(entry.suffix) ?? { names: new Set<string>(), endpoints: new Set<string>() };
    group.names.add(entry.name);
    for (const host of entry.endpoints) group.endpoints.add(host);
    suffixes.set(entry.suffix, group);
  }
  return {
    names,
    suffixes: [...suffixes].map(([suffix, group]) => ({ suffix, names: sorted(group.names), endpoints: sorted(group.endpoints) })).sort((a, b) => compare(a.suffix, b.suffix)),
    addresses: [...addressInfo].map(([address, info]) => ({
      address,
      family: isIP(address) === 6 ? 6 as const : 4 as const,
      ports: sortedNumbers(info.ports),
      names: sorted(info.names),
      endpoints: sorted(info.endpoints),
      serviceTags: tags !== null ? tags.tagsOf(address) : recorded?.get(address) ?? null,
    })).sort((a, b) => a.family - b.family || compare(a.address, b.address)),
    endpoints: [...endpoints].map(([host, entry]) => ({
      host, urls: sorted(entry.urls), ports: sortedNumbers(entry.ports), names: sorted(entry.names), addresses: sorted(entry.addresses),
    })).sort((a, b) => compare(a.host, b.host)),
    rejected: sorted(rejected),
  };
}

/** Lower case without the root's trailing dot; null when it is not a DNS name. */
function normalName(raw: string): string | null {
  const name = raw.toLowerCase().replace(/\.$/, '');
  return DNS_NAME.test(name) ? name : null;
}

/** As the dns check records suffixes (probes/dns.ts suffixesOf): cloudapp.azure.com and trafficmanager.net count. */
function suffixOf(name: string): string {
  return getDomain(name, { allowPrivateDomains: true }) ?? name;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function listOf(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compare);
}

function sortedNumbers(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Code point order: the same on every machine, whatever its locale (`sort -u` with LC_ALL=C). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
