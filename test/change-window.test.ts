// Change windows against lab fixtures, through the built CLI: a run before a change, a fault switched on, the
// run after (`--baseline`, `diff`), `watch` while a fault comes and goes, and expectedFailures. The lab is the
// project's own DNS server and TCP listeners on loopback; a fault is a listener closed (TCP_REFUSED).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import type { RunDocument } from '../model/result.js';
import type { TimelineDocument } from '../cli/watch-output.js';
import { cliPath, runPreflight, type CliRun } from './support/cli.js';
import { validateJunit } from './support/xsd.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-change-'));
const up = loopbackAddress(401);
const flaky = loopbackAddress(402);
const down = loopbackAddress(403);
const FLAKY_TCP = `tcp:flaky.lab.test@${flaky}:443`;
const DOWN_TCP = `tcp:down.lab.test@${down}:443`;

let dns: LabDnsServer;
let port: number;
let upListener: LabTcpListener;
let flakyListener: LabTcpListener | null = null;
let config: string;
let lab: string[];

function preflight(args: string[]): Promise<CliRun> {
  return runPreflight(args, { cwd: work });
}

function file(name: string, text: string): string {
  const target = path.join(work, name);
  writeFileSync(target, text);
  return target;
}

function readJson<T = RunDocument>(name: string): T {
  return JSON.parse(readFileSync(path.join(work, name), 'utf8')) as T;
}

/** The fault: nothing listens on flaky.lab.test's address any more, so its TCP connection is refused. */
async function breakFlaky(): Promise<void> {
  await flakyListener?.close();
  flakyListener = null;
}

async function repairFlaky(): Promise<void> {
  flakyListener ??= await startTcpListener(flaky, port, 'accept');
}

function expectUsageError(run: CliRun, line: string | RegExp) {
  expect(run.code).toBe(2);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(typeof line === 'string' ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : line);
}

beforeAll(async () => {
  port = await findSharedFreePort([up, flaky, down]);
  upListener = await startTcpListener(up, port, 'accept');
  await repairFlaky();
  dns = await startLabDnsServer({
    zone: {
      'up.lab.test': { records: [{ type: 'A', value: up }] },
      'flaky.lab.test': { records: [{ type: 'A', value: flaky }] },
      'down.lab.test': { records: [{ type: 'A', value: down }] },
      'gone.lab.test': { respond: 'nxdomain' },
    },
  });
  config = file('window.yaml', ['up', 'flaky', 'down', 'gone'].flatMap((name) => [`  - host: ${name}.lab.test`, '    ports: [443]']).reduce((text, line) => `${text}${line}\n`, 'endpoints:\n'));
  lab = ['-c', config, '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--only', 'dns,tcp'];
  // Before the change: down.lab.test refused and gone.lab.test unknown already, flaky.lab.test reachable.
  const before = await preflight([...lab, '--json', path.join(work, 'before.json')]);
  expect(before.code).toBe(1);
  await breakFlaky();
  const after = await preflight([...lab, '--json', path.join(work, 'after.json')]);
  expect(after.code).toBe(1);
  await repairFlaky();
}, 120_000);

afterAll(async () => {
  await dns?.close();
  await upListener?.close();
  await flakyListener?.close();
});

