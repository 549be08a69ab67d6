// --ip-family: which resolved addresses are connected to, and how an IPv6 failure is judged under `auto`.
// The rules as pure functions first, then the built CLI in a network namespace of the test's own that has no
// IPv6 route (only `lo` is up): a connect to 2001:db8::/32 fails inside this machine, no packet leaves.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../config/load.js';
import { UsageError } from '../config/errors.js';
import type { RunDocument } from '../model/result.js';
import type { TcpEvidence } from '../probes/tcp.js';
import { makeResult, skippedFor, type Verdict } from '../specs/check-run.js';
import { judgeIpv6Fallback, selectAddresses } from '../specs/checks/ip-family.js';
import { judgeTcp } from '../specs/checks/tcp.js';
import { cliPath, runPreflight } from './support/cli.js';
import { createNetNamespace, type NetNamespace } from './support/netns.js';

describe('--ip-family on the command line', () => {
  it('is auto by default; 4 and 6 become the plan\'s family', async () => {
    expect((await loadPlan({ resolvers: ['127.0.0.1'] })).ipFamily).toBe('auto');
    expect((await loadPlan({ resolvers: ['127.0.0.1'], ipFamily: '4' })).ipFamily).toBe(4);
    expect((await loadPlan({ resolvers: ['127.0.0.1'], ipFamily: '6' })).ipFamily).toBe(6);
    expect((await loadPlan({ resolvers: ['127.0.0.1'], ipFamily: 'auto' })).ipFamily).toBe('auto');
  });
  it('any other value is one line on stderr and exit 2, before any probe', async () => {
    await expect(loadPlan({ resolvers: ['127.0.0.1'], ipFamily: 'ipv6' })).rejects.toThrow(new UsageError('--ip-family "ipv6": expected auto, 4, 6'));
    const run = await runPreflight(['--ip-family', '5', '--resolver', '127.0.0.1'], { cwd: os.tmpdir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('preflight: --ip-family "5": expected auto, 4, 6\n');
    expect(run.stdout).toBe('');
  });
  it('a config file may set ipFamily; the command line wins; any other value names the file and line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'preflight-ipfamily-config-'));
    try {
      const config = (name: string, text: string) => {
        writeFileSync(path.join(dir, name), `extends: entra-cloud-sync\n${text}`);
        return name;
      };
      expect((await loadPlan({ cwd: dir, resolvers: ['127.0.0.1'], config: config('four.yaml', 'ipFamily: 4\n') })).ipFamily).toBe(4);
      expect((await loadPlan({ cwd: dir, resolvers: ['127.0.0.1'], config: config('auto.yaml', 'ipFamily: auto\n') })).ipFamily).toBe('auto');
      expect((await loadPlan({ cwd: dir, resolvers: ['127.0.0.1'], config: 'four.yaml', ipFamily: '6' })).ipFamily).toBe(6);
      await expect(loadPlan({ cwd: dir, resolvers: ['127.0.0.1'], config: config('bad.yaml', 'resolvers: ["127.0.0.1"]\nipFamily: ipv4\n') }))
        .rejects.toThrow(new UsageError('bad.yaml:3: ipFamily: must be one of auto, 4, 6'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selectAddresses: the addresses --ip-family leaves to connect to', () => {
  const resolved = ['192.0.2.10', '2001:db8::10', '192.0.2.11'];

  it('auto: every resolved address', () => {
    expect(selectAddresses('a.example', resolved, 'auto')).toEqual({ addresses: resolved, excluded: null });
  });
  it('4 and 6: that family only', () => {
    expect(selectAddresses('a.example', resolved, 4)).toEqual({ addresses: ['192.0.2.10', '192.0.2.11'], excluded: null });
    expect(selectAddresses('a.example', resolved, 6)).toEqual({ addresses: ['2001:db8::10'], excluded: null });
  });
  it('a host with no address of the family: the reason its checks are skipped', () => {
    expect(selectAddresses('v6only.example', ['2001:db8::1'], 4)).toEqual({ addresses: [], excluded: 'no IPv4 address for v6only.example under --ip-family 4' });
    expect(selectAddresses('v4only.example', ['192.0.2.1'], 6)).toEqual({ addresses: [], excluded: 'no IPv6 address for v4only.example under --ip-family 6' });
  });
  it('no address at all is dns\'s finding, not the family\'s', () => {
    expect(selectAddresses('gone.example', [], 4)).toEqual({ addresses: [], excluded: null });
  });
});

describe('judgeIpv6Fallback: an IPv6 failure under --ip-family auto', () => {
  const failed = (address: string, failure: TcpEvidence['failure']): { evidence: TcpEvidence; verdict: Verdict } => {
    const evidence: TcpEvidence = { address, port: 443, connectMs: null, failure };
    return { evidence, verdict: judgeTcp('a.example', 443, evidence) };
  };
  const noRoute = failed('2001:db8::1', { code: 'TCP_UNREACHABLE', detail: 'no route to the address (ENETUNREACH)', errno: 'ENETUNREACH', noRouteHere: true });
  const refused = failed('2001:db8::1', { code: 'TCP_REFUSED', detail: 'connection refused (RST): nothing listens, or a firewall rejects', errno: 'ECONNREFUSED', noRouteHere: false });
  // An ICMP unreachable sent back (a router, a firewall's reject): the same errno, but this machine has a route.
  const rejected = failed('2001:db8::1', { code: 'TCP_UNREACHABLE', detail: 'no route to the address (EHOSTUNREACH)', errno: 'EHOSTUNREACH', noRouteHere: false });

  it('no IPv6 route on this machine, IPv4 for the host: skip, keeping the code, saying why', () => {
    expect(judgeIpv6Fallback('a.example', noRoute.verdict, noRoute.evidence, ['pass'])).toEqual({
      status: 'skip',
      code: 'TCP_UNREACHABLE',
      message: '[2001:db8::1]:443: no route to the address (ENETUNREACH): not tested, this machine has no IPv6 route; the agent uses IPv4',
      remediation: 'To test the IPv6 path, run from a machine with IPv6 connectivity; --ip-family 4 leaves IPv6 addresses out.',
    });
  });
  it('no IPv6 route is a skip whatever IPv4 does: IPv4 is judged on its own results', () => {
    expect(judgeIpv6Fallback('a.example', noRoute.verdict, noRoute.evidence, ['fail'])).toMatchObject({ status: 'skip', code: 'TCP_UNREACHABLE' });
  });
  it('no IPv6 route and no IPv4 address: the agent cannot reach the host from here, a failure', () => {
    expect(judgeIpv6Fallback('a.example', noRoute.verdict, noRoute.evidence, [])).toEqual({
      status: 'fail',
      code: 'TCP_UNREACHABLE',
      message: '[2001:db8::1]:443: no route to the address (ENETUNREACH)',
      remediation: 'This machine has no IPv6 route and a.example has no IPv4 address: give this machine IPv6 connectivity (a route to 2001:db8::1).',
    });
  });
  it('another failure while IPv4 connects: warn, keeping the code and the firewall advice', () => {
    expect(judgeIpv6Fallback('a.example', refused.verdict, refused.evidence, ['fail', 'pass'])).toEqual({
      status: 'warn',
      code: 'TCP_REFUSED',
      message: '[2001:db8::1]:443: connection refused (RST): nothing listens, or a firewall rejects; the agent falls back to IPv4 after the IPv6 attempt fails, slower',
      remediation: refused.verdict.remediation,
    });
  });
  it('an unreachable sent back is a failure of the path, not a missing route: warn when IPv4 connects', () => {
    expect(judgeIpv6Fallback('a.example', rejected.verdict, rejected.evidence, ['pass'])).toMatchObject({ status: 'warn', code: 'TCP_UNREACHABLE' });
  });
  it('another failure with no IPv4 that connects: the failure stands', () => {
    expect(judgeIpv6Fallback('a.example', refused.verdict, refused.evidence, ['fail'])).toEqual(refused.verdict);
    expect(judgeIpv6Fallback('a.example', refused.verdict, refused.evidence, [])).toEqual(refused.verdict);
  });
  it('the tls check after a warned IPv6 tcp check says it did not pass, not that it failed, and why', () => {
    const subject = (check: 'tcp' | 'tls') => ({ id: `${check}:a.example@[::1]:443`, check, host: 'a.example', address: '::1', port: 443, url: null });
    const tcp = makeResult(subject('tcp'), judgeIpv6Fallback('a.example', refused.verdict, refused.evidence, ['pass']), 0, {});
    expect(skippedFor(subject('tls'), tcp)).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: `not run: tcp did not pass: ${refused.verdict.message}; the agent falls back to IPv4 after the IPv6 attempt fails, slower` });
  });
  it('IPv4 failures and passes are left as they are', () => {
    const v4 = failed('192.0.2.1', { code: 'TCP_REFUSED', detail: 'refused', errno: 'ECONNREFUSED', noRouteHere: false });
    expect(judgeIpv6Fallback('a.example', v4.verdict, v4.evidence, ['pass'])).toEqual(v4.verdict);
  });
});

describe('the CLI in a namespace with no IPv6 route', () => {
  // 127.0.0.1:8443 accepts; nothing listens on [::1]:8443; 2001:db8::/32 has no route (only lo is up).
  const zone = {
    'noroute.lab.test': { records: [{ type: 'A', value: '127.0.0.1' }, { type: 'AAAA', value: '2001:db8::1' }] },
    'refused.lab.test': { records: [{ type: 'A', value: '127.0.0.1' }, { type: 'AAAA', value: '::1' }] },
    'v6only.lab.test': { records: [{ type: 'AAAA', value: '2001:db8::2' }] },
  };
  let ns: NetNamespace;
  let work: string;
  beforeAll(() => {
    // A firewall's reject that names no route: the same errno as a missing route, but sent back, not raised here.
    ns = createNetNamespace(`table inet lab {
      chain output {
        type filter hook output priority 0;
        ip6 daddr ::1 tcp dport 9443 reject with icmpv6 type no-route
      }
    }`);
    work = mkdtempSync(path.join(os.tmpdir(), 'preflight-ipfamily-'));
  });
  afterAll(() => {
    ns?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Starts the lab DNS server and the listener inside the namespace, runs the CLI there, returns its outcome. */
  async function preflightInNamespace(hosts: string[], only: string, extraArgs: string[]) {
    const name = `run-${hosts.join('-')}-${only}-${extraArgs.join('')}`.replace(/[^a-z0-9-]/gi, '');
    const config = path.join(work, `${name}.yaml`);
    writeFileSync(config, `endpoints:\n${hosts.map((host) => `  - host: ${host}\n    ports: [443]\n`).join('')}`);
    const json = path.join(work, `${name}.json`);
    const script = `
      import { spawn } from 'node:child_process';
      const { startLabDnsServer } = await import('./dist/lab/dns-server.js');
      const { startTcpListener } = await import('./dist/lab/tcp-listeners.js');
      const dns = await startLabDnsServer({ zone: ${JSON.stringify(zone)} });
      const listener = await startTcpListener('127.0.0.1', 8443, 'accept');
      const args = [${JSON.stringify(cliPath)}, '-c', ${JSON.stringify(config)}, '--resolver', '127.0.0.1:' + dns.port, '--port-map', '443=8443',
        '--only', ${JSON.stringify(only)}, '--timeout', '3000', '--no-proxy', '--json', ${JSON.stringify(json)}, ...${JSON.stringify(extraArgs)}];
      const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stdout.resume();
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      await listener.close();
      await dns.close();
      process.stdout.write(JSON.stringify({ code, stderr }));`;
    const outcome = await ns.node(['--input-type=module', '-e', script], { timeoutMs: 60_000 });
    expect(outcome.stderr).toBe('');
    const { code, stderr } = JSON.parse(outcome.stdout) as { code: number; stderr: string };
    const document = code === 0 || code === 1 ? JSON.parse(readFileSync(json, 'utf8')) as RunDocument : null;
    const result = (id: string) => document?.results.find((r) => r.id === id);
    return { code, stderr, document, result };
  }

  /** probeTcp's evidence, from inside namespace `where`. */
  async function probeIn(where: NetNamespace, targets: { address: string; port: number }[]) {
    const script = `
      const { probeTcp } = await import('./dist/probes/tcp.js');
      const out = [];
      for (const target of ${JSON.stringify(targets)}) out.push(await probeTcp(target, { stepTimeoutMs: 3000, signal: new AbortController().signal }));
      process.stdout.write(JSON.stringify(out));`;
    const { stdout, stderr } = await where.node(['--input-type=module', '-e', script]);
    expect(stderr).toBe('');
    return JSON.parse(stdout) as TcpEvidence[];
  }

  it('the probe tells "no route here" (nothing sent) from an unreachable a firewall sent back', async () => {
    const [noRoute, rejected] = await probeIn(ns, [{ address: '2001:db8::1', port: 443 }, { address: '::1', port: 9443 }]);
    expect(noRoute?.failure).toEqual({ code: 'TCP_UNREACHABLE', detail: 'no route to the address (ENETUNREACH)', errno: 'ENETUNREACH', noRouteHere: true });
    expect(rejected?.failure).toEqual({ code: 'TCP_UNREACHABLE', detail: 'no route to the address (ENETUNREACH)', errno: 'ENETUNREACH', noRouteHere: false });
  });

  it('with IPv6 disabled on the machine, every IPv6 address is "no route here"', async () => {
    const disabled = createNetNamespace('');
    try {
      for (const setting of ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.lo.disable_ipv6=1']) execFileSync('ip', ['netns', 'exec', disabled.name, 'sysctl', '-qw', setting]);
      const evidence = await probeIn(disabled, [{ address: '2001:db8::1', port: 443 }, { address: '::1', port: 443 }]);
      expect(evidence.map((e) => e.failure)).toEqual([
        { code: 'TCP_UNREACHABLE', detail: 'no route to the address (EADDRNOTAVAIL)', errno: 'EADDRNOTAVAIL', noRouteHere: true },
        { code: 'TCP_UNREACHABLE', detail: 'no route to the address (EADDRNOTAVAIL)', errno: 'EADDRNOTAVAIL', noRouteHere: true },
      ]);
    } finally {
      disabled.remove();
    }
  });

  it('auto: an IPv6 address with no route is skipped, one refused while IPv4 connects warns; exit 0', async () => {
    const run = await preflightInNamespace(['noroute.lab.test', 'refused.lab.test'], 'dns,tcp', []);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    expect(run.result('tcp:noroute.lab.test@127.0.0.1:443')).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(run.result('tcp:noroute.lab.test@[2001:db8::1]:443')).toMatchObject({
      status: 'skip',
      code: 'TCP_UNREACHABLE',
      message: '[2001:db8::1]:8443 (port 443 mapped): no route to the address (ENETUNREACH): not tested, this machine has no IPv6 route; the agent uses IPv4',
    });
    expect(run.result('tcp:noroute.lab.test@[2001:db8::1]:443')?.evidence).toMatchObject({ failure: { errno: 'ENETUNREACH', noRouteHere: true } });
    expect(run.result('tcp:refused.lab.test@127.0.0.1:443')).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(run.result('tcp:refused.lab.test@[::1]:443')).toMatchObject({
      status: 'warn',
      code: 'TCP_REFUSED',
      message: '[::1]:8443 (port 443 mapped): connection refused (RST): nothing listens, or a firewall rejects; the agent falls back to IPv4 after the IPv6 attempt fails, slower',
    });
    expect(run.result('tcp:refused.lab.test@[::1]:443')?.evidence).toMatchObject({ failure: { errno: 'ECONNREFUSED', noRouteHere: false } });
  }, 90_000);

  it('4: only IPv4 addresses are connected to; an IPv6-only host is skipped saying why, dns still records its address', async () => {
    const run = await preflightInNamespace(['noroute.lab.test', 'v6only.lab.test'], 'dns,tcp', ['--ip-family', '4']);
    expect(run.code).toBe(0);
    expect(run.document?.results.filter((r) => r.check === 'tcp').map((r) => [r.id, r.status])).toEqual([
      ['tcp:noroute.lab.test@127.0.0.1:443', 'pass'],
      ['tcp:v6only.lab.test:443', 'skip'],
    ]);
    expect(run.result('tcp:v6only.lab.test:443')).toMatchObject({ code: 'SKIPPED_PREREQUISITE', message: 'not run: no IPv4 address for v6only.lab.test under --ip-family 4' });
    expect(run.result('dns:v6only.lab.test')?.evidence['addresses']).toEqual(['2001:db8::2']);
    expect(run.result('dns:noroute.lab.test')?.evidence['addresses']).toEqual(expect.arrayContaining(['127.0.0.1', '2001:db8::1']));
  }, 90_000);

  it('4: the tls check of an IPv6-only host is skipped for the same reason', async () => {
    const run = await preflightInNamespace(['v6only.lab.test'], 'dns,tcp,tls', ['--ip-family', '4']);
    expect(run.code).toBe(0);
    expect(run.result('tls:v6only.lab.test:443')).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: no IPv4 address for v6only.lab.test under --ip-family 4' });
  }, 90_000);

  it('6: only IPv6 addresses, and no fallback rule: no route is a failure; exit 1', async () => {
    const run = await preflightInNamespace(['noroute.lab.test'], 'dns,tcp', ['--ip-family', '6']);
    expect(run.code).toBe(1);
    expect(run.document?.results.filter((r) => r.check === 'tcp').map((r) => [r.id, r.status, r.code])).toEqual([
      ['tcp:noroute.lab.test@[2001:db8::1]:443', 'fail', 'TCP_UNREACHABLE'],
    ]);
  }, 90_000);
});
