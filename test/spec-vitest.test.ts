// The built-in spec is a real vitest spec: `npx vitest run --config specs/vitest.config.ts` runs it against the
// lab network, and its tests are the CLI's checks, one for one, passing, failing and skipping as the CLI's results do.
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

/** A CheckResult's status as the test that carries it ends. */
const TEST_STATUS = { pass: 'passed', warn: 'passed', fail: 'failed', skip: 'skipped' } as const;

describe('specs/checks.spec.ts under `vitest run`', () => {
  it('runs the lab plan with one test per check, each ending as the CLI judged that check', { timeout: 180_000 }, async () => {
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

    const expected = document.results.map((result) => [result.id, TEST_STATUS[result.status]]).sort();
    expect(tests.map((test) => [test.title, test.status === 'pending' ? 'skipped' : test.status]).sort()).toEqual(expected);
    // Grouped by kind; a failed check's test says its code and message.
    const sinkhole = tests.find((test) => test.title === 'dns:www.microsoft.com');
    expect(sinkhole?.ancestorTitles).toEqual(['dns']);
    expect(sinkhole?.failureMessages[0]).toContain('DNS_SINKHOLE: www.microsoft.com resolves to 0.0.0.0');
  });
});
