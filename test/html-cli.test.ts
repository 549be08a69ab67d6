// `--html` on the command line: refused before anything runs when it cannot be written, and on stdout it is the
// only thing there.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cliPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'html-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function preflight(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('preflight --html', () => {
  it('a directory where the report should go: exit 2, one line, before the lab network starts', () => {
    mkdirSync(path.join(work, 'reports'));
    const run = preflight(['lab', '--html', 'reports']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('preflight: --html reports: is a directory\n');
    // The lab prints its banner once its network is up: it never started.
    expect(run.stdout).not.toContain('lab network');
  });

  it('two reports on stdout are refused', () => {
    const run = preflight(['lab', '--json', '-', '--html', '-']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('preflight: only one of --json and --html can write to stdout (-)\n');
  });

  it('--html - writes the page to stdout, alone; the summary goes to stderr', () => {
    const run = preflight(['lab', '--only', 'dns', '--timeout', '15000', '--html', '-']);
    expect([0, 1]).toContain(run.status);
    expect(run.stdout.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(run.stdout.trimEnd().endsWith('</html>')).toBe(true);
    expect(run.stderr).toMatch(/\d+ passed, \d+ failed, \d+ warned, \d+ skipped/);
  }, 60_000);
});
