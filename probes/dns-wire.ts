// One DNS question to one resolver: UDP first, TCP when the answer is truncated. Answers are matched to the
// question (id, name, type, peer); anything else on the socket is ignored, except undecodable bytes from the
// resolver itself, which are its answer (DNS_MALFORMED). Queries carry EDNS0 (a 1232-byte buffer, as resolvers
// expect since DNS Flag Day 2020) so that resolvers can say why with an Extended DNS Error; a socket error says
// why no answer could come (DNS_UNREACHABLE), never a resolver's rcode.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { ResolverAddress } from '../config/plan.js';
import type { DnsCode } from '../model/codes.js';
import { readExtendedErrors, type ExtendedDnsError } from './dns-ede.js';
import { describeError } from './probe.js';

export type QueryType = 'A' | 'AAAA';

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  /** Target for CNAME, address for A/AAAA; other types as text. */
  value: string;
}

/** The UDP payload size announced in EDNS0: what fits an IPv6 minimum MTU without fragments. */
export const EDNS_UDP_PAYLOAD_SIZE = 1232;

/**
 * Why no answer could come from a resolver. local-firewall: this machine refused to send (EPERM);
 * port-unreachable: ICMP port unreachable, nothing listens; no-route: no route, or ICMP host/net unreachable;
 * tcp-refused: the TCP retry of a truncated answer was refused; network-error: any other socket error.
 */
export type UnreachableCause = 'local-firewall' | 'port-unreachable' | 'no-route' | 'tcp-refused' | 'network-error';

export type QueryErrorCode = Extract<DnsCode, 'DNS_SERVFAIL' | 'DNS_REFUSED' | 'DNS_TIMEOUT' | 'DNS_MALFORMED' | 'DNS_UNREACHABLE'>;

export type QueryOutcome =
  | { kind: 'answer'; rcode: 'NOERROR' | 'NXDOMAIN'; answers: DnsRecord[]; resolver: string; transport: 'udp' | 'tcp'; ede: ExtendedDnsError[]; edns: boolean }
  | {
    kind: 'error';
    code: QueryErrorCode;
    detail: string;
    resolver: string;
    /** The resolver's rcode when it answered (SERVFAIL, REFUSED, FORMERR…); null when no answer came. */
    rcode: string | null;
    /** Records of an error answer: bind9 puts both records of a CNAME loop in its SERVFAIL. */
    answers: DnsRecord[];
    ede: ExtendedDnsError[];
    edns: boolean;
    /** Set for DNS_UNREACHABLE. */
    cause: UnreachableCause | null;
    /** The socket error's code (EPERM, ECONNREFUSED…), null when none. */
    errno: string | null;
    /** Set when several resolvers were asked: the others, which failed too. */
    alsoFailed?: Array<{ resolver: string; code: QueryErrorCode; detail: string }>;
  };

export type QueryError = Extract<QueryOutcome, { kind: 'error' }>;

export function formatResolver(resolver: ResolverAddress): string {
  return resolver.host.includes(':') ? `[${resolver.host}]:${resolver.port}` : `${resolver.host}:${resolver.port}`;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Ask one resolver one question within `signal`'s deadline, with EDNS0 unless `edns` is false (for a server
 * that answered FORMERR to it). Never throws for network outcomes.
 */
export async function exchange(resolver: ResolverAddress, name: string, type: QueryType, signal: AbortSignal, retransmitAfterMs: number, edns = true): Promise<QueryOutcome> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [],
  });
  const where = formatResolver(resolver);
  const matches = (packet: DecodedPacket) => packet.id === id && isAnswerTo(packet, name, type);
  try {
    const udp = await exchangeUdp(resolver, query, matches, signal, retransmitAfterMs);
    const packet = udp.truncated ? await exchangeTcp(resolver, query, matches, signal) : udp.packet;
    return interpret(packet, where, udp.truncated ? 'tcp' : 'udp', edns);
  } catch (error) {
    return { kind: 'error', ...classifyExchangeError(error, signal, where), resolver: where, rcode: null, answers: [], ede: [], edns };
  }
}

type DecodedPacket = ReturnType<typeof dnsPacket.decode> & { rcode?: string };

class MalformedAnswer extends Error {}
/** A socket error, with the step it happened in: the same errno means different things over UDP and TCP. */
class TransportError extends Error {
  constructor(readonly transport: 'udp' | 'tcp', readonly errno: string | null, cause: unknown) {
    super(describeError(cause));
  }
}

