// One DNS question to one resolver: UDP first, TCP when the answer is truncated. Answers are matched to the
// question (id, name, type, peer); anything else on the socket is ignored, except undecodable bytes from the
// resolver itself, which are its answer (DNS_MALFORMED).
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { ResolverAddress } from '../config/plan.js';
import type { DnsCode } from '../model/codes.js';
import { describeError } from './probe.js';

export type QueryType = 'A' | 'AAAA';

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  /** Target for CNAME, address for A/AAAA; other types as text. */
  value: string;
}

export type QueryOutcome =
  | { kind: 'answer'; rcode: 'NOERROR' | 'NXDOMAIN'; answers: DnsRecord[]; resolver: string; transport: 'udp' | 'tcp' }
  | { kind: 'error'; code: Extract<DnsCode, 'DNS_SERVFAIL' | 'DNS_REFUSED' | 'DNS_TIMEOUT' | 'DNS_MALFORMED'>; detail: string; resolver: string };

export function formatResolver(resolver: ResolverAddress): string {
  return resolver.host.includes(':') ? `[${resolver.host}]:${resolver.port}` : `${resolver.host}:${resolver.port}`;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Ask one resolver one question within `signal`'s deadline. Never throws for network outcomes. */
export async function exchange(resolver: ResolverAddress, name: string, type: QueryType, signal: AbortSignal, retransmitAfterMs: number): Promise<QueryOutcome> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });
  const where = formatResolver(resolver);
  const matches = (packet: DecodedPacket) => packet.id === id && isAnswerTo(packet, name, type);
  try {
    const udp = await exchangeUdp(resolver, query, matches, signal, retransmitAfterMs);
    const packet = udp.truncated ? await exchangeTcp(resolver, query, matches, signal) : udp.packet;
    return interpret(packet, where, udp.truncated ? 'tcp' : 'udp');
  } catch (error) {
    return { kind: 'error', ...classifyExchangeError(error, signal), resolver: where };
  }
}

type DecodedPacket = ReturnType<typeof dnsPacket.decode> & { rcode?: string };

class MalformedAnswer extends Error {}
class ResolverRefusedTransport extends Error {}

function isAnswerTo(packet: DecodedPacket, name: string, type: QueryType): boolean {
  const question = packet.questions?.[0];
  return packet.type === 'response' && question !== undefined && question.type === type
    && normalizeName(question.name) === normalizeName(name);
}

function classifyExchangeError(error: unknown, signal: AbortSignal): { code: Extract<QueryOutcome, { kind: 'error' }>['code']; detail: string } {
  if (signal.aborted) return { code: 'DNS_TIMEOUT', detail: 'no answer before the deadline' };
  if (error instanceof MalformedAnswer) return { code: 'DNS_MALFORMED', detail: error.message };
  if (error instanceof ResolverRefusedTransport) return { code: 'DNS_REFUSED', detail: error.message };
  return { code: 'DNS_SERVFAIL', detail: describeError(error) };
}

function interpret(packet: DecodedPacket, resolver: string, transport: 'udp' | 'tcp'): QueryOutcome {
  const rcode = packet.rcode ?? 'NOERROR';
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') {
    return { kind: 'answer', rcode, answers: (packet.answers ?? []).map(toRecord), resolver, transport };
  }
  if (rcode === 'REFUSED') return { kind: 'error', code: 'DNS_REFUSED', detail: 'the resolver answered REFUSED', resolver };
  if (rcode === 'FORMERR') return { kind: 'error', code: 'DNS_MALFORMED', detail: 'the resolver answered FORMERR', resolver };
  return { kind: 'error', code: 'DNS_SERVFAIL', detail: `the resolver answered ${rcode}`, resolver };
}

function toRecord(answer: dnsPacket.Answer): DnsRecord {
  const data = (answer as { data?: unknown }).data;
  return {
    name: normalizeName(answer.name),
    type: answer.type,
    ttl: (answer as { ttl?: number }).ttl ?? 0,
    value: typeof data === 'string' ? (answer.type === 'CNAME' ? normalizeName(data) : data) : describeData(data),
  };
}

function describeData(data: unknown): string {
  if (Buffer.isBuffer(data)) return data.toString('hex');
  if (Array.isArray(data)) return data.map((part) => (Buffer.isBuffer(part) ? part.toString('utf8') : String(part))).join('');
  return JSON.stringify(data) ?? '';
}

function decodeOrThrow(bytes: Buffer): DecodedPacket {
  try {
    return dnsPacket.decode(bytes) as DecodedPacket;
  } catch {
    throw new MalformedAnswer(`undecodable ${bytes.length}-byte answer (starts ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))})`);
  }
}

/** Runs `start` until it settles or the signal fires; `cleanup` always runs once it has. */
function withSignal<T>(signal: AbortSignal, start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void, cleanup: () => void): Promise<T> {
  let onAbort = () => {};
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    start(resolve, reject);
  }).finally(() => {
    signal.removeEventListener('abort', onAbort);
    cleanup();
  });
}

function exchangeUdp(resolver: ResolverAddress, query: Buffer, matches: (p: DecodedPacket) => boolean, signal: AbortSignal, retransmitAfterMs: number): Promise<{ packet: DecodedPacket; truncated: boolean }> {
  const socket = dgram.createSocket(net.isIPv6(resolver.host) ? 'udp6' : 'udp4');
  let resend: NodeJS.Timeout | undefined;
  return withSignal(signal, (resolve, reject) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // On a connected UDP socket Linux reports the resolver's ICMP port unreachable as ECONNREFUSED.
      reject(error.code === 'ECONNREFUSED' ? new ResolverRefusedTransport('nothing listens on the resolver port (ICMP port unreachable)') : error);
    });
    socket.on('message', (bytes) => {
      let packet: DecodedPacket;
      try {
        packet = decodeOrThrow(bytes);
      } catch (error) {
        return reject(error);
      }
      if (!matches(packet)) return; // a stray or spoofed answer: keep waiting for ours
      resolve({ packet, truncated: Boolean((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) });
    });
    socket.connect(resolver.port, resolver.host, () => {
      const send = () => socket.send(query, (error) => error && reject(error));
      send();
      // One retransmission (halfway to the deadline) covers a single lost datagram.
      resend = setTimeout(send, retransmitAfterMs).unref();
    });
  }, () => {
    clearTimeout(resend);
    try {
      socket.close();
    } catch {
      // already closed
    }
  });
}

function exchangeTcp(resolver: ResolverAddress, query: Buffer, matches: (p: DecodedPacket) => boolean, signal: AbortSignal): Promise<DecodedPacket> {
  const socket = net.connect({ host: resolver.host, port: resolver.port });
  let buffered = Buffer.alloc(0);
  return withSignal(signal, (resolve, reject) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ECONNREFUSED' ? new ResolverRefusedTransport('the resolver truncated its UDP answer and refused TCP') : error);
    });
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each message is preceded by its 2-byte length; a message may arrive in pieces.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        let packet: DecodedPacket;
        try {
          packet = decodeOrThrow(message);
        } catch (error) {
          return reject(error);
        }
        if (matches(packet)) return resolve(packet);
      }
    });
    socket.on('end', () => reject(new MalformedAnswer('the resolver closed the TCP connection without an answer')));
  }, () => socket.destroy());
}
