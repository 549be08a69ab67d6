// The edges of DNS (issue 10): a resolver no answer can come from (closed port, this machine's firewall, no route),
// a CNAME loop inside a real bind9's SERVFAIL, Extended DNS Errors with hostile text, a server that refuses EDNS,
// and the hosts file that pins a name past DNS. One fixture per failure mode, asserting code and message.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer, type LabName } from '../lab/dns-server.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { createDnsQueryCache, probeDns, type DnsQueryCache } from '../probes/dns.js';
import { EDE_TEXT_MAX_CHARS, edeName } from '../probes/dns-ede.js';
import { hostsPinFor, parseHostsFile, readHostsFile, systemHostsPath } from '../probes/hosts-file.js';
import { judgeDns } from '../specs/checks/dns.js';
import { createNetNamespace, type NetNamespace } from './support/netns.js';
import { startNamed, type RunningService } from './support/services.js';
import { runPreflight } from './support/cli.js';
import type { RunDocument } from '../model/result.js';

type Resolver = { host: string; port: number };

function resolve(name: string, resolvers: Resolver[], options: { cache?: DnsQueryCache; timeoutMs?: number } = {}) {
  return probeDns({ name, resolvers, cache: options.cache ?? createDnsQueryCache() }, { stepTimeoutMs: options.timeoutMs ?? 2000, signal: new AbortController().signal });
}

/** A loopback UDP port where nothing listens: bound to learn a free one, then closed. */
async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  const { port } = socket.address();
  await new Promise<void>((done) => socket.close(done));
  return port;
}

// Control characters, an ANSI colour, a line break with a fake second line, a bidi override, a zero-width space,
// invalid UTF-8 and 3000 bytes more than anyone needs.
const HOSTILE_TEXT = Buffer.concat([
  Buffer.from('\u001b[31mPolicy\u001b[0m: malware\r\nFAKE: line\u0000\u202egnp.exe\u200b '),
  Buffer.from([0xff, 0xfe, 0xc3]),
  Buffer.from('x'.repeat(3000)),
]);

