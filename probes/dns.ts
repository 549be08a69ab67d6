// The dns probe: follows a name's whole CNAME chain itself, for A and AAAA, asking again wherever an answer
// stops (as it must against an authoritative-only server), and records every hop, TTL and domain suffix, and every
// Extended DNS Error a resolver sent with its answers.
import type { ExtendedDnsError } from './dns-ede.js';
import { walkChain, type ChainWalk } from './dns-chain.js';
import type { DnsEvidence, DnsFailure, DnsHop, DnsTarget } from './dns-evidence.js';
import { normalizeName } from './dns-wire.js';
import { elapsedSince, type ProbeContext } from './probe.js';

export { ALWAYS_SINKHOLES, isSinkhole, MAX_CNAME_HOPS } from './dns-evidence.js';
export type { DnsEvidence, DnsFailure, DnsFailureCode, DnsHop, DnsTarget, ResolverFailure } from './dns-evidence.js';
export { createDnsQueryCache, DnsQueryCache, QUERIES_IN_FLIGHT_PER_RESOLVER, QUERY_PACING_MS, QUERY_SOCKETS_PER_RESOLVER } from './dns-query-cache.js';


export async function probeDns(target: DnsTarget, ctx: ProbeContext): Promise<DnsEvidence> {
  const started = performance.now();
  const name = normalizeName(target.name);
  const [v4, v6] = await Promise.all([walkChain(name, 'A', target, ctx), walkChain(name, 'AAAA', target, ctx)]);
  const { getDomain } = await publicSuffixList();
  const chain = mergeChains(v4.hops, v6.hops);
  const addresses = [...v4.addresses, ...v6.addresses];
  return {
    name,
    chain,
    addresses,
    suffixes: suffixesOf(getDomain, [name, ...chain.map((hop) => hop.name), ...chain.filter((hop) => hop.type === 'CNAME').map((hop) => hop.value)]),
    resolvers: [...new Set([...v4.resolvers, ...v6.resolvers])],
    ede: uniqueExtendedErrors([...v4.ede, ...v6.ede]),
    withoutEdns: [...new Set([...v4.withoutEdns, ...v6.withoutEdns])],
    failure: chooseFailure(v4, v6),
    durationMs: elapsedSince(started),
  };
}

function uniqueExtendedErrors(errors: readonly ExtendedDnsError[]): ExtendedDnsError[] {
  const seen = new Map<string, ExtendedDnsError>();
  for (const error of errors) seen.set(`${error.code} ${error.text}`, error);
  return [...seen.values()];
}

/** A definitive failure of the name itself outranks a transport failure of one address family. */
function chooseFailure(v4: ChainWalk, v6: ChainWalk): DnsFailure | null {
  const definitive = (walk: ChainWalk) => walk.failure && ['DNS_NXDOMAIN', 'DNS_CNAME_LOOP', 'DNS_CHAIN_TOO_LONG'].includes(walk.failure.code);
  if (definitive(v4)) return v4.failure;
  if (definitive(v6)) return v6.failure;
  // NODATA for one family is normal (IPv4-only names); it only matters when neither family has addresses.
  const real = (walk: ChainWalk) => (walk.failure?.code === 'DNS_NODATA' ? null : walk.failure);
  if (v4.addresses.length === 0 && v6.addresses.length === 0) return real(v4) ?? real(v6) ?? v4.failure ?? v6.failure;
  return real(v4) ?? real(v6);
}


/** Keeps the A chain and adds what only the AAAA chain saw (its CNAMEs are normally the same). */
function mergeChains(v4: DnsHop[], v6: DnsHop[]): DnsHop[] {
  const key = (hop: DnsHop) => `${hop.name} ${hop.type} ${hop.value}`;
  const seen = new Set(v4.map(key));
  return [...v4, ...v6.filter((hop) => !seen.has(key(hop)))];
}

/**
 * tldts, loaded once the first answers are in rather than before the first query: its public suffix list is a
 * tenth of a second of start-up.
 */
let tldts: Promise<typeof import('tldts')> | undefined;
function publicSuffixList(): Promise<typeof import('tldts')> {
  return (tldts ??= import('tldts'));
}

/** The registrable domain (public suffix list, private section included: cloudapp.azure.com, trafficmanager.net). */
function suffixesOf(getDomain: typeof import('tldts').getDomain, names: readonly string[]): string[] {
  return [...new Set(names.map((name) => getDomain(name, { allowPrivateDomains: true }) ?? name))];
}
