import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import { isAddressInUse, listen } from './loopback.js';

export type LabRecord = { type: 'A' | 'AAAA' | 'CNAME' | 'TXT'; value: string; ttl?: number };

export interface LabName {
  /** [] = the name exists with no data (NODATA for A/AAAA). */
  records?: LabRecord[];
  /** The answer for this name stops after its own CNAME (authoritative-style): the client must ask again for the target. */
  partial?: boolean;
  /** How to respond when a query for this name arrives. */
  respond?: 'servfail' | 'refused' | 'silence' | 'garbage' | 'nxdomain';
  /** Over UDP answer with TC=1 and no answer records; over TCP answer fully. */
  truncate?: boolean;
  /** Answer late (slow endpoint). */
  delayMs?: number;
  /**
   * Extended DNS Errors (RFC 8914) sent with any answer whose chain passes this name, to queries that carry EDNS;
   * a Buffer text is sent byte for byte (hostile text for tests).
   */
  ede?: Array<{ code: number; text: string | Buffer }>;
}

export interface LabDnsServerOptions {
  host?: string;
  port?: number;
  zone: Record<string, LabName>;
  /** How queries with an EDNS OPT record are answered: normally (default), or as a pre-EDNS server does. */
  edns?: 'supported' | 'formerr' | 'notimp';
}

export type DnsTransport = 'udp' | 'tcp';

export interface LabDnsServer {
  host: string;
  port: number;
  queries: Array<{ name: string; type: string; transport: DnsTransport; edns: boolean }>;
  setZone(zone: Record<string, LabName>): void;
  close(): Promise<void>;
}

type Zone = ReadonlyMap<string, LabName>;

interface Resolution {
  rcode: number;
  answers: Answer[];
  ede: NonNullable<LabName['ede']>;
}

const DEFAULT_TTL = 300;
const MAX_CNAME_HOPS = 20;
// dns-packet has no `rcode` field when encoding: the rcode is the low 4 bits of `flags`.
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const EDNS_UDP_PAYLOAD_SIZE = 1232;
const EDE_OPTION_CODE = 15;
// Fixed rather than random so tests are reproducible; shorter than a DNS header, so no decoder can take it for a response.
const GARBAGE_REPLY = Buffer.from('not dns');
// With port 0, UDP may find the ephemeral port TCP got already taken; retry with a fresh one.
const BIND_ATTEMPTS = 10;
const TXT_STRING_MAX_BYTES = 255;

export async function startLabDnsServer(options: LabDnsServerOptions): Promise<LabDnsServer> {
  const host = options.host ?? '127.0.0.1';
  let zone = normalizeZone(options.zone);
  const { tcp, udp, port } = await bindUdpAndTcp(host, options.port ?? 0);
  const queries: LabDnsServer['queries'] = [];
  const pendingReplies = new Set<NodeJS.Timeout>();
  const openSockets = new Set<net.Socket>();

  const handleMessage = (message: Buffer, transport: DnsTransport, send: (reply: Buffer) => void): void => {
    const query = decodeQuery(message);
    if (!query) return;
    const edns = (query.packet.additionals ?? []).some((record) => record.type === 'OPT');
    queries.push({ name: query.question.name, type: query.question.type, transport, edns });
    const entry = zone.get(normalizeName(query.question.name));
    if (entry?.respond === 'silence') return;
    const ednsMode = options.edns ?? 'supported';
    const reply =
      entry?.respond === 'garbage'
        ? GARBAGE_REPLY
        : edns && ednsMode !== 'supported'
          // A server from before EDNS: the OPT record is a format error (or not implemented), and no OPT comes back.
          ? encodeReply(query.packet, { rcode: ednsMode === 'formerr' ? RCODE.FORMERR : RCODE.NOTIMP, answers: [], ede: [] }, false, false)
          : encodeReply(query.packet, resolve(zone, query.question), transport === 'udp' && entry?.truncate === true, edns);
    const delayMs = entry?.delayMs ?? 0;
    if (delayMs <= 0) {
      send(reply);
      return;
    }
    const timer = setTimeout(() => {
      pendingReplies.delete(timer);
      send(reply);
    }, delayMs);
    pendingReplies.add(timer);
  };

  // A lab fixture must never take down the test process: anything we cannot answer is dropped like a malformed query.
  const handleSafely = (message: Buffer, transport: DnsTransport, send: (reply: Buffer) => void): void => {
    try {
      handleMessage(message, transport, send);
    } catch {
      // dropped
    }
  };

  udp.on('error', () => {});
  udp.on('message', (message, peer) => {
    handleSafely(message, 'udp', (reply) => udp.send(reply, peer.port, peer.address, () => {}));
  });

  tcp.on('connection', (socket) => {
    socket.on('error', () => {});
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
    readFramedMessages(socket, (message) =>
      handleSafely(message, 'tcp', (reply) => {
        if (socket.writable) socket.write(frame(reply));
      }),
    );
  });

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    for (const timer of pendingReplies) clearTimeout(timer);
    pendingReplies.clear();
    for (const socket of openSockets) socket.destroy();
    await Promise.all([
      new Promise<void>((done) => tcp.close(() => done())),
      new Promise<void>((done) => udp.close(() => done())),
    ]);
  };

  return {
    host,
    port,
    queries,
    setZone(next) {
      zone = normalizeZone(next);
    },
    close: () => (closing ??= shutdown()),
  };
}

