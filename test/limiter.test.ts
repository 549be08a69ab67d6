import { afterEach, describe, expect, it, vi } from 'vitest';
import { descriptorLimit, elasticLimit, FALLBACK_DESCRIPTOR_LIMIT, socketBudget } from '../probes/elastic-limit.js';
import { Limiter } from '../probes/limiter.js';

/** An operation the test finishes by hand, recording when it started. */
function controlled(log: string[], name: string) {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { operation: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; }, finish };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('Limiter', () => {
  it('runs at most `limit` operations at once, the rest in arrival order', async () => {
    const log: string[] = [];
    const limiter = new Limiter(2);
    const ops = ['a', 'b', 'c', 'd'].map((name) => controlled(log, name));
    const results = ops.map((op) => limiter.run(op.operation));
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    expect(limiter.queued).toBe(2);
    ops[1]?.finish();
    await settle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    ops[0]?.finish();
    ops[2]?.finish();
    ops[3]?.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(log.filter((line) => line.startsWith('start'))).toEqual(['start a', 'start b', 'start c', 'start d']);
  });

  it('with releaseAfterMs, gives a slot back after that long even though its operation still runs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log: string[] = [];
    const limiter = new Limiter(1, { releaseAfterMs: 10 });
    const slow = controlled(log, 'slow');
    const next = controlled(log, 'next');
    const first = limiter.run(slow.operation);
    const second = limiter.run(next.operation);
    await vi.advanceTimersByTimeAsync(9);
    expect(log).toEqual(['start slow']);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['start slow', 'start next']);
    // The slow one ending later does not free a second slot: the next newcomer still waits its turn.
    const last = controlled(log, 'third');
    const third = limiter.run(last.operation);
    slow.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['start slow', 'start next', 'end slow']);
    expect(limiter.queued).toBe(1);
    next.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.at(-1)).toBe('start third');
    last.finish();
    await vi.advanceTimersByTimeAsync(10);
    expect(await Promise.all([first, second, third])).toEqual(['slow', 'next', 'third']);
  });

  it('admits waiters at once when resized up, and hands no slot on while above a smaller cap', async () => {
    const log: string[] = [];
    const limiter = new Limiter(1);
    const ops = ['a', 'b', 'c', 'd'].map((name) => controlled(log, name));
    const results = ops.map((op) => limiter.run(op.operation));
    await settle();
    limiter.resize(3);
    await settle();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    limiter.resize(1);
    ops[0]?.finish();
    ops[1]?.finish();
    await settle();
    // Two finished, but one is still running and the cap is 1: d waits.
    expect(log).not.toContain('start d');
    ops[2]?.finish();
    await settle();
    expect(log.at(-1)).toBe('start d');
    ops[3]?.finish();
    await Promise.all(results);
  });
});

describe('elasticLimit', () => {
  it('doubles the cap while operations queue and the thread idles, up to max, and halves it back to base when busy', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let used = 0.1;
    let limiter: Limiter | undefined;
    const onQueued = elasticLimit(() => limiter as Limiter, { base: 2, max: 8, intervalMs: 100, utilization: () => used });
    limiter = new Limiter(2, { onQueued });
    const log: string[] = [];
    const ops = Array.from({ length: 12 }, (_unused, i) => controlled(log, String(i)));
    const results = ops.map((op) => limiter!.run(op.operation));
    expect(limiter.cap).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(limiter.cap).toBe(4);
    await vi.advanceTimersByTimeAsync(100);
    expect(limiter.cap).toBe(8);
    await vi.advanceTimersByTimeAsync(100);
    expect(limiter.cap).toBe(8);
    expect(log.filter((line) => line.startsWith('start'))).toHaveLength(8);
    used = 0.95;
    await vi.advanceTimersByTimeAsync(100);
    expect(limiter.cap).toBe(4);
    await vi.advanceTimersByTimeAsync(200);
    expect(limiter.cap).toBe(2);
    for (const op of ops) op.finish();
    await Promise.all(results);
    // Nothing queues any more: the sampling stops and leaves no timer behind.
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not grow a cap whose operations are not waiting for a slot', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const limiter = new Limiter(4, { onQueued: elasticLimit(() => limiter, { base: 4, max: 64, utilization: () => 0 }) });
    const op = controlled([], 'only');
    const result = limiter.run(op.operation);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(limiter.cap).toBe(4);
    expect(vi.getTimerCount()).toBe(0);
    op.finish();
    await result;
  });
});

describe('socket budget', () => {
  it('reads the open-files limit from /proc/self/limits and keeps a quarter of it for operations in flight', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n';
    expect(descriptorLimit(limits)).toBe(20_000);
    expect(socketBudget(20_000)).toBe(5_000);
  });

  it('falls back to a fixed figure where there is no /proc (Windows)', () => {
    expect(descriptorLimit(null)).toBe(FALLBACK_DESCRIPTOR_LIMIT);
    expect(descriptorLimit('Max open files            unlimited            unlimited            files\n')).toBe(FALLBACK_DESCRIPTOR_LIMIT * 8);
  });
});
