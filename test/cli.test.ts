// The command line as users and pipelines meet it: exit codes, one-line errors, reports, the lab, deadlines.
// Runs the built CLI (npm test builds first).
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startForwardProxy } from '../lab/forward-proxy.js';
import { loopbackAddress } from '../lab/loopback.js';
import { startHttpFixtures } from '../lab/http-servers.js';
import { selfSignedIdentity } from '../lab/pki.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import { certificateReferences } from '../model/certificates.js';
import { parseResultDocument } from '../model/read-document.js';
import type { RunDocument } from '../model/result.js';
import { cliPath, runPreflight, type CliRun } from './support/cli.js';
import { validateJunit } from './support/xsd.js';
import { expectCompactForm } from './support/compact-json.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-cli-'));

function preflight(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runPreflight(args, { cwd: work, env });
}

function file(name: string, text: string): string {
  const target = path.join(work, name);
  writeFileSync(target, text);
  return target;
}

/** A usage error: exit 2, exactly one line on stderr, no stack trace. */
function expectUsageError(run: CliRun, pattern: RegExp) {
  expect(run.code).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input: exit 2 with one clear line', () => {
  it('a missing config file', async () => {
    expectUsageError(await preflight(['-c', 'nope.yaml', '--resolver', '127.0.0.1']), /^preflight: .*nope\.yaml/);
  });
  it('a YAML syntax error names the line', async () => {
    const bad = file('syntax.yaml', 'endpoints:\n  - url: https://a.example\n    purpose: [unclosed\n');
    expectUsageError(await preflight(['-c', bad, '--resolver', '127.0.0.1']), /syntax\.yaml:\d+/);
  });
  it('an unknown key names the file, line and key', async () => {
    const bad = file('unknown.yaml', 'endpoints:\n  - host: a.example\n    prots: [443]\n');
    expectUsageError(await preflight(['-c', bad, '--resolver', '127.0.0.1']), /unknown\.yaml:3.*prots/);
  });
  it('an invalid config value', async () => {
    const bad = file('invalid.yaml', 'timeouts: { dns: "soon" }\nendpoints: []\n');
    expectUsageError(await preflight(['-c', bad, '--resolver', '127.0.0.1']), /invalid\.yaml:1.*dns/);
  });
  it('an unknown profile', async () => {
    expectUsageError(await preflight(['-p', 'no-such-profile', '--resolver', '127.0.0.1']), /no-such-profile/);
  });
  it('a bad --resolver', async () => {
    expectUsageError(await preflight(['--resolver', 'not an address']), /--resolver/);
  });
  it('a bad --port-map', async () => {
    expectUsageError(await preflight(['--port-map', '443=abc', '--resolver', '127.0.0.1']), /--port-map/);
  });
  it('an unknown option', async () => {
    expectUsageError(await preflight(['--frobnicate']), /frobnicate/);
  });
  it('both reports to stdout, refused before any probe', async () => {
    expectUsageError(await preflight(['--json', '-', '--junit', '-', '--resolver', '127.0.0.1']), /only one of --json and --junit can write to stdout/);
  });
  it('a report that cannot be written: the others are, the summary shows, then exit 2 naming it', async () => {
    // /dev/full passes the checks made before the run (it exists and is writable) and fails at write time.
    const config = file('unwritable.yaml', 'endpoints:\n  - host: nowhere.lab.test\n    ports: [443]\n');
    const json = path.join(work, 'written.json');
    const run = await preflight(['-c', config, '--resolver', '127.0.0.1:9', '--only', 'dns', '--junit', '/dev/full', '--json', json]);
    expectUsageError(run, /^preflight: cannot write \/dev\/full: no space left on device \(ENOSPC\)$/);
    expect((JSON.parse(readFileSync(json, 'utf8')) as RunDocument).results).toHaveLength(1);
    expect(run.stdout).toMatch(/^0 passed, 1 failed, 0 warned, 0 skipped$/m);
  });
  it('a report path under /proc ends in exit 2 naming it, never a hang', async () => {
    const run = await preflight(['-c', file('proc.yaml', 'endpoints:\n  - host: nowhere.lab.test\n    ports: [443]\n'), '--resolver', '127.0.0.1:9', '--only', 'dns', '--junit', '/proc/no-such-dir/out.xml']);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    // Refused before the run where this user cannot write under /proc; else at write time, without the mkdir spin.
    expect(run.stderr).toMatch(/^preflight: (cannot write |--junit )\/proc\/no-such-dir\/out\.xml: /);
  });
  it('an unknown check kind in --only', async () => {
    expectUsageError(await preflight(['--only', 'dns,ping', '--resolver', '127.0.0.1']), /ping/);
  });
});

