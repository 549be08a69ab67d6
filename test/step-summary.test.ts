// The GitHub Actions job summary (GITHUB_STEP_SUMMARY): appended Markdown with the verdict, the counts and a
// table of what failed; server text can neither break the table nor inject Markdown, HTML or links.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult, RunDocument } from '../model/result.js';
import { markdownCell, renderStepSummary } from '../reporters/step-summary.js';
import { runPreflight } from './support/cli.js';
import { projectRoot } from './support/netns.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-step-summary-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function doc(results: CheckResult[]): RunDocument {
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  return {
    schemaVersion: 2, tool: { name: 'egress-preflight', version: '0.1.0' }, host: { hostname: 'agent-01', platform: 'linux' }, profile: 'entra-cloud-sync',
    startedAt: '2026-01-01T00:00:00.000Z', durationMs: 10,
    summary: { total: results.length, passed: count('pass'), failed: count('fail'), warned: count('warn'), skipped: count('skip') },
    certificates: {}, comparison: null, results,
  };
}

const blockPage: CheckResult = {
  id: 'http:http://crl.example/', check: 'http', host: 'crl.example', address: null, port: 80, url: 'http://crl.example/', status: 'fail', code: 'HTTP_BLOCK_PAGE',
  message: 'blocked | by <script>alert(1)</script> **policy**\nsee [here](http://evil.example) ![x](http://evil.example/x.png) @admins',
  remediation: 'Allow `crl.example` & retry', durationMs: 3, evidence: {},
};
const passed: CheckResult = { ...blockPage, id: 'dns:crl.example', check: 'dns', url: null, status: 'pass', code: 'DNS_OK', message: 'ok', remediation: '' };

describe('a Markdown table cell from server text', () => {
  it('is one line with every Markdown and HTML character inert', () => {
    expect(markdownCell(blockPage.message)).toBe(
      'blocked \\| by &lt;script&gt;alert\\(1\\)&lt;\\/script&gt; \\*\\*policy\\*\\* see \\[here\\]\\(http\\:\\/\\/evil\\.example\\) \\!\\[x\\]\\(http\\:\\/\\/evil\\.example\\/x\\.png\\) \\@admins',
    );
    expect(markdownCell('a\x1b[31mb\u0007')).toBe('a\\[31mb');
  });
});

describe('the step summary', () => {
  it('gives the verdict, the counts, and one table row per result that fails the run', () => {
    const markdown = renderStepSummary(doc([passed, blockPage]), { failOn: ['failure'], nothingTested: null });
    expect(markdown.split('\n')).toEqual([
      '### ❌ egress-preflight: failed',
      '',
      'Profile entra\\-cloud\\-sync on agent\\-01: 2 checks, 1 passed, 1 failed, 0 warned, 0 skipped.',
      '',
      '| check | id | code | message | remediation |',
      '|---|---|---|---|---|',
      `| http | http\\:http\\:\\/\\/crl\\.example\\/ | HTTP\\_BLOCK\\_PAGE | ${markdownCell(blockPage.message)} | Allow \\\`crl\\.example\\\` &amp; retry |`,
      '',
      '',
    ]);
  });

  it('a passing run says so, without a table', () => {
    expect(renderStepSummary(doc([passed]), { failOn: ['failure'], nothingTested: null })).toBe(
      '### ✅ egress-preflight: passed\n\nProfile entra\\-cloud\\-sync on agent\\-01: 1 checks, 1 passed, 0 failed, 0 warned, 0 skipped.\n\n',
    );
  });

  it('is appended to GITHUB_STEP_SUMMARY by the CLI, after what earlier steps wrote', async () => {
    const file = path.join(work, 'summary.md');
    writeFileSync(file, '## Build\n\nearlier step\n\n');
    const run = await runPreflight(['lab', '--only', 'dns', '--timeout', '15000'], { cwd: projectRoot, env: { GITHUB_STEP_SUMMARY: file } });
    expect(run.code, run.stderr).toBe(0);
    const markdown = readFileSync(file, 'utf8');
    expect(markdown.startsWith('## Build\n\nearlier step\n\n### ❌ egress-preflight: failed\n')).toBe(true);
    expect(markdown).toMatch(/: 15 checks, 12 passed, 3 failed, 0 warned, 0 skipped\.\n/);
    expect(markdown).toContain('| dns | dns\\:www\\.microsoft\\.com | DNS\\_SINKHOLE | www\\.microsoft\\.com resolves to 0\\.0\\.0\\.0\\: blocked by DNS policy');
    expect(markdown.match(/^\| dns \|/gm)).toHaveLength(3);
  }, 120_000);

  it('a summary file that cannot be written is named on stderr; the run and its exit code go on', async () => {
    const run = await runPreflight(['lab', '--only', 'dns', '--timeout', '15000'], { cwd: projectRoot, env: { GITHUB_STEP_SUMMARY: path.join(work, 'no', 'such', 'dir', 'summary.md') } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^preflight: cannot append to GITHUB_STEP_SUMMARY .*summary\.md: ENOENT/m);
  }, 120_000);
});
