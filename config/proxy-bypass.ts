// Which targets bypass the proxy: NO_PROXY entries, the agent config's <bypasslist> patterns, WinHTTP's bypass
// list. ProxyPlan.bypass holds them as strings (the plan is plain JSON); they are parsed on use. Pure.
import net from 'node:net';
import { dotNetPatternToRegExp, MAX_SUBJECT_LENGTH } from './dotnet-pattern.js';
import type { ProxyPlan } from './plan.js';
import { HTTP_DEFAULT_PORT } from './proxy-url.js';

/** Bypass entry: names without a dot, localhost and loopback literals (.NET bypassonlocal, WinINet's "<local>"). */
export const BYPASS_LOCAL = '<local>';
/** Prefix of a bypass entry that is a .NET regular expression from the agent config's <bypasslist>. */
export const BYPASS_PATTERN_PREFIX = 'regex:';
/** Prefix of a WinHTTP bypass entry: `*` matches any run of characters, against the host name (as WinHTTP does). */
export const BYPASS_WILDCARD_PREFIX = 'wildcard:';

/**
 * Whether a connection to host:port goes direct rather than through the proxy. `address`, the address the
 * tool resolved for a host name, lets NO_PROXY address and CIDR entries match names too (curl and Go match
 * them against IP-literal hosts only; a user who writes 10.0.0.0/8 means "internal addresses go direct").
 * Agent-config patterns see only the host, as .NET does.
 */
export function bypassesProxy(plan: ProxyPlan, host: string, port: number, address?: string): boolean {
  const subject = { host: normalizeHost(host), port, address };
  return plan.bypass.some((entry) => {
    const rule = cachedBypassRule(entry);
    return rule !== null && ruleMatches(rule, subject);
  });
}

/** NO_PROXY entries the matcher understands; others (shell leftovers, typos) are ignored, as curl does. */
export function parseNoProxy(list: string): string[] {
  return list
    .split(/[\s,]+/)
    .map((entry) => entry.toLowerCase())
    .filter((entry) => entry !== '' && !entry.startsWith(BYPASS_PATTERN_PREFIX) && parseBypassEntry(entry) !== null);
}

type BypassRule =
  | { kind: 'all' }
  | { kind: 'local' }
  | { kind: 'pattern'; regex: RegExp }
  | { kind: 'wildcard'; regex: RegExp }
  | { kind: 'domain'; domain: string; port: number | null }
  | { kind: 'addresses'; list: net.BlockList; port: number | null };

interface BypassSubject {
  host: string;
  port: number;
  address: string | undefined;
}

const bypassRules = new Map<string, BypassRule | null>();

function cachedBypassRule(entry: string): BypassRule | null {
  if (!bypassRules.has(entry)) bypassRules.set(entry, parseBypassEntry(entry));
  return bypassRules.get(entry) ?? null;
}

/** A rule for one bypass entry, or null when it is no form NO_PROXY knows. Throws for a bad agent pattern. */
function parseBypassEntry(entry: string): BypassRule | null {
  if (entry === '*') return { kind: 'all' };
  if (entry === BYPASS_LOCAL) return { kind: 'local' };
  if (entry.startsWith(BYPASS_WILDCARD_PREFIX)) return { kind: 'wildcard', regex: wildcardRegExp(entry.slice(BYPASS_WILDCARD_PREFIX.length)) };
  if (entry.startsWith(BYPASS_PATTERN_PREFIX)) return { kind: 'pattern', regex: dotNetPatternToRegExp(entry.slice(BYPASS_PATTERN_PREFIX.length)) };
  const { hostPart, port } = splitPort(entry);
  if (port === undefined) return null;
  const list = addressList(hostPart);
  if (list) return { kind: 'addresses', list, port };
  const domain = normalizeHost(hostPart.replace(/^\*?\./, ''));
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain) ? { kind: 'domain', domain, port } : null;
}

/** "host", "host:port", "[v6]", "[v6]:port", "v6" or "cidr"; port undefined when it is not a valid port. */
function splitPort(entry: string): { hostPart: string; port: number | null | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) return { hostPart: bracketed[1] ?? '', port: bracketed[2] === undefined ? null : parsePort(bracketed[2]) };
  const colons = entry.split(':').length - 1;
  if (colons !== 1) return { hostPart: entry, port: null }; // a bare IPv6 literal or CIDR has several
  const [hostPart = '', portText = ''] = entry.split(':');
  return { hostPart, port: parsePort(portText) };
}

function parsePort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** An IP literal or CIDR as a BlockList, or null when the text is neither. */
function addressList(text: string): net.BlockList | null {
  const [address = '', prefixText, ...extra] = text.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra.length > 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new net.BlockList();
  if (prefixText === undefined) {
    list.addAddress(address, type);
    return list;
  }
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return null;
  list.addSubnet(address, prefix, type);
  return list;
}

function ruleMatches(rule: BypassRule, subject: BypassSubject): boolean {
  const { host, port, address } = subject;
  switch (rule.kind) {
    case 'all':
      return true;
    case 'local':
      // .NET's IsLocal: IP literals count when they are loopback, names when they have no dot.
      return net.isIP(host) === 0 ? host === 'localhost' || !host.includes('.') : isLoopbackLiteral(host);
    case 'pattern': {
      // Longer subjects are not DNS names; the pattern checks' backtracking bound assumes this length.
      const uri = dotNetMatchUri(host, port);
      return uri.length <= MAX_SUBJECT_LENGTH && rule.regex.test(uri);
    }
    case 'wildcard':
      return host.length <= MAX_SUBJECT_LENGTH && rule.regex.test(host);
    case 'domain':
      return (rule.port === null || rule.port === port) && (host === rule.domain || host.endsWith(`.${rule.domain}`));
    case 'addresses': {
      if (rule.port !== null && rule.port !== port) return false;
      const candidate = net.isIP(host) !== 0 ? host : address;
      if (candidate === undefined) return false;
      const family = net.isIP(candidate);
      return family !== 0 && rule.list.check(candidate, family === 4 ? 'ipv4' : 'ipv6');
    }
  }
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function isLoopbackLiteral(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

/** What .NET Framework matches a bypass pattern against: scheme://host, plus :port when not the scheme's default. */
function dotNetMatchUri(host: string, port: number): string {
  const scheme = port === HTTP_DEFAULT_PORT ? 'http' : 'https';
  const hostPart = net.isIPv6(host) ? `[${host}]` : host;
  return port === HTTP_DEFAULT_PORT || port === 443 ? `${scheme}://${hostPart}` : `${scheme}://${hostPart}:${port}`;
}


/** A WinHTTP bypass wildcard as an anchored, case-insensitive expression: only `*` is special. */
function wildcardRegExp(wildcard: string): RegExp {
  const body = normalizeHost(wildcard).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 'i');
}
