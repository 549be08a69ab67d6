// The CI contract of the command line (shared/interface.md, "Exit codes" and "Output streams"): a report on stdout
// is whole and alone there whatever the reader's speed; report targets are checked before any probe; --fail-on
// decides exit 1; a run that tested nothing never exits 0; a skip names its prerequisite's own finding.
// Runs the built CLI (npm test builds first).
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer, type LabName } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import type { RunDocument } from '../model/result.js';
import { cliPath, runPreflight, type CliRun } from './support/cli.js';
import { validateJunit } from './support/xsd.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-contract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Enough hosts that the JSON document is some hundreds of KB: far more than a pipe holds (64 KiB on Linux). */
const MANY = 500;
const up = loopbackAddress(331);

let dns: LabDnsServer;
let listener: LabTcpListener;
let port: number;

beforeAll(async () => {
  port = await findSharedFreePort([up]);
  listener = await startTcpListener(up, port, 'accept');
  const zone: Record<string, LabName> = {
    'up.lab.test': { records: [{ type: 'A', value: up }] },
    'gone.lab.test': { respond: 'nxdomain' },
    'lost.lab.test': { respond: 'nxdomain' },
  };
  // A CNAME hop each, so that every result carries a chain in its evidence.
  for (let i = 0; i < MANY; i++) {
    zone[`host${i}.many.lab.test`] = { records: [{ type: 'CNAME', value: `edge${i}.cdn.lab.example` }] };
    zone[`edge${i}.cdn.lab.example`] = { records: [{ type: 'A', value: up }] };
  }
  dns = await startLabDnsServer({ zone });
});
afterAll(async () => {
  await dns.close();
  await listener.close();
});

/**
 * The lab's own 2 s deadline is short for a machine shared by parallel test runs (a TLS handshake then times out);
 * none of its faults is a timeout, so a longer one changes no verdict.
 */
const LAB_DEADLINE = ['--timeout', '15000'];

function preflight(args: string[]): Promise<CliRun> {
  return runPreflight(args, { cwd: work });
}

function config(name: string, hosts: readonly string[]): string {
  const file = path.join(work, name);
  writeFileSync(file, `endpoints:\n${hosts.map((host) => `  - host: ${host}\n    ports: [443]\n`).join('')}`);
  return file;
}

function resolver(): string[] {
  return ['--resolver', `127.0.0.1:${dns.port}`];
}

/** A usage error: exit 2, exactly this one line on stderr, nothing on stdout. */
function expectUsageLine(run: CliRun, line: string) {
  expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({ code: 2, stderr: `preflight: ${line}\n`, stdout: '' });
}

