// The comparison with an earlier run as HTML, in the console's order (reporters/comparison-console.ts): regressions
// first, each "code before → after" with what the check says now and its fix; then fixed, still failing, new, gone
// and no longer tested. Used by `diff --html`, near the top of `run --baseline --html`, and in the watch timeline.
// Ids, codes, hosts and messages come from files of unknown origin: they only ever pass through the `html` template.
import type { Comparison, ComparisonItem, StatusAndCode } from '../../model/comparison.js';
import { explanationOf } from '../../model/code-catalogue.js';
import type { Status } from '../../model/codes.js';
import { countsLine } from '../comparison-console.js';
import { codeAnchor, codeLink, statusBadge } from './badges.js';
import { anchorId, html, type Html } from './escape.js';

/** What the newer run says about a check now: its message and fix (absent when the check is gone). */
export interface CurrentText {
  message: string;
  remediation: string;
}

export interface ComparisonContext {
  /** Codes whose explanation the page embeds: codes link there. */
  explained: ReadonlySet<string>;
  /** The newer run's message and remediation of a check, by id. */
  currentOf: (id: string) => CurrentText | undefined;
  /** The heading level of the section's title (its lists are one below). */
  level?: 2 | 3;
}

/** The lists after the regressions, in the console's order, each with the status its mark shows. */
const LISTS: ReadonlyArray<{ key: Exclude<keyof Comparison, 'baseline' | 'regressions'>; title: string; tone: Status; note: string }> = [
  { key: 'fixed', title: 'Fixed', tone: 'pass', note: 'failed in the baseline, do not fail now' },
  { key: 'stillFailing', title: 'Still failing', tone: 'fail', note: 'failed in the baseline and fail now: not caused by the change' },
  { key: 'new', title: 'New', tone: 'skip', note: 'checks the baseline did not have' },
  { key: 'gone', title: 'Gone', tone: 'skip', note: 'checks of the baseline this run did not have' },
  { key: 'untested', title: 'No longer tested', tone: 'skip', note: 'reached a verdict in the baseline, not run now: a prerequisite stopped passing' },
];

/** The codes the comparison names that the catalogue explains (a code that passes needs no explaining). */
export function comparisonCodes(comparison: Comparison): Set<string> {
  const codes = new Set<string>();
  const all = [comparison.regressions, ...LISTS.map(({ key }) => comparison[key])].flat();
  for (const item of all) {
    for (const side of [item.before, item.after]) {
      if (side !== null && side.status !== 'pass' && explanationOf(side.code) !== undefined) codes.add(side.code);
    }
  }
  return codes;
}

/** A `comparison` block as a file has it may be of any shape: only one with every list is drawn. */
export function isComparison(value: unknown): value is Comparison {
  if (value === null || typeof value !== 'object') return false;
  const block = value as Record<string, unknown>;
  return ['regressions', ...LISTS.map(({ key }) => key)].every((key) => Array.isArray(block[key])) && typeof block['baseline'] === 'object' && block['baseline'] !== null;
}

export function comparisonSection(comparison: Comparison, context: ComparisonContext): Html {
  const level = context.level ?? 2;
  const baseline = `${comparison.baseline.hostname || 'unknown host'}, ${comparison.baseline.startedAt || 'unknown time'}`;
  const title = html`Against the baseline <small>(${baseline})</small>`;
  return html`<section class="comparison" aria-label="comparison with the baseline">
${level === 2 ? html`<h2 id="comparison">${title}</h2>` : html`<h3 id="comparison">${title}</h3>`}
<p class="counts-line">${countsLine(comparison)}</p>
${regressionsPart(comparison.regressions, context, level)}
${LISTS.map((list) => listPart(list, comparison[list.key], context, level))}
</section>`;
}

function heading(level: 2 | 3, id: string, text: Html): Html {
  return level === 2 ? html`<h3 id="${id}">${text}</h3>` : html`<h4 id="${id}">${text}</h4>`;
}

function regressionsPart(items: readonly ComparisonItem[], context: ComparisonContext, level: 2 | 3): Html {
  if (items.length === 0) return html`<p class="no-regressions">${statusBadge('pass')} No regressions: nothing that passed in the baseline fails now.</p>`;
  return html`${heading(level, 'regressions', html`Regressions <small>(${items.length}: passed in the baseline, fail now)</small>`)}
${items.map((item) => {
    const now = context.currentOf(item.id);
    return html`<article class="finding regression ${item.after?.status === 'fail' ? 'fail' : 'warn'}">
<h4>${statusBadge(item.after?.status ?? 'fail')} <span class="kind">${item.check}</span> ${item.host} <span class="target">${item.id}</span></h4>
<p class="change">${change(item, context.explained)}</p>
${now === undefined || now.message === '' ? '' : html`<p class="message">${now.message}</p>`}
${now === undefined || now.remediation === '' ? '' : html`<p class="fix"><strong>Fix:</strong> ${now.remediation}</p>`}
${item.after?.status === 'warn' ? html`<p class="accepted">Accepted by an expectedFailures entry: does not fail the run.</p>` : ''}
${item.after !== null && explanationOf(item.after.code) !== undefined && context.explained.has(item.after.code) ? html`<p class="more"><a href="#${codeAnchor(item.after.code)}">what ${item.after.code} means</a></p>` : ''}
</article>`;
  })}`;
}

function listPart(list: (typeof LISTS)[number], items: readonly ComparisonItem[], context: ComparisonContext, level: 2 | 3): Html | '' {
  if (items.length === 0) return '';
  // What failing checks say now, where the page knows it (a watch knows it only for checks that changed).
  const now = list.key === 'stillFailing' || list.key === 'new' ? items.map((item) => context.currentOf(item.id)?.message ?? '') : [];
  const withNow = now.some((message) => message !== '');
  return html`${heading(level, anchorId('compared', list.key), html`${list.title} <small>(${items.length}: ${list.note})</small>`)}
<div class="scroll"><table class="compared ${list.tone}">
<thead><tr><th scope="col">check</th><th scope="col">before → after</th>${withNow ? html`<th scope="col">now</th>` : ''}</tr></thead>
<tbody>${items.map((item, i) => html`<tr><th scope="row"><span class="kind">${item.check}</span> <span class="target">${item.id}</span></th><td>${change(item, context.explained)}</td>${withNow ? html`<td>${now[i] ?? ''}</td>` : ''}</tr>`)}</tbody>
</table></div>`;
}

/** "TCP_OK (pass) → TCP_REFUSED (fail)": each side's code, linked to its explanation, and its status; "absent" for a side without the check. */
export function change(item: Pick<ComparisonItem, 'before' | 'after'>, explained: ReadonlySet<string>): Html {
  return html`<span class="side before">${side(item.before, explained)}</span> <span class="arrow" aria-label="became">→</span> <span class="side after">${side(item.after, explained)}</span>`;
}

function side(value: StatusAndCode | null, explained: ReadonlySet<string>): Html {
  return value === null ? html`<span class="absent">absent</span>` : html`${codeLink(value.code, explained)} ${statusBadge(value.status)}`;
}
