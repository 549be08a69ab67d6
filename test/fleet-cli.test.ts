// Fleets from the command line (built CLI; npm test builds first): a real lab run with --service-tags and
// --prometheus, three runners made from it merged into one report, the allow-list of the lab's CNAME chains,
// and the usage errors of merge, allowlist and --service-tags (one line, exit 2, before any probe).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight, type CliRun } from './support/cli.js';
import { projectRoot } from './support/netns.js';
import { validateJunit } from './support/xsd.js';

interface Family { name: string; metrics: Array<{ labels?: Record<string, string>; value: string }> }
const parseMetrics = (text: string) => (parsePrometheusTextFormat as unknown as (text: string) => Family[])(text);

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-fleet-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const tagsFile = path.join(projectRoot, 'test', 'fixtures', 'service-tags-small.json');
const at = (name: string) => path.join(work, name);
const preflight = (args: readonly string[]) => runPreflight(args, { cwd: work });

function expectUsageLine(run: CliRun, line: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`preflight: ${line}\n`);
}

describe('a fleet of three lab runners', () => {
  let lab: CliRun;
  let doc: RunDocument;

  beforeAll(async () => {
    lab = await preflight(['lab', '--timeout', '15000', '--json', 'lab.json', '--prometheus', 'textfile/lab.prom', '--service-tags', tagsFile]);
    doc = JSON.parse(readFileSync(at('lab.json'), 'utf8')) as RunDocument;
    // Two more runners: the same run as another machine would have written it, and as this machine again (a second
    // run on the same host, which must stay a runner of its own).
    writeFileSync(at('agent-02.json'), JSON.stringify({ ...doc, host: { ...doc.host, hostname: 'agent-02' } }));
    writeFileSync(at('same-host.json'), JSON.stringify(doc));
  }, 180_000);

  it('the lab run annotates every resolved and connected address with its service tags, and says which are in none', () => {
    expect(lab.code).toBe(0);
    expect(doc.serviceTags).toEqual({ file: 'service-tags-small.json', cloud: 'Public', changeNumber: 412, tags: 4, prefixes: 11 });
    const login = doc.results.find((r) => r.id === 'dns:login.microsoftonline.com') as CheckResult;
    const addresses = login.evidence['addresses'] as string[];
    expect(Object.keys(login.evidence['serviceTags'] as object).sort()).toEqual([...addresses].sort());
    const tcp = doc.results.filter((r) => r.check === 'tcp' && r.address !== null);
    expect(tcp.length).toBeGreaterThan(0);
    for (const result of tcp) expect(Array.isArray(result.evidence['serviceTags'])).toBe(true);
    expect(doc.results.find((r) => r.check === 'tcp' && r.address === '::1')?.evidence['serviceTags']).toEqual([]);
    expect(lab.stdout).toMatch(/\nService tags: \d+ of \d+ addresses in a tag\n {2}from service-tags-small\.json, cloud Public, change 412\n {2}::1: in no service tag: a firewall built from the tags blocks it \([^\n]*\n/);
  });

  it('the lab run\'s --prometheus file parses, one status sample per result', () => {
    const families = parseMetrics(readFileSync(at('textfile/lab.prom'), 'utf8'));
    expect(families.find((f) => f.name === 'egress_preflight_check_status')?.metrics).toHaveLength(doc.results.length);
    expect(families.find((f) => f.name === 'egress_preflight_checks')?.metrics.find((m) => m.labels?.['status'] === 'fail')?.value).toBe(String(doc.summary.failed));
  });

  it('merge: one document of three runners, the matrix on the console, JUnit per runner and host, Prometheus per runner', async () => {
    const run = await preflight(['merge', 'lab.json', 'agent-02.json', 'same-host.json', '--json', 'fleet.json', '--junit', 'fleet.xml', '--prometheus', 'fleet.prom', '--service-tags', tagsFile]);
    // The lab has failures on every runner.
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const merged = JSON.parse(readFileSync(at('fleet.json'), 'utf8')) as RunDocument & { runners: Array<{ name: string; hostname: string; source: string }> };
    const self = doc.host.hostname;
    expect(merged.runners.map((r) => [r.name, r.hostname, r.source])).toEqual([
      [self, self, 'lab.json'], ['agent-02', 'agent-02', 'agent-02.json'], [`${self}#2`, self, 'same-host.json'],
    ]);
    const names = merged.runners.map((r) => r.name);
    expect(merged.results).toHaveLength(3 * doc.results.length);
    expect(merged.summary.failed).toBe(3 * doc.summary.failed);
    expect(run.stdout).toContain('Worst status per runner and endpoint host');
    expect(run.stdout).toMatch(/\n {2}login\.windows\.net +pass +pass +pass\n|\n {2}login\.windows\.net +FAIL +FAIL +FAIL\n/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`${merged.summary.passed} passed, ${merged.summary.failed} failed, ${merged.summary.warned} warned, ${merged.summary.skipped} skipped`);
    for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    expect(validateJunit(at('fleet.xml'))).toBe('');
    const xml = readFileSync(at('fleet.xml'), 'utf8');
    for (const name of names) expect(xml).toContain(`<testsuite name="${name}/login.microsoftonline.com"`);

    const families = parseMetrics(readFileSync(at('fleet.prom'), 'utf8'));
    const runners = new Set(families.find((f) => f.name === 'egress_preflight_check_status')?.metrics.map((m) => m.labels?.['runner']));
    expect([...runners]).toEqual(names);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: readFileSync(at('fleet.prom')), encoding: 'utf8' });
    expect([promtool.status, promtool.stdout, promtool.stderr]).toEqual([0, '', '']);
  });

  it('allowlist: every hop of the lab\'s CNAME chains, one per line, and csv with service tags', async () => {
    const text = await preflight(['allowlist', 'fleet.json']);
    expect(text.code).toBe(0);
    const listed = text.stdout.split('\n').filter((line) => line !== '');
    expect(listed).toEqual([...new Set(listed)].sort());
    const hops = doc.results.filter((r) => r.check === 'dns').flatMap((r) => ((r.evidence['chain'] ?? []) as Array<{ name: string; type: string; value: string }>)
      .flatMap((hop) => (hop.type === 'CNAME' ? [hop.name, hop.value] : [hop.name])));
    // The lab's chains go through its privatelink and Traffic Manager zones, as Microsoft's do.
    expect(hops.some((name) => name.endsWith('.privatelink.lab-identity.net'))).toBe(true);
    expect(hops.some((name) => name.endsWith('.tm.lab-edge.trafficmanager.net'))).toBe(true);
    for (const hop of hops) expect(listed).toContain(hop.toLowerCase().replace(/\.$/, ''));

    const csv = await preflight(['allowlist', 'lab.json', 'agent-02.json', '--format', 'csv', '--service-tags', tagsFile]);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.split('\n');
    expect(rows[0]).toBe('type,value,ports,endpoints,names,service_tags');
    expect(rows).toContainEqual(expect.stringMatching(/^address,::1,443,[^,]*login\.microsoftonline\.com[^,]*,[^,]*,\(none\)$/));
    expect(rows.filter((row) => row.startsWith('address,127.0.1.4,'))).toEqual([expect.stringMatching(/,AzureActiveDirectory AzureActiveDirectory\.ServiceEndpoint AzureCloud\.westeurope$/)]);
  });
});