describe('help and profiles', () => {
  it('--help shows the commands and examples', async () => {
    const run = await preflight(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('preflight lab');
    expect(run.stdout).toContain('--junit');
    expect(run.stdout).toContain('Examples:');
  });
  it('profiles lists the three built-in profiles, the default marked', async () => {
    const run = await preflight(['profiles']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/entra-cloud-sync \(default\)/);
    expect(run.stdout).toContain('entra-private-network-connector');
    expect(run.stdout).toContain('entra-connect-health');
    expect(run.stdout).toContain('msappproxy.net');
  });
});

describe('a run against lab fixtures', () => {
  let dns: LabDnsServer;
  const listeners: LabTcpListener[] = [];
  let port: number;
  const up = loopbackAddress(301);
  const down = loopbackAddress(302);

  beforeAll(async () => {
    port = await findSharedFreePort([up, down]);
    listeners.push(await startTcpListener(up, port, 'accept'));
    dns = await startLabDnsServer({
      zone: {
        'up.lab.test': { records: [{ type: 'CNAME', value: 'edge.lab.example' }] },
        'edge.lab.example': { records: [{ type: 'A', value: up }] },
        'down.lab.test': { records: [{ type: 'A', value: down }] },
        'gone.lab.test': { respond: 'nxdomain' },
      },
    });
  });
  afterAll(async () => {
    await dns.close();
    await Promise.all(listeners.map((l) => l.close()));
  });

  it('writes JSON and JUnit, exits 1 on a failed check, and skips what depends on it', async () => {
    const config = file('lab-run.yaml', [
      'endpoints:',
      '  - host: up.lab.test',
      '    ports: [443]',
      '  - host: down.lab.test',
      '    ports: [443]',
      '  - host: gone.lab.test',
      '    ports: [443]',
    ].join('\n'));
    const json = path.join(work, 'run.json');
    const junit = path.join(work, 'run.xml');
    const run = await preflight(['-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--only', 'dns,tcp', '--json', json, '--junit', junit]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    const byId = new Map(doc.results.map((r) => [r.id, r]));
    expect(byId.get('dns:up.lab.test')).toMatchObject({ status: 'pass', code: 'DNS_OK' });
    expect(byId.get('dns:up.lab.test')?.evidence['chain']).toEqual([
      { name: 'up.lab.test', type: 'CNAME', value: 'edge.lab.example', ttl: 300 },
      { name: 'edge.lab.example', type: 'A', value: up, ttl: 300 },
    ]);
    expect(byId.get(`tcp:up.lab.test@${up}:443`)).toMatchObject({ status: 'pass', code: 'TCP_OK', address: up, port: 443 });
    expect(byId.get(`tcp:down.lab.test@${down}:443`)).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(byId.get('tcp:gone.lab.test:443')).toMatchObject({
      status: 'skip', code: 'SKIPPED_PREREQUISITE',
      message: `not run: dns failed: gone.lab.test does not exist (NXDOMAIN) (resolver 127.0.0.1:${dns.port})`,
      evidence: { prerequisite: 'dns:gone.lab.test', prerequisiteCode: 'DNS_NXDOMAIN' },
    });
    expect(doc.summary).toEqual({ total: 6, passed: 3, failed: 2, warned: 0, skipped: 1 });
    expect(validateJunit(junit)).toBe('');
    expect(run.stdout).toMatch(/^3 passed, 2 failed, 0 warned, 1 skipped$/m);
  });

  it('--only dns runs the dns checks alone; --json - writes the document to stdout', async () => {
    const config = file('only.yaml', 'endpoints:\n  - host: up.lab.test\n    ports: [443]\n');
    const run = await preflight(['-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--only', 'dns', '--json', '-']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as RunDocument;
    expect(doc.results.map((r) => r.id)).toEqual(['dns:up.lab.test']);
    expect(run.stderr).toMatch(/1 passed, 0 failed/);
  });
});

describe('proxies', () => {
  it('checks the proxy itself, says where the setting came from, and never shows its password', async () => {
    const proxy = await startForwardProxy({ host: loopbackAddress(311), auth: { username: 'user', password: 'secret' } });
    try {
      const config = file('proxy.yaml', 'endpoints:\n  - host: up.lab.test\n    ports: [443]\n');
      const json = path.join(work, 'proxy.json');
      const junit = path.join(work, 'proxy.xml');
      const run = await preflight(['-c', config, '--resolver', '127.0.0.1:9', '--only', 'proxy', '--proxy', `http://user:secret@${proxy.host}:${proxy.port}`, '--json', json, '--junit', junit]);
      expect(run.code).toBe(0);
      const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
      expect(doc.results).toHaveLength(1);
      expect(doc.results[0]).toMatchObject({ check: 'proxy', status: 'pass', code: 'PROXY_OK', url: `http://user:***@${proxy.host}:${proxy.port}` });
      expect(doc.results[0]?.message).toMatch(/\(from --proxy\) answers: HTTP\/1\.1/);
      for (const output of [run.stdout, run.stderr, readFileSync(json, 'utf8'), readFileSync(junit, 'utf8')]) expect(output).not.toContain('secret');
    } finally {
      await proxy.close();
    }
  });

  it('takes the proxy from the environment unless --no-proxy', async () => {
    const proxy = await startForwardProxy({ host: loopbackAddress(312) });
    try {
      const config = file('env-proxy.yaml', 'endpoints:\n  - host: up.lab.test\n    ports: [443]\n');
      const env = { HTTPS_PROXY: `http://${proxy.host}:${proxy.port}` };
      const viaEnv = JSON.parse((await preflight(['-c', config, '--resolver', '127.0.0.1:9', '--only', 'proxy', '--json', '-'], env)).stdout) as RunDocument;
      expect(viaEnv.results[0]?.message).toContain('(from HTTPS_PROXY/HTTP_PROXY)');
      const ignored = JSON.parse((await preflight(['-c', config, '--resolver', '127.0.0.1:9', '--only', 'proxy', '--no-proxy', '--json', '-'], env)).stdout) as RunDocument;
      expect(ignored.results).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a bad --proxy is a usage error that does not repeat the password', async () => {
    const run = await preflight(['--proxy', 'ftp://user:secret@proxy.corp:21', '--resolver', '127.0.0.1']);
    expectUsageError(run, /--proxy/);
    expect(run.stderr).not.toContain('secret');
  });
});

describe('Ctrl-C', () => {
  it('writes the checks that finished, leaves out the rest (never as passed), and exits 130', async () => {
    const dns = await startLabDnsServer({
      zone: { 'fast.lab.test': { records: [{ type: 'A', value: '127.0.0.1' }] }, 'slow.lab.test': { respond: 'silence' } },
    });
    try {
      const config = file('interrupt.yaml', 'endpoints:\n  - host: fast.lab.test\n    ports: [443]\n  - host: slow.lab.test\n    ports: [443]\n');
      const json = path.join(work, 'interrupted.json');
      const child = spawn(process.execPath, [cliPath, '-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--only', 'dns', '--timeout', '20000', '--json', json], { cwd: work });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Interrupt once the slow name has been asked (and the fast one answered): its check is still in flight.
      await expect.poll(() => dns.queries.some((q) => q.name === 'slow.lab.test'), { timeout: 15_000, interval: 50 }).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
      expect(doc.interrupted).toBe(true);
      expect(doc.results.map((r) => [r.id, r.code])).toEqual([['dns:fast.lab.test', 'DNS_OK']]);
      expect(stderr).toBe('preflight: interrupted: 1 finished checks reported; the others did not run\n');
    } finally {
      await dns.close();
    }
  });
  it('keeps a port-80 check that finished while a tarpit holds a tls check (its spec file never started)', async () => {
    const dns = await startLabDnsServer({
      zone: { 'web.lab.test': { records: [{ type: 'A', value: '127.0.0.1' }] }, 'tarpit.lab.test': { records: [{ type: 'A', value: loopbackAddress(6301) }] } },
    });
    const tarpit = await startTcpListener(loopbackAddress(6301), 0, 'tarpit');
    const web = await startHttpFixtures('127.0.0.1', 0, { '/': { kind: 'body', contentType: 'text/plain', body: 'hello\n' } });
    try {
      const url = `http://web.lab.test:${web.port}/`;
      const config = file('interrupt-http.yaml', `endpoints:\n  - host: tarpit.lab.test\n    ports: [443]\n  - url: ${url}\n`);
      const json = path.join(work, 'interrupted-http.json');
      const args = [cliPath, '-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${tarpit.port}`, '--only', 'tls,http', '--timeout', '30000', '--json', json];
      const child = spawn(process.execPath, args, { cwd: work });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // The http check has its answer once the fixture has been asked; the tls handshake into the tarpit waits 30 s.
      await expect.poll(() => web.requests.length, { timeout: 15_000, interval: 50 }).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
      expect(doc.interrupted).toBe(true);
      expect(doc.results.map((r) => [r.id, r.status, r.code])).toEqual([[`http:${url}`, 'pass', 'HTTP_OK']]);
      expect(stderr).toBe('preflight: interrupted: 1 finished checks reported; the others did not run\n');
    } finally {
      await Promise.all([dns.close(), tarpit.close(), web.close()]);
    }
  });
});

describe('Ctrl-C with certificates', () => {
  it('keeps the certificates a finished tls check names, though its test never reported', async () => {
    const [tarpitAddress, servedAddress] = [loopbackAddress(6302), loopbackAddress(6303)];
    const dns = await startLabDnsServer({
      zone: { 'tarpit.lab.test': { records: [{ type: 'A', value: tarpitAddress }] }, 'served.lab.test': { records: [{ type: 'A', value: servedAddress }] } },
    });
    const port = await findSharedFreePort([tarpitAddress, servedAddress]);
    const servers = [
      await startTlsFixture(tarpitAddress, port, { kind: 'tarpit' }),
      await startTlsFixture(servedAddress, port, { kind: 'serve', identity: await selfSignedIdentity({ hosts: ['served.lab.test'] }) }),
    ];
    try {
      // The tarpit's test comes first in the tls spec file and holds it: the served check's result reaches the CLI
      // only through the results channel, and its certificate must come with it.
      const config = file('interrupt-tls.yaml', 'endpoints:\n  - host: tarpit.lab.test\n    ports: [443]\n  - host: served.lab.test\n    ports: [443]\n');
      const json = path.join(work, 'interrupted-tls.json');
      const args = [cliPath, '-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--only', 'tls', '--timeout', '30000', '--json', json];
      const child = spawn(process.execPath, args, { cwd: work });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await expect.poll(() => dns.queries.some((q) => q.name === 'served.lab.test'), { timeout: 15_000, interval: 50 }).toBe(true);
      // A loopback handshake takes milliseconds; three seconds leave a loaded machine all the margin it needs.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const text = readFileSync(json, 'utf8');
      const doc = JSON.parse(text) as RunDocument;
      expect(doc.interrupted).toBe(true);
      expect(doc.results.map((r) => [r.id, r.code])).toEqual([[`tls:served.lab.test@${servedAddress}:443`, 'TLS_UNTRUSTED']]);
      const [leaf] = doc.results[0]!.evidence['chain'] as string[];
      expect(doc.certificates[leaf!]).toMatchObject({ commonName: 'served.lab.test', sans: ['DNS:served.lab.test'] });
      expectCertificatesOnce(text);
    } finally {
      await Promise.all([dns.close(), ...servers.map((server) => server.close())]);
    }
  });
});

describe('deadlines', () => {
  it('50 endpoints against a resolver that never answers end within one deadline, not fifty', { timeout: 60_000 }, async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((done) => silent.bind(0, '127.0.0.1', done));
    try {
      const endpoints = Array.from({ length: 50 }, (_, i) => `  - host: host${i}.silent.lab.test\n    ports: [443]`);
      const config = file('silent.yaml', `endpoints:\n${endpoints.join('\n')}\n`);
      const json = path.join(work, 'silent.json');
      const run = await preflight(['-c', config, '--resolver', `127.0.0.1:${silent.address().port}`, '--timeout', '5000', '--json', json]);
      expect(run.code).toBe(1);
      const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
      expect(doc.results.filter((r) => r.code === 'DNS_TIMEOUT')).toHaveLength(50);
      // Not a timing test: names waited on one after another would take 50 deadlines (250 s); waited on together
      // they take one, plus a retry. Four deadlines leave a loaded machine all the margin it needs.
      expect(doc.durationMs).toBeLessThan(4 * 5000);
    } finally {
      silent.close();
    }
  });
});

/**
 * A schema version 2 document as a real run writes it: compact; each certificate described once, in `certificates`;
 * every fingerprint a chain names described there, and nothing described that no result names.
 */
function expectCertificatesOnce(text: string): { presented: number; elsewhere: number } {
  expect(text.indexOf('\n')).toBe(text.length - 1);
  const doc = JSON.parse(text) as RunDocument;
  expect(doc).toMatchObject({ schemaVersion: 2, comparison: null });
  const chains = doc.results.filter((r) => (r.check === 'tls' || r.check === 'inspection') && r.status !== 'skip').map((r) => (r.evidence['chain'] ?? []) as string[]);
  expect(chains.length).toBeGreaterThan(0);
  for (const fingerprint of chains.flat()) expect(doc.certificates[fingerprint]).toMatchObject({ sha256: fingerprint, sans: expect.any(Array), keyType: expect.any(String) });
  const referenced = new Set(doc.results.flatMap((r) => certificateReferences(r)));
  expect(Object.keys(doc.certificates).sort()).toEqual([...referenced].sort());
  // Described once: a description's fields appear once per certificate in the whole text.
  expect(text.split('"notBefore":')).toHaveLength(Object.keys(doc.certificates).length + 1);
  // And the reader takes it back as it is.
  expect(parseResultDocument(text, 'lab.json')).toEqual(doc);
  return expectCompactForm(text);
}

describe('preflight lab', () => {
  it('runs the default profile against the lab network: faults reported as built, JUnit valid', async () => {
    const json = path.join(work, 'lab.json');
    const junit = path.join(work, 'lab.xml');
    // A longer deadline than the lab's 2 s: on a loaded machine a handshake can take longer; no fault is a timeout.
    const run = await preflight(['lab', '--timeout', '15000', '--json', json, '--junit', junit]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('every simulated fault was reported as built');
    expect(run.code).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    expect(doc.profile).toBe('entra-cloud-sync');
    expect(doc.results.some((r) => r.status === 'pass')).toBe(true);
    expect(doc.results.some((r) => r.code === 'DNS_SINKHOLE')).toBe(true);
    expect(doc.results.find((r) => r.code === 'TLS_INSPECTED')?.evidence['vendor']).toBe('zscaler');
    expect(doc.results.find((r) => r.id === 'crl:http://crl3.digicert.com/DigiCertGlobalRootG2.crl')).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(doc.results.some((r) => r.code === 'TLS_CERT_REVOKED')).toBe(true);
    expect(validateJunit(junit)).toBe('');
    // Its inspection paths name presented certificates by their place in the chain, and anchors by fingerprint.
    const links = expectCertificatesOnce(readFileSync(json, 'utf8'));
    expect(links.presented).toBeGreaterThan(0);
    expect(links.elsewhere).toBeGreaterThan(0);
  }, 120_000);
});
