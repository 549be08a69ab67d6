// Walking one name's CNAME chain for one record type: asking again wherever an answer stops (as an
// authoritative-only server makes us), through the run's resolvers in turn, each question once per run.
import type { ResolverAddress } from '../config/plan.js';
import type { ExtendedDnsError } from './dns-ede.js';
import { MAX_CNAME_HOPS, type DnsFailure, type DnsFailureCode, type DnsHop, type DnsTarget } from './dns-evidence.js';
import { exchange, formatResolver, type QueryError, type QueryOutcome, type QueryType } from './dns-wire.js';
import type { DnsQueryCache } from './dns-query-cache.js';
import { releaseDeadline, stepDeadline, type ProbeContext } from './probe.js';

export interface ChainWalk {
  hops: DnsHop[];
  addresses: string[];
  resolvers: string[];
  ede: ExtendedDnsError[];
  withoutEdns: string[];
  failure: DnsFailure | null;
}

export async function walkChain(start: string, type: QueryType, target: DnsTarget, ctx: ProbeContext): Promise<ChainWalk> {
  const hops: DnsHop[] = [];
  const resolvers: string[] = [];
  const ede: ExtendedDnsError[] = [];
  const withoutEdns: string[] = [];
  const visited = new Set([start]);
  let current = start;
  const fail = (code: DnsFailureCode, detail: string, resolver: string | null, error?: QueryError): ChainWalk => ({
    hops, addresses: [], resolvers, ede, withoutEdns,
    failure: { code, name: current, queryType: type, detail, resolver: resolver || null, cause: error?.cause ?? null, errno: error?.errno ?? null, alsoFailed: error?.alsoFailed ?? [] },
  });

  for (;;) {
    const outcome = await askCached(current, type, target, ctx);
    ede.push(...outcome.ede);
    if (!outcome.edns && outcome.resolver) withoutEdns.push(outcome.resolver);
    if (outcome.kind === 'answer') resolvers.push(outcome.resolver);
    const asked = current;
    // Follow every CNAME this answer carries from the current name onwards: an error answer's records count too
    // (bind9 answers SERVFAIL to a CNAME loop, with both records of the loop in it).
    const inAnswer = outcome.kind === 'error' && outcome.rcode ? ` (records of the resolver's ${outcome.rcode} answer)` : '';
    for (let next = cnameOf(outcome, current); next; next = cnameOf(outcome, current)) {
      hops.push({ name: current, type: 'CNAME', value: next.value, ttl: next.ttl });
      if (visited.has(next.value)) {
        return fail('DNS_CNAME_LOOP', `${current} points back to ${next.value}, already in the chain${inAnswer}`, outcome.resolver);
      }
      if (hops.length > MAX_CNAME_HOPS) {
        return fail('DNS_CHAIN_TOO_LONG', `more than ${MAX_CNAME_HOPS} CNAME hops`, outcome.resolver);
      }
      visited.add(next.value);
      current = next.value;
    }
    if (outcome.kind === 'error') return fail(outcome.code, outcome.detail, outcome.resolver, outcome);
    if (outcome.rcode === 'NXDOMAIN') {
      return fail('DNS_NXDOMAIN', `${current} does not exist (NXDOMAIN)`, outcome.resolver);
    }
    const records = outcome.answers.filter((record) => record.type === type && record.name === current);
    if (records.length > 0) {
      for (const record of records) hops.push({ name: current, type, value: record.value, ttl: record.ttl });
      return { hops, addresses: records.map((record) => record.value), resolvers, ede, withoutEdns, failure: null };
    }
    // The answer stopped at a CNAME target without its addresses: ask for the target itself, unless the resolver
    // is known to have followed the chain to its end, so that the answer already says the target has none.
    if (current !== asked && !(await chasedToTheEnd(asked, current, type, outcome, target))) continue;
    return fail('DNS_NODATA', `${current} exists but has no ${type} record`, outcome.resolver);
  }
}

/**
 * Whether `outcome`, a NOERROR answer for `asked` whose CNAMEs lead to `end` with no `type` record there, already
 * means that `end` has none. It does when the same resolver's answer to the other family's question for `asked`
 * (asked at the same time, never sent for this) followed the same CNAMEs to `end` and holds that family's records
 * of `end`: the resolver chases this chain to its end, where an authoritative-style server would have stopped at a
 * CNAME, and `end` is no CNAME. Asking `end` again would cost a query and a round trip for every CNAME'd name that
 * has only IPv4 (or only IPv6) addresses.
 */
