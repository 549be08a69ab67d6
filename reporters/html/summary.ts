// The top of the report: the verdict, the counts, and what failed or warned grouped by cause, each cause once with
// its fix and what it caused under it (reporters/causes.ts decides what explains what).
import type { Status } from '../../model/codes.js';
import { explanationOf } from '../../model/code-catalogue.js';
import { failingRegressions, resultFailsRun, type Comparison } from '../../model/comparison.js';
import { statusFailsRun, type FailOnKind } from '../../model/fail-on.js';
import type { CheckResult, RunSummary } from '../../model/result.js';
import { relateCauses, sharedDnsFailure, type CauseRelation, type SharedDnsFailure } from '../causes.js';
import { codeAnchor, codeLink, hostAnchor, statusBadge, targetOf } from './badges.js';
import { html, type Html } from './escape.js';

export interface SummaryContext {
  failOn: readonly FailOnKind[];
  /** Codes whose explanation the report embeds: codes link there. */
  explained: ReadonlySet<string>;
  /** With --baseline: `--fail-on regression` is judged against it. */
  comparison?: Comparison | null;
}

/** Under a cause, this many consequences are listed; the rest are counted. */
const CONSEQUENCES_LISTED = 12;

export function verdictSection(results: readonly CheckResult[], summary: RunSummary, interrupted: boolean, context: SummaryContext): Html {
  const tested = results.some((r) => r.status !== 'skip');
  const comparison = context.comparison ?? null;
  const failing = results.some((r) => resultFailsRun(r, context.failOn, comparison));
  const regressions = comparison === null ? 0 : failingRegressions(comparison).length;
  const [tone, headline] = interrupted ? ['fail', `Interrupted: ${summary.total} checks finished, the others did not run`]
    : !tested ? ['fail', 'Nothing was tested: no check reached a verdict']
      : failing ? ['fail', failingHeadline(summary, context.failOn, regressions)]
        // `--fail-on regression` alone lets failures the baseline had through: said, rather than "Passes".
        : summary.failed > 0 ? ['warn', `Passes on --fail-on ${context.failOn.join(', ')}: ${plural(summary.failed, 'check')} failed, none of them a regression`]
          : summary.warned > 0 ? ['warn', `Passes with ${plural(summary.warned, 'warning')}`]
            : ['pass', 'Passes: every check that ran passed'];
  const gate = context.failOn.join(', ');
  const counts: ReadonlyArray<readonly [Status, string, number]> = [
    ['pass', 'passed', summary.passed], ['fail', 'failed', summary.failed], ['warn', 'warned', summary.warned], ['skip', 'not run', summary.skipped],
  ];
  return html`<section class="verdict ${tone}" aria-label="verdict">
<p class="headline">${headline}</p>
<p class="gate">${summary.total} checks; the run fails on: ${gate}</p>
<ul class="counts">${counts.map(([status, label, n]) => html`<li class="${status}${n === 0 ? ' zero' : ''}"><span class="n">${n}</span> ${label}</li>`)}</ul>
</section>`;
}

