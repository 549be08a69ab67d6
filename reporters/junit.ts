import junitReportBuilder from 'junit-report-builder';
import type { Builder, TestCase, TestSuite } from 'junit-report-builder';
import type { FailOnKind } from '../model/fail-on.js';
import type { CheckResult, Evidence, RunDocument } from '../model/result.js';
import { groupByHost, oneLine, xmlSafe } from './text.js';

// The package's types declare an ES default export, but the package is CommonJS and its module.exports is the
// builder itself, which is what a NodeNext default import receives at runtime.
const packageBuilder = junitReportBuilder as unknown as Builder;

/** How long one evidence value may get in a failure's text; the whole evidence is in system-out. */
const EVIDENCE_SUMMARY_MAX = 160;

/**
 * The `--junit` report (shared/interface.md, "JUnit"): one testsuite per endpoint host, one testcase per result.
 * Valid against the Jenkins JUnit schema (test/fixtures/jenkins-junit-10.xsd) whatever text certificates and servers sent.
 * `options.failOn`: which statuses fail the run (--fail-on), for how warnings are shown.
 */
export function renderJunit(doc: RunDocument, options: { failOn?: readonly FailOnKind[] } = {}): string {
  // A builder of our own: the package's default instance is shared by every caller in the process.
  const report = packageBuilder.newBuilder().name('egress-preflight');
  const skipMessages: string[] = [];
  for (const [host, results] of groupByHost(doc.results)) {
    const suite = report.testSuite().name(xmlSafe(host)).timestamp(xmlSafe(doc.startedAt));
    suite.time(seconds(totalMs(results)));
    addSuiteProperties(suite, doc, host, results);
    const names = new Set<string>();
    for (const result of results) {
      addTestCase(suite.testCase(), result, uniqueName(names, xmlSafe(result.id)));
      if (result.status === 'skip') skipMessages.push(headline(result));
    }
  }
  return `${repairBuilderOutput(report.build(), skipMessages)}\n`;
}

function addSuiteProperties(suite: TestSuite, doc: RunDocument, host: string, results: readonly CheckResult[]): void {
  const purposes = new Set(results.map((r) => r.evidence['purpose']).filter((p): p is string => typeof p === 'string' && p !== ''));
  const properties: Array<[string, string]> = [
    ['host', host],
    ['profile', doc.profile],
    ['tool.version', doc.tool.version],
    ['runner.hostname', doc.host.hostname],
    ['runner.platform', doc.host.platform],
  ];
  if (purposes.size > 0) properties.push(['purpose', [...purposes].join('; ')]);
  for (const [name, value] of properties) suite.property(name, xmlSafe(value));
}

function addTestCase(testCase: TestCase, result: CheckResult, name: string): void {
  testCase.className(xmlSafe(`egress-preflight.${result.check}`)).name(name).time(seconds(result.durationMs));
  if (result.status === 'fail') {
    testCase.failure(headline(result), xmlSafe(result.code)).stacktrace(characterData(failureText(result)));
  }
  if (result.status === 'skip') testCase.skipped();
  testCase.standardOutput(characterData(systemOut(result)));
}

/** GitLab merges testcases of the same name, which would hide a result: a repeated id gets a suffix. */
function uniqueName(taken: Set<string>, name: string): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} #${n}`;
  taken.add(candidate);
  return candidate;
}

/** The one-line "CODE: message" of a failure's or a skip's message attribute. */
function headline(result: CheckResult): string {
  return xmlSafe(oneLine(`${result.code}: ${result.message}`));
}

function failureText(result: CheckResult): string {
  return lines(result.message, remediationLine(result), evidenceSummary(result.evidence));
}

/** Evidence as JSON for every result; a warning passes, so its message goes here, where CI shows it. */
function systemOut(result: CheckResult): string {
  const evidence = evidenceJson(result.evidence);
  if (result.status !== 'warn') return evidence;
  return `${lines(`WARN ${result.code}: ${result.message}`, remediationLine(result))}\n\n${evidence}`;
}

/** The non-empty parts, one per line. */
function lines(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n');
}

function remediationLine(result: CheckResult): string {
  return result.remediation === '' ? '' : `Remediation: ${result.remediation}`;
}

function evidenceSummary(evidence: Evidence): string {
  const entries = Object.entries(evidence).map(
    ([key, value]) => `  ${key}: ${oneLine(typeof value === 'string' ? value : JSON.stringify(value), EVIDENCE_SUMMARY_MAX)}`,
  );
  return entries.length === 0 ? '' : lines('Evidence:', ...entries);
}

/**
 * JSON.stringify already escapes control characters and lone surrogates; escaping U+FFFE and U+FFFF as well
 * leaves nothing that XML drops, so the evidence in the report stays exactly what was observed.
 */
function evidenceJson(evidence: Evidence): string {
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
