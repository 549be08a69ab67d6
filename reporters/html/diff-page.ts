// `preflight diff OLD NEW --html`: the change window's verdict for a change board. What the two runs were, what
// may make them hard to compare (other hosts, other profiles, an interrupted run), whether a regression fails it,
// then the comparison (reporters/html/comparison.ts) and what the codes mean. Self-contained like every report.
import { failingRegressions, type Comparison } from '../../model/comparison.js';
import type { CheckResult } from '../../model/result.js';
import { comparisonCodes, comparisonSection } from './comparison.js';
import { html, type Html } from './escape.js';
import { explanationsSection } from './explanations.js';
import { htmlPage } from './page.js';

/** What the page says about each side: a document as read (either schema version) has it. */
export interface DiffSide {
  schemaVersion: number;
  host: { hostname: string; platform: string };
  profile: string;
  startedAt: string;
  summary: { total: number };
  interrupted?: true | undefined;
  tool: { name: string; version: string };
}

export function renderDiffHtml(before: DiffSide, after: DiffSide, comparison: Comparison, current: readonly CheckResult[]): string {
  const byId = new Map(current.map((r) => [r.id, r]));
  const explained = comparisonCodes(comparison);
  const failing = failingRegressions(comparison).length;
  const accepted = comparison.regressions.length - failing;
  const [tone, headline] = failing > 0 ? ['fail', `Regressions: ${failing} ${failing === 1 ? 'check that passed now fails' : 'checks that passed now fail'}`]
    : ['pass', `No regression${accepted > 0 ? ` that fails (${accepted} accepted by expectedFailures)` : ''}: nothing that passed in the baseline fails now`];
  const body = html`<header>
<h1>Egress preflight: what changed</h1>
<p class="meta">${describe('Before', before)}</p>
<p class="meta">${describe('After', after)}</p>
</header>
<main>
<section class="verdict ${tone}" aria-label="verdict">
<p class="headline">${headline}</p>
<p class="gate">diff fails on a regression (a check that passed before and fails now); ${comparison.stillFailing.length} still failing ${comparison.stillFailing.length === 1 ? 'is' : 'are'} listed, and do not fail it</p>
</section>
${notes(before, after)}
${comparisonSection(comparison, { explained, currentOf: (id) => byId.get(id) })}
${explanationsSection(explained)}
</main>
<footer><p>Written by ${after.tool.name} ${after.tool.version} from two result documents. This file loads nothing from the network; text from the documents is shown as text.</p></footer>`;
  return htmlPage(`Egress preflight diff: ${before.host.hostname} ${before.startedAt} → ${after.host.hostname} ${after.startedAt}`, body);
}

function describe(label: string, side: DiffSide): string {
  return `${label}: ${side.host.hostname || 'unknown host'} · ${side.startedAt || 'unknown time'} · ${side.profile || 'no profile'} · ${side.summary.total} checks (schema version ${side.schemaVersion})`;
}

/** What makes a difference something other than the network's (the console says the same, as "note:" lines). */
function notes(before: DiffSide, after: DiffSide): Html | '' {
  const said: string[] = [];
  if (before.host.hostname !== after.host.hostname) said.push('The two runs are from different hosts: a difference may be the host, not the network.');
  if (before.profile !== after.profile) said.push(`Different profiles (${before.profile} → ${after.profile}): checks of one only show as new or gone.`);
  if (before.interrupted) said.push('The old run was interrupted: checks it did not finish show as new.');
  if (after.interrupted) said.push('The new run was interrupted: checks it did not finish show as gone.');
  return said.length === 0 ? '' : html`<ul class="notes diff-notes">${said.map((note) => html`<li>${note}</li>`)}</ul>`;
}