describe('usage errors: one line, exit 2', () => {
  beforeAll(() => {
    writeFileSync(at('not-a-result.json'), '{"hello": "world"}');
    writeFileSync(at('bad-tags.json'), '{"values": [{"name": "AzureCloud", "properties": {"addressPrefixes": ["300.1.2.0/24"]}}]}');
    writeFileSync(at('good.json'), readFileSync(path.join(projectRoot, 'test', 'fixtures', 'result-v2-lab.json')));
  });

  it('merge of a file that is not a result document', async () => {
    expectUsageLine(await preflight(['merge', 'good.json', 'not-a-result.json']), 'not-a-result.json: not an egress-preflight result document (written by `preflight --json`)');
  });

  it('merge of the same file twice', async () => {
    expectUsageLine(await preflight(['merge', 'good.json', './good.json']), 'good.json and ./good.json are the same file: each runner\'s result is merged once');
  });

  it('allowlist in an unknown format, and of a missing file', async () => {
    expectUsageLine(await preflight(['allowlist', 'good.json', '--format', 'xml']), '--format: unknown format "xml" (allowed: text, csv, json)');
    expectUsageLine(await preflight(['allowlist', 'missing.json']), 'missing.json: cannot read the result document: ENOENT');
  });

  it('run with a bad --service-tags file stops before any probe (no report, no summary)', async () => {
    // A resolver nobody answers on: had a probe been sent, the run would have ended in findings, not here.
    const run = await preflight(['run', '-p', 'entra-cloud-sync', '--resolver', '127.0.0.1:9', '--json', 'never.json', '--service-tags', 'bad-tags.json']);
    expectUsageLine(run, '--service-tags bad-tags.json: values[0] (AzureCloud): "300.1.2.0/24" is not an address prefix');
    expect(() => readFileSync(at('never.json'))).toThrow(/ENOENT/);
  });

  it('merge with a bad --service-tags file, before reading or writing anything', async () => {
    expectUsageLine(await preflight(['merge', 'good.json', '--json', 'merged.json', '--service-tags', 'missing-tags.json']), '--service-tags missing-tags.json: cannot read it: ENOENT');
  });
});
