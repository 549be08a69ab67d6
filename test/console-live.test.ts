// The console while and after a run: live progress on a terminal only (a pseudo-terminal made by util-linux
// `script`), never in a pipe or in CI; --quiet and --verbose; NO_COLOR and FORCE_COLOR.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckResult } from '../model/result.js';
import { ProgressLine } from '../reporters/progress.js';
import { colorWanted, progressWanted } from '../reporters/terminal.js';
import { cliPath, runPreflight } from './support/cli.js';
import { projectRoot } from './support/netns.js';

const ESC = '\x1b';
const PROGRESS = 'preflight: checks ';
/** The lab's DNS checks only: quick, and they include failures (a sinkhole, NXDOMAIN, SERVFAIL). */
const LAB_DNS = ['lab', '--only', 'dns', '--timeout', '15000'];

function finished(id: string, status: CheckResult['status']): CheckResult {
  return { id, check: 'dns', host: id, address: null, port: null, url: null, status, code: status === 'pass' ? 'DNS_OK' : 'DNS_NXDOMAIN', message: '', remediation: '', durationMs: 1, evidence: {} };
}

describe('the progress line', () => {
  afterEach(() => vi.useRealTimers());

  it('counts checks done of those known, failures so far, and names the host waited on longest', () => {
    let now = 1_000;
    const line = new ProgressLine({ write: () => true }, { now: () => now });
    line.started({ id: 'dns:a.example', check: 'dns', host: 'a.example' });
    now += 500;
    line.started({ id: 'dns:slow.example', check: 'dns', host: 'slow.example' });
    line.started({ id: 'dns:b.example', check: 'dns', host: 'b.example' });
    line.finished(finished('dns:a.example', 'fail'));
    now += 2_000;
    expect(line.text()).toBe('preflight: checks 1/3 · 1 failed · waiting on slow.example (2.0 s)');
    line.stop();
  });

  it('is rewritten in place at most ten times a second, with no escape sequence, and erased when stopped', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const line = new ProgressLine({ write: (text: string) => writes.push(text), columns: 100 });
    for (let i = 0; i < 200; i++) {
      line.started({ id: `dns:h${i}.example`, check: 'dns', host: `h${i}.example` });
      line.finished(finished(`dns:h${i}.example`, 'pass'));
    }
    vi.advanceTimersByTime(1_000);
    // 200 events in one second: one draw at once, then at most one per 100 ms.
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThanOrEqual(11);
    expect(writes.every((text) => text.startsWith('\r') && !text.includes(ESC) && !text.includes('\n'))).toBe(true);
    line.stop();
    const erase = writes.at(-1)!;
    expect(erase).toMatch(/^\r +\r$/);
    const drawn = writes.at(-2)!;
    expect(erase.length - 2).toBe(drawn.length - 1);
  });

  it('never draws wider than the terminal, and shows a host name\'s control characters as text', () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const line = new ProgressLine({ write: (text: string) => writes.push(text), columns: 40 });
    line.started({ id: 'x', check: 'dns', host: 'evil\x1b[2J.example' });
    vi.advanceTimersByTime(200);
    line.stop();
    expect(writes[0]).toBe('\rpreflight: checks 0/1 · 0 failed · wai…');
    expect(writes.join('')).not.toContain(ESC);
  });
});

describe('when the console colours and shows progress', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, false, false],
    [{ NO_COLOR: '' }, true, true],
  ])('env %j, terminal %s: colour %s', (env, isTTY, colour) => {
    expect(colorWanted({ isTTY }, env)).toBe(colour);
  });

  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ CI: 'true' }, true, false],
    [{ CI: '1' }, true, false],
    [{ CI: 'false' }, true, true],
    [{ TERM: 'dumb' }, true, false],
  ])('env %j, terminal %s: progress %s', (env, isTTY, progress) => {
    expect(progressWanted({ isTTY }, env)).toBe(progress);
  });
});

