// What the dns probe observes: the chain hop by hop, the addresses, and the failure with the resolver that gave it.
import type { ResolverAddress } from '../config/plan.js';
import type { DnsCode } from '../model/codes.js';
import type { ExtendedDnsError } from './dns-ede.js';
import type { QueryError, QueryType, UnreachableCause } from './dns-wire.js';
import type { DnsQueryCache } from './dns-query-cache.js';

/** Answers that mean "blocked by DNS policy" whatever the config says. */
export const ALWAYS_SINKHOLES: readonly string[] = ['0.0.0.0', '::'];

/** An address that a DNS filter answers instead of the real one: never one to connect to. */
export function isSinkhole(address: string, configuredSinkholes: readonly string[]): boolean {
  return ALWAYS_SINKHOLES.includes(address) || configuredSinkholes.includes(address);
}

/** CNAME hops followed before the chain counts as too long. */
export const MAX_CNAME_HOPS = 16;

export interface DnsHop {
  name: string;
  type: 'CNAME' | 'A' | 'AAAA';
  value: string;
  ttl: number;
}

export type DnsFailureCode = Exclude<DnsCode, 'DNS_OK' | 'DNS_SINKHOLE'>;

export interface DnsFailure {
  code: DnsFailureCode;
  /** The name in the chain where resolution stopped. */
  name: string;
  queryType: QueryType;
  detail: string;
  /** The resolver whose answer this is ("host:port"), null when none answered. */
  resolver: string | null;
  /** DNS_UNREACHABLE: why no answer could come (this machine's firewall, nothing listening, no route…). */
  cause: UnreachableCause | null;
  /** The socket error behind a DNS_UNREACHABLE (EPERM, ECONNREFUSED, EHOSTUNREACH…). */
  errno: string | null;
  /** The other resolvers asked, which failed too (this failure was the most telling). */
  alsoFailed: ResolverFailure[];
}

export interface ResolverFailure {
  resolver: string;
  code: QueryError['code'];
  detail: string;
}

export interface DnsEvidence {
  name: string;
  /** CNAME hops in order, then the address records of the last name. */
  chain: DnsHop[];
  addresses: string[];
  /** Registrable domain of every name in the chain, in order of appearance: what suffix rules must allow. */
  suffixes: string[];
  /** Resolvers that answered. */
  resolvers: string[];
  /** Extended DNS Errors (RFC 8914) in any answer of the chain, text sanitised, each once. */
  ede: ExtendedDnsError[];
  /** Resolvers that answered FORMERR/NOTIMP to EDNS and were asked again without it (so they cannot send EDEs). */
  withoutEdns: string[];
  /** Set when no address was found, or when one of A/AAAA failed while the other answered. */
  failure: DnsFailure | null;
  durationMs: number;
}

export interface DnsTarget {
  name: string;
  resolvers: ResolverAddress[];
  /** Shared across a run so that each (name, type) is asked once, however many chains pass through it. */
  cache: DnsQueryCache;
}