describe('a resolver no answer can come from: DNS_UNREACHABLE', () => {
  it('a closed resolver port answers ICMP port unreachable: named as such, not DNS_REFUSED', async () => {
    const port = await closedUdpPort();
    const evidence = await resolve('login.lab.test', [{ host: '127.0.0.1', port }]);
    const verdict = judgeDns(evidence, []);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_UNREACHABLE' });
    expect(verdict.message).toBe(`no answer for login.lab.test A: resolver 127.0.0.1:${port} refused the packet with ICMP port unreachable: nothing listens there`);
    expect(verdict.remediation).toBe(`No DNS server listens at 127.0.0.1:${port}: check the resolver's address and port (--resolver, resolvers:, the network settings), or start the DNS service there.`);
    expect(evidence.failure).toMatchObject({ cause: 'port-unreachable', errno: 'ECONNREFUSED' });
  });

  it('tries the next resolver after a closed port, as before', async () => {
    const server = await startLabDnsServer({ zone: { 'ok.lab.test': { records: [{ type: 'A', value: '127.0.1.1' }] } } });
    try {
      const evidence = await resolve('ok.lab.test', [{ host: '127.0.0.1', port: await closedUdpPort() }, { host: server.host, port: server.port }]);
      expect(judgeDns(evidence, []).code).toBe('DNS_OK');
    } finally {
      await server.close();
    }
  });

  it('a truncated UDP answer whose TCP retry is refused: TCP 53 is what is missing', async () => {
    // Answers every query with TC=1 over UDP; nothing listens on TCP at the same port.
    const truncating = dgram.createSocket('udp4');
    truncating.on('message', (bytes, peer) => {
      const query = dnsPacket.decode(bytes);
      truncating.send(dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.TRUNCATED_RESPONSE, questions: query.questions }), peer.port, peer.address);
    });
    await new Promise<void>((done) => truncating.bind(0, '127.0.0.1', done));
    const { port } = truncating.address();
    try {
      const evidence = await resolve('big.lab.test', [{ host: '127.0.0.1', port }]);
      const verdict = judgeDns(evidence, []);
      expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_UNREACHABLE' });
      expect(verdict.message).toBe(`no answer for big.lab.test A: resolver 127.0.0.1:${port} truncated its UDP answer and refused the TCP connection for the full one`);
      expect(verdict.remediation).toBe(`Large answers need TCP: allow TCP port 53 from this machine to 127.0.0.1:${port} on the firewall, and enable TCP on the DNS server.`);
    } finally {
      truncating.close();
    }
  });

  describe('behind this machine\'s own firewall (nftables in a test namespace)', () => {
    let ns: NetNamespace;
    beforeAll(() => {
      ns = createNetNamespace(`table inet lab {
        chain output {
          type filter hook output priority 0;
          ip daddr 127.0.0.79 udp dport 53 drop
        }
        chain input {
          type filter hook input priority 0;
          ip daddr 127.0.0.81 udp dport 53 drop
          # On input, as a firewall on the way would (an output reject is this machine's own refusal: EPERM). Linux
          # reports only the hard ICMP errors on a UDP socket, and admin-prohibited is one: EHOSTUNREACH.
          ip daddr 127.0.0.80 reject with icmp type admin-prohibited
        }
      }`);
    });
    afterAll(() => ns?.remove());

    async function judgeInNamespace(resolvers: string[]) {
      const script = `
        const { probeDns, createDnsQueryCache } = await import('./dist/probes/dns.js');
        const { judgeDns } = await import('./dist/specs/checks/dns.js');
        const resolvers = ${JSON.stringify(resolvers)}.map((host) => ({ host, port: 53 }));
        const evidence = await probeDns({ name: 'fw.lab.test', resolvers, cache: createDnsQueryCache() }, { stepTimeoutMs: 800, signal: new AbortController().signal });
        process.stdout.write(JSON.stringify({ verdict: judgeDns(evidence, []), failure: evidence.failure }));`;
      const { stdout, stderr } = await ns.node(['--input-type=module', '-e', script]);
      expect(stderr).toBe('');
      return JSON.parse(stdout) as { verdict: { status: string; code: string; message: string; remediation: string }; failure: { cause: string; errno: string } };
    }

    it('an output drop makes send() fail with EPERM: the local firewall is named, not DNS_SERVFAIL', async () => {
      const { verdict, failure } = await judgeInNamespace(['127.0.0.79']);
      expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_UNREACHABLE' });
      expect(verdict.message).toBe("no answer for fw.lab.test A: this machine's firewall refused the packet to resolver 127.0.0.79:53 (EPERM)");
      expect(verdict.remediation).toContain("This machine's own firewall");
      expect(verdict.remediation).toContain('allow outbound UDP and TCP port 53 to 127.0.0.79:53');
      expect(failure).toMatchObject({ cause: 'local-firewall', errno: 'EPERM' });
    });

    it('an ICMP unreachable from the path (admin-prohibited): no route to the resolver', async () => {
      const { verdict, failure } = await judgeInNamespace(['127.0.0.80']);
      expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_UNREACHABLE' });
      expect(verdict.message).toBe('no answer for fw.lab.test A: no route to resolver 127.0.0.80:53 (EHOSTUNREACH): this machine has none, or a router or firewall on the way answered that it is unreachable');
      expect(verdict.remediation).toBe("This machine has no route to 127.0.0.80:53, or a router or firewall on the way refuses it (ICMP unreachable or prohibited): check the resolver address, this machine's routes and gateway, and the firewalls on the way.");
      expect(failure).toMatchObject({ cause: 'no-route', errno: 'EHOSTUNREACH' });
    });

    it('when every resolver fails, the most telling failure is reported (the firewall over silence), the others listed', async () => {
      const { verdict } = await judgeInNamespace(['127.0.0.81', '127.0.0.79']);
      expect(verdict.code).toBe('DNS_UNREACHABLE');
      expect(verdict.message).toBe("no answer for fw.lab.test A: this machine's firewall refused the packet to resolver 127.0.0.79:53 (EPERM); also failed: 127.0.0.81:53 (DNS_TIMEOUT)");
    });
  });
});

describe('a CNAME loop in a real bind9\'s SERVFAIL answer: DNS_CNAME_LOOP', () => {
  let named: RunningService;
  beforeAll(async () => {
    named = await startNamed({
      host: '127.0.0.1',
      port: await findSharedFreePort(['127.0.0.1']),
      zones: { 'loop.test': ['a IN CNAME b.loop.test.', 'b IN CNAME a.loop.test.'] },
    });
  }, 30_000);
  afterAll(() => named?.stop());

  it('reads the loop from the records of the SERVFAIL, with bind9\'s Extended DNS Error', async () => {
    const evidence = await resolve('a.loop.test', [{ host: named.host, port: named.port }]);
    const verdict = judgeDns(evidence, []);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_CNAME_LOOP' });
    expect(verdict.message).toBe(
      `b.loop.test A: b.loop.test points back to a.loop.test, already in the chain (records of the resolver's SERVFAIL answer) (resolver 127.0.0.1:${named.port})` +
      '; the resolver adds Extended DNS Error 0 (Other Error): "max. restarts reached"',
    );
    expect(evidence.chain).toEqual([
      { name: 'a.loop.test', type: 'CNAME', value: 'b.loop.test', ttl: 60 },
      { name: 'b.loop.test', type: 'CNAME', value: 'a.loop.test', ttl: 60 },
    ]);
    expect(evidence.ede).toEqual([{ code: 0, name: 'Other Error', text: 'max. restarts reached' }]);
  });
});

