// The dns probe and check against the lab DNS server: one fixture per failure mode, asserting code and message.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer, type LabName } from '../lab/dns-server.js';
import { createDnsQueryCache, probeDns, MAX_CNAME_HOPS } from '../probes/dns.js';
import { judgeDns } from '../specs/checks/dns.js';

const a = (value: string) => ({ type: 'A' as const, value, ttl: 60 });
const cname = (value: string) => ({ type: 'CNAME' as const, value, ttl: 120 });

const zone: Record<string, LabName> = {
  'plain.lab.test': { records: [a('127.0.1.1'), { type: 'AAAA', value: '::1' }] },
  'chained.lab.test': { records: [cname('edge.cdn.lab.example')] },
  'edge.cdn.lab.example': { records: [cname('pool.tm.lab.net')] },
  'pool.tm.lab.net': { records: [a('127.0.1.2')] },
  // Authoritative-style: every answer stops at its own CNAME.
  'partial.lab.test': { records: [cname('hop1.lab.test')], partial: true },
  'hop1.lab.test': { records: [cname('hop2.lab.test')], partial: true },
  'hop2.lab.test': { records: [a('127.0.1.3')] },
  'loop.lab.test': { records: [cname('loop2.lab.test')], partial: true },
  'loop2.lab.test': { records: [cname('loop.lab.test')], partial: true },
  'gone.lab.test': { records: [cname('missing.lab.test')] },
  'empty.lab.test': { records: [{ type: 'TXT', value: 'no addresses here' }] },
  'servfail.lab.test': { respond: 'servfail' },
  'refused.lab.test': { respond: 'refused' },
  'silent.lab.test': { respond: 'silence' },
  'garbage.lab.test': { respond: 'garbage' },
  'big.lab.test': { records: [a('127.0.1.4')], truncate: true },
  'sinkholed.lab.test': { records: [a('0.0.0.0')] },
  'policy.lab.test': { records: [a('127.0.9.9')] },
  ...longChain(MAX_CNAME_HOPS + 2),
};

function longChain(length: number): Record<string, LabName> {
  const names: Record<string, LabName> = {};
  for (let i = 0; i < length; i++) names[`long${i}.lab.test`] = { records: [cname(`long${i + 1}.lab.test`)] };
  names[`long${length}.lab.test`] = { records: [a('127.0.1.5')] };
  return names;
}

let server: LabDnsServer;
beforeAll(async () => {
  server = await startLabDnsServer({ zone });
});
afterAll(() => server.close());

function resolve(name: string, options: { timeoutMs?: number; resolvers?: Array<{ host: string; port: number }> } = {}) {
  const resolvers = options.resolvers ?? [{ host: server.host, port: server.port }];
  return probeDns({ name, resolvers, cache: createDnsQueryCache() }, { stepTimeoutMs: options.timeoutMs ?? 2000, signal: new AbortController().signal });
}

async function verdictFor(name: string, options?: Parameters<typeof resolve>[1]) {
  const evidence = await resolve(name, options);
  return { evidence, verdict: judgeDns(evidence, ['127.0.9.9']) };
}

