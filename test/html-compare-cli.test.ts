// `diff --html` and `merge --html` through the built CLI (npm test builds first), on the lab fixtures: the page
// is written beside the other reports, alone on stdout with `-`, and a target that cannot be written is exit 2
// before any file is read. (`watch --html` and `run --baseline --html` run against a live lab in
// change-window.test.ts.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDocument } from '../model/result.js';
import { runPreflight, type CliRun } from './support/cli.js';
import { projectRoot } from './support/netns.js';

const fixtures = path.join(projectRoot, 'test', 'fixtures');
const V1 = path.join(fixtures, 'result-v1-lab.json');
const V2 = path.join(fixtures, 'result-v2-lab.json');
const LOGIN_TLS = 'tls:login.microsoftonline.com@127.0.1.4:443';
const HOSTILE_RUNNER = '<script>window.__pwned=1</script>connector-07';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-html-compare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (name: string) => path.join(work, name);
const preflight = (args: readonly string[]) => runPreflight(args, { cwd: work });
const page = (name: string) => readFileSync(at(name), 'utf8');

function expectUsageLine(run: CliRun, line: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`preflight: ${line}\n`);
}

beforeAll(() => {
  // After a change: the lab's IPv4 handshake to login is refused, and the runner's name is hostile.
  const v2 = JSON.parse(readFileSync(V2, 'utf8')) as RunDocument;
  const broken = v2.results.map((r) => (r.id === LOGIN_TLS ? { ...r, status: 'fail', code: 'TLS_HANDSHAKE_FAILED', message: 'the handshake was reset <b>by a firewall</b>', remediation: 'Allow TLS to login.microsoftonline.com.' } : r));
  writeFileSync(at('after.json'), JSON.stringify({ ...v2, results: broken }));
  writeFileSync(at('hostile-runner.json'), JSON.stringify({ ...v2, host: { ...v2.host, hostname: HOSTILE_RUNNER } }));
});

describe('diff --html', () => {
  it('the v1 and v2 lab fixtures: no regression, the three failures still failing, exit 0', async () => {
    const run = await preflight(['diff', V1, V2, '--html', 'same.html']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const html = page('same.html');
    expect(html).toContain('<p class="headline">No regression: nothing that passed in the baseline fails now</p>');
    expect(html).toContain('<p class="counts-line">0 regressions, 0 fixed, 3 still failing, 0 new, 0 gone, 0 no longer tested</p>');
    expect(html).toContain('Before: agent-01 · 2026-11-29T05:38:16.742Z · entra-cloud-sync · 10 checks (schema version 1)');
    for (const id of ['tls:autoupdate.msappproxy.net@127.0.1.2:443', 'inspection:autoupdate.msappproxy.net@127.0.1.2:443', 'dns:lab-namespace.servicebus.windows.net']) {
      expect(html).toContain(`<span class="target">${id}</span>`);
    }
    // The console is unchanged by --html.
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('0 regressions, 0 fixed, 3 still failing, 0 new, 0 gone, 0 no longer tested');
  });

  it('a regression: first on the page with its codes, message and fix; exit 1; written beside --json and --junit', async () => {
    const run = await preflight(['diff', V2, 'after.json', '--html', 'reports/diff.html', '--json', 'diff.json', '--junit', 'diff.xml']);
    expect(run.code).toBe(1);
    const html = page('reports/diff.html');
    expect(html).toContain('<p class="headline">Regressions: 1 check that passed now fails</p>');
    const regression = html.slice(html.indexOf('id="regressions"'), html.indexOf('id="compared-stillFailing"'));
    expect(regression).toContain(`<span class="target">${LOGIN_TLS}</span>`);
    expect(regression).toMatch(/<code>TLS_OK<\/code> <span class="badge pass">pass<\/span><\/span> <span class="arrow" aria-label="became">→<\/span> <span class="side after"><a class="code" href="#code-TLS_HANDSHAKE_FAILED"><code>TLS_HANDSHAKE_FAILED<\/code>/);
    expect(regression).toContain('<p class="message">the handshake was reset &lt;b&gt;by a firewall&lt;/b&gt;</p>');
    expect(regression).toContain('<p class="fix"><strong>Fix:</strong> Allow TLS to login.microsoftonline.com.</p>');
    expect((JSON.parse(page('diff.json')) as RunDocument).comparison?.regressions.map((r) => r.id)).toEqual([LOGIN_TLS]);
    expect(page('diff.xml')).toContain('<testsuites');
  });

  it('--html - : the page alone on stdout, the comparison on stderr', async () => {
    const run = await preflight(['diff', V2, 'after.json', '--html', '-']);
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(run.stdout.trimEnd().endsWith('</html>')).toBe(true);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('1 regression, 0 fixed, 3 still failing, 0 new, 0 gone, 0 no longer tested');
  });

  it('a directory as --html, or two reports on stdout: exit 2, one line, nothing read', async () => {
    mkdirSync(at('a-directory'));
    expectUsageLine(await preflight(['diff', 'missing.json', 'after.json', '--html', 'a-directory']), '--html a-directory: is a directory');
    expectUsageLine(await preflight(['diff', V1, V2, '--html', '-', '--json', '-']), 'only one of --json and --html can write to stdout (-)');
  });
});

describe('merge --html', () => {
  it('three runners: the host × runner matrix with the worst status per cell, then each runner\'s failures; names escaped', async () => {
    const run = await preflight(['merge', V2, 'hostile-runner.json', 'after.json', '--html', 'fleet.html', '--json', 'fleet.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const html = page('fleet.html');
    expect(html).toContain('<p class="headline">3 of 3 runners with failures</p>');
    expect(html).not.toContain('<script>');
    const escapedRunner = '&lt;script&gt;window.__pwned=1&lt;/script&gt;connector-07';
    const matrix = html.slice(html.indexOf('<table class="matrix">'), html.indexOf('</table>', html.indexOf('<table class="matrix">')));
    // A runner's name may break after its dots (<wbr>): the name is the rest.
    const columns = [...matrix.matchAll(/<th scope="col" class="runner" title="R\d"><a href="#[^"]+">(.*?)<\/a>/g)].map((m) => m[1]?.replaceAll('<wbr>', ''));
    expect(columns).toEqual(['agent-01', escapedRunner, 'agent-01#2']);
    // login: all pass on the two unchanged runners, the broken handshake fails on the third (after.json).
    const login = matrix.slice(matrix.indexOf('<tr><th scope="row">login.microsoftonline.com</th>'));
    expect([...login.slice(0, login.indexOf('</tr>')).matchAll(/<td class="cell (\w+)">/g)].map((m) => m[1])).toEqual(['pass', 'pass', 'fail']);
    expect(html).toMatch(/<section class="runner-block fail" id="runner-agent-01_232">\s*<h3><span class="badge fail">fail<\/span> agent-01#2 <small>\(4 failures\)<\/small>/);
    expect(html).toContain(`<span class="target">${LOGIN_TLS}</span>`);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#[A-Za-z0-9_-]+$/);
    // The console's matrix is still there.
    expect(run.stdout).toContain('Worst status per runner and endpoint host');
  });

  it('--html - : the page alone on stdout, the matrix on stderr; a directory as --html is exit 2', async () => {
    const run = await preflight(['merge', V1, V2, '--html', '-']);
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(run.stderr).toContain('Worst status per runner and endpoint host');
    expectUsageLine(await preflight(['merge', V1, V2, '--html', 'a-directory']), '--html a-directory: is a directory');
  });
});