function isAnswerTo(packet: DecodedPacket, name: string, type: QueryType): boolean {
  const question = packet.questions?.[0];
  return packet.type === 'response' && question !== undefined && question.type === type
    && normalizeName(question.name) === normalizeName(name);
}

type Classified = Pick<QueryError, 'code' | 'detail' | 'cause' | 'errno'>;

/** What a failed exchange means; `where` is the resolver ("host:port"), named in every detail. */
function classifyExchangeError(error: unknown, signal: AbortSignal, where: string): Classified {
  if (signal.aborted) return { code: 'DNS_TIMEOUT', detail: 'no answer before the deadline', cause: null, errno: null };
  if (error instanceof MalformedAnswer) return { code: 'DNS_MALFORMED', detail: error.message, cause: null, errno: null };
  const transport = error instanceof TransportError ? error.transport : 'udp';
  const errno = error instanceof TransportError ? error.errno : null;
  const unreachable = (cause: UnreachableCause, detail: string): Classified => ({ code: 'DNS_UNREACHABLE', detail, cause, errno });
  switch (errno) {
    case 'EPERM':
    case 'EACCES':
      // Linux returns EPERM from sendmsg when a netfilter output rule drops the packet.
      return unreachable('local-firewall', `this machine's firewall refused the packet to resolver ${where} (${errno})`);
    case 'ECONNREFUSED':
      return transport === 'udp'
        ? unreachable('port-unreachable', `resolver ${where} refused the packet with ICMP port unreachable: nothing listens there`)
        : unreachable('tcp-refused', `resolver ${where} truncated its UDP answer and refused the TCP connection for the full one`);
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
    case 'ENONET':
      // Linux reports only hard ICMP errors on UDP: no route here, or a router's or firewall's host unreachable/prohibited.
      return unreachable('no-route', `no route to resolver ${where} (${errno}): this machine has none, or a router or firewall on the way answered that it is unreachable`);
    default:
      return unreachable('network-error', `no answer from resolver ${where} over ${transport.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function interpret(packet: DecodedPacket, resolver: string, transport: 'udp' | 'tcp', edns: boolean): QueryOutcome {
  const rcode = fullRcode(packet);
  const answers = (packet.answers ?? []).map(toRecord);
  const ede = extendedErrorsOf(packet);
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return { kind: 'answer', rcode, answers, resolver, transport, ede, edns };
  const error = (code: QueryErrorCode): QueryOutcome =>
    ({ kind: 'error', code, detail: `the resolver answered ${rcode}`, resolver, rcode, answers, ede, edns, cause: null, errno: null });
  if (rcode === 'REFUSED') return error('DNS_REFUSED');
  if (rcode === 'FORMERR') return error('DNS_MALFORMED');
  return error('DNS_SERVFAIL');
}

/** The header's 4-bit rcode, extended by the OPT record's upper 8 bits (RFC 6891): 16 is BADVERS. */
function fullRcode(packet: DecodedPacket): string {
  const opt = optOf(packet) as { extendedRcode?: unknown } | undefined;
  const upper = typeof opt?.extendedRcode === 'number' ? opt.extendedRcode : 0;
  if (upper === 0) return packet.rcode ?? 'NOERROR';
  const value = (upper << 4) | ((packet.flags ?? 0) & 0xf);
  return value === 16 ? 'BADVERS' : `RCODE${value}`;
}

function optOf(packet: DecodedPacket): unknown {
  return (packet.additionals ?? []).find((record) => record.type === 'OPT');
}

function extendedErrorsOf(packet: DecodedPacket): ExtendedDnsError[] {
  const opt = optOf(packet) as { options?: unknown } | undefined;
  return Array.isArray(opt?.options) ? readExtendedErrors(opt.options as Array<{ code?: unknown; data?: unknown }>) : [];
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
    // On a connected UDP socket Linux reports the resolver's ICMP port unreachable as ECONNREFUSED, an ICMP
    // host unreachable as EHOSTUNREACH; a local firewall's drop comes back from send() as EPERM.
    const failed = (error: NodeJS.ErrnoException) => reject(new TransportError('udp', error.code ?? null, error));
    socket.on('error', failed);
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
      const send = () => socket.send(query, (error) => error && failed(error));
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
    socket.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError('tcp', error.code ?? null, error)));
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