/** Answers like a recursive resolver: follows the CNAME chain from the question name as far as the zone allows. */
function resolve(zone: Zone, question: Question): Resolution {
  const answers: Answer[] = [];
  const ede: Resolution['ede'] = [];
  const visited = new Set<string>();
  // The first owner name keeps the client's spelling; later ones are the CNAME targets as written in the zone.
  let ownerName = question.name;
  for (let hops = 0; ; hops++) {
    const key = normalizeName(ownerName);
    visited.add(key);
    const entry = zone.get(key);
    ede.push(...(entry?.ede ?? []));
    // NXDOMAIN keeps the CNAMEs gathered so far, as real recursive resolvers do ("NXDOMAIN mid-chain").
    if (entry === undefined || entry.respond === 'nxdomain') return { rcode: RCODE.NXDOMAIN, answers, ede };
    if (entry.respond !== undefined) {
      // Only the question name can refuse; a failing name further down the chain is an upstream failure to a resolver.
      return { rcode: hops === 0 && entry.respond === 'refused' ? RCODE.REFUSED : RCODE.SERVFAIL, answers: [], ede };
    }
    const records = entry.records ?? [];
    answers.push(...records.filter((record) => record.type === question.type).map((record) => toAnswer(ownerName, record)));
    const cname = records.find((record) => record.type === 'CNAME');
    if (cname === undefined || question.type === 'CNAME') break;
    answers.push(toAnswer(ownerName, cname));
    if (entry.partial || visited.has(normalizeName(cname.value)) || hops >= MAX_CNAME_HOPS) break;
    ownerName = cname.value;
  }
  return { rcode: RCODE.NOERROR, answers, ede };
}

/** `edns`: the query carried an OPT record, so the reply carries one too, with the Extended DNS Errors. */
function encodeReply(query: DecodedPacket, { rcode, answers, ede }: Resolution, truncated: boolean, edns: boolean): Buffer {
  const flags =
    dnsPacket.RECURSION_AVAILABLE |
    (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
    (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) |
    rcode;
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: truncated ? [] : answers,
    additionals: edns ? [optRecord(ede)] : [],
  });
}

function optRecord(ede: Resolution['ede']): Answer {
  const options = ede.map(({ code, text }) => {
    const extraText = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    const data = Buffer.alloc(2 + extraText.length);
    data.writeUInt16BE(code, 0);
    extraText.copy(data, 2);
    return { code: EDE_OPTION_CODE, data };
  });
  // dns-packet's Answer type has no OPT variant, though it encodes one.
  return { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE, flags: 0, options } as unknown as Answer;
}

function decodeQuery(message: Buffer): { packet: DecodedPacket; question: Question } | undefined {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  // Never answer responses (two servers could ping-pong forever), nor packets that do not ask exactly one question.
  const question = packet.questions?.[0];
  if (packet.type !== 'query' || packet.questions?.length !== 1 || question === undefined) return undefined;
  return { packet, question };
}

function toAnswer(name: string, record: LabRecord): Answer {
  const ttl = record.ttl ?? DEFAULT_TTL;
  if (record.type === 'TXT') return { type: 'TXT', name, ttl, data: splitTxt(record.value) };
  return { type: record.type, name, ttl, data: record.value };
}

/** A DNS character-string holds at most 255 bytes; long TXT values are split the way zone files do it. */
function splitTxt(value: string): Buffer[] {
  const bytes = Buffer.from(value);
  const strings: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += TXT_STRING_MAX_BYTES) {
    strings.push(bytes.subarray(offset, offset + TXT_STRING_MAX_BYTES));
  }
  return strings.length > 0 ? strings : [Buffer.alloc(0)];
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Lower-cases the names and rejects records that could not be encoded, so a bad zone fails at setup, not mid-test. */
function normalizeZone(zone: Record<string, LabName>): Zone {
  const normalized = new Map<string, LabName>();
  for (const [name, entry] of Object.entries(zone)) {
    for (const record of entry.records ?? []) {
      const valid =
        record.type === 'A' ? net.isIPv4(record.value) : record.type === 'AAAA' ? net.isIPv6(record.value) : true;
      if (!valid) throw new Error(`lab zone: ${name} has an invalid ${record.type} record "${record.value}"`);
    }
    normalized.set(normalizeName(name), entry);
  }
  return normalized;
}

async function bindUdpAndTcp(host: string, port: number): Promise<{ tcp: net.Server; udp: dgram.Socket; port: number }> {
  const attempts = port === 0 ? BIND_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const tcp = net.createServer();
    const boundPort = await listen(tcp, host, port);
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    try {
      await bindUdp(udp, host, boundPort);
      return { tcp, udp, port: boundPort };
    } catch (error) {
      udp.close();
      await new Promise<void>((done) => tcp.close(() => done()));
      if (attempt >= attempts || !isAddressInUse(error)) throw error;
    }
  }
}

function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** DNS over TCP: each message is preceded by its 2-byte length; messages may arrive split or several per chunk. */
function readFramedMessages(socket: net.Socket, onMessage: (message: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      onMessage(pending.subarray(2, 2 + length));
      pending = pending.subarray(2 + length);
    }
  });
}

function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}
