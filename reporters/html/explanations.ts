// The end of the report: the catalogue's general text for every code that did not pass, which the findings and
// verdict cells link to. The same text `preflight explain CODE` prints (model/code-catalogue.ts).
import { explanationOf } from '../../model/code-catalogue.js';
import type { CheckResult } from '../../model/result.js';
import { codeAnchor } from './badges.js';
import { html, type Html } from './escape.js';

/** The codes the report explains: those of results that did not pass, in the order they first appear, known ones only. */
export function codesToExplain(results: readonly CheckResult[]): Set<string> {
  return new Set(results.filter((r) => r.status !== 'pass' && explanationOf(r.code) !== undefined).map((r) => r.code));
}

export function explanationsSection(codes: ReadonlySet<string>): Html | '' {
  if (codes.size === 0) return '';
  return html`<section class="explanations"><h2 id="codes">What the codes mean</h2>${[...codes].map((code) => {
    const e = explanationOf(code);
    if (e === undefined) return '';
    return html`<article class="explanation" id="${codeAnchor(code)}">
<h3><code>${code}</code>: ${e.title}</h3>
<p>${e.meaning}</p>
${e.causes.length === 0 ? '' : html`<p class="label">Usual causes</p><ul>${e.causes.map((cause) => html`<li>${cause}</li>`)}</ul>`}
<p><strong>What to change:</strong> ${e.change}</p>
<p class="requirement">${e.requirement}</p>
<p class="cli">On the command line: <code>preflight explain ${code}</code></p>
</article>`;
  })}</section>`;
}
