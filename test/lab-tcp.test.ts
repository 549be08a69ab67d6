import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';

const running: LabTcpListener[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((listener) => listener.close()));
});

async function start(...args: Parameters<typeof startTcpListener>): Promise<LabTcpListener> {
  const listener = await startTcpListener(...args);
  running.push(listener);
  return listener;
}

type ConnectionOutcome =
  | { kind: 'connected'; socket: net.Socket }
  | { kind: 'error'; code: string | undefined };

function connect(host: string, port: number): Promise<ConnectionOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => resolve({ kind: 'connected', socket }));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'error', code: error.code }));
  });
}

async function connected(host: string, port: number): Promise<net.Socket> {
  const outcome = await connect(host, port);
  if (outcome.kind !== 'connected') throw new Error(`expected a connection, got ${outcome.code}`);
  return outcome.socket;
}

type SocketEvent = 'data' | 'end' | 'error' | 'close' | 'quiet';

/** The first thing the peer does within `ms`: send data, close, fail, or nothing at all ('quiet'). */
function firstEvent(socket: net.Socket, ms: number): Promise<{ event: SocketEvent; code?: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ event: 'quiet' }), ms);
    const settle = (event: SocketEvent, code?: string): void => {
      clearTimeout(timer);
      resolve({ event, code });
    };
    socket.once('data', () => settle('data'));
    socket.once('end', () => settle('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => settle('error', error.code));
    socket.once('close', () => settle('close'));
  });
}

describe('lab TCP listeners', () => {
  it('accept: connects, stays silent and open, closes after the client does', async () => {
    const listener = await start('127.0.0.1', 0, 'accept');
    expect(listener.host).toBe('127.0.0.1');
    expect(listener.port).toBeGreaterThan(0);
    const socket = await connected(listener.host, listener.port);
    socket.write('hello');
    expect(await firstEvent(socket, 200)).toEqual({ event: 'quiet' });
    const closing = firstEvent(socket, 1000);
    socket.end();
    expect((await closing).event).toBe('end');
    socket.destroy();
  });

  it('reset: the connection is reset right after the handshake', async () => {
    const listener = await start(loopbackAddress(1), 0, 'reset');
    // In one process the RST usually lands before the client sees 'connect', so the connect itself fails with ECONNRESET.
    const outcome = await connect(listener.host, listener.port);
    const code = outcome.kind === 'error' ? outcome.code : (await firstEvent(outcome.socket, 1000)).code;
    if (outcome.kind === 'connected') outcome.socket.destroy();
    expect(code).toBe('ECONNRESET');
  });

  it('tarpit: connects, never speaks, never closes even after the client half-closes', async () => {
    const listener = await start(loopbackAddress(2), 0, 'tarpit');
    const socket = await connected(listener.host, listener.port);
    socket.write('\x16\x03\x01 a TLS ClientHello would go here');
    socket.end();
    expect(await firstEvent(socket, 300)).toEqual({ event: 'quiet' });
    socket.destroy();
  });

  it('close() destroys open connections, tarpits included, so tests end promptly', async () => {
    const tarpit = await startTcpListener('127.0.0.1', 0, 'tarpit');
    const accepting = await startTcpListener('127.0.0.1', 0, 'accept');
    const sockets = await Promise.all([connected(tarpit.host, tarpit.port), connected(accepting.host, accepting.port)]);
    const ended = sockets.map((socket) => firstEvent(socket, 1000));
    const started = performance.now();
    await Promise.all([tarpit.close(), accepting.close()]);
    expect(performance.now() - started).toBeLessThan(500);
    expect((await Promise.all(ended)).map(({ event }) => event)).toEqual(['end', 'end']);
    sockets.forEach((socket) => socket.destroy());
  });

  it('a closed listener leaves a refusing port behind', async () => {
    const listener = await startTcpListener('127.0.0.1', 0, 'accept');
    await listener.close();
    expect(await connect('127.0.0.1', listener.port)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('listens on ::1', async () => {
    const listener = await start('::1', 0, 'accept');
    const socket = await connected('::1', listener.port);
    socket.destroy();
  });
});

describe('findSharedFreePort', () => {
  it('finds one port that every fixture address can listen on', async () => {
    const hosts = [loopbackAddress(10), loopbackAddress(11), loopbackAddress(12)];
    const port = await findSharedFreePort(hosts);
    const listeners = await Promise.all(
      hosts.map((host, index) => start(host, port, index === 0 ? 'accept' : index === 1 ? 'reset' : 'tarpit')),
    );
    expect(listeners.map((listener) => listener.port)).toEqual([port, port, port]);
  });

  it('tolerates an address listed twice', async () => {
    const host = loopbackAddress(20);
    const port = await findSharedFreePort([host, host]);
    expect((await start(host, port, 'accept')).port).toBe(port);
  });

  it('rejects an empty host list', async () => {
    await expect(findSharedFreePort([])).rejects.toThrow(/at least one host/);
  });
});

describe('loopbackAddress', () => {
  it('gives distinct 127/8 addresses, never 127.0.0.1 and never a .0 or .255 octet', () => {
    const addresses = Array.from({ length: 5000 }, (_, index) => loopbackAddress(index + 1));
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses[0]).toBe('127.0.1.1');
    for (const address of addresses) {
      expect(address).toMatch(/^127\.0\.\d+\.\d+$/);
      expect(address).not.toBe('127.0.0.1');
      const octets = address.split('.').map(Number);
      expect(octets.some((octet) => octet === 255) || octets.slice(2).some((octet) => octet === 0)).toBe(false);
    }
  });

  it('rejects indexes outside 1..64516', () => {
    expect(() => loopbackAddress(0)).toThrow(RangeError);
    expect(() => loopbackAddress(1.5)).toThrow(RangeError);
    expect(() => loopbackAddress(64_517)).toThrow(RangeError);
    expect(loopbackAddress(64_516)).toBe('127.0.254.254');
  });
});
