// `preflight merge --html`: which runner cannot reach what, for the whole fleet on one page. The verdict, the
// runners, the endpoint host × runner matrix with the worst status per cell (the same cells as the console's,
// reporters/matrix-console.ts), then each runner's failures with their fixes, and what the codes mean.
// The matrix scrolls sideways inside its own box with the host column kept in view, so that forty runners stay
// readable on a phone. Runner names, hosts, ids and messages come from files of any origin: template-escaped.
import type { Status } from '../../model/codes.js';
import { statusFailsRun, type FailOnKind } from '../../model/fail-on.js';
import type { MergedDocument, RunnerInfo } from '../../model/merge.js';
import { summarize, type CheckResult } from '../../model/result.js';
import { cellKey, endpointOf, worstByCell } from '../matrix-console.js';
import { codeLink, statusBadge, targetOf } from './badges.js';
import { anchorId, html, type Html } from './escape.js';
import { ms } from './evidence.js';
import { codesToExplain, explanationsSection } from './explanations.js';
import { htmlPage } from './page.js';

export interface MatrixHtmlOptions {
  failOn: readonly FailOnKind[];
}

/** What the page reads of a merged document (a merge's own, or one read back). */
export type MatrixDocument = Pick<MergedDocument, 'tool' | 'host' | 'profile' | 'startedAt' | 'durationMs' | 'runners' | 'results'>;

export function renderMergeHtml(doc: MatrixDocument, options: MatrixHtmlOptions): string {
  const explained = codesToExplain(doc.results.filter((r) => statusFailsRun(r.status, options.failOn)));
  const failingBy = new Map(doc.runners.map((runner) => [runner.name, doc.results.filter((r) => r.runner === runner.name && statusFailsRun(r.status, options.failOn))]));
  const withFailures = doc.runners.filter((runner) => (failingBy.get(runner.name) ?? []).length > 0);
  const hosts = [...new Set(doc.results.map(endpointOf))];
  const summary = summarize(doc.results);
  const tone = withFailures.length > 0 ? 'fail' : doc.results.length > 0 && doc.results.every((r) => r.status === 'skip') ? 'fail' : summary.warned > 0 ? 'warn' : 'pass';
  const headline = withFailures.length > 0 ? `${withFailures.length} of ${count(doc.runners.length, 'runner')} with failures`
    : tone === 'fail' ? 'Nothing was tested: every check of every runner was skipped'
      : tone === 'warn' ? `No runner fails; ${count(summary.warned, 'warning')} to read` : `All ${count(doc.runners.length, 'runner')} pass`;
  const body = html`<header>
<h1>Egress preflight: merge of ${count(doc.runners.length, 'runner')}</h1>
<p class="meta">${doc.profile || 'no profile'} · ${count(summary.total, 'check')} on ${count(hosts.length, 'host')} · earliest start ${doc.startedAt || 'unknown'} · span ${ms(doc.durationMs)} · merged on ${doc.host.hostname} by ${doc.tool.name} ${doc.tool.version}</p>
</header>
<main>
<section class="verdict ${tone}" aria-label="verdict">
<p class="headline">${headline}</p>
<p class="gate">the merge fails on: ${options.failOn.join(', ')}</p>
<ul class="counts"><li class="pass${summary.passed === 0 ? ' zero' : ''}"><span class="n">${summary.passed}</span> passed</li><li class="fail${summary.failed === 0 ? ' zero' : ''}"><span class="n">${summary.failed}</span> failed</li><li class="warn${summary.warned === 0 ? ' zero' : ''}"><span class="n">${summary.warned}</span> warned</li><li class="skip${summary.skipped === 0 ? ' zero' : ''}"><span class="n">${summary.skipped}</span> not run</li></ul>
</section>
${matrixSection(doc, hosts)}
${runnersSection(doc.runners)}
${failuresSection(doc.runners, failingBy, explained)}
${explanationsSection(explained)}
</main>
<footer><p>Written by ${doc.tool.name} ${doc.tool.version} from ${count(doc.runners.length, 'result document')}. This file loads nothing from the network; text from the documents is shown as text.</p></footer>`;
  return htmlPage(`Egress preflight: merge of ${count(doc.runners.length, 'runner')}`, body);
}

/** The section of a runner's failures: cells of that runner link there. */
export function runnerAnchor(name: string): string {
  return anchorId('runner', name);
}