describe('EDNS0 and Extended DNS Errors', () => {
  const hostileEde = [{ code: 15, text: HOSTILE_TEXT }];
  const zone: Record<string, LabName> = {
    'blocked.lab.test': { respond: 'nxdomain', ede: hostileEde },
    'filtered.lab.test': { records: [{ type: 'A', value: '127.0.9.1' }], ede: [{ code: 17, text: 'Category: Malware (policy corp-dns-security)' }] },
    'stale.lab.test': { records: [{ type: 'A', value: '127.0.1.7' }], ede: [{ code: 3, text: '' }] },
    'sinkholed.lab.test': { records: [{ type: 'A', value: '0.0.0.0' }], ede: [{ code: 16, text: 'censored by order' }] },
    'plain.lab.test': { records: [{ type: 'A', value: '127.0.1.1' }] },
    'acl.lab.test': { respond: 'refused', ede: [{ code: 18, text: 'client 127.0.0.1 not in allow-recursion' }] },
    'other.lab.test': { records: [{ type: 'A', value: '127.0.1.2' }] },
  };
  let server: LabDnsServer;
  beforeAll(async () => {
    server = await startLabDnsServer({ zone });
  });
  afterAll(() => server.close());
  const at = () => [{ host: server.host, port: server.port }];

  it('every query carries an OPT record', async () => {
    await resolve('plain.lab.test', at());
    const asked = server.queries.filter((q) => q.name === 'plain.lab.test');
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((q) => q.edns)).toBe(true);
  });

  it('a filter\'s "Blocked" on an NXDOMAIN says a DNS security filter blocked the name; hostile text stays one safe, capped line', async () => {
    const evidence = await resolve('blocked.lab.test', at());
    const verdict = judgeDns(evidence, []);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_NXDOMAIN' });
    expect(verdict.message).toMatch(/^blocked\.lab\.test does not exist \(NXDOMAIN\) \(resolver 127\.0\.0\.1:\d+\): a DNS security filter blocked the name, the resolver says Extended DNS Error 15 \(Blocked\): "\[31mPolicy \[0m: malware FAKE: line gnp\.exe \uFFFD+x+…"$/);
    expect(verdict.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e\u200b]/);
    expect(verdict.remediation).toBe('Allow *.lab.test in the DNS filtering policy (DNS security, RPZ or proxy DNS) that answers for this machine.');
    const [ede] = evidence.ede;
    expect(ede).toMatchObject({ code: 15, name: 'Blocked' });
    expect([...(ede?.text ?? '')].length).toBe(EDE_TEXT_MAX_CHARS + 1);
  });

  it('an address the resolver flags as "Filtered" is a filter\'s answer: DNS_SINKHOLE, though not configured as one', async () => {
    const verdict = judgeDns(await resolve('filtered.lab.test', at()), []);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_SINKHOLE' });
    expect(verdict.message).toBe('filtered.lab.test resolves to 127.0.9.1: blocked by DNS policy; the resolver says Extended DNS Error 17 (Filtered): "Category: Malware (policy corp-dns-security)"');
  });

  it('a sinkhole address with "Censored" carries the resolver\'s word', async () => {
    const verdict = judgeDns(await resolve('sinkholed.lab.test', at()), []);
    expect(verdict.code).toBe('DNS_SINKHOLE');
    expect(verdict.message).toBe('sinkholed.lab.test resolves to 0.0.0.0: blocked by DNS policy; the resolver says Extended DNS Error 16 (Censored): "censored by order"');
  });

  it('an informational EDE on a good answer is shown and the check still passes', async () => {
    const verdict = judgeDns(await resolve('stale.lab.test', at()), []);
    expect(verdict).toMatchObject({ status: 'pass', code: 'DNS_OK' });
    expect(verdict.message).toBe('stale.lab.test resolves through 0 CNAME hops to 127.0.1.7; the resolver adds Extended DNS Error 3 (Stale Answer)');
  });

  it('"Prohibited" on a REFUSED is about this machine, not the name: the recursion ACL', async () => {
    const verdict = judgeDns(await resolve('acl.lab.test', at()), []);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_REFUSED' });
    expect(verdict.message).toMatch(/^acl\.lab\.test A: the resolver answered REFUSED \(resolver 127\.0\.0\.1:\d+\): the resolver does not serve this machine, it says Extended DNS Error 18 \(Prohibited\): "client 127\.0\.0\.1 not in allow-recursion"$/);
    expect(verdict.remediation).toContain('recursion ACL');
  });

  it('names info codes from the IANA registry', () => {
    expect([15, 16, 17, 18, 22, 29].map(edeName)).toEqual(['Blocked', 'Censored', 'Filtered', 'Prohibited', 'No Reachable Authority', 'Synthesized']);
    expect(edeName(4000)).toBe('unassigned');
    expect(edeName(50000)).toBe('private use');
  });

  for (const mode of ['formerr', 'notimp'] as const) {
    it(`falls back without EDNS for a server that answers ${mode.toUpperCase()} to it, and remembers that for the run`, async () => {
      const old = await startLabDnsServer({ zone, edns: mode });
      try {
        const cache = createDnsQueryCache();
        const evidence = await resolve('plain.lab.test', [{ host: old.host, port: old.port }], { cache });
        expect(judgeDns(evidence, [])).toMatchObject({ status: 'pass', code: 'DNS_OK', message: 'plain.lab.test resolves through 0 CNAME hops to 127.0.1.1' });
        expect(evidence.withoutEdns).toEqual([`127.0.0.1:${old.port}`]);
        const before = old.queries.length;
        expect(judgeDns(await resolve('other.lab.test', [{ host: old.host, port: old.port }], { cache }), []).code).toBe('DNS_OK');
        expect(old.queries.slice(before).every((q) => !q.edns)).toBe(true);
      } finally {
        await old.close();
      }
    });
  }
});

