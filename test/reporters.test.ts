import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { summarize, type CertificateDescription, type CertificateTable, type CheckResult, type RunDocument } from '../model/result.js';
import { renderConsole } from '../reporters/console.js';
import { renderJson } from '../reporters/json.js';
import { renderJunit } from '../reporters/junit.js';
import { oneLine, terminalSafe, xmlSafe } from '../reporters/text.js';
import { writeReports } from '../reporters/write.js';
import { jenkinsXsd } from './support/xsd.js';


/** Everything a certificate subject, a DNS answer or a block page could throw at a report. */
const HOSTILE =
  'ctl:\x00\x01\x08\x0b\x0c\x0e\x1f del:\x7f esc:\x1b[31mred\x1b[0m csi:\x9b2J cdata:]]>x]]> lt:< amp:&amp; ' +
  `quotes:"' close:</system-out></testcase> emoji:😀 lone:\ud800 nonchar:\ufffe bidi:\u202eevil\u202c`;

const workDir = mkdtempSync(join(tmpdir(), 'reporters-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function result(fields: Partial<CheckResult> & Pick<CheckResult, 'id' | 'check' | 'host' | 'status' | 'code'>): CheckResult {
  return { address: null, port: null, url: null, message: 'ok', remediation: '', durationMs: 12.3456789, evidence: {}, ...fields };
}

function runDocument(results: CheckResult[], certificates: CertificateTable = {}): RunDocument {
  return {
    schemaVersion: 2,
    tool: { name: 'egress-preflight', version: '0.1.0' },
    host: { hostname: 'agent-01', platform: 'linux' },
    profile: 'entra-provisioning-agent',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234.5678,
    summary: summarize(results),
    certificates,
    comparison: null,
    results,
  };
}

/** A certificate whose every name is hostile, as the certificates table describes it. */
const HOSTILE_FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).toUpperCase().padStart(2, '0')).join(':');
const HOSTILE_CERTIFICATE: CertificateDescription = {
  subject: HOSTILE, issuer: HOSTILE, commonName: HOSTILE, issuerCommonName: HOSTILE, serialNumber: '01', notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z', sha256: HOSTILE_FINGERPRINT, signatureAlgorithm: 'sha256WithRSAEncryption', signatureDigest: 'sha256',
  keyType: 'rsa', keyBits: 2048, curve: null, isCertificateAuthority: false, sans: [`DNS:${HOSTILE}`], crlUrls: [], ocspUrls: [], caIssuersUrls: [],
  unreadableExtensions: [], unreadable: null,
};

const LOGIN = 'login.microsoftonline.com';
const CTL = 'ctldl.windowsupdate.com';
const IPV6 = '2603:1006:2000::1';

const HOSTILE_DOC = runDocument([
  result({ id: `dns:${LOGIN}`, check: 'dns', host: LOGIN, status: 'pass', code: 'DNS_OK', evidence: { addresses: [IPV6] } }),
  result({ id: `tcp:${LOGIN}@${IPV6}:443`, check: 'tcp', host: LOGIN, address: IPV6, port: 443, status: 'pass', code: 'TCP_OK' }),
  result({
    id: `tls:${LOGIN}@${IPV6}:443`, check: 'tls', host: LOGIN, address: IPV6, port: 443, status: 'fail', code: 'TLS_UNTRUSTED',
    message: `chain anchors at ${HOSTILE}`, remediation: `trust ${HOSTILE}`,
    evidence: { purpose: 'sign-in', subject: HOSTILE, chain: [HOSTILE_FINGERPRINT] },
  }),
  result({
    id: `inspection:${LOGIN}@${IPV6}:443`, check: 'inspection', host: LOGIN, address: IPV6, port: 443, status: 'skip',
    code: 'SKIPPED_PREREQUISITE', message: `tls failed: ${HOSTILE}`,
  }),
  result({
    id: `http:http://${CTL}/`, check: 'http', host: CTL, url: `http://${CTL}/`, status: 'fail', code: 'HTTP_BLOCK_PAGE',
    message: HOSTILE, remediation: 'allow the host on the web proxy', evidence: { title: HOSTILE, purpose: HOSTILE },
  }),
  result({
    id: `crl:http://${CTL}/a.crl`, check: 'crl', host: CTL, url: `http://${CTL}/a.crl`, status: 'warn', code: 'CRL_STALE',
    message: `stale: ${HOSTILE}`, remediation: 'check the CDN', evidence: { nextUpdate: HOSTILE },
  }),
  result({ id: 'tcp:203.0.113.7:80', check: 'tcp', host: '203.0.113.7', address: '203.0.113.7', port: 80, status: 'pass', code: 'TCP_OK' }),
  // A repeated id must not give two testcases the same name.
  result({ id: 'tcp:203.0.113.7:80', check: 'tcp', host: '203.0.113.7', address: '203.0.113.7', port: 80, status: 'pass', code: 'TCP_OK' }),
], { [HOSTILE_FINGERPRINT]: HOSTILE_CERTIFICATE });