/** Hosts down, runners across: a host name is long, a runner's column needs only its status word. */
function matrixSection(doc: MatrixDocument, hosts: readonly string[]): Html {
  const worst = worstByCell(doc.results);
  const counts = new Map<string, number>();
  for (const result of doc.results) {
    const key = cellKey(result.runner ?? '', endpointOf(result));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return html`<section class="fleet"><h2 id="matrix">Worst status per endpoint host and runner</h2>
<p class="legend">Each cell is the worst status of that runner's checks of that host (fail, then warn, then not run, then pass); a fail or warn cell leads to the runner's failures. — : the runner has no check of that host.</p>
<div class="matrix-box" role="region" aria-label="runner by endpoint host matrix" tabindex="0"><table class="matrix">
<thead><tr><th scope="col" class="corner">endpoint host</th>${doc.runners.map((runner, i) => html`<th scope="col" class="runner" title="R${i + 1}"><a href="#${runnerAnchor(runner.name)}">${breakable(runner.name)}</a></th>`)}</tr></thead>
<tbody>${hosts.map((host) => html`<tr><th scope="row">${host}</th>${doc.runners.map((runner) => {
    const key = cellKey(runner.name, host);
    const status = worst.get(key);
    if (status === undefined) return html`<td class="cell none">—</td>`;
    const n = counts.get(key) ?? 0;
    const label = html`<span class="sr">${runner.name} · ${host}: </span>${statusBadge(status)}<span class="n">${n}</span>`;
    return html`<td class="cell ${cellClass(status)}">${status === 'fail' || status === 'warn' ? html`<a href="#${runnerAnchor(runner.name)}">${label}</a>` : label}</td>`;
  })}</tr>`)}</tbody>
</table></div></section>`;
}

/** A fleet's names differ at the start (connector-server-21.corp.contoso.example): a narrow column breaks them after dots. */
function breakable(name: string): Html {
  return html`${name.split('.').map((part, i) => html`${i > 0 ? html`.<wbr>` : ''}${part}`)}`;
}

function cellClass(status: Status): string {
  // The status comes from a document: only a known one selects a class.
  return status === 'fail' || status === 'warn' || status === 'pass' ? status : 'skip';
}

function runnersSection(runners: readonly RunnerInfo[]): Html {
  return html`<section class="runners"><h2 id="runners">Runners</h2><div class="scroll"><table>
<thead><tr><th scope="col">runner</th><th scope="col">platform</th><th scope="col">profile</th><th scope="col">started</th><th scope="col">passed</th><th scope="col">failed</th><th scope="col">warned</th><th scope="col">not run</th><th scope="col">file</th></tr></thead>
<tbody>${runners.map((r) => html`<tr><th scope="row"><a href="#${runnerAnchor(r.name)}">${r.name}</a>${r.hostname !== r.name ? html` <small>(${r.hostname})</small>` : ''}</th><td>${r.platform}</td><td>${r.profile}</td><td>${r.startedAt}</td><td>${r.summary.passed}</td><td>${r.summary.failed}</td><td>${r.summary.warned}</td><td>${r.summary.skipped}</td><td><code>${r.source}</code> <small>(v${r.schemaVersion})</small></td></tr>`)}</tbody>
</table></div></section>`;
}

function failuresSection(runners: readonly RunnerInfo[], failingBy: ReadonlyMap<string, CheckResult[]>, explained: ReadonlySet<string>): Html {
  return html`<section class="runner-failures"><h2 id="failures">Failures by runner</h2>
${runners.map((runner) => {
    const failing = failingBy.get(runner.name) ?? [];
    return html`<section class="runner-block ${failing.length > 0 ? 'fail' : 'pass'}" id="${runnerAnchor(runner.name)}">
<h3>${statusBadge(failing.length > 0 ? 'fail' : 'pass')} ${runner.name} <small>(${failing.length === 0 ? 'nothing fails' : count(failing.length, 'failure')})</small></h3>
${failing.length === 0 ? '' : html`<ul class="results">${failing.map((r) => html`<li>${statusBadge(r.status)} <span class="kind">${r.check}</span> ${r.host} <span class="target">${ownId(r, runner.name) || targetOf(r)}</span> ${codeLink(r.code, explained)}
<div class="message">${r.message}</div>${r.remediation === '' ? '' : html`<div class="fix"><strong>Fix:</strong> ${r.remediation}</div>`}</li>`)}</ul>`}
</section>`;
  })}</section>`;
}

/** The check's id as its runner wrote it (the merge prefixes it with the runner's name). */
function ownId(result: CheckResult, runner: string): string {
  return result.id.startsWith(`${runner}/`) ? result.id.slice(runner.length + 1) : result.id;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