describe('the hosts file', () => {
  let dir: string;
  let server: LabDnsServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'preflight-hosts-'));
    server = await startLabDnsServer({ zone: { 'login.lab.test': { records: [{ type: 'A', value: '127.0.1.20' }] } } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses comments, several names a line, IPv4 and IPv6, any case and trailing dots', () => {
    const entries = parseHostsFile([
      '\uFEFF# a comment line',
      '127.0.0.1   localhost',
      '10.1.2.3\tLogin.MicrosoftOnline.com.  login.lab.test # pinned by the help desk',
      '::1 ip6-localhost login.lab.test',
      '   # indented comment 10.9.9.9 login.lab.test',
      'not-an-address login.lab.test',
      '10.1.2.3 login.lab.test\r',
      '',
    ].join('\n'));
    expect(entries.get('login.microsoftonline.com')).toEqual(['10.1.2.3']);
    expect(entries.get('login.lab.test')).toEqual(['10.1.2.3', '::1']);
    expect(entries.get('localhost')).toEqual(['127.0.0.1']);
    expect(entries.has('not-an-address')).toBe(false);
    expect(hostsPinFor({ path: '/x', entries }, 'LOGIN.microsoftonline.com.')).toEqual({ path: '/x', addresses: ['10.1.2.3'] });
    expect(hostsPinFor({ path: '/x', entries }, 'other.lab.test')).toBeNull();
  });

  it('is /etc/hosts, or %SystemRoot%\\System32\\drivers\\etc\\hosts on Windows', () => {
    expect(systemHostsPath('linux', {})).toBe('/etc/hosts');
    expect(systemHostsPath('win32', { SystemRoot: 'D:\\Windows' })).toBe('D:\\Windows\\System32\\drivers\\etc\\hosts');
  });

  it('a missing file is no hosts file, silently', async () => {
    expect(await readHostsFile(path.join(dir, 'absent'))).toBeNull();
  });

  it('an entry for a checked name: warn with the address the agent uses instead of DNS\'s', async () => {
    const file = path.join(dir, 'hosts');
    writeFileSync(file, '127.0.1.99 login.lab.test\n');
    const pin = hostsPinFor(await readHostsFile(file), 'login.lab.test');
    const verdict = judgeDns(await resolve('login.lab.test', [{ host: server.host, port: server.port }]), [], pin);
    expect(verdict).toMatchObject({ status: 'warn', code: 'DNS_OK' });
    expect(verdict.message).toBe(`hosts file ${file} pins login.lab.test to 127.0.1.99; the agent uses that address, not DNS's 127.0.1.20`);
    expect(verdict.remediation).toBe(`The agent connects to 127.0.1.99 whatever DNS says: remove the login.lab.test entry from ${file} unless it is there on purpose (a pinned address breaks when the service moves).`);
  });

  it('a pin to 0.0.0.0 blocks the name on this machine: DNS_SINKHOLE, whatever DNS says', async () => {
    const verdict = judgeDns(await resolve('login.lab.test', [{ host: server.host, port: server.port }]), [], { path: '/etc/hosts', addresses: ['0.0.0.0'] });
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_SINKHOLE' });
    expect(verdict.message).toBe('hosts file /etc/hosts pins login.lab.test to 0.0.0.0: the name is blocked on this machine, whatever DNS says');
    expect(verdict.remediation).toBe('Remove the login.lab.test entry from /etc/hosts (and find what wrote it: an ad or malware blocker, a hardening script).');
  });

  it('a pinned name that DNS cannot resolve: warn, keeping the DNS code, since the agent never asks DNS', async () => {
    const verdict = judgeDns(await resolve('gone.lab.test', [{ host: server.host, port: server.port }]), [], { path: '/etc/hosts', addresses: ['127.0.1.98'] });
    expect(verdict).toMatchObject({ status: 'warn', code: 'DNS_NXDOMAIN' });
    expect(verdict.message).toMatch(/^hosts file \/etc\/hosts pins gone\.lab\.test to 127\.0\.1\.98; the agent uses that address and never asks DNS, which says: gone\.lab\.test does not exist \(NXDOMAIN\)/);
  });
});