/** What fails the run, the strongest reason first: failures, else warnings (--fail-on warning), else skips (--fail-on skip). */
function failingHeadline(summary: RunSummary, failOn: readonly FailOnKind[], regressions: number): string {
  if (regressions > 0 && !statusFailsRun('fail', failOn)) return `Fails: ${plural(regressions, 'regression')} since the baseline (--fail-on regression)`;
  if (summary.failed > 0) return `Fails: ${plural(summary.failed, 'check')} failed${summary.warned > 0 ? `, ${summary.warned} warned` : ''}`;
  if (summary.warned > 0) return `Fails on warnings: ${plural(summary.warned, 'check')} warned (--fail-on warning)`;
  return `Fails on checks not run: ${plural(summary.skipped, 'check')} not run (--fail-on skip)`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Failures, then warnings, each cause once; then what was not tested and why. */
export function findingsSection(results: readonly CheckResult[], context: SummaryContext): Html {
  const relation = relateCauses(results);
  const shared = sharedDnsFailure(results.filter((r) => r.check === 'dns'));
  const cards: Array<{ status: Status; card: Html }> = [];
  for (const result of results) {
    if (result.status === 'pass' || result.status === 'skip' || relation.rootOf(result) !== undefined) continue;
    if (shared && shared.results.includes(result)) {
      if (result === shared.results[0]) cards.push({ status: shared.status, card: sharedDnsCard(shared, relation, context) });
      continue;
    }
    const consequences = relation.consequencesOf(result);
    const status = [result, ...consequences].some((r) => r.status === 'fail') ? 'fail' : 'warn';
    cards.push({ status, card: findingCard(result, consequences, context) });
  }
  const part = (title: string, status: Status) => {
    const own = cards.filter((c) => c.status === status);
    return own.length === 0 ? '' : html`<h2 id="${status === 'fail' ? 'failures' : 'warnings'}">${title} <small>(${own.length} ${own.length === 1 ? 'cause' : 'causes'})</small></h2>${own.map((c) => c.card)}`;
  };
  return html`<section class="findings">${part('Failures', 'fail')}${part('Warnings', 'warn')}${notTested(results, relation)}</section>`;
}

function findingCard(result: CheckResult, consequences: readonly CheckResult[], context: SummaryContext): Html {
  const explanation = explanationOf(result.code);
  return html`<article class="finding ${result.status}">
<h3>${statusBadge(result.status)} <span class="kind">${result.check}</span> <a href="#${hostAnchor(result.host)}">${result.host}</a> <span class="target">${targetOf(result)}</span> ${codeLink(result.code, context.explained)}</h3>
<p class="message">${result.message}</p>
${result.remediation === '' ? '' : html`<p class="fix"><strong>Fix:</strong> ${result.remediation}</p>`}
${explanation === undefined ? '' : html`<p class="more">${explanation.title}: <a href="#${codeAnchor(result.code)}">what ${result.code} means</a></p>`}
${consequenceList(consequences, context)}
</article>`;
}

function sharedDnsCard(shared: SharedDnsFailure, relation: CauseRelation, context: SummaryContext): Html {
  const consequences = shared.results.flatMap((r) => relation.consequencesOf(r));
  const first = shared.results[0];
  return html`<article class="finding ${shared.status}">
<h3>${statusBadge(shared.status)} <span class="kind">dns</span> every name fails at ${shared.resolver ?? 'the resolver'} ${codeLink(shared.code, context.explained)}</h3>
<p class="message">All ${shared.results.length} names fail the same way at the same resolver: the resolver, not each name, is what to look at.</p>
${first === undefined || first.remediation === '' ? '' : html`<p class="fix"><strong>Fix:</strong> ${first.remediation}</p>`}
<p class="names">${shared.results.map((r, i) => html`${i > 0 ? ', ' : ''}<a href="#${hostAnchor(r.host)}">${r.host}</a>`)}</p>
${consequenceList(consequences, context)}
</article>`;
}

/** What a cause explains: the failures and warnings listed, the checks that did not run counted by kind. */
function consequenceList(consequences: readonly CheckResult[], context: SummaryContext): Html | '' {
  if (consequences.length === 0) return '';
  const listed = consequences.filter((c) => c.status !== 'skip');
  const notRun = consequences.filter((c) => c.status === 'skip');
  const shownNow = listed.slice(0, CONSEQUENCES_LISTED);
  const kinds = [...new Set(notRun.map((c) => c.check))].join(', ');
  return html`<div class="consequences"><p>Because of this: ${listed.length > 0 ? `${listed.length} more failed or warned` : ''}${listed.length > 0 && notRun.length > 0 ? '; ' : ''}${notRun.length > 0 ? `${notRun.length} not run (${kinds})` : ''}</p>
${shownNow.length === 0 ? '' : html`<ul>${shownNow.map((c) => html`<li>${statusBadge(c.status)} <span class="kind">${c.check}</span> ${c.host} <span class="target">${targetOf(c)}</span> ${codeLink(c.code, context.explained)}</li>`)}</ul>`}
${listed.length > shownNow.length ? html`<p>and ${listed.length - shownNow.length} more</p>` : ''}</div>`;
}

/** Skips that no failure above explains, grouped by their reason (a placeholder without --var, --only, …). */
function notTested(results: readonly CheckResult[], relation: CauseRelation): Html | '' {
  const skipped = results.filter((r) => r.status === 'skip');
  if (skipped.length === 0) return '';
  const behind = skipped.filter((r) => {
    const root = relation.rootOf(r);
    return root !== undefined && root.status !== 'skip';
  }).length;
  const byReason = new Map<string, CheckResult[]>();
  for (const result of skipped.filter((r) => relation.rootOf(r) === undefined)) {
    const reason = result.message.replace(/^not run: /, '');
    byReason.set(reason, [...(byReason.get(reason) ?? []), result]);
  }
  return html`<h2 id="not-tested">Not tested <small>(${skipped.length})</small></h2>
${behind > 0 ? html`<p>${behind} ${behind === 1 ? 'check was' : 'checks were'} not run because of the findings above.</p>` : ''}
${byReason.size === 0 ? '' : html`<ul class="skips">${[...byReason].map(([reason, group]) => html`<li>${group.length} ${group.length === 1 ? 'check' : 'checks'}: ${reason} <span class="target">(${group.map((r) => `${r.check} ${targetOf(r) || r.host}`).join(', ')})</span></li>`)}</ul>`}`;
}
