// `preflight merge`: runners' documents as one, a runner being each file's hostname; the runner × host matrix
// in 80 columns; JUnit suites per runner and host, valid against the Jenkins schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '../model/merge.js';
import { parseResultDocument, readResultDocument, type ReadDocument } from '../model/read-document.js';
import { renderJson } from '../reporters/json.js';
import { renderJunit } from '../reporters/junit.js';
import { renderMatrixConsole } from '../reporters/matrix-console.js';
import { result, runDocument } from './support/documents.js';
import { projectRoot } from './support/netns.js';
import { validateJunit } from './support/xsd.js';

const fixtures = path.join(projectRoot, 'test', 'fixtures');
const v2 = () => readResultDocument(path.join(fixtures, 'result-v2-lab.json'));
const v1 = () => readResultDocument(path.join(fixtures, 'result-v1-lab.json'));

function asRunner(doc: ReadDocument, hostname: string): ReadDocument {
  return { ...doc, host: { ...doc.host, hostname } };
}

function read(doc: ReturnType<typeof runDocument>, hostname: string): ReadDocument {
  return parseResultDocument(renderJson({ ...doc, host: { hostname, platform: 'linux' } }), hostname);
}

describe('merging documents', () => {
  it('one runner per file, named by its hostname; the same hostname twice stays apart as name#2', () => {
    const merged = mergeDocuments([
      { source: 'a.json', document: v2() },
      { source: 'b.json', document: asRunner(v2(), 'agent-02') },
      { source: 'c.json', document: v1() },
    ], '9.9.9');
    expect(merged.runners.map((r) => [r.name, r.hostname, r.source, r.schemaVersion])).toEqual([
      ['agent-01', 'agent-01', 'a.json', 2], ['agent-02', 'agent-02', 'b.json', 2], ['agent-01#2', 'agent-01', 'c.json', 1],
    ]);
    expect(merged.results).toHaveLength(30);
    expect(merged.summary).toEqual({ total: 30, passed: 18, failed: 9, warned: 0, skipped: 3 });
    expect(merged.runners[2]?.summary).toEqual({ total: 10, passed: 6, failed: 3, warned: 0, skipped: 1 });
    const first = merged.results.find((r) => r.runner === 'agent-01#2');
    expect(first?.id).toBe(`agent-01#2/${v1().results[0]?.id}`);
    expect(new Set(merged.results.map((r) => r.id)).size).toBe(30);
    expect(merged.tool.version).toBe('9.9.9');
    expect(merged.startedAt).toBe('2026-11-29T05:38:16.742Z');
  });

  it('the merged JSON reads back as a version 2 document (a version 1 input\'s anchors described as not recorded), and merges again', () => {
    const merged = mergeDocuments([{ source: 'a.json', document: v2() }, { source: 'c.json', document: v1() }], '1');
    const again = parseResultDocument(renderJson(merged), 'merged.json');
    expect(again.results.map((r) => r.runner)).toEqual(merged.results.map((r) => r.runner));
    const placeholders = Object.values(merged.certificates).filter((c) => c.unreadable !== null);
    expect(placeholders.length).toBeGreaterThan(0);
    expect(placeholders[0]?.unreadable).toBe('not described: the schema version 1 document it came from recorded only its fingerprint');
    // Merging a merged file with another run of agent-01: the runners keep their names, the newcomer is agent-01#3.
    const twice = mergeDocuments([{ source: 'merged.json', document: again }, { source: 'd.json', document: v2() }], '1');
    expect(twice.runners.map((r) => [r.name, r.hostname])).toEqual([['agent-01', 'agent-01'], ['agent-01#2', 'agent-01'], ['agent-01#3', 'agent-01']]);
    expect(twice.results.filter((r) => r.runner === 'agent-01#2')[0]?.id).toBe(`agent-01#2/${v1().results[0]?.id}`);
  });
});

const ok = (host: string) => result({ id: `tcp:${host}:443`, check: 'tcp', host, port: 443, status: 'pass', code: 'TCP_OK' });
const refused = (host: string) => result({ id: `tcp:${host}@127.0.1.9:443`, check: 'tcp', host, address: '127.0.1.9', port: 443, status: 'fail', code: 'TCP_REFUSED', message: `connection to ${host} refused` });