describe('diff OLD NEW', () => {
  it('shows exactly the fault switched on as the regression, the earlier failures as still failing, and exits 1', async () => {
    const run = await preflight(['diff', 'before.json', 'after.json', '--json', 'diff.json', '--junit', 'diff.xml']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const doc = readJson('diff.json');
    expect(doc.schemaVersion).toBe(2);
    expect(doc.comparison?.regressions).toEqual([
      { id: FLAKY_TCP, check: 'tcp', host: 'flaky.lab.test', before: { status: 'pass', code: 'TCP_OK' }, after: { status: 'fail', code: 'TCP_REFUSED' } },
    ]);
    expect(doc.comparison?.stillFailing.map((item) => item.id).sort()).toEqual(['dns:gone.lab.test', DOWN_TCP]);
    expect([doc.comparison?.fixed, doc.comparison?.new, doc.comparison?.gone, doc.comparison?.untested]).toEqual([[], [], [], []]);
    // Regressions first, each with what changed and its remediation; the counts close it.
    const lines = run.stdout.trimEnd().split('\n');
    const regression = lines.indexOf(`    ✖ ${FLAKY_TCP}  TCP_OK → TCP_REFUSED`);
    expect(regression).toBeGreaterThan(0);
    expect(lines[regression + 1]).toMatch(/^ {6}→ \S/);
    expect(lines.findIndex((line) => line.startsWith('  Still failing (2)'))).toBeGreaterThan(regression);
    expect(lines.at(-1)).toBe('1 regression, 0 fixed, 2 still failing, 0 new, 0 gone, 0 no longer tested');
    // JUnit: valid, the regression the one failure, the old failures visible by name.
    expect(validateJunit(path.join(work, 'diff.xml'))).toBe('');
    const xml = readFileSync(path.join(work, 'diff.xml'), 'utf8');
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('<failure message="regression since the baseline: TCP_OK → TCP_REFUSED; TCP_REFUSED: ');
    expect(xml).toContain(`name="${DOWN_TCP} [failing, not a regression: TCP_REFUSED]"`);
  });

  it('the same run twice: no regression, exit 0', async () => {
    const run = await preflight(['diff', 'after.json', 'after.json']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  no regressions\n');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('0 regressions, 0 fixed, 3 still failing, 0 new, 0 gone, 0 no longer tested');
  });

  it('a schema version 1 document works as the old side', async () => {
    const v1 = readJson<Record<string, unknown>>('before.json');
    delete v1['certificates'];
    delete v1['comparison'];
    file('before-v1.json', JSON.stringify({ ...v1, schemaVersion: 1 }));
    const run = await preflight(['diff', 'before-v1.json', 'after.json', '--json', '-']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as RunDocument;
    expect(doc.comparison?.regressions.map((item) => item.id)).toEqual([FLAKY_TCP]);
    expect(run.stderr).toContain('(schema version 1) →');
  });

  it('the v1 and v2 lab fixtures of the same run: nothing changed, three failures still failing', async () => {
    const fixtures = path.join(path.dirname(cliPath), '..', '..', 'test', 'fixtures');
    const run = await preflight(['diff', path.join(fixtures, 'result-v1-lab.json'), path.join(fixtures, 'result-v2-lab.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('0 regressions, 0 fixed, 3 still failing, 0 new, 0 gone, 0 no longer tested');
  });

  it('a file that is not a result document, or missing: exit 2, one line', async () => {
    file('not-json.json', '{ nope');
    expectUsageError(await preflight(['diff', 'before.json', 'not-json.json']), /^preflight: not-json\.json: not a result document: not JSON/);
    expectUsageError(await preflight(['diff', 'missing.json', 'after.json']), 'preflight: missing.json: cannot read the result document: ENOENT');
  });
});

describe('run --baseline', () => {
  it('--fail-on regression: exits 1 on the regression, with the comparison block in its JSON and on the console', async () => {
    await breakFlaky();
    try {
      const run = await preflight([...lab, '--baseline', 'before.json', '--fail-on', 'regression', '--json', 'against.json', '--junit', 'against.xml', '--html', 'against.html']);
      expect(run.code).toBe(1);
      // The run's page: the comparison right under the verdict, the regression first in it.
      const html = readFileSync(path.join(work, 'against.html'), 'utf8');
      expect(html).toContain('<p class="headline">Fails: 1 regression since the baseline (--fail-on regression)</p>');
      const order = ['class="verdict', 'id="comparison"', 'id="regressions"', `<span class="target">${FLAKY_TCP}</span>`, 'id="compared-stillFailing"', 'id="failures"', 'id="endpoints"'].map((marker) => html.indexOf(marker));
      expect(order.every((index) => index >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      const doc = readJson('against.json');
      expect(doc.comparison?.baseline).toEqual({ startedAt: readJson('before.json').startedAt, hostname: os.hostname() });
      expect(doc.comparison?.regressions.map((item) => item.id)).toEqual([FLAKY_TCP]);
      expect(run.stdout).toContain(`    ✖ ${FLAKY_TCP}  TCP_OK → TCP_REFUSED`);
      expect(validateJunit(path.join(work, 'against.xml'))).toBe('');
    } finally {
      await repairFlaky();
    }
  });

  it('--fail-on regression with only the failures the baseline had: exit 0, the failures still reported', async () => {
    const run = await preflight([...lab, '--baseline', 'before.json', '--fail-on', 'regression', '--json', 'same.json']);
    expect(run.code).toBe(0);
    const doc = readJson('same.json');
    expect(doc.summary.failed).toBe(2);
    expect(doc.comparison?.regressions).toEqual([]);
    expect(run.stdout).toContain('Still failing (2)');
  });

  it('without --fail-on regression a baseline changes the reports, not the exit code rules', async () => {
    const run = await preflight([...lab, '--baseline', 'before.json']);
    expect(run.code).toBe(1);
  });

  it('an unreadable baseline is exit 2 before any probe', async () => {
    const queries = dns.queries.length;
    expectUsageError(await preflight([...lab, '--baseline', 'missing.json']), 'preflight: missing.json: cannot read the result document: ENOENT');
    file('timeline-not-result.json', JSON.stringify({ kind: 'egress-preflight-watch-timeline' }));
    expectUsageError(await preflight([...lab, '--baseline', 'timeline-not-result.json']), /^preflight: timeline-not-result\.json: not an egress-preflight result document/);
    expect(dns.queries.length).toBe(queries);
  });
});

describe('expectedFailures', () => {
  it('accepted until its date; expired after it; an entry that matches no failure is a warning in every report', async () => {
    const accepting = file('expected.yaml', [
      'endpoints:',
      ...['up', 'down', 'gone'].flatMap((name) => [`  - host: ${name}.lab.test`, '    ports: [443]']),
      'expectedFailures:',
      '  - id: dns:gone.lab.test',
      '    reason: "CHG0001: the record is created in the window"',
      '    until: 2099-12-31',
      '  - match: "tcp:down.lab.test@*:443"',
      '    reason: "CHG0002: opened last year"',
      '    until: 2020-01-31',
      '  - match: "tcp:*.lab.test@*:5671"',
      '    reason: "CHG0003: AMQP"',
      '    until: 2099-12-31',
    ].join('\n'));
    const run = await preflight(['-c', accepting, '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--only', 'dns,tcp', '--json', 'expected.json', '--junit', 'expected.xml']);
    // The expired exception fails the run again.
    expect(run.code).toBe(1);
    const byId = new Map(readJson('expected.json').results.map((r) => [r.id, r]));
    expect(byId.get('dns:gone.lab.test')).toMatchObject({ status: 'warn', code: 'EXPECTED_FAILURE', evidence: { expectedFailure: { originalCode: 'DNS_NXDOMAIN', expired: false } } });
    expect(byId.get('dns:gone.lab.test')?.message).toMatch(/^expected failure DNS_NXDOMAIN: gone\.lab\.test does not exist \(NXDOMAIN\).* \(accepted until 2099-12-31: CHG0001: the record is created in the window\)$/);
    expect(byId.get(DOWN_TCP)).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(byId.get(DOWN_TCP)?.message).toMatch(/ \(the expected-failure exception "CHG0002: opened last year" expired on 2020-01-31\)$/);
    const stale = byId.get('config:expectedFailures:tcp:*.lab.test@*:5671');
    expect(stale).toMatchObject({ check: 'config', status: 'warn', code: 'EXPECTED_FAILURE_UNUSED' });
    expect(stale?.message).toBe('expectedFailures entry match "tcp:*.lab.test@*:5671" (CHG0003: AMQP, until 2099-12-31) matched no check of this run');
    expect(run.stdout).toContain('EXPECTED_FAILURE_UNUSED');
    expect(run.stdout).toContain('expired on 2020-01-31');
    expect(validateJunit(path.join(work, 'expected.xml'))).toBe('');
    expect(readFileSync(path.join(work, 'expected.xml'), 'utf8')).toContain('config:expectedFailures:tcp:*.lab.test@*:5671 [warning EXPECTED_FAILURE_UNUSED]');
  });

  it('a date that is not a day, or an entry without reason: exit 2 naming the line', async () => {
    const badDate = file('bad-date.yaml', 'endpoints:\n  - host: up.lab.test\n    ports: [443]\nexpectedFailures:\n  - id: "dns:up.lab.test"\n    reason: x\n    until: 2027-02-30\n');
    expectUsageError(await preflight(['-c', path.basename(badDate), '--resolver', '127.0.0.1']), 'preflight: bad-date.yaml:7: expectedFailures[0].until: "2027-02-30" is not a date');
    const noReason = file('no-reason.yaml', 'endpoints:\n  - host: up.lab.test\n    ports: [443]\nexpectedFailures:\n  - id: "dns:up.lab.test"\n    until: 2027-01-01\n');
    expectUsageError(await preflight(['-c', path.basename(noReason), '--resolver', '127.0.0.1']), /^preflight: no-reason\.yaml:5: expectedFailures\[0\]: /);
  });
});

/** A watch as a person runs one: its console read as it comes, Ctrl-C sent when the test has seen enough. */
function startWatch(args: string[]) {
  const child = spawn(process.execPath, [cliPath, 'watch', ...args], { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(stdout))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => stdout,
    errors: () => stderr,
    exited,
    interrupt: () => child.kill('SIGINT'),
    /** Resolves once stdout matches (it may already). */
    seen: (pattern: RegExp) => new Promise<void>((resolve) => {
      if (pattern.test(stdout)) resolve();
      else waiters.push({ pattern, resolve });
    }),
  };
}

describe('watch', () => {
  it('prints the regression and the fix the moment each appears; Ctrl-C writes the timeline and exits 0 with nothing open', async () => {
    const lookups = () => dns.queries.filter((q) => q.name === 'flaky.lab.test' && q.type === 'A').length;
    const lookupsBefore = lookups();
    const watch = startWatch([...lab, '--baseline', 'before.json', '--interval', '1s', '--json', 'timeline.json']);
    try {
      await watch.seen(/ round 1: /);
      await breakFlaky();
      await watch.seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d REGRESSION ${FLAKY_TCP.replace(/\./g, '\\.')} {2}TCP_OK \\(pass\\) → TCP_REFUSED \\(fail\\)$`, 'm'));
      await repairFlaky();
      await watch.seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d FIXED ${FLAKY_TCP.replace(/\./g, '\\.')} {2}TCP_REFUSED \\(fail\\) → TCP_OK \\(pass\\)$`, 'm'));
    } finally {
      await repairFlaky();
      watch.interrupt();
    }
    expect(await watch.exited).toBe(0);
    expect(watch.output()).toMatch(/watch ended by Ctrl-C after \d+ rounds, 2 changes seen\nno regression against the baseline is open\n$/);
    const timeline = readJson<TimelineDocument>('timeline.json');
    expect(timeline).toMatchObject({ kind: 'egress-preflight-watch-timeline', endedBy: 'interrupt', intervalMs: 1000, openRegressions: [] });
    expect(timeline.events.map((event) => [event.kind, event.id])).toEqual([['regression', FLAKY_TCP], ['fixed', FLAKY_TCP]]);
    const [broke, fixed] = timeline.events;
    expect(Date.parse(fixed!.at)).toBeGreaterThan(Date.parse(broke!.at));
    expect(timeline.comparison?.stillFailing.map((item) => item.id).sort()).toEqual(['dns:gone.lab.test', DOWN_TCP]);
    expect(timeline.rounds.length).toBeGreaterThanOrEqual(3);
    // Each round asked DNS again, though the lab's answers carry a TTL of 300 s: nothing outlives its round.
    expect(lookups() - lookupsBefore).toBeGreaterThanOrEqual(timeline.rounds.length);
  }, 120_000);

  it('--until ends it; a regression still open then is exit 1, named with the time it appeared', async () => {
    await breakFlaky();
    try {
      const until = new Date(Date.now() + 8_000).toISOString();
      const watch = startWatch([...lab, '--baseline', 'before.json', '--interval', '2s', '--until', until, '--json', 'open.json', '--html', 'open.html']);
      expect(await watch.exited).toBe(1);
      // The timeline page: the open regression with the time it appeared, then the rounds with that change.
      const html = readFileSync(path.join(work, 'open.html'), 'utf8');
      expect(html).toContain('<p class="headline">1 regression against the baseline still open</p>');
      const open = html.slice(html.indexOf('id="open"'), html.indexOf('id="timeline"'));
      expect(open).toContain(`<span class="target">${FLAKY_TCP}</span>`);
      expect(open).toMatch(/<span class="since">since <time datetime="[^"]+">\d\d:\d\d:\d\d<\/time><\/span>/);
      expect(html.slice(html.indexOf('id="timeline"'))).toMatch(new RegExp(`<li class="event regression"><span class="when"><time datetime="[^"]+">\\d\\d:\\d\\d:\\d\\d</time></span> <span class="event-kind regression">regression</span> <span class="kind">tcp</span> <span class="target">${FLAKY_TCP.replace(/\./g, '\\.')}</span>`));
      expect(watch.output()).toMatch(new RegExp(`1 regression against the baseline still open:\\n {2}✖ ${FLAKY_TCP.replace(/\./g, '\\.')} {2}TCP_OK \\(pass\\) → TCP_REFUSED \\(fail\\) since \\d\\d:\\d\\d:\\d\\d\\n$`));
      const timeline = readJson<TimelineDocument>('open.json');
      expect(timeline.endedBy).toBe('until');
      expect(timeline.openRegressions.map((item) => item.id)).toEqual([FLAKY_TCP]);
    } finally {
      await repairFlaky();
    }
  }, 120_000);

  it('bad --interval, missing --baseline, --fail-on: exit 2 before any probe', async () => {
    const queries = dns.queries.length;
    expectUsageError(await preflight(['watch', ...lab, '--baseline', 'before.json', '--interval', 'often']), 'preflight: --interval "often": expected a duration like 30s, 2m, 1h or plain seconds');
    expectUsageError(await preflight(['watch', ...lab]), 'preflight: watch needs --baseline FILE: an earlier --json result of the same checks, taken before the change');
    expectUsageError(await preflight(['watch', ...lab, '--baseline', 'before.json', '--fail-on', 'regression']), /^preflight: --fail-on does not apply to watch/);
    expect(dns.queries.length).toBe(queries);
  });
});
