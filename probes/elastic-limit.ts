// The run's cap on operations in flight, sized for latency. The cap (--concurrency) exists for CPU and memory: on a
// fast network, hundreds of handshakes at once only share the CPU and push each other past their deadlines. But an
// operation that waits an RTT for its peer uses neither: across a 200 ms link a fixed cap of 256 bounds throughput
// to 1,280 operations a second. So while operations queue and this thread is mostly idle (waiting on the network,
// not computing), the cap doubles, up to `max` (a share of the file descriptors); once the thread is busy again it
// falls back towards `base`. On loopback the thread is busy and the cap stays at `base`.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Limiter } from './limiter.js';

export interface ElasticLimitOptions {
  base: number;
  max: number;
  /** How often the thread's utilization is sampled while operations queue. */
  intervalMs?: number;
  /** Fraction of the last interval this thread spent running code (0..1); Node's event-loop utilization by default. */
  utilization?: () => number;
}

/** Below this utilization the thread is waiting, not computing: the cap may grow. */
const IDLE_BELOW = 0.5;
/** Above this the thread is the bottleneck: more in flight would only stretch every operation. */
const BUSY_ABOVE = 0.85;
const DEFAULT_INTERVAL_MS = 100;

/** Grows and shrinks `limiter`'s cap as above; returns the hook to pass as the limiter's `onQueued`. */
export function elasticLimit(getLimiter: () => Limiter, options: ElasticLimitOptions): () => void {
  const utilization = options.utilization ?? eventLoopUtilizationSampler();
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const limiter = getLimiter();
    const used = utilization();
    if (used > BUSY_ABOVE) limiter.resize(Math.max(options.base, Math.floor(limiter.cap / 2)));
    else if (used < IDLE_BELOW && limiter.queued > 0) limiter.resize(Math.min(options.max, limiter.cap * 2));
    // Nothing waiting: stop sampling until something queues again (the cap stays where it is).
    if (limiter.queued === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return () => {
    if (timer !== undefined || options.max <= options.base) return;
    utilization(); // start the first interval now
    timer = setInterval(tick, intervalMs);
    timer.unref();
  };
}

/** This thread's event-loop utilization over each interval between calls. */
export function eventLoopUtilizationSampler(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return used;
  };
}

/** Sockets a run may hold at once without nearing the process's file-descriptor limit. */
export const FALLBACK_DESCRIPTOR_LIMIT = 8_192;
const DESCRIPTOR_SHARE = 0.25;

/**
 * The soft RLIMIT_NOFILE (Node raises it to the hard limit at start) from /proc/self/limits; elsewhere (Windows,
 * where sockets are handles without such a limit) a fixed figure.
 */
export function descriptorLimit(limitsText: string | null = readLimits()): number {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText ?? '');
  if (!match?.[1]) return FALLBACK_DESCRIPTOR_LIMIT;
  return match[1] === 'unlimited' ? FALLBACK_DESCRIPTOR_LIMIT * 8 : Number(match[1]);
}

/** A share of the descriptors for operations in flight: the rest stays for DNS sockets, files and the runtime. */
export function socketBudget(descriptors: number = descriptorLimit()): number {
  return Math.max(1, Math.floor(descriptors * DESCRIPTOR_SHARE));
}

function readLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}
