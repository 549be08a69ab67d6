// A userspace latency relay on loopback, for the bench's latency mode: this kernel has no netem. It sits in front of
// the lab's resolver (UDP) and its TLS listeners (TCP) and holds every datagram and every TCP chunk for RTT/2 in
// each direction, so a DNS exchange costs one RTT and a TLS 1.3 handshake one RTT, as across a real network (the
// TCP connect itself is answered by the kernel at once: that round trip is not modelled).
//
// Bounded: at most `maxConnections` TCP connections at once (more are refused), at most 65,536 DNS queries awaiting
// an answer (the relay's own query ids), and it closes itself after `lifetimeMs`. Loopback addresses only.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ResolverAddress } from '../config/plan.js';

export interface LatencyRelaySpec {
  /** Round trip added to every exchange: each direction is held for half of it. */
  rttMs: number;
  /** Where the relay's resolver listens (port 0: any), and the resolver it relays to. */
  udp: { listenHost: string; upstream: ResolverAddress };
  /** The relay listens on each of these addresses at one shared port and connects on to the same address at `upstreamPort`. */
  tcp: { hosts: readonly string[]; upstreamPort: number; listenPort: number };
  maxConnections: number;
  lifetimeMs: number;
}

export interface LatencyRelayStats {
  datagramsRelayed: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  /** Epoch ms (Date.now()) of the first and last query relayed and connection accepted: when each phase ran. */
  firstQueryAt: number | null;
  lastQueryAt: number | null;
  firstConnectionAt: number | null;
  lastConnectionAt: number | null;
}

export interface LatencyRelay {
  /** What the clients use as their resolver. */
  resolver: ResolverAddress;
  tcpPort: number;
  stats(): LatencyRelayStats;
  close(): Promise<void>;
  /** Settles once the relay has closed, whether by close() or at the end of its lifetime. */
  closed: Promise<void>;
}

/** 127.0.0.0/8 and ::1: the only addresses the relay listens on or sends to. */
export function isLoopbackAddress(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1';
}

function requireLoopback(address: string, role: string): void {
  if (!isLoopbackAddress(address)) throw new Error(`the latency relay works on loopback only; ${role} ${address} is not a loopback address`);
}

/**
 * Runs callbacks `delayMs` after they were queued, in the order queued: one timer for the whole line (its head),
 * whatever the number of chunks waiting, and a chunk never overtakes one queued before it.
 */
export class DelayLine {
  private readonly queue: Array<{ due: number; run: () => void }> = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly delayMs: number, private readonly now: () => number = () => performance.now()) {}

  push(run: () => void): void {
    this.queue.push({ due: this.now() + this.delayMs, run });
    if (this.timer === undefined) this.arm();
  }

  /** Drops everything still waiting. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  private arm(): void {
    const next = this.queue[this.head];
    if (next === undefined) {
      this.timer = undefined;
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.due - this.now()));
  }

  private fire(): void {
    const now = this.now();
    for (let next = this.queue[this.head]; next !== undefined && next.due <= now; next = this.queue[this.head]) {
      this.head++;
      next.run();
    }
    this.arm();
  }
}

const DNS_ID_SPACE = 65_536;

export async function startLatencyRelay(spec: LatencyRelaySpec): Promise<LatencyRelay> {
  requireLoopback(spec.udp.listenHost, 'the resolver address');
  requireLoopback(spec.udp.upstream.host, 'the upstream resolver');
  for (const host of spec.tcp.hosts) requireLoopback(host, 'the TLS address');
  if (!(spec.rttMs >= 0) || !(spec.lifetimeMs > 0) || !(spec.maxConnections > 0)) throw new RangeError('the latency relay needs rttMs ≥ 0, lifetimeMs > 0 and maxConnections > 0');

  const line = new DelayLine(spec.rttMs / 2);
  const stats: LatencyRelayStats = { datagramsRelayed: 0, connectionsAccepted: 0, connectionsRefused: 0, firstQueryAt: null, lastQueryAt: null, firstConnectionAt: null, lastConnectionAt: null };
  const family = net.isIPv6(spec.udp.listenHost) ? 'udp6' : 'udp4';
  // Loopback bursts of thousands of datagrams: receive buffers as large as the kernel allows (rmem_max).
  const front = dgram.createSocket({ type: family, recvBufferSize: 4 << 20 });
  const back = dgram.createSocket({ type: net.isIPv6(spec.udp.upstream.host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
  // One upstream socket for every client: each query gets a relay id of its own, mapped back on the answer.
  const pending = new Map<number, { address: string; port: number; id: number }>();
  let nextId = 0;
  front.on('message', (message, from) => {
    if (message.length < 12) return;
    stats.lastQueryAt = Date.now();
    stats.firstQueryAt ??= stats.lastQueryAt;
    const relayId = nextId;
    nextId = (nextId + 1) % DNS_ID_SPACE;
    pending.set(relayId, { address: from.address, port: from.port, id: message.readUInt16BE(0) });
    const outgoing = Buffer.from(message);
    outgoing.writeUInt16BE(relayId, 0);
    line.push(() => back.send(outgoing, spec.udp.upstream.port, spec.udp.upstream.host));
  });
  back.on('message', (message) => {
    if (message.length < 12) return;
    const client = pending.get(message.readUInt16BE(0));
    if (client === undefined) return;
    pending.delete(message.readUInt16BE(0));
    const incoming = Buffer.from(message);
    incoming.writeUInt16BE(client.id, 0);
    stats.datagramsRelayed++;
    line.push(() => front.send(incoming, client.port, client.address));
  });
  // A send to a client that has gone away is no reason to stop relaying for the others.
  front.on('error', () => {});
  back.on('error', () => {});
  await new Promise<void>((resolve) => front.bind(0, spec.udp.listenHost, resolve));
  await new Promise<void>((resolve) => back.bind(0, family === 'udp6' ? '::1' : '127.0.0.1', resolve));

  const sockets = new Set<net.Socket>();
  let open = 0;
  const servers = spec.tcp.hosts.map((host) => net.createServer((client) => {
    if (open >= spec.maxConnections) {
      stats.connectionsRefused++;
      client.destroy();
      return;
    }
    stats.connectionsAccepted++;
    stats.lastConnectionAt = Date.now();
    stats.firstConnectionAt ??= stats.lastConnectionAt;
    open++;
    client.once('close', () => open--);
    const server = net.connect({ host, port: spec.tcp.upstreamPort });
    // Each chunk is written whole when its time comes: Nagle must not hold it back for an ACK on top of that.
    client.setNoDelay(true);
    server.setNoDelay(true);
    for (const [from, to] of [[client, server], [server, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => line.push(() => to.write(chunk)));
      from.on('end', () => line.push(() => to.end()));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        line.push(() => to.destroy());
      });
    }
  }));
  await Promise.all(servers.map((server, i) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.tcp.listenPort, spec.tcp.hosts[i], () => resolve());
  })));

  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let closing: Promise<void> | undefined;
  let lifetime: NodeJS.Timeout | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearTimeout(lifetime);
      line.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      front.close();
      back.close();
      pending.clear();
      markClosed();
    })());
  // It stops by itself, whatever happens to whoever started it.
  lifetime = setTimeout(() => void close(), spec.lifetimeMs);
  lifetime.unref();
  const address = front.address();
  return { resolver: { host: address.address, port: address.port }, tcpPort: spec.tcp.listenPort, stats: () => ({ ...stats }), close, closed };
}
