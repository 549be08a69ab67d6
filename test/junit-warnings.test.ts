// JUnit as CI test views show it: a warning's code in its test name and its text in system-err, --fail-on
// turning warnings or skips into failures, a consequence's failure naming its cause first. Valid whatever the text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FailOnKind } from '../model/fail-on.js';
import type { RunDocument } from '../model/result.js';
import { renderJunit } from '../reporters/junit.js';
import { xmlSafe } from '../reporters/text.js';
import { PROXY, clockPass, proxyDown, result, runDocument, skippedBehind, tcpThroughDeadProxy } from './support/documents.js';
import { validateJunit } from './support/xsd.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'junit-warnings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HOSTILE = 'ctl:\x00\x1b[31m cdata:]]>x]]> lt:< amp:&amp; quotes:"\' close:</system-err></testcase> lone:\ud800 nonchar:\ufffe bidi:\u202e';
const CRL = 'crl4.digicert.com';
const CRL_URL = `http://${CRL}/DigiCertGlobalRootG2.crl`;

const stale = result({
  id: `crl:${CRL_URL}`, check: 'crl', host: CRL, port: 80, url: CRL_URL, status: 'warn', code: 'CRL_STALE',
  message: `${CRL_URL}: the CRL of "DigiCert Global Root G2" is stale; the other distribution point serves a valid CRL`,
  remediation: 'If this machine\'s clock is right, a cache on the path serves an old copy: purge it.',
});
const hostileWarning = result({
  id: `ocsp:http://${CRL}/`, check: 'ocsp', host: CRL, url: `http://${CRL}/`, status: 'warn', code: 'OCSP_OK',
  message: `answer out of date: ${HOSTILE}`, remediation: `check ${HOSTILE}`, evidence: { responder: HOSTILE },
});
const responderSkip = result({
  id: 'ocsp:http://ocsp.digicert.com/', check: 'ocsp', host: 'ocsp.digicert.com', url: 'http://ocsp.digicert.com/', status: 'skip',
  code: 'SKIPPED_PREREQUISITE', message: `not run: no live certificate names this responder ${HOSTILE}`, evidence: { prerequisite: 'no live certificate' },
});
const tcp = tcpThroughDeadProxy('login.microsoftonline.com');
const tls = skippedBehind(tcp, { id: 'tls:login.microsoftonline.com:443', check: 'tls', host: tcp.host, port: 443 });
const doc = runDocument([stale, hostileWarning, responderSkip, tcp, tls, proxyDown, clockPass]);

let files = 0;
function junitFile(document: RunDocument, failOn?: FailOnKind[]): string {
  const file = path.join(work, `junit-${++files}.xml`);
  writeFileSync(file, renderJunit(document, failOn ? { failOn } : undefined));
  return file;
}

