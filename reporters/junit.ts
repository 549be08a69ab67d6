import junitReportBuilder from 'junit-report-builder';
import type { Builder, TestCase, TestSuite } from 'junit-report-builder';
import { explanationOf } from '../model/code-catalogue.js';
import { resultFailsRun, type Comparison } from '../model/comparison.js';
import { DEFAULT_FAIL_ON, type FailOnKind } from '../model/fail-on.js';
import type { CertificateTable, CheckResult, RunDocument } from '../model/result.js';
import { relateCauses } from './causes.js';
import { regressionNote, standingNote } from './comparison-junit.js';
import { groupByHost, oneLine, xmlSafe } from './text.js';

// The package's types declare an ES default export, but the package is CommonJS and its module.exports is the
// builder itself, which is what a NodeNext default import receives at runtime.
const packageBuilder = junitReportBuilder as unknown as Builder;

/** How long one evidence value may get in a failure's text; the whole evidence is in system-out. */
const EVIDENCE_SUMMARY_MAX = 160;

export interface JunitOptions {
  /** What counts against the run (`--fail-on`): a warning or a skip it names is written as a failure. */
  failOn?: readonly FailOnKind[];
}

/**
 * The `--junit` report (shared/interface.md, "JUnit"): one testsuite per endpoint host, one testcase per result.
 * Valid against the Jenkins JUnit schema (test/fixtures/jenkins-junit-10.xsd) whatever text certificates and servers sent.
 */
export function renderJunit(doc: RunDocument, options: JunitOptions = {}): string {
  const failOn = options.failOn ?? DEFAULT_FAIL_ON;
  const relation = relateCauses(doc.results);
  // A builder of our own: the package's default instance is shared by every caller in the process.
  const report = packageBuilder.newBuilder().name('egress-preflight');
  const skipMessages: string[] = [];
  for (const [suiteName, results] of groupBySuite(doc.results)) {
    const suite = report.testSuite().name(xmlSafe(suiteName)).timestamp(xmlSafe(doc.startedAt));
    suite.time(seconds(totalMs(results)));
    addSuiteProperties(suite, doc, results[0]?.host ?? suiteName, results);
    const names = new Set<string>();
    for (const result of results) {
      const cause = relation.rootOf(result);
      const outcome = resultFailsRun(result, failOn, doc.comparison) ? 'failure' : result.status === 'skip' ? 'skipped' : 'passed';
      addTestCase(suite.testCase(), result, uniqueName(names, testName(result, outcome)), outcome, cause, doc.certificates, doc.comparison);
      if (outcome === 'skipped') skipMessages.push(headline(result, cause));
    }
  }
  return `${repairBuilderOutput(report.build(), skipMessages)}\n`;
}

/**
 * One suite per endpoint host; in a merged document (`preflight merge`) one per runner and host, named
 * `<runner>/<endpoint host>`.
 */
function groupBySuite(results: readonly CheckResult[]): Map<string, CheckResult[]> {
  const suites = new Map<string, CheckResult[]>();
  for (const [host, hostResults] of groupByHost(results)) {
    for (const result of hostResults) {
      const name = result.runner === undefined ? host : `${result.runner}/${host}`;
      const suite = suites.get(name);
      if (suite) suite.push(result);
      else suites.set(name, [result]);
    }
  }
  return suites;
}

function addSuiteProperties(suite: TestSuite, doc: RunDocument & { runners?: ReadonlyArray<{ name: string; hostname: string; platform: string }> }, host: string, results: readonly CheckResult[]): void {
  const purposes = new Set(results.map((r) => r.evidence['purpose']).filter((p): p is string => typeof p === 'string' && p !== ''));
  const runnerName = results[0]?.runner;
  const runner = runnerName === undefined ? undefined : doc.runners?.find((r) => r.name === runnerName);
  const properties: Array<[string, string]> = [
    ['host', host],
    ['profile', doc.profile],
    ['tool.version', doc.tool.version],
    ...(runnerName === undefined ? [] : [['runner', runnerName] as [string, string]]),
    ['runner.hostname', runner?.hostname ?? doc.host.hostname],
    ['runner.platform', runner?.platform ?? doc.host.platform],
  ];
  if (purposes.size > 0) properties.push(['purpose', [...purposes].join('; ')]);
  for (const [name, value] of properties) suite.property(name, xmlSafe(value));
}

