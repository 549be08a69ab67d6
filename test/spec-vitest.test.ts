// The built-in spec is a real vitest spec: `npx vitest run --config specs/vitest.config.ts` runs it against the
// lab network, one test per endpoint host, each passing, failing or skipped as the CLI's results for that host are.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunDocument } from '../model/result.js';
import { runPreflight } from './support/cli.js';
import { projectRoot } from './support/netns.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-spec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface VitestJson {
  testResults: Array<{ assertionResults: Array<{ title: string; ancestorTitles: string[]; status: string; failureMessages: string[] }> }>;
}

function runSpecUnderVitest(outputFile: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const vitest = path.join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--config', 'specs/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** How an endpoint's test ends: failed if one of its checks failed, skipped if all were, passed otherwise. */
function testStatus(results: RunDocument['results']): string {
  if (results.some((result) => result.status === 'fail')) return 'failed';
  return results.every((result) => result.status === 'skip') ? 'skipped' : 'passed';
}

describe('specs/checks.spec.ts under `vitest run`', () => {
  it('runs the lab plan with one test per endpoint host, each ending as the CLI judged its checks', { timeout: 180_000 }, async () => {
    const json = path.join(work, 'cli.json');
    // A longer deadline than the lab's 2 s, as in cli.test.ts: on a loaded machine a handshake can take longer.
    const cli = await runPreflight(['lab', '--timeout', '15000', '--json', json], { cwd: work });
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    const document = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;

    const report = path.join(work, 'vitest.json');
    const run = await runSpecUnderVitest(report, { PREFLIGHT_TIMEOUT: '15000' });
    // The lab's faults fail their tests, so vitest itself exits 1.
    expect(run.code, run.output).toBe(1);
    const tests = (JSON.parse(readFileSync(report, 'utf8')) as VitestJson).testResults.flatMap((file) => file.assertionResults);

    const hosts = [...new Set(document.results.map((result) => result.host))];
    const expected = hosts.map((host) => [host, testStatus(document.results.filter((result) => result.host === host))]).sort();
    expect(tests.map((test) => [test.title, test.status === 'pending' ? 'skipped' : test.status]).sort()).toEqual(expected);
    // A failed endpoint's test names each failed check with its code and message.
    const sinkholed = tests.find((test) => test.title === 'www.microsoft.com');
    expect(sinkholed?.ancestorTitles).toEqual(['checks']);
    expect(sinkholed?.failureMessages[0]).toContain('dns:www.microsoft.com DNS_SINKHOLE: www.microsoft.com resolves to 0.0.0.0');
  });
});
