import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer, type LabName } from '../lab/dns-server.js';

const running: LabDnsServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(zone: Record<string, LabName>, host = '127.0.0.1'): Promise<LabDnsServer> {
  const server = await startLabDnsServer({ host, zone });
  running.push(server);
  return server;
}

// dns-packet defaults to id 0 and no RD flag: set both, as a real stub resolver does.
function queryPacket(name: string, type: RecordType, id: number): Packet {
  return { type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] };
}

function buildQuery(name: string, type: RecordType = 'A', id = randomInt(1, 0xffff)): Buffer {
  return dnsPacket.encode(queryPacket(name, type, id));
}

/** The query with its 2-byte TCP length prefix. */
function framedQuery(name: string, type: RecordType = 'A', id = randomInt(1, 0xffff)): Buffer {
  return dnsPacket.streamEncode(queryPacket(name, type, id));
}

/** One UDP datagram out, the first datagram back; undefined when none arrives within timeoutMs. */
function exchangeUdp(server: LabDnsServer, payload: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    socket.once('message', (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    socket.once('error', reject);
    socket.send(payload, server.port, server.host);
  }).finally(() => socket.close());
}

/** Writes the chunks (already framed) with pauses between them, collects framed replies until `expected` or timeoutMs. */
function exchangeTcp(
  server: LabDnsServer,
  chunks: Buffer[],
  expected: number,
  timeoutMs = 2000,
): Promise<Buffer[]> {
  const socket = net.connect({ host: server.host, port: server.port, noDelay: true });
  const replies: Buffer[] = [];
  let pending = Buffer.alloc(0);
  return new Promise<Buffer[]>((resolve, reject) => {
    const timer = setTimeout(() => resolve(replies), timeoutMs);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + length));
        pending = pending.subarray(2 + length);
      }
      if (replies.length >= expected) {
        clearTimeout(timer);
        resolve(replies);
      }
    });
    socket.once('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((done) => setTimeout(done, 20));
      }
    });
  }).finally(() => socket.destroy());
}