/** The CLI on a pseudo-terminal (stdout and stderr both a terminal), as a person at a shell runs it. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): { code: number | null; output: string } {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ');
  const run = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: projectRoot, encoding: 'utf8', timeout: 120_000, env });
  return { code: run.status, output: run.stdout };
}

const terminalEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env, ...extra };
  for (const name of ['CI', 'NO_COLOR', 'FORCE_COLOR', 'GITHUB_STEP_SUMMARY']) if (!(name in extra)) delete env[name];
  return env;
};

describe('live progress, end to end', () => {
  it('on a terminal: shown while the checks run, then erased, and the summary follows on a clean line', () => {
    const run = onTerminal(LAB_DNS, terminalEnv({ NO_COLOR: '1' }));
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(PROGRESS);
    // Erased: the last progress write is a carriage return, blanks, a carriage return; the summary comes after it.
    const erased = run.output.lastIndexOf(PROGRESS);
    const after = run.output.slice(erased);
    expect(after).toMatch(/^preflight: checks [^\r\n]*\r {20,}\r/);
    expect(after).toMatch(/\d+ passed, \d+ failed, \d+ warned, \d+ skipped/);
    // NO_COLOR: no escape sequence at all, progress included.
    expect(run.output).not.toContain(ESC);
  }, 120_000);

  it('on a terminal in CI (CI set): no progress', () => {
    const run = onTerminal(LAB_DNS, terminalEnv({ CI: 'true', NO_COLOR: '1' }));
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain(PROGRESS);
    expect(run.output).toMatch(/\d+ passed, \d+ failed, \d+ warned, \d+ skipped/);
  }, 120_000);

  it('in a pipe: no progress, no colour, plain lines', async () => {
    const run = await runPreflight(LAB_DNS, { cwd: projectRoot, env: { CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(PROGRESS);
    expect(run.stdout + run.stderr).not.toContain('\r');
    expect(run.stdout + run.stderr).not.toContain(ESC);
  }, 120_000);
});

describe('NO_COLOR and FORCE_COLOR in a pipe', () => {
  it('FORCE_COLOR colours the summary even in a pipe; NO_COLOR wins over it', async () => {
    const forced = await runPreflight(LAB_DNS, { cwd: projectRoot, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${ESC}[31m✖${ESC}[0m`);
    const both = await runPreflight(LAB_DNS, { cwd: projectRoot, env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(both.stdout).toContain('✖ dns');
    expect(both.stdout + both.stderr).not.toContain(ESC);
  }, 120_000);
});

describe('--quiet and --verbose', () => {
  it('--quiet: the failures and the totals only', async () => {
    const run = await runPreflight([...LAB_DNS, '--quiet'], { cwd: projectRoot });
    expect(run.code, run.stderr).toBe(0);
    const console = run.stdout.slice(run.stdout.indexOf('Failures ('), run.stdout.indexOf('lab: '));
    expect(console.split('\n')[0]).toBe('Failures (3)');
    expect(console).toContain('✖ dns  www.microsoft.com  DNS_SINKHOLE');
    expect(console).not.toContain('egress-preflight 0.1.0 ·');
    expect(console).not.toContain('By host');
    expect(console).not.toContain('Not tested');
    expect(console).not.toMatch(/✔/);
    expect(console.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, 3 failed, \d+ warned, \d+ skipped$/);
  }, 120_000);

  it('--verbose: every check with a line of its evidence, then the usual summary', async () => {
    const run = await runPreflight([...LAB_DNS, '--verbose'], { cwd: projectRoot });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Every check \(\d+\)$/m);
    // Wrapped at 80 columns: read with the hanging indents joined.
    const unwrapped = run.stdout.replace(/\n {6,}/g, ' ');
    expect(unwrapped).toMatch(/^ {2}✔ dns {2}login\.microsoftonline\.com {2}DNS_OK {2}login\.microsoftonline\.com resolves through 2 CNAME hops to 127\.0\.1\.4, ::1 evidence: login\.microsoftonline\.com → CNAME \S+\.privatelink\.lab-identity\.net \(ttl \d+\) → CNAME \S+\.trafficmanager\.net \(ttl \d+\) → A 127\.0\.1\.4 \(ttl \d+\) → AAAA ::1 \(ttl \d+\)$/m);
    expect(run.stdout).toContain('By host');
  }, 120_000);

  it('both together are a usage error', async () => {
    const run = await runPreflight([...LAB_DNS, '--quiet', '--verbose'], { cwd: projectRoot });
    expect([run.code, run.stderr.trim()]).toEqual([2, 'preflight: --quiet and --verbose cannot be used together']);
  });
});