describe('the runner × host matrix', () => {
  it('worst status per cell, runners as numbered columns, each runner\'s failures after', () => {
    const merged = mergeDocuments([
      { source: 'a', document: read(runDocument([ok('login.microsoftonline.com'), ok('login.windows.net')]), 'conn-01') },
      { source: 'b', document: read(runDocument([ok('login.microsoftonline.com'), refused('login.windows.net'), ok('login.windows.net')]), 'conn-02') },
    ], '0.1.0');
    const text = renderMatrixConsole(merged, { failOn: ['failure'], width: 120 });
    expect(text).toContain([
      'Worst status per runner and endpoint host',
      `${' '.repeat(31)}R1   R2`,
      '  login.microsoftonline.com  pass pass',
      '  login.windows.net          pass FAIL',
      '',
      'Failures on conn-02 (1)',
      '  FAIL tcp:login.windows.net@127.0.1.9:443  TCP_REFUSED',
      '      connection to login.windows.net refused',
      '',
      '1 of 2 runners with failures',
      '4 passed, 1 failed, 0 warned, 0 skipped',
    ].join('\n'));
    expect(text).toContain('  R2  conn-02  2 passed, 1 failed, 0 warned, 0 skipped · entra-provisioning-agent · 2026-01-01T00:00:00.000Z\n');
  });

  it('fits 80 columns: with many runners and few hosts it turns, hosts numbered as columns', () => {
    const inputs = Array.from({ length: 30 }, (_, i) => ({ source: `${i}`, document: read(runDocument([ok('login.microsoftonline.com'), i === 7 ? refused('login.windows.net') : ok('login.windows.net')]), `connector-server-${String(i + 1).padStart(2, '0')}.corp.contoso.example`) }));
    const text = renderMatrixConsole(mergeDocuments(inputs, '0'), { failOn: ['failure'] });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toContain('  H1  login.microsoftonline.com\n  H2  login.windows.net\n');
    expect(text).toMatch(/\n {2}connector-server-08\.corp\.contoso\.example +pass FAIL\n/);
  });

  it('fits 80 columns with many runners and many hosts: blocks of columns, long names shortened in the middle', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `endpoint-${i}.a-very-long-subdomain-name.servicebus.windows.net`);
    const inputs = Array.from({ length: 25 }, (_, i) => ({ source: `${i}`, document: read(runDocument(hosts.map(ok)), `runner-${i}`) }));
    const text = renderMatrixConsole(mergeDocuments(inputs, '0'), { failOn: ['failure'], width: 80 });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/\n {2}endpoint-0\.a-very-long-[a-z-]*…[a-z.]*windows\.net +pass pass/);
    // 25 runners in blocks: R25 is a column heading somewhere.
    expect(text).toMatch(/ R25\n/);
  });

  it('hostile runner and host names print as escapes', () => {
    const merged = mergeDocuments([{ source: 'a', document: read(runDocument([refused('evil\x1b]0;owned\x07.example')]), 'runner\u202e\x1b[2J') }], '0');
    const text = renderMatrixConsole(merged, { failOn: ['failure'] });
    expect(text).not.toMatch(/[\x1b\x07\u202e]/);
    expect(text).toContain('runner\\u202e\\x1b[2J');
  });
});

describe('JUnit of a merge', () => {
  it('suites are <runner>/<endpoint host>, with the runner\'s hostname, valid against the Jenkins schema', () => {
    const merged = mergeDocuments([
      { source: 'a.json', document: v2() },
      { source: 'b.json', document: asRunner(v2(), 'agent-02 "<&>"') },
      { source: 'c.json', document: v1() },
    ], '0.1.0');
    const xml = renderJunit(merged, { failOn: ['failure'] });
    const suites = [...xml.matchAll(/<testsuite name="([^"]*)"/g)].map((m) => m[1]);
    expect(suites).toContain('agent-01/login.microsoftonline.com');
    expect(suites).toContain('agent-02 &quot;&lt;&amp;>&quot;/login.microsoftonline.com');
    expect(suites).toContain('agent-01#2/autoupdate.msappproxy.net');
    expect(suites).toHaveLength(12);
    expect(xml).toContain('<property name="runner" value="agent-01#2"/>');
    const dir = mkdtempSync(path.join(tmpdir(), 'merge-junit-'));
    const file = path.join(dir, 'merged.xml');
    writeFileSync(file, xml);
    expect(validateJunit(file)).toBe('');
  });
});
