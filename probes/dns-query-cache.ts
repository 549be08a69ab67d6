// The run's DNS questions: each (name, type) asked once, however many chains pass through it, and each resolver
// sent a paced, bounded number of queries at a time.
import type { ResolverAddress } from '../config/plan.js';
import { formatResolver, type QueryOutcome } from './dns-wire.js';
import { Limiter } from './limiter.js';

/**
 * Queries sent to one resolver within QUERY_PACING_MS and not yet answered. A burst of hundreds of datagrams
 * overflows a resolver's receive buffer (the bench saw hundreds dropped with 512 in flight), and every drop costs a
 * retransmission half a deadline later. What fills that buffer is the send rate: a query still unanswered after
 * QUERY_PACING_MS is waiting in the network or the resolver's queue is drained at our pace, so it stops counting
 * and the next goes out. On loopback answers come sooner and this is a cap of 128 outstanding, as it always was;
 * across a 200 ms link it lets 128 queries out per 10 ms instead of per RTT.
 */
export const QUERIES_IN_FLIGHT_PER_RESOLVER = 128;
export const QUERY_PACING_MS = 10;
/** Queries awaiting an answer from one resolver, however old: each holds a socket (a file descriptor). */
export const QUERY_SOCKETS_PER_RESOLVER = 2_048;

/** Shared across a run: each (name, type) is asked once, and each resolver gets a bounded number at a time. */
export class DnsQueryCache {
  readonly outcomes = new Map<string, Promise<QueryOutcome>>();
  /** Resolvers ("host:port") that refused EDNS with FORMERR or NOTIMP: asked without it for the rest of the run. */
  readonly withoutEdns = new Set<string>();
  private readonly limiters = new Map<string, { run<T>(operation: () => Promise<T>): Promise<T> }>();

  limiterFor(resolver: ResolverAddress): { run<T>(operation: () => Promise<T>): Promise<T> } {
    const key = formatResolver(resolver);
    let limiter = this.limiters.get(key);
    if (!limiter) {
      const sockets = new Limiter(QUERY_SOCKETS_PER_RESOLVER);
      const pacing = new Limiter(QUERIES_IN_FLIGHT_PER_RESOLVER, { releaseAfterMs: QUERY_PACING_MS });
      limiter = { run: (operation) => sockets.run(() => pacing.run(operation)) };
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}

export function createDnsQueryCache(): DnsQueryCache {
  return new DnsQueryCache();
}