describe('a report on stdout', () => {
  it('is whole when the reader waits before reading: hundreds of KB, alone on stdout', async () => {
    const many = config('many.yaml', Array.from({ length: MANY }, (_, i) => `host${i}.many.lab.test`));
    const child = spawn(process.execPath, [cliPath, '-c', many, ...resolver(), '--only', 'dns', '--json', '-'], { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Not reading stdout: the pipe fills (64 KiB on Linux) and the rest waits in the process. The summary goes to
    // stderr after the report was handed to stdout; a process that exits then, without draining, loses the rest.
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.pause();
    await expect.poll(() => stderr, { timeout: 60_000, interval: 100 }).toMatch(/ passed, /);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    child.stdout.resume();
    expect(await closed).toBe(0);
    const stdout = Buffer.concat(chunks).toString('utf8');
    expect(stdout.length).toBeGreaterThan(200_000);
    const doc = JSON.parse(stdout) as RunDocument;
    expect(doc.results).toHaveLength(MANY);
    expect(doc.results.every((r) => r.code === 'DNS_OK')).toBe(true);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`${MANY} passed, 0 failed, 0 warned, 0 skipped`);
  }, 120_000);

  it('a reader that goes away early (EPIPE) neither crashes nor hangs the run: it exits with the run\'s code', async () => {
    const many = config('many-epipe.yaml', Array.from({ length: MANY }, (_, i) => `host${i}.many.lab.test`));
    const child = spawn(process.execPath, [cliPath, '-c', many, ...resolver(), '--only', 'dns', '--json', '-'], { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await closed).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`${MANY} passed, 0 failed, 0 warned, 0 skipped`);
  }, 120_000);

  it('`lab --junit -`: stdout is pure XML that validates; the banner, summary and self-check go to stderr', async () => {
    const run = await preflight(['lab', ...LAB_DEADLINE, '--junit', '-']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('<?xml')).toBe(true);
    const xml = path.join(work, 'lab-stdout.xml');
    writeFileSync(xml, run.stdout);
    expect(validateJunit(xml)).toBe('');
    expect(run.stderr).toMatch(/^lab network: resolver 127\.0\.0\.1:\d+, ports /);
    expect(run.stderr).toMatch(/^\d+ passed, \d+ failed, \d+ warned, \d+ skipped$/m);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('lab: every simulated fault was reported as built (10), every healthy endpoint passed');
  }, 120_000);
});

describe('--threads', () => {
  it('takes a whole number from 0 to 64, else one line and exit 2 before any probe', async () => {
    const before = dns.queries.length;
    expectUsageLine(await preflight(['-c', config('threads.yaml', ['threads.lab.test']), ...resolver(), '--threads', '1.5']), '--threads 1.5: expected a whole number from 0 to 64');
    expectUsageLine(await preflight(['-c', config('threads.yaml', ['threads.lab.test']), ...resolver(), '--threads', '65']), '--threads 65: expected a whole number from 0 to 64');
    expect(dns.queries.length).toBe(before);
  });

  it('does not apply to the lab, whose servers share the main thread: one line and exit 2', async () => {
    expectUsageLine(await preflight(['lab', '--threads', '2']), "lab: --threads does not apply: the lab's servers share the tool's main thread, so its probes run there too");
  });

  it('runs the same checks to the same verdicts with probe threads and without', async () => {
    const hosts = [...Array.from({ length: 20 }, (_, i) => `host${i}.many.lab.test`), 'gone.lab.test'];
    const verdicts = async (threads: string) => {
      const run = await preflight(['-c', config(`threads-${threads}.yaml`, hosts), ...resolver(), '--port-map', `443=${port}`, '--only', 'dns,tcp', '--threads', threads, '--json', '-']);
      const document = JSON.parse(run.stdout) as { results: Array<{ id: string; code: string }> };
      return document.results.map((result) => `${result.id} ${result.code}`).sort();
    };
    const inThread = await verdicts('0');
    expect(inThread.length).toBeGreaterThan(20);
    expect(await verdicts('2')).toEqual(inThread);
  }, 60_000);
});

describe('report targets are checked before any probe is sent', () => {
  const probe = () => config('probe.yaml', ['probe.lab.test']);
  const asked = () => dns.queries.filter((q) => q.name === 'probe.lab.test').length;

  it('an empty value, at the end or given as \'\'', async () => {
    expectUsageLine(await preflight(['-c', probe(), ...resolver(), '--json']), '--json needs a file name (or - for stdout)');
    expectUsageLine(await preflight(['-c', probe(), ...resolver(), '--junit', '', '--json', 'x.json']), '--junit needs a file name (or - for stdout)');
    expect(asked()).toBe(0);
  });

  it('the same file named twice', async () => {
    expectUsageLine(await preflight(['-c', probe(), ...resolver(), '--json', 'x', '--junit', './x']), '--json x and --junit ./x are the same file: one report would overwrite the other');
    expect(asked()).toBe(0);
  });

  it('a directory where the report should go, and a file where a directory should be', async () => {
    mkdirSync(path.join(work, 'reports'), { recursive: true });
    expectUsageLine(await preflight(['-c', probe(), ...resolver(), '--junit', 'reports']), '--junit reports: is a directory');
    writeFileSync(path.join(work, 'plain.txt'), '');
    expectUsageLine(await preflight(['-c', probe(), ...resolver(), '--json', 'plain.txt/out.json']), `--json plain.txt/out.json: ${path.join(work, 'plain.txt')} is not a directory`);
    expect(asked()).toBe(0);
  }, 120_000);

  it('a directory this user cannot write to', async () => {
    // root writes anywhere: the run is made as `nobody` then, in a folder it can enter but not write.
    const shared = mkdtempSync(path.join(os.tmpdir(), 'preflight-locked-'));
    try {
      const locked = path.join(shared, 'locked');
      mkdirSync(locked);
      chmodSync(shared, 0o755);
      chmodSync(locked, 0o555);
      const target = path.join(locked, 'sub', 'out.xml');
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const run = await new Promise<CliRun>((resolve) => {
        const child = spawn(process.execPath, [cliPath, '-c', probe(), ...resolver(), '--junit', target], { cwd: shared, ...asUser });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr, ms: 0 }));
      });
      expectUsageLine(run, `--junit ${target}: cannot create files in ${locked}: permission denied (EACCES)`);
      expect(asked()).toBe(0);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('`lab` refuses them before its network starts', async () => {
    expectUsageLine(await preflight(['lab', '--json', 'lab.out', '--junit', 'lab.out']), '--json lab.out and --junit lab.out are the same file: one report would overwrite the other');
  });
});

describe('--fail-on and the exit code', () => {
  const reachable = () => config('reachable.yaml', ['up.lab.test', 'gone.lab.test']);
  const portMap = () => ['--port-map', `443=${port}`];

  it('a skip beside a pass exits 0 by default and 1 with --fail-on skip; the skip names the prerequisite\'s finding', async () => {
    const json = path.join(work, 'skip.json');
    const plain = await preflight(['-c', reachable(), ...resolver(), ...portMap(), '--only', 'tcp', '--json', json]);
    expect(plain.code).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    expect(doc.results.map((r) => [r.id, r.status])).toEqual([[`tcp:up.lab.test@${up}:443`, 'pass'], ['tcp:gone.lab.test:443', 'skip']]);
    // --only tcp leaves the dns results out of the report: the skip itself says what dns found.
    expect(doc.results[1]).toMatchObject({
      code: 'SKIPPED_PREREQUISITE',
      message: `not run: dns failed: gone.lab.test does not exist (NXDOMAIN) (resolver 127.0.0.1:${dns.port})`,
      evidence: { prerequisite: 'dns:gone.lab.test', prerequisiteCode: 'DNS_NXDOMAIN' },
    });
    expect(plain.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed, 0 warned, 1 skipped');

    const strict = await preflight(['-c', reachable(), ...resolver(), ...portMap(), '--only', 'tcp', '--fail-on', 'skip']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe('');
  }, 120_000);

  it('a warning exits 0 by default and 1 with --fail-on warning (also as a list, or repeated)', async () => {
    // Through a proxy the proxy resolves names itself: a name that does not resolve here is a warning.
    const args = ['-c', config('warn.yaml', ['gone.lab.test']), ...resolver(), '--only', 'dns', '--proxy', 'http://127.0.0.1:9', '--json', '-'];
    const plain = await preflight(args);
    expect(plain.code).toBe(0);
    expect((JSON.parse(plain.stdout) as RunDocument).results.map((r) => [r.status, r.code])).toEqual([['warn', 'DNS_NXDOMAIN']]);
    expect((await preflight([...args, '--fail-on', 'warning'])).code).toBe(1);
    expect((await preflight([...args, '--fail-on', 'failure,warning'])).code).toBe(1);
    expect((await preflight([...args, '--fail-on', 'failure', '--fail-on', 'warning'])).code).toBe(1);
    expect((await preflight([...args, '--fail-on', 'skip'])).code).toBe(0);
  }, 120_000);

  it('a failure exits 1 by default and under the stricter gates: failing on warnings or skips never lets a failure through', async () => {
    const args = ['-c', config('fail.yaml', ['up.lab.test', 'gone.lab.test']), ...resolver(), '--only', 'dns'];
    expect((await preflight(args)).code).toBe(1);
    expect((await preflight([...args, '--fail-on', 'warning'])).code).toBe(1);
    expect((await preflight([...args, '--fail-on', 'skip'])).code).toBe(1);
  }, 120_000);

  it('unknown, empty and not-yet-available values are usage errors before any probe', async () => {
    const args = ['-c', config('probe-fail-on.yaml', ['probe.lab.test']), ...resolver()];
    expectUsageLine(await preflight([...args, '--fail-on', 'warnings']), '--fail-on: unknown value "warnings" (allowed: failure, warning, skip, regression)');
    expectUsageLine(await preflight([...args, '--fail-on', 'failure,']), '--fail-on needs a comma-separated list of failure, warning, skip, regression');
    expectUsageLine(await preflight([...args, '--fail-on']), '--fail-on needs a comma-separated list of failure, warning, skip, regression');
    expectUsageLine(await preflight([...args, '--fail-on', 'regression']), '--fail-on regression needs --baseline FILE (an earlier --json result to compare with)');
    expect(dns.queries.filter((q) => q.name === 'probe.lab.test')).toHaveLength(0);
  }, 120_000);
});

describe('a run that tested nothing never exits 0', () => {
  it('every check skipped: exit 1 and one line with the first reason', async () => {
    const run = await preflight(['-c', config('untested.yaml', ['gone.lab.test', 'lost.lab.test']), ...resolver(), '--only', 'tcp']);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 0 failed, 0 warned, 2 skipped');
    expect(run.stderr).toBe(`preflight: nothing was tested: all 2 checks were skipped (tcp:gone.lab.test:443: not run: dns failed: gone.lab.test does not exist (NXDOMAIN) (resolver 127.0.0.1:${dns.port}))\n`);
  });

  it('no check at all: exit 1, saying so', async () => {
    const run = await preflight(['-c', config('no-checks.yaml', ['up.lab.test']), ...resolver(), '--only', 'proxy', '--no-proxy']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('preflight: nothing was tested: no check applied to this plan (--only proxy)\n');
  });
});

describe('the lab claims only what it verified', () => {
  it('`lab --only dns,tcp,tls`: a passing handshake says revocation was not checked, and the revoked certificate is not claimed', async () => {
    const run = await preflight(['lab', ...LAB_DEADLINE, '--only', 'dns,tcp,tls', '--json', '-']);
    const document = JSON.parse(run.stdout) as { results: Array<{ check: string; status: string; message: string; evidence: Record<string, unknown> }> };
    const passed = document.results.filter((r) => r.check === 'tls' && r.status === 'pass');
    expect(passed.length).toBeGreaterThan(0);
    for (const result of passed) {
      expect(result.message).toMatch(/; revocation not checked \(no crl or ocsp check in this run\)$/);
      expect(result.evidence['revocation']).toBe('not checked');
    }
    expect(run.stderr).toContain('  lab-windowsazure.windowsazure.com (tls, inspection):');
    expect(run.code).toBe(0);
  }, 120_000);

  it('`lab -p entra-connect-health`: the revocation hosts its certificates name are served though the profile does not list them', async () => {
    const run = await preflight(['lab', ...LAB_DEADLINE, '-p', 'entra-connect-health']);
    expect(run.stdout).not.toContain('DNS_NXDOMAIN on a healthy host');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^lab: every simulated fault was reported as built \(\d+\), every healthy endpoint passed$/);
    expect(run.code).toBe(0);
  }, 120_000);

  it('`lab --only tcp`: the faults of other kinds are "not exercised", the final line counts the verified ones', async () => {
    const run = await preflight(['lab', ...LAB_DEADLINE, '--only', 'tcp']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    const from = lines.indexOf('lab: not exercised, their checks did not run under --only tcp:');
    expect(from).toBeGreaterThan(0);
    expect(lines.slice(from + 1, -1).map((line) => line.replace(/:.*/, '')).sort()).toEqual([
      '  autoupdate.msappproxy.net (tls, inspection)',
      '  crl4.digicert.com (crl)',
      '  lab-cloudwebappproxy.cloudwebappproxy.net (tls, inspection)',
      '  lab-namespace.servicebus.windows.net (dns)',
      '  lab-windowsazure.windowsazure.com (tls, inspection)',
      '  mscrl.microsoft.com (http)',
      '  ocsp.msocsp.com (dns)',
      '  www.microsoft.com (dns)',
    ]);
    expect(lines.at(-1)).toBe('lab: 2 of 10 simulated faults were verified as built (8 not exercised), every healthy endpoint passed');
    expect(run.stdout).not.toContain('every simulated fault was reported as built');
  }, 120_000);

  it('a lab run that tested nothing exits 1 and verifies no fault', async () => {
    const sinkholed = config('lab-untested.yaml', ['www.microsoft.com']);
    const run = await preflight(['lab', ...LAB_DEADLINE, '-c', sinkholed, '--only', 'tcp']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('preflight: nothing was tested: the only check was skipped (tcp:www.microsoft.com:443: not run: dns failed: www.microsoft.com resolves to 0.0.0.0: blocked by DNS policy; the resolver says Extended DNS Error 17 (Filtered): "lab DNS security policy, category uncategorised")\n');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('lab: no simulated fault was verified: nothing was tested');
  }, 120_000);
});
