// Checks users write (`--specs DIR`): the user's vitest spec files run in the same run as the built-in checks,
// share its observations, and appear in every report as check kind `spec`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight, type CliRun } from './support/cli.js';
import { projectRoot } from './support/netns.js';
import { validateJunit } from './support/xsd.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-user-specs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixtures = path.join(projectRoot, 'test', 'fixtures', 'specs');
// A generous deadline: no lab fault is a timeout, and the machine may be loaded.
const LAB = ['lab', '--timeout', '15000'];
const preflight = (args: string[], env?: NodeJS.ProcessEnv) => runPreflight(args, { cwd: projectRoot, env });
const specResults = (doc: RunDocument) => doc.results.filter((r) => r.check === 'spec');
const output = (run: CliRun) => `${run.stdout}${run.stderr}`;

describe('preflight --specs examples/specs lab', () => {
  let run: CliRun;
  let doc: RunDocument;
  const json = path.join(work, 'examples.json');
  const junit = path.join(work, 'examples.xml');

  beforeAll(async () => {
    run = await preflight(['--specs', 'examples/specs', ...LAB, '--json', json, '--junit', junit]);
    doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
  }, 180_000);

  it('passes: every example passes except the one tagged fails-in-lab, which fails as its comment says', () => {
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toMatch(/lab: every simulated fault was reported as built \(\d+\), every healthy endpoint passed; your specs: 7 passed, 1 failed as tagged fails-in-lab/);
  });

  it('puts each test in the JSON as kind spec, its id the full test name, the file as its host', () => {
    const specs = specResults(doc);
    expect(specs.map((r) => [r.id, r.host, r.status, r.code])).toEqual(expect.arrayContaining([
      ['our connector host > resolves through Traffic Manager', 'connector.spec.ts', 'pass', 'SPEC_OK'],
      ['our connector host > is not TLS-inspected', 'connector.spec.ts', 'fail', 'SPEC_FAILED'],
      ['login.microsoftonline.com resolves, and not through the old region', 'login-region.spec.ts', 'pass', 'SPEC_OK'],
      ['the DigiCert root CRL the agent checks is served as a CRL', 'login-region.spec.ts', 'pass', 'SPEC_OK'],
      ['login.microsoftonline.com is reachable without the proxy', 'proxy-bypass.spec.ts', 'pass', 'SPEC_OK'],
    ]));
    expect(specs).toHaveLength(8);
    // The failure says what was observed: the code, the inspecting issuer and the chain.
    const inspected = specs.find((r) => r.status === 'fail')!;
    expect(inspected.message).toBe(
      'expected autoupdate.msappproxy.net:443 not to be inspected, but TLS_INSPECTED: the certificate comes from "Zscaler Intermediate Root CA (zscaler.net) (t)" (zscaler); '
      + 'presented "autoupdate.msappproxy.net" < "Zscaler Intermediate Root CA (zscaler.net) (t)", the last issued by "Zscaler Root CA"',
    );
    expect(inspected.evidence).toEqual({ file: 'connector.spec.ts', test: 'our connector host > is not TLS-inspected', tags: ['fails-in-lab'] });
    expect(doc.summary.total).toBe(doc.results.length);
  });

  it('writes them to JUnit, valid against the Jenkins schema, one suite per spec file', () => {
    expect(validateJunit(junit)).toBe('');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="connector.spec.ts"');
    expect(xml).toMatch(/<testcase classname="egress-preflight\.spec" name="our connector host > is not TLS-inspected"[^>]*>\s*<failure message="SPEC_FAILED: expected autoupdate\.msappproxy\.net:443 not to be inspected/);
  });

  it('shows them on the console: the failure with its message, a row per spec file', () => {
    expect(run.stdout).toContain('✖ spec  connector.spec.ts  SPEC_FAILED  expected');
    expect(run.stdout).toMatch(/^ {2}proxy-bypass\.spec\.ts +4 +0 +0 +0$/m);
  });
});

describe('spec files that cannot run as written', () => {
  it('a file that does not compile is exit 2 naming the file and line, before the lab network starts', async () => {
    const run = await preflight(['--specs', 'test/fixtures/specs/broken', ...LAB]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('preflight: --specs: test/fixtures/specs/broken/typo.spec.ts:5:25: does not compile: Expected `,` or `)` but found `;`');
    expect(run.stdout).toBe('');
  });

  it('a missing directory, or one with no spec files, is exit 2', async () => {
    const missing = await preflight(['--specs', 'no/such/dir', ...LAB]);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'preflight: --specs no/such/dir: no such directory']);
    const empty = await preflight(['--specs', 'docs', ...LAB]);
    expect([empty.code, empty.stderr.trim()]).toEqual([2, 'preflight: --specs docs: no spec files there (*.spec.ts, *.test.ts, *.spec.js, …)']);
  });

  it('a test that throws, and a file that throws while loading, are failed results with their messages, not a crash', async () => {
    const json = path.join(work, 'throws.json');
    const run = await preflight(['--specs', 'test/fixtures/specs/throws', ...LAB, '--json', json]);
    expect(run.stderr).not.toMatch(/internal error/);
    // In the lab an untagged failing spec is a surprise: exit 1, and the lab says which.
    expect(run.code, output(run)).toBe(1);
    expect(run.stdout).toContain('reads the change ticket: fail SPEC_FAILED (your spec throws.spec.ts): TypeError: ticket CHG0042 has no "window" field');
    const specs = specResults(JSON.parse(readFileSync(json, 'utf8')) as RunDocument);
    expect(specs.map((r) => [r.id, r.status, r.code, r.message])).toEqual([
      ['reads the change ticket', 'fail', 'SPEC_FAILED', 'TypeError: ticket CHG0042 has no "window" field'],
      ['load.spec.ts', 'fail', 'SPEC_FAILED', 'the spec file failed to load: the team list of hosts is missing'],
    ]);
  }, 180_000);
});

