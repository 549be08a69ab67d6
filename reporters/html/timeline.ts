// `preflight watch --html`: the change window as it happened, written when the watch ends. The verdict (is a
// regression still open), the regressions still open with the time each appeared, then the timeline: each round
// with the changes it brought (regression, fixed, changed, new, flapping) at the time it saw them, quiet rounds
// folded into one line; last, the final round against the baseline and what the codes mean.
// Ids, codes and messages come from the network or from the baseline file: template-escaped.
import type { TimelineDocument } from '../../cli/watch-output.js';
import { explanationOf } from '../../model/code-catalogue.js';
import type { WatchEvent, WatchRound } from '../../model/watch-timeline.js';
import { codeAnchor, statusBadge } from './badges.js';
import { change, comparisonCodes, comparisonSection } from './comparison.js';
import { html, type Html } from './escape.js';
import { ms } from './evidence.js';
import { explanationsSection } from './explanations.js';
import { htmlPage } from './page.js';

const KIND_WORDS: Readonly<Record<WatchEvent['kind'], string>> = {
  regression: 'regression', fixed: 'fixed', changed: 'changed', new: 'new failure', flapping: 'flapping',
};

export function renderTimelineHtml(doc: TimelineDocument): string {
  const explained = new Set([...(doc.comparison === null ? [] : comparisonCodes(doc.comparison)), ...eventCodes(doc.events)]);
  // The latest text each check had: what the final comparison and the open regressions show.
  const latest = new Map(doc.events.filter((e) => e.kind !== 'flapping').map((e) => [e.id, { message: e.message, remediation: e.remediation }]));
  const open = doc.openRegressions;
  const [tone, headline] = doc.rounds.length === 0 ? ['fail', 'Nothing was tested: the watch ended before its first round finished']
    : open.length > 0 ? ['fail', `${open.length} ${open.length === 1 ? 'regression' : 'regressions'} against the baseline still open`]
      : ['pass', 'No regression against the baseline is open'];
  const why = doc.endedBy === 'interrupt' ? 'ended by Ctrl-C' : 'reached --until';
  const body = html`<header>
<h1>Egress preflight watch: ${doc.profile || 'run'}</h1>
<p class="meta">${doc.host.hostname} (${doc.host.platform}) · ${doc.startedAt.slice(0, 10)} ${timeTag(doc.startedAt)} – ${timeTag(doc.endedAt)} (${why}) · a round every ${ms(doc.intervalMs)}</p>
<p class="meta">Baseline: ${doc.baseline.file} (${doc.baseline.hostname || 'unknown host'}, ${doc.baseline.startedAt || 'unknown time'})</p>
</header>
<main>
<section class="verdict ${tone}" aria-label="verdict">
<p class="headline">${headline}</p>
<p class="gate">${doc.rounds.length} ${doc.rounds.length === 1 ? 'round' : 'rounds'}, ${doc.events.length} ${doc.events.length === 1 ? 'change' : 'changes'} seen; watch exits 1 while a regression against the baseline is open at the end</p>
</section>
${openSection(doc, latest, explained)}
${timelineSection(doc, explained)}
${doc.comparison === null ? '' : comparisonSection(doc.comparison, { explained, currentOf: (id) => latest.get(id) })}
${explanationsSection(explained)}
</main>
<footer><p>Written by ${doc.tool.name} ${doc.tool.version} when the watch ended. Times are this machine's clock. This file loads nothing from the network; text from servers and files is shown as text.</p></footer>`;
  return htmlPage(`Egress preflight watch: ${doc.profile} on ${doc.host.hostname}, ${doc.startedAt}`, body);
}

function eventCodes(events: readonly WatchEvent[]): string[] {
  return events.flatMap((e) => [e.before, e.after]).flatMap((side) => (side !== null && side.status !== 'pass' && explanationOf(side.code) !== undefined ? [side.code] : []));
}