/** How a result appears in CI: a failure (a fail, or what --fail-on adds), a skip, or a passing test. */
type Outcome = 'failure' | 'skipped' | 'passed';

function addTestCase(testCase: TestCase, result: CheckResult, name: string, outcome: Outcome, cause: CheckResult | undefined, certificates: CertificateTable, comparison: Comparison | null): void {
  testCase.className(xmlSafe(`egress-preflight.${result.check}`)).name(name).time(seconds(result.durationMs));
  if (outcome === 'failure') {
    const regression = regressionNote(result, comparison);
    const message = regression === '' ? headline(result, cause) : xmlSafe(oneLine(`${regression}; ${headline(result, cause)}`));
    testCase.failure(message, xmlSafe(result.code)).stacktrace(characterData(lines(regression, failureText(result, cause, certificates))));
  }
  if (outcome === 'skipped') testCase.skipped();
  testCase.standardOutput(characterData(evidenceJson(result.evidence)));
  // Jenkins, GitLab and Azure DevOps show a test's standard error beside its result: a warning is read there,
  // and so is a failure that --fail-on regression does not count (it failed in the baseline too).
  if (result.status === 'warn') testCase.standardError(characterData(warningText(result, cause)));
  if (result.status === 'fail' && outcome !== 'failure') {
    testCase.standardError(characterData(lines(`FAIL ${result.code} (${standingNote(result, comparison)}): ${result.message}`, remediationLine(result))));
  }
}

/**
 * The result's id, and for a warning its code: test lists show names, and a warning that passes would otherwise
 * look like any other green test. The suffix depends on the result alone, not on --fail-on, so the same finding
 * keeps one name whichever way a pipeline gates on it.
 */
function testName(result: CheckResult, outcome: Outcome): string {
  if (result.status === 'fail' && outcome !== 'failure') return xmlSafe(`${result.id} [failing, not a regression: ${result.code}]`);
  return xmlSafe(result.status === 'warn' ? `${result.id} [warning ${result.code}]` : result.id);
}

/** GitLab merges testcases of the same name, which would hide a result: a repeated id gets a suffix. */
function uniqueName(taken: Set<string>, name: string): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} #${n}`;
  taken.add(candidate);
  return candidate;
}

/**
 * The one-line message attribute of a failure or a skip: "CODE: message", after the cause when another result
 * explains this one, so a CI reader meets the one cause first.
 */
function headline(result: CheckResult, cause: CheckResult | undefined): string {
  const own = `${result.code}: ${result.message}`;
  return xmlSafe(oneLine(cause ? `caused by ${cause.id}: ${cause.code}; ${own}` : own));
}

function failureText(result: CheckResult, cause: CheckResult | undefined, certificates: CertificateTable): string {
  const gated = result.status === 'warn' ? 'A warning, failing the run because of --fail-on warning.'
    : result.status === 'skip' ? 'Not tested, failing the run because of --fail-on skip.' : '';
  return lines(...causeLines(cause), gated, result.message, remediationLine(result), evidenceSummary(result, certificates), explainLine(result));
}

/** Where the general text about the code is: the same catalogue the HTML report embeds. */
function explainLine(result: CheckResult): string {
  return explanationOf(result.code) === undefined ? '' : `What ${result.code} means in general, and what usually causes it: preflight explain ${result.code}`;
}

function warningText(result: CheckResult, cause: CheckResult | undefined): string {
  return lines(...causeLines(cause), `WARN ${result.code}: ${result.message}`, remediationLine(result));
}

/** The cause first, with its own remediation: fixing it fixes this result too. */
function causeLines(cause: CheckResult | undefined): string[] {
  if (!cause) return [];
  return [`Caused by ${cause.id}: ${cause.code}: ${cause.message}`, cause.remediation === '' ? '' : `Remediation of the cause: ${cause.remediation}`];
}

/** The non-empty parts, one per line. */
function lines(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n');
}