describe('preflight --hosts-file (the built CLI)', () => {
  let dir: string;
  let server: LabDnsServer;
  let listener: net.Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'preflight-hosts-cli-'));
    writeFileSync(path.join(dir, 'hosts'), '# lab\n127.0.0.1 pinned.lab.test\n');
    writeFileSync(path.join(dir, 'pinned.json'), JSON.stringify({ endpoints: [{ host: 'pinned.lab.test', ports: [5671] }] }));
    server = await startLabDnsServer({ zone: { 'pinned.lab.test': { records: [{ type: 'A', value: '127.0.1.20' }] } } });
    listener = net.createServer((socket) => socket.destroy());
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    port = (listener.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((done) => listener.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unreadable --hosts-file is bad input: exit 2, one line, before any probe', async () => {
    const run = await runPreflight(['-p', 'entra-cloud-sync', '--resolver', '127.0.0.1', '--hosts-file', 'no-such-hosts'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('preflight: --hosts-file no-such-hosts: cannot read: no such file\n');
  });

  it('the dns check warns with the pinned address, and tcp connects to it, as the agent would', async () => {
    const run = await runPreflight(
      ['-c', 'pinned.json', '--resolver', `${server.host}:${server.port}`, '--hosts-file', 'hosts', '--port-map', `5671=${port}`, '--only', 'dns,tcp', '--json', '-'],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as RunDocument;
    const dns = document.results.find((result) => result.id === 'dns:pinned.lab.test');
    expect(dns).toMatchObject({ status: 'warn', code: 'DNS_OK' });
    expect(dns?.message).toBe(`hosts file ${path.join(dir, 'hosts')} pins pinned.lab.test to 127.0.0.1; the agent uses that address, not DNS's 127.0.1.20`);
    expect(dns?.evidence['hostsFile']).toEqual({ path: path.join(dir, 'hosts'), addresses: ['127.0.0.1'] });
    expect(dns?.evidence['addresses']).toEqual(['127.0.1.20']);
    const tcp = document.results.filter((result) => result.check === 'tcp');
    expect(tcp.map((result) => [result.id, result.status])).toEqual([['tcp:pinned.lab.test@127.0.0.1:5671', 'pass']]);
  });

  it('through a proxy the pin is noted, not a warning: the agent sends the proxy the name', async () => {
    const run = await runPreflight(
      ['-c', 'pinned.json', '--resolver', `${server.host}:${server.port}`, '--hosts-file', 'hosts', '--proxy', 'http://127.0.0.1:9', '--only', 'dns', '--json', '-'],
      { cwd: dir },
    );
    const document = JSON.parse(run.stdout) as RunDocument;
    const dns = document.results.find((result) => result.id === 'dns:pinned.lab.test');
    expect(dns).toMatchObject({ status: 'pass', code: 'DNS_OK' });
    expect(dns?.message).toBe(`pinned.lab.test resolves through 0 CNAME hops to 127.0.1.20; hosts file ${path.join(dir, 'hosts')} pins it to 127.0.0.1, which only a direct connection would use (the proxy resolves this name itself, so the agent does not need it to resolve here)`);
  });
});