function openSection(doc: TimelineDocument, latest: ReadonlyMap<string, { message: string; remediation: string }>, explained: ReadonlySet<string>): Html | '' {
  if (doc.openRegressions.length === 0) return '';
  return html`<section class="open"><h2 id="open">Still open at the end</h2>
${doc.openRegressions.map((item) => {
    const now = latest.get(item.id);
    return html`<article class="finding regression fail">
<h3>${statusBadge('fail')} <span class="kind">${item.check}</span> ${item.host} <span class="target">${item.id}</span></h3>
<p class="change">${change({ before: item.baseline, after: item.now }, explained)}${item.since === null ? '' : html` <span class="since">since ${timeTag(item.since)}</span>`}</p>
${now === undefined || now.message === '' ? '' : html`<p class="message">${now.message}</p>`}
${now === undefined || now.remediation === '' ? '' : html`<p class="fix"><strong>Fix:</strong> ${now.remediation}</p>`}
${item.now !== null && explained.has(item.now.code) ? html`<p class="more"><a href="#${codeAnchor(item.now.code)}">what ${item.now.code} means</a></p>` : ''}
</article>`;
  })}</section>`;
}

/** Round by round; a run of rounds without a change is one line ("rounds 4–19: no change"). */
function timelineSection(doc: TimelineDocument, explained: ReadonlySet<string>): Html {
  const byRound = new Map<number, WatchEvent[]>();
  for (const event of doc.events) byRound.set(event.round, [...(byRound.get(event.round) ?? []), event]);
  const items: Html[] = [];
  let quiet: WatchRound[] = [];
  const flushQuiet = () => {
    if (quiet.length === 0) return;
    const [first, last] = [quiet[0] as WatchRound, quiet.at(-1) as WatchRound];
    items.push(html`<li class="round quiet"><span class="when">${timeTag(first.startedAt)}${quiet.length > 1 ? html`–${timeTag(last.startedAt)}` : ''}</span> ${quiet.length > 1 ? `rounds ${first.round}–${last.round}` : `round ${first.round}`}: no change <small>(${counts(last)})</small></li>`);
    quiet = [];
  };
  for (const round of doc.rounds) {
    const events = byRound.get(round.round) ?? [];
    if (events.length === 0) {
      quiet.push(round);
      continue;
    }
    flushQuiet();
    items.push(html`<li class="round"><span class="when">${timeTag(round.startedAt)}</span> round ${round.round} <small>(${counts(round)}, took ${ms(round.durationMs)})</small>
<ol class="events">${events.map((event) => eventItem(event, explained))}</ol></li>`);
  }
  flushQuiet();
  return html`<section class="timeline"><h2 id="timeline">Timeline</h2>
${items.length === 0 ? html`<p>No round finished.</p>` : html`<ol class="rounds">${items}</ol>`}</section>`;
}

function eventItem(event: WatchEvent, explained: ReadonlySet<string>): Html {
  // Only a known kind selects a class and a word: the document may have been edited.
  const kind = Object.hasOwn(KIND_WORDS, event.kind) ? event.kind : 'changed';
  const baseline = event.baseline === null ? 'not in the baseline'
    : event.kind === 'regression' && event.baseline.status === 'fail' ? `failing in the baseline too (${event.baseline.code})`
      : event.kind === 'fixed' && event.baseline.status === 'fail' ? 'failing in the baseline: fixed by the change' : '';
  return html`<li class="event ${kind}"><span class="when">${timeTag(event.at)}</span> <span class="event-kind ${kind}">${KIND_WORDS[kind]}</span> <span class="kind">${event.check}</span> <span class="target">${event.id}</span>
<div class="change">${change(event, explained)}${kind === 'flapping' ? html` <small>${event.flips ?? 0} changes since the watch began</small>` : ''}${baseline === '' ? '' : html` <small>(${baseline})</small>`}</div>
${kind === 'fixed' || kind === 'flapping' || event.message === '' ? '' : html`<div class="message">${event.message}</div>`}
${kind === 'fixed' || kind === 'flapping' || event.remediation === '' ? '' : html`<div class="fix"><strong>Fix:</strong> ${event.remediation}</div>`}</li>`;
}

function counts(round: WatchRound): string {
  const s = round.summary;
  return `${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s.warned} warned, ${s.skipped} not run`;
}

/** HH:MM:SS on this machine's clock (as the console printed it), the full time in the tag's datetime. */
function timeTag(iso: string): Html {
  return html`<time datetime="${iso}">${time(iso)}</time>`;
}

function time(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