describe('preflight run --specs: a spec counts for the exit code like any check', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('exit 0 when the built-in checks and the spec pass, exit 1 when the spec fails', async () => {
    const config = path.join(work, 'loopback.yaml');
    writeFileSync(config, `endpoints:\n  - host: 127.0.0.1\n    ports: [${port}]\n`);
    const json = path.join(work, 'loopback.json');
    const passing = await preflight(['run', '-c', config, '--only', 'tcp', '--specs', 'test/fixtures/specs/passes', '--json', json]);
    expect(passing.code, output(passing)).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    expect(doc.results.map((r) => [r.check, r.status])).toEqual([['tcp', 'pass'], ['spec', 'pass']]);

    const failing = await preflight(['run', '-c', config, '--only', 'tcp', '--specs', 'test/fixtures/specs/throws']);
    expect(failing.code, output(failing)).toBe(1);
    expect(failing.stdout).toMatch(/1 passed, 2 failed, 0 warned, 0 skipped\n$/);
  }, 120_000);
});

describe('shared observations', () => {
  it('a name the profile also checks is resolved once for the built-in dns check and the spec (counted at the lab DNS server)', async () => {
    const out = path.join(work, 'shared.json');
    const script = path.join(work, 'shared.mjs');
    const dist = (file: string) => pathToFileURL(path.join(projectRoot, 'dist', file)).href;
    writeFileSync(script, `
      import { writeFileSync } from 'node:fs';
      import { startLabRun } from '${dist('lab/command.js')}';
      import { executePlan } from '${dist('cli/execute.js')}';
      import { compileUserSpecs } from '${dist('runner/user-specs.js')}';
      const specs = await compileUserSpecs(${JSON.stringify(path.join(fixtures, 'shared'))});
      const { plan, network } = await startLabRun({ only: 'dns', timeout: 15000 });
      try {
        const { document } = await executePlan(plan, { failOn: ['failure'], detail: 'quiet' }, { specs });
        const queries = network.dns.queries.filter((q) => q.name.toLowerCase() === 'login.microsoftonline.com').map((q) => q.type);
        writeFileSync(${JSON.stringify(out)}, JSON.stringify({ queries, results: document.results }));
      } finally {
        await network.close();
        await specs.dispose();
      }
    `);
    const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [script], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } }).on('close', resolve));
    expect(code).toBe(0);
    const { queries, results } = JSON.parse(readFileSync(out, 'utf8')) as { queries: string[]; results: CheckResult[] };
    expect(results.find((r) => r.id === 'dns:login.microsoftonline.com')?.code).toBe('DNS_OK');
    expect(results.find((r) => r.check === 'spec')).toMatchObject({ id: 'login resolves through the lab chain', status: 'pass' });
    // One A and one AAAA question: three resolutions (the dns check's and the spec's two), one observation.
    expect(queries.sort()).toEqual(['A', 'AAAA']);
  }, 120_000);
});