async function queryUdp(server: LabDnsServer, name: string, type: RecordType = 'A'): Promise<DecodedPacket> {
  const reply = await exchangeUdp(server, buildQuery(name, type));
  if (reply === undefined) throw new Error(`no UDP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

async function queryTcp(server: LabDnsServer, name: string, type: RecordType = 'A'): Promise<DecodedPacket> {
  const [reply] = await exchangeTcp(server, [framedQuery(name, type)], 1);
  if (reply === undefined) throw new Error(`no TCP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

// @types/dns-packet lacks `rcode` on decoded packets although dns-packet sets it.
function rcodeOf(packet: DecodedPacket): string {
  const rcode: unknown = (packet as DecodedPacket & { rcode?: unknown }).rcode;
  if (typeof rcode !== 'string') throw new Error('decoded packet has no rcode');
  return rcode;
}

function describeAnswer(answer: Answer): string {
  if (!('data' in answer)) return `${answer.type} ${answer.name}`;
  const data = answer.data;
  const value =
    typeof data === 'string'
      ? data
      : Array.isArray(data)
        ? data.map((part) => part.toString()).join('')
        : Buffer.isBuffer(data)
          ? data.toString()
          : JSON.stringify(data);
  return `${answer.name} ${answer.ttl} ${answer.type} ${value}`;
}

function describeAnswers(packet: DecodedPacket): string[] {
  return (packet.answers ?? []).map(describeAnswer);
}

const chainZone: Record<string, LabName> = {
  'www.example.test': { records: [{ type: 'CNAME', value: 'edge.cdn.test', ttl: 30 }] },
  'edge.cdn.test': { records: [{ type: 'CNAME', value: 'node.cdn.test' }] },
  'node.cdn.test': {
    records: [
      { type: 'A', value: '192.0.2.10', ttl: 60 },
      { type: 'A', value: '192.0.2.11', ttl: 60 },
    ],
  },
};

describe('lab DNS server answers like a recursive resolver', () => {
  it('follows a full CNAME chain, case-insensitively, echoing id, question and flags', async () => {
    const server = await start(chainZone);
    const query = buildQuery('WWW.Example.TEST', 'A', 4242);
    const reply = await exchangeUdp(server, query);
    const packet = dnsPacket.decode(reply ?? Buffer.alloc(0));
    expect(packet.id).toBe(4242);
    expect(packet.flag_qr).toBe(true);
    expect(packet.flag_ra).toBe(true);
    expect(packet.flag_rd).toBe(true);
    expect(packet.flag_tc).toBe(false);
    expect(rcodeOf(packet)).toBe('NOERROR');
    expect(packet.questions).toEqual([{ name: 'WWW.Example.TEST', type: 'A', class: 'IN' }]);
    expect(describeAnswers(packet)).toEqual([
      'WWW.Example.TEST 30 CNAME edge.cdn.test',
      'edge.cdn.test 300 CNAME node.cdn.test',
      'node.cdn.test 60 A 192.0.2.10',
      'node.cdn.test 60 A 192.0.2.11',
    ]);
  });

  it('copies a cleared RD flag instead of forcing it', async () => {
    const server = await start(chainZone);
    const query = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'node.cdn.test' }] });
    const packet = dnsPacket.decode((await exchangeUdp(server, query)) ?? Buffer.alloc(0));
    expect(packet.flag_rd).toBe(false);
    expect(packet.flag_ra).toBe(true);
  });

  it('stops after the CNAME of a partial name; the target is answered by a second query', async () => {
    const server = await start({
      'login.example.test': { partial: true, records: [{ type: 'CNAME', value: 'login.geo.test' }] },
      'login.geo.test': { records: [{ type: 'A', value: '198.51.100.7' }] },
    });
    const first = await queryUdp(server, 'login.example.test');
    expect(rcodeOf(first)).toBe('NOERROR');
    expect(describeAnswers(first)).toEqual(['login.example.test 300 CNAME login.geo.test']);
    const second = await queryUdp(server, 'login.geo.test');
    expect(describeAnswers(second)).toEqual(['login.geo.test 300 A 198.51.100.7']);
  });

  it('ends a CNAME loop after the CNAME that closes it', async () => {
    const server = await start({
      'a.loop.test': { records: [{ type: 'CNAME', value: 'b.loop.test' }] },
      'b.loop.test': { records: [{ type: 'CNAME', value: 'A.LOOP.TEST' }] },
    });
    const packet = await queryUdp(server, 'a.loop.test');
    expect(rcodeOf(packet)).toBe('NOERROR');
    expect(describeAnswers(packet)).toEqual([
      'a.loop.test 300 CNAME b.loop.test',
      'b.loop.test 300 CNAME A.LOOP.TEST',
    ]);
  });

  it('stops following an overly long chain after 20 hops', async () => {
    const zone: Record<string, LabName> = {};
    for (let hop = 0; hop < 30; hop++) {
      zone[`hop${hop}.long.test`] = { records: [{ type: 'CNAME', value: `hop${hop + 1}.long.test` }] };
    }
    const server = await start(zone);
    const packet = await queryTcp(server, 'hop0.long.test');
    expect(rcodeOf(packet)).toBe('NOERROR');
    const answers = describeAnswers(packet);
    expect(answers).toHaveLength(21);
    expect(answers.at(-1)).toBe('hop20.long.test 300 CNAME hop21.long.test');
  });

  it('answers NXDOMAIN mid-chain with the CNAMEs gathered so far', async () => {
    const server = await start({
      'api.example.test': { records: [{ type: 'CNAME', value: 'api.gone.test' }] },
    });
    const packet = await queryUdp(server, 'api.example.test');
    expect(rcodeOf(packet)).toBe('NXDOMAIN');
    expect(describeAnswers(packet)).toEqual(['api.example.test 300 CNAME api.gone.test']);
  });

  it('answers NXDOMAIN for a name outside the zone and for respond: nxdomain', async () => {
    const server = await start({ 'hidden.example.test': { respond: 'nxdomain', records: [{ type: 'A', value: '192.0.2.1' }] } });
    for (const name of ['unknown.example.test', 'hidden.example.test']) {
      const packet = await queryUdp(server, name);
      expect(rcodeOf(packet)).toBe('NXDOMAIN');
      expect(packet.answers).toEqual([]);
    }
  });

  it('answers NODATA for a name without records of the asked type', async () => {
    const server = await start({
      'empty.example.test': { records: [] },
      'v4only.example.test': { records: [{ type: 'A', value: '192.0.2.4' }] },
    });
    for (const [name, type] of [
      ['empty.example.test', 'A'],
      ['v4only.example.test', 'AAAA'],
    ] as const) {
      const packet = await queryUdp(server, name, type);
      expect(rcodeOf(packet)).toBe('NOERROR');
      expect(packet.answers).toEqual([]);
    }
  });

  it('answers AAAA and TXT records, splitting long TXT values into 255-byte strings', async () => {
    const longValue = 'v=spf1 ' + 'include:x.test '.repeat(30);
    const server = await start({
      'dual.example.test': {
        records: [
          { type: 'AAAA', value: '2001:db8::5' },
          { type: 'TXT', value: longValue, ttl: 10 },
        ],
      },
    });
    expect(describeAnswers(await queryUdp(server, 'dual.example.test', 'AAAA'))).toEqual([
      'dual.example.test 300 AAAA 2001:db8::5',
    ]);
    const txt = await queryTcp(server, 'dual.example.test', 'TXT');
    expect(describeAnswers(txt)).toEqual([`dual.example.test 10 TXT ${longValue}`]);
    const [answer] = txt.answers ?? [];
    expect(answer !== undefined && 'data' in answer && Array.isArray(answer.data) ? answer.data.length : 0).toBe(2);
  });

  it('answers a CNAME question with the CNAME alone', async () => {
    const server = await start(chainZone);
    const packet = await queryUdp(server, 'www.example.test', 'CNAME');
    expect(describeAnswers(packet)).toEqual(['www.example.test 30 CNAME edge.cdn.test']);
  });
});

