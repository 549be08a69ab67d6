// The `--html` report: one self-contained file. No script, no external style, font or image; a Content-Security-
// Policy that forbids every fetch, so even text that slipped through unescaped could load nothing. It renders from
// the document alone (a run's, or one read back with model/read-document.ts), so diff and merge can reuse its parts.
import { DEFAULT_FAIL_ON, type FailOnKind } from '../../model/fail-on.js';
import { summarize, type CheckResult, type RunDocument } from '../../model/result.js';
import { groupByHost } from '../text.js';
import { hostAnchor, statusBadge } from './badges.js';
import { endpointSection, resultList } from './endpoint.js';
import { html, type Html } from './escape.js';
import { ms } from './evidence.js';
import { comparisonCodes, comparisonSection, isComparison } from './comparison.js';
import { codesToExplain, explanationsSection } from './explanations.js';
import { REPORT_CSS } from './styles.js';
import { findingsSection, verdictSection } from './summary.js';
import { waterfallLegend, waterfallRows, waterfallScale } from './waterfall.js';

/** What the report reads from a document: a run's RunDocument and a ReadDocument both have it. */
export type HtmlReportDocument = Pick<RunDocument, 'tool' | 'host' | 'profile' | 'startedAt' | 'durationMs' | 'summary' | 'certificates' | 'results'> & {
  interrupted?: true | undefined;
  /** With --baseline: drawn under the verdict (a block of another shape, from a file, is left out). */
  comparison?: unknown;
};

export interface HtmlReportOptions {
  failOn: readonly FailOnKind[];
}

/** Nothing may be fetched: styles are inline, and there is nothing else. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** Checks about this machine and its own configuration, not about an endpoint (as the console groups them). */
const MACHINE_CHECKS: ReadonlySet<string> = new Set(['clock', 'proxy']);

export function renderHtml(doc: HtmlReportDocument, options: HtmlReportOptions = { failOn: DEFAULT_FAIL_ON }): string {
  const comparison = isComparison(doc.comparison) ? doc.comparison : null;
  const explained = new Set([...codesToExplain(doc.results), ...(comparison === null ? [] : comparisonCodes(comparison))]);
  const byId = new Map(doc.results.map((r) => [r.id, r]));
  const machine = doc.results.filter((r) => MACHINE_CHECKS.has(r.check));
  const hosts = [...groupByHost(doc.results.filter((r) => !MACHINE_CHECKS.has(r.check)))];
  const rowsByHost = hosts.map(([, results]) => waterfallRows(results));
  const scaleMs = waterfallScale(rowsByHost.flat());
  // The summary counts from the results themselves, whatever a file's own summary says.
  const summary = summarize(doc.results);
  const body = html`<header>
<h1>Egress preflight: ${doc.profile || 'run'}</h1>
<p class="meta">${doc.host.hostname} (${doc.host.platform}) · started ${doc.startedAt} · took ${ms(doc.durationMs)} · ${doc.tool.name} ${doc.tool.version}</p>
</header>
<main>
${verdictSection(doc.results, summary, doc.interrupted === true, { failOn: options.failOn, explained, comparison })}
${comparison === null ? '' : comparisonSection(comparison, { explained, currentOf: (id) => byId.get(id) })}
${machine.length === 0 ? '' : html`<section class="machine"><h2 id="machine">This machine</h2>${resultList(machine, explained)}</section>`}
${findingsSection(doc.results, { failOn: options.failOn, explained })}
${hostOverview(hosts)}
${hosts.length === 0 ? '' : html`<section class="endpoints"><h2 id="endpoints">Endpoints</h2>${waterfallLegend()}${hosts.map(([host, results]) => endpointSection(host, results, { certificates: doc.certificates, explained, scaleMs }))}</section>`}
${explanationsSection(explained)}
</main>
<footer><p>Written by ${doc.tool.name} ${doc.tool.version}. This file loads nothing from the network; text that came from servers (certificate names, block pages, DNS error texts) is shown as text.</p></footer>`;
  return htmlPage(`Egress preflight: ${doc.profile} on ${doc.host.hostname}`, body);
}

/** The document shell every HTML report shares: charset, viewport, the CSP, the styles. */
export function htmlPage(title: string, body: Html): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${body}
</body>
</html>
`.markup;
}

/** One row per endpoint host: its counts, linked to its section. */
function hostOverview(hosts: ReadonlyArray<readonly [string, CheckResult[]]>): Html | '' {
  if (hosts.length === 0) return '';
  return html`<section class="overview"><h2 id="hosts">By host</h2><div class="scroll"><table>
<thead><tr><th scope="col">host</th><th scope="col">passed</th><th scope="col">failed</th><th scope="col">warned</th><th scope="col">not run</th></tr></thead>
<tbody>${hosts.map(([host, results]) => {
    const c = summarize(results);
    const worst = c.failed > 0 ? 'fail' : c.warned > 0 ? 'warn' : c.passed > 0 ? 'pass' : 'skip';
    return html`<tr><th scope="row">${statusBadge(worst)} <a href="#${hostAnchor(host)}">${host}</a></th><td>${c.passed}</td><td>${c.failed}</td><td>${c.warned}</td><td>${c.skipped}</td></tr>`;
  })}</tbody></table></div></section>`;
}