describe('dns probe and verdict', () => {
  it('resolves a plain name to its A and AAAA addresses: DNS_OK', async () => {
    const { evidence, verdict } = await verdictFor('plain.lab.test');
    expect(evidence.addresses).toEqual(['127.0.1.1', '::1']);
    expect(verdict).toMatchObject({ status: 'pass', code: 'DNS_OK', message: 'plain.lab.test resolves through 0 CNAME hops to 127.0.1.1, ::1' });
  });

  it('records every hop of a full chain with its TTL and suffix', async () => {
    const { evidence, verdict } = await verdictFor('chained.lab.test');
    expect(evidence.chain).toEqual([
      { name: 'chained.lab.test', type: 'CNAME', value: 'edge.cdn.lab.example', ttl: 120 },
      { name: 'edge.cdn.lab.example', type: 'CNAME', value: 'pool.tm.lab.net', ttl: 120 },
      { name: 'pool.tm.lab.net', type: 'A', value: '127.0.1.2', ttl: 60 },
    ]);
    expect(evidence.suffixes).toEqual(['lab.test', 'lab.example', 'lab.net']);
    expect(verdict.code).toBe('DNS_OK');
    expect(verdict.message).toBe('chained.lab.test resolves through 2 CNAME hops to 127.0.1.2');
  });

  it('asks again where an authoritative-style answer stops at a CNAME', async () => {
    const { evidence, verdict } = await verdictFor('partial.lab.test');
    expect(evidence.chain.map((hop) => hop.name)).toEqual(['partial.lab.test', 'hop1.lab.test', 'hop2.lab.test']);
    expect(evidence.addresses).toEqual(['127.0.1.3']);
    expect(verdict.code).toBe('DNS_OK');
  });

  it('takes a recursive answer that carried the whole chain at its word: an IPv4-only CNAME target is not asked for AAAA again', async () => {
    const before = server.queries.length;
    const { evidence, verdict } = await verdictFor('chained.lab.test');
    expect(server.queries.slice(before).map((q) => `${q.type} ${q.name}`).sort()).toEqual(['A chained.lab.test', 'AAAA chained.lab.test']);
    expect(evidence.addresses).toEqual(['127.0.1.2']);
    expect(verdict.message).toBe('chained.lab.test resolves through 2 CNAME hops to 127.0.1.2');
  });

  it('still asks the CNAME target for AAAA when the answers stopped at a CNAME (authoritative-style)', async () => {
    const before = server.queries.length;
    await verdictFor('partial.lab.test');
    expect(server.queries.slice(before).map((q) => `${q.type} ${q.name}`)).toEqual(expect.arrayContaining(['AAAA hop1.lab.test', 'AAAA hop2.lab.test']));
  });

  it('detects a CNAME loop: DNS_CNAME_LOOP', async () => {
    const { verdict } = await verdictFor('loop.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_CNAME_LOOP' });
    expect(verdict.message).toContain('loop2.lab.test points back to loop.lab.test, already in the chain');
  });

  it('caps the chain at 16 hops: DNS_CHAIN_TOO_LONG', async () => {
    const { verdict } = await verdictFor('long0.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_CHAIN_TOO_LONG' });
    expect(verdict.message).toContain('more than 16 CNAME hops');
  });

  it('names the hop that does not exist: DNS_NXDOMAIN', async () => {
    const { verdict } = await verdictFor('gone.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_NXDOMAIN' });
    expect(verdict.message).toMatch(/^missing\.lab\.test does not exist \(NXDOMAIN\) \(resolver 127\.0\.0\.1:\d+\)$/);
    expect(verdict.remediation).toBe('gone.lab.test leads through its CNAME chain to missing.lab.test, which the resolver says does not exist. ' +
      "If that name's own DNS servers answer for it, a DNS server on the path holds its own copy of the zone: check conditional forwarders, split-horizon or stub zones for lab.test on the resolver.");
  });

  it('advises only what it saw for a name that does not exist: check the spelling first, nothing claimed about public DNS', async () => {
    const { verdict } = await verdictFor('typo.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_NXDOMAIN' });
    expect(verdict.remediation).toBe("The resolver says typo.lab.test does not exist. Check the name's spelling (in the config, or the value given with --var); " +
      "if it is right, a DNS server on the path answers differently from the name's own DNS servers: check conditional forwarders, split-horizon or stub zones for lab.test on the resolver.");
  });

  it('tells a name with no addresses: DNS_NODATA', async () => {
    const { verdict } = await verdictFor('empty.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_NODATA' });
    expect(verdict.message).toMatch(/^empty\.lab\.test has no A or AAAA record/);
  });

  it('reports SERVFAIL and REFUSED answers', async () => {
    expect((await verdictFor('servfail.lab.test')).verdict).toMatchObject({ status: 'fail', code: 'DNS_SERVFAIL' });
    const refused = (await verdictFor('refused.lab.test')).verdict;
    expect(refused).toMatchObject({ status: 'fail', code: 'DNS_REFUSED' });
    expect(refused.message).toContain('the resolver answered REFUSED');
    expect(refused.remediation).toContain('recursion ACL');
  });

  it('gives up at the deadline when the resolver is silent: DNS_TIMEOUT', async () => {
    const started = Date.now();
    const { verdict } = await verdictFor('silent.lab.test', { timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_TIMEOUT' });
    expect(verdict.message).toContain('no answer for silent.lab.test A before the deadline');
  });

  it('takes undecodable bytes from the resolver as its answer: DNS_MALFORMED', async () => {
    const { verdict } = await verdictFor('garbage.lab.test');
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_MALFORMED' });
    expect(verdict.message).toContain('undecodable');
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    const { evidence, verdict } = await verdictFor('big.lab.test');
    expect(verdict.code).toBe('DNS_OK');
    expect(evidence.addresses).toEqual(['127.0.1.4']);
    expect(server.queries.filter((q) => q.name === 'big.lab.test' && q.transport === 'tcp').length).toBeGreaterThan(0);
  });

  it('calls 0.0.0.0 and configured addresses sinkholes: DNS_SINKHOLE', async () => {
    expect((await verdictFor('sinkholed.lab.test')).verdict).toMatchObject({ status: 'fail', code: 'DNS_SINKHOLE', message: 'sinkholed.lab.test resolves to 0.0.0.0: blocked by DNS policy' });
    expect((await verdictFor('policy.lab.test')).verdict).toMatchObject({ code: 'DNS_SINKHOLE', message: 'policy.lab.test resolves to 127.0.9.9: blocked by DNS policy' });
  });

  it('tries the next resolver when the first fails', async () => {
    const dead = dgram.createSocket('udp4');
    await new Promise<void>((done) => dead.bind(0, '127.0.0.1', done));
    try {
      const { evidence, verdict } = await verdictFor('plain.lab.test', {
        timeoutMs: 300,
        resolvers: [{ host: '127.0.0.1', port: dead.address().port }, { host: server.host, port: server.port }],
      });
      expect(verdict.code).toBe('DNS_OK');
      expect(evidence.resolvers).toEqual([`127.0.0.1:${server.port}`]);
    } finally {
      dead.close();
    }
  });

  it('asks each (name, type) once per run, however many chains pass through it', async () => {
    const cache = createDnsQueryCache();
    const ctx = { stepTimeoutMs: 2000, signal: new AbortController().signal };
    const resolvers = [{ host: server.host, port: server.port }];
    const before = server.queries.length;
    await Promise.all([probeDns({ name: 'chained.lab.test', resolvers, cache }, ctx), probeDns({ name: 'edge.cdn.lab.example', resolvers, cache }, ctx)]);
    const asked = server.queries.slice(before).map((q) => `${q.type} ${q.name}`);
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('ignores a datagram that answers another question id, and takes the real answer after it', async () => {
    const spoofer = dgram.createSocket('udp4');
    spoofer.on('message', (bytes, peer) => {
      const query = dnsPacket.decode(bytes);
      const answer = (id: number, address: string) => dnsPacket.encode({
        type: 'response', id, flags: dnsPacket.RECURSION_DESIRED, questions: query.questions,
        answers: query.questions?.[0]?.type === 'A' ? [{ type: 'A', name: 'plain.lab.test', ttl: 5, data: address }] : [],
      });
      spoofer.send(answer(((query.id ?? 0) + 1) & 0xffff, '127.0.66.6'), peer.port, peer.address);
      setTimeout(() => spoofer.send(answer(query.id ?? 0, '127.0.1.1'), peer.port, peer.address), 20);
    });
    await new Promise<void>((done) => spoofer.bind(0, '127.0.0.1', done));
    try {
      const { evidence } = await verdictFor('plain.lab.test', { resolvers: [{ host: '127.0.0.1', port: spoofer.address().port }] });
      expect(evidence.addresses).toEqual(['127.0.1.1']);
    } finally {
      spoofer.close();
    }
  });
});