describe('lab DNS server failure behaviours', () => {
  it('answers SERVFAIL and REFUSED with no records', async () => {
    const server = await start({
      'broken.example.test': { respond: 'servfail', records: [{ type: 'A', value: '192.0.2.1' }] },
      'policy.example.test': { respond: 'refused' },
    });
    const servfail = await queryUdp(server, 'broken.example.test');
    expect(rcodeOf(servfail)).toBe('SERVFAIL');
    expect(servfail.answers).toEqual([]);
    const refused = await queryTcp(server, 'policy.example.test');
    expect(rcodeOf(refused)).toBe('REFUSED');
    expect(refused.questions).toEqual([{ name: 'policy.example.test', type: 'A', class: 'IN' }]);
  });

  it('answers SERVFAIL when the chain reaches a name that fails', async () => {
    const server = await start({
      'www.example.test': { records: [{ type: 'CNAME', value: 'broken.cdn.test' }] },
      'broken.cdn.test': { respond: 'refused' },
    });
    const packet = await queryUdp(server, 'www.example.test');
    expect(rcodeOf(packet)).toBe('SERVFAIL');
    expect(packet.answers).toEqual([]);
  });

  it('truncates over UDP and answers fully over TCP', async () => {
    const server = await start({
      'big.example.test': { truncate: true, records: [{ type: 'A', value: '192.0.2.99' }] },
    });
    const udp = await queryUdp(server, 'big.example.test');
    expect(udp.flag_tc).toBe(true);
    expect(rcodeOf(udp)).toBe('NOERROR');
    expect(udp.answers).toEqual([]);
    const tcp = await queryTcp(server, 'big.example.test');
    expect(tcp.flag_tc).toBe(false);
    expect(describeAnswers(tcp)).toEqual(['big.example.test 300 A 192.0.2.99']);
  });

  it('stays silent, over UDP and TCP, yet logs the query', async () => {
    const server = await start({ 'blackhole.example.test': { respond: 'silence' } });
    expect(await exchangeUdp(server, buildQuery('blackhole.example.test'), 300)).toBeUndefined();
    expect(await exchangeTcp(server, [framedQuery('blackhole.example.test')], 1, 300)).toEqual([]);
    expect(server.queries).toEqual([
      { name: 'blackhole.example.test', type: 'A', transport: 'udp', edns: false },
      { name: 'blackhole.example.test', type: 'A', transport: 'tcp', edns: false },
    ]);
  });

  it('sends bytes that are not DNS, over UDP and (framed) over TCP', async () => {
    const server = await start({ 'captive.example.test': { respond: 'garbage' } });
    const udpReply = await exchangeUdp(server, buildQuery('captive.example.test'));
    expect(udpReply).toBeInstanceOf(Buffer);
    expect(() => dnsPacket.decode(udpReply ?? Buffer.alloc(0))).toThrow();
    const [tcpReply] = await exchangeTcp(server, [framedQuery('captive.example.test')], 1);
    expect(tcpReply).toBeInstanceOf(Buffer);
    expect(() => dnsPacket.decode(tcpReply ?? Buffer.alloc(0))).toThrow();
  });

  it('answers late when the name has a delay', async () => {
    const server = await start({ 'slow.example.test': { delayMs: 250, records: [{ type: 'A', value: '192.0.2.50' }] } });
    const started = performance.now();
    const packet = await queryUdp(server, 'slow.example.test');
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(describeAnswers(packet)).toEqual(['slow.example.test 300 A 192.0.2.50']);
  });

  it('closes promptly while a delayed reply is pending', async () => {
    const server = await start({ 'slow.example.test': { delayMs: 10_000, records: [] } });
    void exchangeUdp(server, buildQuery('slow.example.test'), 100);
    await new Promise((done) => setTimeout(done, 50));
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('lab DNS server transports', () => {
  it('answers several queries on one TCP connection, split across arbitrary writes', async () => {
    const server = await start(chainZone);
    const stream = Buffer.concat([
      framedQuery('node.cdn.test', 'A', 101),
      framedQuery('edge.cdn.test', 'A', 102),
      framedQuery('nothere.test', 'A', 103),
    ]);
    // Cuts inside the first length prefix, inside the first message, and across the message boundaries.
    const cuts = [1, 9, 40, 70, stream.length];
    const chunks = cuts.map((end, index) => stream.subarray(index === 0 ? 0 : cuts[index - 1], end));
    const replies = (await exchangeTcp(server, chunks, 3)).map((reply) => dnsPacket.decode(reply));
    expect(replies.map((reply) => [reply.id, rcodeOf(reply), reply.answers?.length])).toEqual([
      [101, 'NOERROR', 2],
      [102, 'NOERROR', 3],
      [103, 'NXDOMAIN', 0],
    ]);
  });

  it('ignores malformed packets and responses, and keeps answering', async () => {
    const server = await start(chainZone);
    const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'node.cdn.test' }] });
    expect(await exchangeUdp(server, Buffer.from([1, 2, 3]), 200)).toBeUndefined();
    expect(await exchangeUdp(server, Buffer.from('GET / HTTP/1.1\r\n\r\n'), 200)).toBeUndefined();
    expect(await exchangeUdp(server, response, 200)).toBeUndefined();
    const junkFrame = Buffer.from([0, 4, 0xde, 0xad, 0xbe, 0xef]);
    const valid = framedQuery('node.cdn.test', 'A', 55);
    const replies = await exchangeTcp(server, [junkFrame, valid], 1);
    expect(replies.map((reply) => dnsPacket.decode(reply).id)).toEqual([55]);
    expect(rcodeOf(await queryUdp(server, 'node.cdn.test'))).toBe('NOERROR');
    expect(server.queries).toEqual([
      { name: 'node.cdn.test', type: 'A', transport: 'tcp', edns: false },
      { name: 'node.cdn.test', type: 'A', transport: 'udp', edns: false },
    ]);
  });

  it('logs every query with its transport', async () => {
    const server = await start(chainZone);
    await queryUdp(server, 'www.example.test', 'A');
    await queryTcp(server, 'www.example.test', 'AAAA');
    await queryUdp(server, 'missing.test', 'TXT');
    expect(server.queries).toEqual([
      { name: 'www.example.test', type: 'A', transport: 'udp', edns: false },
      { name: 'www.example.test', type: 'AAAA', transport: 'tcp', edns: false },
      { name: 'missing.test', type: 'TXT', transport: 'udp', edns: false },
    ]);
  });

  it('replaces the zone with setZone', async () => {
    const server = await start(chainZone);
    server.setZone({ 'node.cdn.test': { records: [{ type: 'A', value: '203.0.113.1' }] } });
    expect(describeAnswers(await queryUdp(server, 'node.cdn.test'))).toEqual(['node.cdn.test 300 A 203.0.113.1']);
    expect(rcodeOf(await queryUdp(server, 'www.example.test'))).toBe('NXDOMAIN');
  });

  it('rejects a zone with records it could not encode', async () => {
    await expect(start({ 'bad.test': { records: [{ type: 'A', value: '2001:db8::1' }] } })).rejects.toThrow(/invalid A record/);
    const server = await start(chainZone);
    expect(() => server.setZone({ 'bad.test': { records: [{ type: 'AAAA', value: 'not-an-ip' }] } })).toThrow(/invalid AAAA/);
  });

  it('listens on ::1 over UDP and TCP on the same port', async () => {
    const server = await start(chainZone, '::1');
    expect(server.host).toBe('::1');
    expect(server.port).toBeGreaterThan(0);
    expect(describeAnswers(await queryUdp(server, 'node.cdn.test'))).toHaveLength(2);
    expect(describeAnswers(await queryTcp(server, 'node.cdn.test'))).toHaveLength(2);
  });

  it('uses the same port for UDP and TCP on IPv4 and frees it on close', async () => {
    const server = await start(chainZone);
    expect(rcodeOf(await queryUdp(server, 'node.cdn.test'))).toBe('NOERROR');
    expect(rcodeOf(await queryTcp(server, 'node.cdn.test'))).toBe('NOERROR');
    const { port } = server;
    await server.close();
    const again = await startLabDnsServer({ host: '127.0.0.1', port, zone: chainZone });
    running.push(again);
    expect(again.port).toBe(port);
  });
});

