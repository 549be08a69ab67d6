import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DelayLine, isLoopbackAddress, startLatencyRelay, type LatencyRelay, type LatencyRelaySpec } from '../bench/latency-relay.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { listen } from '../lab/loopback.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(): Promise<{ host: string; port: number }> {
  const server = net.createServer((socket) => socket.pipe(socket));
  const port = await listen(server, '127.0.0.1', 0);
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { host: '127.0.0.1', port };
}

async function relay(spec: Partial<LatencyRelaySpec> & Pick<LatencyRelaySpec, 'udp' | 'tcp'>): Promise<LatencyRelay> {
  const started = await startLatencyRelay({ rttMs: 200, maxConnections: 16, lifetimeMs: 30_000, ...spec });
  cleanups.push(() => started.close());
  return started;
}

async function labResolver(): Promise<LabDnsServer> {
  const server = await startLabDnsServer({ host: '127.0.0.1', zone: { 'relayed.lab.test': { records: [{ type: 'A', value: '127.0.0.9' }] } } });
  cleanups.push(() => server.close());
  return server;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, '127.0.0.1', 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends `text` through the relay and collects everything echoed back until `text.length` bytes arrived. */
function echoThrough(port: number, chunks: readonly string[]): Promise<{ text: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const expected = chunks.join('');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length >= expected.length) {
        socket.destroy();
        resolve({ text, elapsedMs: performance.now() - started });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the connection closed after ${JSON.stringify(text)}`)));
    socket.on('connect', () => chunks.forEach((chunk) => socket.write(chunk)));
  });
}

describe('DelayLine', () => {
  it('runs each callback once its delay has passed, in the order queued, and drops what is left on clear', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const ran: string[] = [];
    const line = new DelayLine(100, () => Date.now());
    line.push(() => ran.push('first'));
    await vi.advanceTimersByTimeAsync(50);
    line.push(() => ran.push('second'));
    await vi.advanceTimersByTimeAsync(49);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(50);
    expect(ran).toEqual(['first', 'second']);
    line.push(() => ran.push('dropped'));
    line.clear();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toEqual(['first', 'second']);
    expect(line.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('latency relay', () => {
  it('relays a DNS answer with the client\'s own query id, no sooner than one RTT', async () => {
    const resolver = await labResolver();
    const started = await relay({ rttMs: 200, udp: { listenHost: '127.0.0.1', upstream: resolver }, tcp: { hosts: [], upstreamPort: 1, listenPort: 0 } });
    const socket = dgram.createSocket('udp4');
    cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
    const query = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'relayed.lab.test', class: 'IN' }] });
    const sentAt = performance.now();
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(query, started.resolver.port, started.resolver.host);
    const decoded = dnsPacket.decode(await answer);
    // A lower bound only: a loaded machine makes the answer later, never earlier (timers may fire 1 ms early).
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(198);
    expect(decoded.id).toBe(4242);
    expect(decoded.answers?.map((record) => record.data)).toEqual(['127.0.0.9']);
    expect(resolver.queries.length).toBe(1);
    expect(started.stats().datagramsRelayed).toBe(1);
  });

  it('relays TCP chunks in order both ways, each direction held half an RTT', async () => {
    const echo = await echoServer();
    const started = await relay({ rttMs: 200, udp: { listenHost: '127.0.0.1', upstream: { host: '127.0.0.1', port: 9 } }, tcp: { hosts: [echo.host], upstreamPort: echo.port, listenPort: await freePort() } });
    const { text, elapsedMs } = await echoThrough(started.tcpPort, ['one,', 'two,', 'three']);
    expect(text).toBe('one,two,three');
    expect(elapsedMs).toBeGreaterThanOrEqual(198);
    expect(started.stats().connectionsAccepted).toBe(1);
  });

  it('refuses connections beyond maxConnections', async () => {
    const echo = await echoServer();
    const started = await relay({ rttMs: 0, maxConnections: 1, udp: { listenHost: '127.0.0.1', upstream: { host: '127.0.0.1', port: 9 } }, tcp: { hosts: [echo.host], upstreamPort: echo.port, listenPort: await freePort() } });
    const first = net.connect({ host: '127.0.0.1', port: started.tcpPort });
    cleanups.push(async () => void first.destroy());
    await new Promise((resolve) => first.once('connect', resolve));
    await expect(echoThrough(started.tcpPort, ['ping'])).rejects.toThrow(/the connection closed after ""|ECONNRESET/);
    expect(started.stats()).toMatchObject({ connectionsAccepted: 1, connectionsRefused: 1 });
  });

  it('stops by itself at the end of its lifetime: the listener is gone', async () => {
    const echo = await echoServer();
    const started = await relay({ rttMs: 0, lifetimeMs: 100, udp: { listenHost: '127.0.0.1', upstream: { host: '127.0.0.1', port: 9 } }, tcp: { hosts: [echo.host], upstreamPort: echo.port, listenPort: await freePort() } });
    await started.closed;
    await expect(echoThrough(started.tcpPort, ['ping'])).rejects.toThrow(/ECONNREFUSED/);
  });

  it('works on loopback only', async () => {
    expect(isLoopbackAddress('127.0.45.3')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
    expect(isLoopbackAddress('0.0.0.0')).toBe(false);
    await expect(startLatencyRelay({ rttMs: 10, maxConnections: 1, lifetimeMs: 1_000, udp: { listenHost: '127.0.0.1', upstream: { host: '192.0.2.53', port: 53 } }, tcp: { hosts: [], upstreamPort: 1, listenPort: 0 } }))
      .rejects.toThrow('the latency relay works on loopback only; the upstream resolver 192.0.2.53 is not a loopback address');
    await expect(startLatencyRelay({ rttMs: 10, maxConnections: 1, lifetimeMs: 1_000, udp: { listenHost: '127.0.0.1', upstream: { host: '127.0.0.1', port: 53 } }, tcp: { hosts: ['0.0.0.0'], upstreamPort: 1, listenPort: 0 } }))
      .rejects.toThrow('the TLS address 0.0.0.0 is not a loopback address');
  });
});