function xpath(file: string, expression: string): string {
  const run = spawnSync('xmllint', ['--xpath', expression, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`xmllint --xpath ${expression}: ${run.stderr}`);
  return run.stdout.replace(/\n$/, '');
}
const count = (file: string, expression: string): number => Number(xpath(file, `count(${expression})`));
const testcase = (host: string, name: string): string => `//testsuite[@name="${host}"]/testcase[@name="${name}"]`;
const STALE_CASE = testcase(CRL, `${stale.id} [warning CRL_STALE]`);

describe('a warning, by default', () => {
  const file = junitFile(doc);

  it('passes, with its code in the test name and its code, message and remediation in system-err', () => {
    expect(count(file, `${STALE_CASE}/failure | ${STALE_CASE}/skipped`)).toBe(0);
    expect(xpath(file, `string(${STALE_CASE}/system-err)`)).toBe(`WARN CRL_STALE: ${stale.message}\nRemediation: ${stale.remediation}`);
    expect(xpath(file, `string(//testsuite[@name="${CRL}"]/@failures)`)).toBe('0');
  });

  it('stays valid against the Jenkins schema with hostile text in system-err', () => {
    expect(validateJunit(file)).toBe('');
    const hostileCase = testcase(CRL, `${hostileWarning.id} [warning OCSP_OK]`);
    expect(xpath(file, `string(${hostileCase}/system-err)`)).toContain(`WARN OCSP_OK: answer out of date: ${xmlSafe(HOSTILE)}`);
  });
});

describe('--fail-on warning', () => {
  const file = junitFile(doc, ['failure', 'warning']);

  it('makes the warning exactly one failure typed by its code, under the same test name', () => {
    expect(count(file, `${STALE_CASE}/failure`)).toBe(1);
    expect(xpath(file, `string(${STALE_CASE}/failure/@type)`)).toBe('CRL_STALE');
    expect(xpath(file, `string(${STALE_CASE}/failure/@message)`)).toBe(`CRL_STALE: ${stale.message}`);
    expect(xpath(file, `string(${STALE_CASE}/failure)`).split('\n').slice(0, 3)).toEqual([
      'A warning, failing the run because of --fail-on warning.',
      stale.message,
      `Remediation: ${stale.remediation}`,
    ]);
    expect(xpath(file, `string(//testsuite[@name="${CRL}"]/@failures)`)).toBe('2');
  });

  it('leaves skips skipped, and stays valid', () => {
    expect(count(file, '//testcase/skipped')).toBe(2);
    expect(validateJunit(file)).toBe('');
  });
});

describe('--fail-on skip', () => {
  const file = junitFile(doc, ['failure', 'skip']);
  const skipCase = testcase('ocsp.digicert.com', responderSkip.id);

  it('makes a skip a failure, not a skipped test: the CI view then agrees with the red pipeline', () => {
    expect(count(file, `${skipCase}/skipped`)).toBe(0);
    expect(count(file, `${skipCase}/failure`)).toBe(1);
    expect(xpath(file, `string(${skipCase}/failure/@type)`)).toBe('SKIPPED_PREREQUISITE');
    expect(xpath(file, `string(${skipCase}/failure)`).split('\n')[0]).toBe('Not tested, failing the run because of --fail-on skip.');
    expect(count(file, '//testcase/skipped')).toBe(0);
    expect(count(file, `${STALE_CASE}/failure`)).toBe(0);
  });

  it('stays valid against the Jenkins schema, hostile text included', () => {
    expect(validateJunit(file)).toBe('');
    expect(validateJunit(junitFile(doc, ['failure', 'warning', 'skip']))).toBe('');
  });
});

describe('a consequence', () => {
  const file = junitFile(doc);
  const tcpCase = testcase(tcp.host, tcp.id);
  const tlsCase = testcase(tls.host, tls.id);

  it('keeps its own code, and its failure names the cause first, with the cause\'s remediation', () => {
    expect(xpath(file, `string(${tcpCase}/failure/@type)`)).toBe('PROXY_UNREACHABLE');
    expect(xpath(file, `string(${tcpCase}/failure/@message)`)).toBe(`caused by proxy:${PROXY}: PROXY_UNREACHABLE; PROXY_UNREACHABLE: ${tcp.message}`);
    expect(xpath(file, `string(${tcpCase}/failure)`).split('\n').slice(0, 3)).toEqual([
      `Caused by proxy:${PROXY}: PROXY_UNREACHABLE: ${proxyDown.message}`,
      `Remediation of the cause: ${proxyDown.remediation}`,
      tcp.message,
    ]);
  });

  it('names the root cause on a skip behind it too, not just the check it waited for', () => {
    expect(xpath(file, `string(${tlsCase}/skipped/@message)`)).toBe(
      `caused by proxy:${PROXY}: PROXY_UNREACHABLE; SKIPPED_PREREQUISITE: not run: tcp check failed (PROXY_UNREACHABLE)`,
    );
  });

  it('leaves the cause\'s own failure as it is', () => {
    const proxyCase = testcase(proxyDown.host, proxyDown.id);
    expect(xpath(file, `string(${proxyCase}/failure/@message)`)).toBe(`PROXY_UNREACHABLE: ${proxyDown.message}`);
  });
});

describe('test names', () => {
  it('stay unique in a suite when a warning and a pass share an id, or two warnings do', () => {
    const pass = { ...stale, status: 'pass' as const, code: 'CRL_OK' as const };
    const file = junitFile(runDocument([stale, stale, pass]));
    expect(xpath(file, '//testcase/@name').split('\n').map((line) => line.trim())).toEqual([
      `name="${stale.id} [warning CRL_STALE]"`,
      `name="${stale.id} [warning CRL_STALE] #2"`,
      `name="${stale.id}"`,
    ]);
    expect(validateJunit(file)).toBe('');
  });
});