describe('lab DNS server EDNS', () => {
  function ednsQuery(name: string, id: number): Buffer {
    return dnsPacket.encode({ ...queryPacket(name, 'A', id), additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as unknown as Answer] });
  }
  type Opt = { type: string; udpPayloadSize?: number; options?: Array<{ code: number; data: Buffer }> };
  const optOf = (reply: DecodedPacket) => (reply.additionals ?? []).find((record) => record.type === 'OPT') as Opt | undefined;

  it('answers an EDNS query with an OPT record carrying the name\'s Extended DNS Errors, byte for byte', async () => {
    const hostile = Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0xff]);
    const server = await start({ 'blocked.test': { respond: 'nxdomain', ede: [{ code: 15, text: hostile }, { code: 17, text: 'filtered' }] } });
    const reply = dnsPacket.decode((await exchangeUdp(server, ednsQuery('blocked.test', 77)))!);
    expect(rcodeOf(reply)).toBe('NXDOMAIN');
    const opt = optOf(reply);
    expect(opt?.udpPayloadSize).toBe(1232);
    expect(opt?.options?.map((option) => [option.code, option.data.toString('hex')])).toEqual([
      [15, `000f${hostile.toString('hex')}`],
      [15, `0011${Buffer.from('filtered').toString('hex')}`],
    ]);
    expect(server.queries).toEqual([{ name: 'blocked.test', type: 'A', transport: 'udp', edns: true }]);
  });

  it('sends no OPT record (and so no EDE) to a query without one', async () => {
    const server = await start({ 'blocked.test': { respond: 'nxdomain', ede: [{ code: 15, text: 'blocked' }] } });
    expect(optOf(await queryUdp(server, 'blocked.test'))).toBeUndefined();
  });

  it('answers FORMERR without OPT to EDNS queries when built as a pre-EDNS server, and normally without EDNS', async () => {
    const server = await startLabDnsServer({ zone: chainZone, edns: 'formerr' });
    running.push(server);
    const reply = dnsPacket.decode((await exchangeUdp(server, ednsQuery('node.cdn.test', 78)))!);
    expect([rcodeOf(reply), reply.answers?.length, optOf(reply)]).toEqual(['FORMERR', 0, undefined]);
    expect(rcodeOf(await queryUdp(server, 'node.cdn.test'))).toBe('NOERROR');
  });
});