let fileCount = 0;
function writeTemp(text: string, extension: string): string {
  const file = join(workDir, `report-${++fileCount}.${extension}`);
  writeFileSync(file, text);
  return file;
}

function validate(file: string): { status: number | null; stderr: string } {
  const run = spawnSync('xmllint', ['--noout', '--schema', jenkinsXsd, file], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

function xpath(file: string, expression: string): string {
  const run = spawnSync('xmllint', ['--xpath', expression, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`xmllint --xpath ${expression}: ${run.stderr}`);
  return run.stdout.replace(/\n$/, ''); // xmllint ends its answer with a newline of its own
}

/** The `name="value"` lines xmllint prints for a set of attributes. */
const xpathAttributes = (file: string, expression: string): string[] => xpath(file, expression).split('\n').map((line) => line.trim());

const xpathNumber = (file: string, expression: string): number => Number(xpath(file, expression));
const testcase = (r: CheckResult): string => `//testsuite[@name="${r.host}"]/testcase[@name="${r.id}"]`;
const resultsWith = (status: CheckResult['status']): CheckResult[] => HOSTILE_DOC.results.filter((r) => r.status === status);

describe('text helpers', () => {
  it('xmlSafe drops what XML 1.0 forbids and keeps tab, line breaks and emoji', () => {
    expect(xmlSafe('a\x00\x08\x0b\x1f\ufffe\uffff\udc00\ud800b\t\n\r😀')).toBe('ab\t\n\r😀');
    expect(xmlSafe('x\udc00')).toBe('x');
  });

  it('terminalSafe shows controls, ESC, C1 and bidi overrides as visible escapes', () => {
    expect(terminalSafe('\x1b[31mred\x00\x7f\x9b\u202e\u2066\n')).toBe('\\x1b[31mred\\x00\\x7f\\x9b\\u202e\\u2066\\x0a');
    expect(terminalSafe('plain 😀 text')).toBe('plain 😀 text');
  });

  it('oneLine collapses whitespace and cuts without splitting a surrogate pair', () => {
    expect(oneLine('  a\n\tb \r\n c ')).toBe('a b c');
    expect(oneLine('ab😀😀c', 4)).toBe('ab😀…');
    expect(oneLine('abcd', 4)).toBe('abcd');
  });
});

describe('JUnit report', () => {
  const file = writeTemp(renderJunit(HOSTILE_DOC), 'xml');

  it('validates against the Jenkins schema despite hostile text', () => {
    expect(validate(file)).toMatchObject({ status: 0 });
  });

  it('has one testsuite per host, in first-seen order, with properties', () => {
    expect(xpathAttributes(file, '//testsuite/@name')).toEqual([`name="${LOGIN}"`, `name="${CTL}"`, 'name="203.0.113.7"']);
    expect(xpath(file, `string(//testsuite[@name="${LOGIN}"]/properties/property[@name="purpose"]/@value)`)).toBe('sign-in');
    expect(xpath(file, `string(//testsuite[@name="${LOGIN}"]/properties/property[@name="profile"]/@value)`)).toBe(HOSTILE_DOC.profile);
    expect(xpathNumber(file, 'count(//testcase/properties)')).toBe(0);
  });

  it('gives every testcase a classname and a name unique within its suite', () => {
    expect(xpathNumber(file, 'count(//testcase)')).toBe(HOSTILE_DOC.results.length);
    expect(xpathNumber(file, 'count(//testcase[not(@classname) or @classname=""])')).toBe(0);
    expect(xpathNumber(file, 'count(//testcase[@name = preceding-sibling::testcase/@name])')).toBe(0);
  });

  it('writes exactly one failure per failed result, typed by its code', () => {
    const failed = resultsWith('fail');
    expect(xpathNumber(file, 'count(//failure)')).toBe(failed.length);
    for (const r of failed) {
      expect(xpathNumber(file, `count(${testcase(r)}/failure)`)).toBe(1);
      expect(xpath(file, `string(${testcase(r)}/failure/@type)`)).toBe(r.code);
      expect(xpath(file, `string(${testcase(r)}/failure/@message)`)).toMatch(new RegExp(`^${r.code}: `));
    }
    const tls = failed[0]!;
    const failureText = xpath(file, `string(${testcase(tls)}/failure)`);
    expect(failureText).toContain(xmlSafe(tls.message));
    expect(failureText).toContain(`Remediation: ${xmlSafe(tls.remediation)}`);
  });

  it('marks skipped results with a message and counts them on the suites only', () => {
    const skipped = resultsWith('skip');
    expect(xpathNumber(file, 'count(//testcase/skipped)')).toBe(skipped.length);
    expect(xpathNumber(file, 'sum(//testsuite/@skipped)')).toBe(skipped.length);
    expect(xpathNumber(file, 'count(/testsuites/@skipped)')).toBe(0);
    expect(xpath(file, `string(${testcase(skipped[0]!)}/skipped/@message)`)).toMatch(/^SKIPPED_PREREQUISITE: tls failed: /);
  });

  it('lets a warning pass, its code in the test name and its message in system-err', () => {
    const warned = resultsWith('warn')[0]!;
    const warnedCase = `//testsuite[@name="${warned.host}"]/testcase[@name="${warned.id} [warning CRL_STALE]"]`;
    expect(xpathNumber(file, `count(${warnedCase}/failure | ${warnedCase}/skipped)`)).toBe(0);
    expect(xpath(file, `string(${warnedCase}/system-err)`)).toMatch(/^WARN CRL_STALE: stale: /);
    expect(JSON.parse(xpath(file, `string(${warnedCase}/system-out)`))).toEqual(warned.evidence);
  });

  it('carries the evidence in system-out exactly, hostile characters included', () => {
    const tls = resultsWith('fail')[0]!;
    expect(JSON.parse(xpath(file, `string(${testcase(tls)}/system-out)`))).toEqual(tls.evidence);
  });

  it('names a chain by its subjects from the certificates table in the failure text, hostile text as data', () => {
    const tls = resultsWith('fail')[0]!;
    const text = xpath(file, `string(${testcase(tls)}/failure)`);
    expect(text).toContain(`  chain: ["${HOSTILE_FINGERPRINT}"]`);
    expect(text).toMatch(/\n {2}chain subjects: "ctl: .* cdata:\]\]>x\]\]> lt:< amp:&amp; quotes:"' close:<\/system-out><\/testcase> /);
  });

  it('writes times in seconds with at most three decimals', () => {
    const times = xpathAttributes(file, '//@time');
    expect(times.length).toBe(HOSTILE_DOC.results.length + 3);
    for (const time of times) expect(time).toMatch(/^time="\d+(\.\d{1,3})?"$/);
    expect(xpath(file, `string(${testcase(HOSTILE_DOC.results[0]!)}/@time)`)).toBe('0.012');
  });

  it('is valid for a run without results', () => {
    const empty = writeTemp(renderJunit(runDocument([])), 'xml');
    expect(validate(empty)).toMatchObject({ status: 0 });
    expect(xpathNumber(empty, 'count(//testsuite)')).toBe(0);
  });
});

describe('console summary', () => {
  const plain = renderConsole(HOSTILE_DOC, { color: false });
  const colored = renderConsole(HOSTILE_DOC, { color: true });
  const lines = plain.split('\n');

  it('lets no server text reach the terminal raw', () => {
    expect(plain).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(plain).toContain('\\x1b[31mred');
  });

  it('colours only when asked, and only with SGR sequences', () => {
    expect(colored).toContain('\x1b[31m');
    expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  it('lists failures with remediation, then warnings, then counts per host, then the totals', () => {
    const failures = lines.findIndex((line) => line.startsWith('Failures (2)'));
    const warnings = lines.findIndex((line) => line.startsWith('Warnings (1)'));
    const hosts = lines.findIndex((line) => line.startsWith('By host'));
    expect(failures).toBeGreaterThan(0);
    expect(warnings).toBeGreaterThan(failures);
    expect(hosts).toBeGreaterThan(warnings);
    const tlsLine = lines.findIndex((line) => line.includes('TLS_UNTRUSTED'));
    expect(lines[tlsLine]).toBe(`  ✖ tls  ${LOGIN}  [${IPV6}]:443  TLS_UNTRUSTED`);
    expect(lines[tlsLine + 1]).toMatch(/^ {6}chain anchors at ctl:/);
    expect(lines.slice(tlsLine).find((line) => line.includes('→'))).toMatch(/^ {6}→ trust ctl:/);
    expect(lines.at(-2)).toBe('4 passed, 2 failed, 1 warned, 1 skipped');
    expect(lines.at(-1)).toBe('');
  });

  it('stays short when thousands of checks pass', () => {
    const passes = Array.from({ length: 2000 }, (_, i) =>
      result({ id: `tcp:${LOGIN}:${i}`, check: 'tcp', host: LOGIN, port: i, status: 'pass', code: 'TCP_OK' }),
    );
    const output = renderConsole(runDocument(passes), { color: false });
    expect(output.split('\n').length).toBeLessThan(12);
    expect(output).toMatch(new RegExp(`${LOGIN}\\s+2000\\s+0\\s+0\\s+0`));
  });
});

describe('JSON report', () => {
  it('round-trips the document, hostile text included, compact and newline-terminated', () => {
    const text = renderJson(HOSTILE_DOC);
    expect(JSON.parse(text)).toEqual(HOSTILE_DOC);
    expect(text.startsWith('{"schemaVersion":2,')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
  });
});

describe('writeReports', () => {
  it('writes each report to its file, creating directories, and "-" to stdout', async () => {
    const written: string[] = [];
    const junit = join(workDir, 'nested', 'dir', 'junit.xml');
    await writeReports(HOSTILE_DOC, { json: '-', junit }, { stdout: (text) => written.push(text) });
    expect(written).toEqual([renderJson(HOSTILE_DOC)]);
    expect(readFileSync(junit, 'utf8')).toBe(renderJunit(HOSTILE_DOC));
  });

  it('reports a file it cannot write as a usage error naming it', async () => {
    const blocker = writeTemp('', 'txt');
    const target = join(blocker, 'report.json');
    const writing = writeReports(HOSTILE_DOC, { json: target }, { stdout: () => undefined });
    await expect(writing).rejects.toBeInstanceOf(UsageError);
    await expect(writing).rejects.toThrow(`cannot write ${target}: `);
  });
});