async function chasedToTheEnd(asked: string, end: string, type: QueryType, outcome: QueryOutcome, target: DnsTarget): Promise<boolean> {
  if (outcome.kind !== 'answer' || outcome.rcode !== 'NOERROR') return false;
  const otherType: QueryType = type === 'A' ? 'AAAA' : 'A';
  const pending = target.cache.outcomes.get(`${otherType} ${asked}`);
  if (pending === undefined) return false;
  const other = await pending;
  if (other.kind !== 'answer' || other.rcode !== 'NOERROR' || other.resolver !== outcome.resolver) return false;
  if (!other.answers.some((record) => record.type === otherType && record.name === end)) return false;
  const path = cnamePath(outcome, asked);
  const otherPath = cnamePath(other, asked);
  return path.at(-1) === end && path.length === otherPath.length && path.every((name, i) => otherPath[i] === name);
}

/** The names an answer's CNAMEs lead through from `start`, `start` first (a loop or an over-long chain ends it). */
function cnamePath(outcome: QueryOutcome, start: string): string[] {
  const path = [start];
  for (let next = cnameOf(outcome, start); next && path.length <= MAX_CNAME_HOPS + 1 && !path.includes(next.value); next = cnameOf(outcome, next.value)) {
    path.push(next.value);
  }
  return path;
}

function cnameOf(outcome: QueryOutcome, name: string) {
  return outcome.answers.find((record) => record.type === 'CNAME' && record.name === name);
}

/** Asks each (name, type) once per run. */
function askCached(name: string, type: QueryType, target: DnsTarget, ctx: ProbeContext): Promise<QueryOutcome> {
  const key = `${type} ${name}`;
  let pending = target.cache.outcomes.get(key);
  if (!pending) {
    pending = askInTurn(name, type, target.resolvers, target.cache, ctx);
    target.cache.outcomes.set(key, pending);
  }
  return pending;
}

/**
 * Resolvers in turn: a definitive answer (NOERROR, NXDOMAIN) ends the search, a failure tries the next. When all
 * fail, the most telling failure is the one reported, the others listed with it.
 */
async function askInTurn(name: string, type: QueryType, resolvers: readonly ResolverAddress[], cache: DnsQueryCache, ctx: ProbeContext): Promise<QueryOutcome> {
  const failures: QueryError[] = [];
  for (const resolver of resolvers) {
    const outcome = await askOne(resolver, name, type, cache, ctx);
    if (outcome.kind === 'answer') return outcome;
    failures.push(outcome);
    if (ctx.signal.aborted) break;
  }
  const chosen = mostTelling(failures);
  if (!chosen) {
    return { kind: 'error', code: 'DNS_TIMEOUT', detail: 'no resolver configured', resolver: '', rcode: null, answers: [], ede: [], edns: true, cause: null, errno: null };
  }
  const alsoFailed = failures.filter((f) => f !== chosen).map((f) => ({ resolver: f.resolver, code: f.code, detail: f.detail }));
  return { ...chosen, alsoFailed };
}

/** EDNS0 first; a resolver that answers it with FORMERR or NOTIMP (RFC 6891 §7) is asked again, and from then on, without. */
async function askOne(resolver: ResolverAddress, name: string, type: QueryType, cache: DnsQueryCache, ctx: ProbeContext): Promise<QueryOutcome> {
  const key = formatResolver(resolver);
  // The deadline starts when the query is sent, not while it waits for its turn.
  const ask = (edns: boolean) => cache.limiterFor(resolver).run(() => {
    const deadline = stepDeadline(ctx);
    return exchange(resolver, name, type, deadline, ctx.stepTimeoutMs / 2, edns).finally(() => releaseDeadline(deadline));
  });
  if (cache.withoutEdns.has(key)) return ask(false);
  const outcome = await ask(true);
  if (outcome.kind !== 'error' || !['FORMERR', 'NOTIMP', 'BADVERS'].includes(outcome.rcode ?? '')) return outcome;
  const plain = await ask(false);
  // Only a server that answers the same question without EDNS has shown that EDNS was what it refused.
  if (!(plain.kind === 'error' && plain.rcode === outcome.rcode)) cache.withoutEdns.add(key);
  return plain;
}

/**
 * How much a failure tells, lower is more: the resolver's own answer with records or an Extended DNS Error, then its
 * bare rcode or undecodable bytes, then a known reason no answer could come (firewall, nothing listening, no
 * route), then any other socket error, and last silence (DNS_TIMEOUT), which says nothing about why.
 */
function informativeness(failure: QueryError): number {
  if (failure.rcode !== null) return failure.answers.length > 0 || failure.ede.length > 0 ? 0 : 1;
  if (failure.code === 'DNS_MALFORMED') return 1;
  if (failure.code === 'DNS_UNREACHABLE') return failure.cause === 'network-error' ? 3 : 2;
  return 4;
}

/** The most telling failure; of equals, the first resolver's (the one this machine tries first). */
function mostTelling(failures: readonly QueryError[]): QueryError | undefined {
  return failures.reduce<QueryError | undefined>((best, next) => (best && informativeness(best) <= informativeness(next) ? best : next), undefined);
}