function remediationLine(result: CheckResult): string {
  return result.remediation === '' ? '' : `Remediation: ${result.remediation}`;
}

function evidenceSummary(result: CheckResult, certificates: CertificateTable): string {
  const entries = Object.entries(result.evidence).map(
    ([key, value]) => `  ${key}: ${oneLine(typeof value === 'string' ? value : JSON.stringify(value), EVIDENCE_SUMMARY_MAX)}`,
  );
  const names = chainNames(result, certificates);
  if (names !== null) entries.push(`  chain subjects: ${oneLine(names, EVIDENCE_SUMMARY_MAX)}`);
  return entries.length === 0 ? '' : lines('Evidence:', ...entries);
}

/**
 * A tls or inspection chain, leaf first, by the names people know certificates by: the evidence holds only
 * fingerprints (each certificate is described once, in the document's table, and whole in system-out's evidence).
 */
function chainNames(result: CheckResult, certificates: CertificateTable): string | null {
  const chain = result.evidence['chain'];
  if ((result.check !== 'tls' && result.check !== 'inspection') || !Array.isArray(chain) || chain.length === 0) return null;
  return chain.map((fingerprint) => {
    const certificate = typeof fingerprint === 'string' && Object.hasOwn(certificates, fingerprint) ? certificates[fingerprint] : undefined;
    return certificate ? `"${certificate.commonName ?? (certificate.subject || certificate.sans[0] || certificate.sha256)}"` : String(fingerprint);
  }).join(' < ');
}

/**
 * JSON.stringify already escapes control characters and lone surrogates; escaping U+FFFE and U+FFFF as well
 * leaves nothing that XML drops, so the evidence in the report stays exactly what was observed.
 */
function evidenceJson(evidence: CheckResult['evidence']): string {
  return JSON.stringify(evidence, null, 2).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function totalMs(results: readonly CheckResult[]): number {
  return results.reduce((sum, r) => sum + r.durationMs, 0);
}

/** Seconds with at most three decimals and never negative: the schema's SUREFIRE_TIME pattern allows no more. */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) / 1000 : 0;
}

const CHARACTER_REFERENCES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};
const characterReference = (char: string): string => CHARACTER_REFERENCES[char] ?? char;

/**
 * Element text, escaped ahead of the builder (which wraps it in CDATA, see repairBuilderOutput). Escaping `>`
 * keeps "]]>" out of it; a raw CR would be read back as LF.
 */
function characterData(text: string): string {
  return xmlSafe(text).replace(/[&<>\r]/g, characterReference);
}

function attributeValue(text: string): string {
  return xmlSafe(text).replace(/[&<>"\t\n\r]/g, characterReference);
}

/**
 * What junit-report-builder 5 gets wrong for us, fixed on its output string:
 * - It wraps failure text and system-out in CDATA and splits only the first "]]>" of the text, so a second one
 *   ends the section early and breaks the document. We hand it text already escaped as character data (no `>`,
 *   hence no "]]>" and no raw `<`), so every `<![CDATA[…]]>` is exactly one of our wrappers and unwrapping it
 *   leaves well-formed, escaped text. With no CDATA left, markup below can only be real markup.
 * - It puts a `skipped` count on `<testsuites>`, which the Jenkins schema rejects.
 * - Its `<skipped/>` takes no message: the skip reasons are filled in, in document order.
 * (Its other two schema breaks are avoided at the source: times are rounded before it sees them, and no
 * property is ever set on a testcase, where it would write `<properties>` the schema rejects.)
 */
function repairBuilderOutput(xml: string, skipMessages: readonly string[]): string {
  const unwrapped = xml.replace(/<!\[CDATA\[([^>]*)\]\]>/g, '$1');
  const rootFixed = unwrapped.replace(/<testsuites\b([^>]*?) skipped="\d+"/, '<testsuites$1');
  let next = 0;
  const repaired = rootFixed.replace(
    /<skipped\/>/g,
    () => `<skipped message="${attributeValue(skipMessages[next++] ?? '')}"/>`,
  );
  if (next !== skipMessages.length) {
    throw new Error(`junit: the builder wrote ${next} <skipped/> elements for ${skipMessages.length} skipped results`);
  }
  return repaired;
}
