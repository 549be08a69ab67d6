import dgram from 'node:dgram';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsQueryCache, probeDns, QUERIES_IN_FLIGHT_PER_RESOLVER } from '../probes/dns.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A resolver that reads every query and never answers: a resolver across a long link, as far as the sender can tell. */
async function silentResolver(): Promise<{ host: string; port: number; received: () => number }> {
  // A receive buffer for every query of the test: none may be lost to this process's own busy event loop.
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  let received = 0;
  socket.on('message', () => received++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return { host: '127.0.0.1', port: socket.address().port, received: () => received };
}

describe('DNS query pacing', () => {
  it('keeps sending to a resolver whose answers are slow: unanswered queries stop counting against the per-resolver cap', async () => {
    const resolver = await silentResolver();
    const cancel = new AbortController();
    setMaxListeners(0, cancel.signal);
    cleanups.push(() => cancel.abort());
    const cache = createDnsQueryCache();
    const names = Array.from({ length: 200 }, (_unused, i) => `slow${i}.lab.test`);
    // A deadline far beyond the test: no retransmission can make up the count.
    const ctx = { stepTimeoutMs: 600_000, signal: cancel.signal };
    const probes = names.map((name) => probeDns({ name, resolvers: [resolver], cache }, ctx).catch(() => undefined));
    const expected = names.length * 2; // A and AAAA
    for (let waited = 0; resolver.received() < expected && waited < 20_000; waited += 20) await sleep(20);
    // With a cap on queries outstanding, 128 would have gone out and the rest waited for answers that never come.
    expect(resolver.received()).toBeGreaterThan(QUERIES_IN_FLIGHT_PER_RESOLVER);
    expect(resolver.received()).toBe(expected);
    cancel.abort();
    await Promise.all(probes);
  });
});
