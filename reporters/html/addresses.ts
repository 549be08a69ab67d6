// Per address and port of a host: the tcp, tls and inspection verdicts side by side, so a reader sees at once which
// address fails and at which step.
import type { CheckResult } from '../../model/result.js';
import { codeLink, statusBadge, targetOf } from './badges.js';
import { html, type Html } from './escape.js';
import { ms, num, obj, text } from './evidence.js';

const STEPS = ['tcp', 'tls', 'inspection'] as const;

export function addressTable(results: readonly CheckResult[], explained: ReadonlySet<string>): Html | '' {
  const rows = new Map<string, { label: string; cells: Map<string, CheckResult> }>();
  for (const result of results) {
    if (!(STEPS as readonly string[]).includes(result.check)) continue;
    const key = `${result.address ?? ''}|${result.port ?? ''}`;
    const label = result.address === null ? `${result.port === null ? '' : `port ${result.port}`} (no address: ${result.status === 'skip' ? 'not resolved' : 'through the proxy'})`
      : targetOf({ ...result, url: null });
    const row = rows.get(key) ?? { label, cells: new Map() };
    if (!row.cells.has(result.check)) row.cells.set(result.check, result);
    rows.set(key, row);
  }
  if (rows.size === 0) return '';
  const notes = [...rows.values()].flatMap((row) => STEPS.flatMap((step) => {
    const r = row.cells.get(step);
    return r !== undefined && r.status !== 'pass' && r.status !== 'skip' ? [r] : [];
  }));
  return html`<div class="scroll"><table class="addresses">
<thead><tr><th scope="col">address</th>${STEPS.map((step) => html`<th scope="col">${step}</th>`)}</tr></thead>
<tbody>${[...rows.values()].map((row) => html`<tr><th scope="row">${row.label}</th>${STEPS.map((step) => cell(row.cells.get(step), explained))}</tr>`)}</tbody>
</table></div>
${notes.length === 0 ? '' : html`<ul class="notes">${notes.map((r) => html`<li>${statusBadge(r.status)} <span class="kind">${r.check}</span> ${targetOf(r)}: ${r.message}</li>`)}</ul>`}`;
}

function cell(result: CheckResult | undefined, explained: ReadonlySet<string>): Html {
  if (result === undefined) return html`<td class="none">—</td>`;
  return html`<td>${statusBadge(result.status)} ${codeLink(result.code, explained)}<div class="detail">${detail(result)}</div></td>`;
}

/** One short line of what the step observed. */
function detail(result: CheckResult): string {
  const e = result.evidence;
  switch (result.check) {
    case 'tcp': {
      const connect = num(e['connectMs']);
      return connect === null ? '' : `connected in ${ms(connect)}`;
    }
    case 'tls': {
      const protocol = text(e['protocol']);
      const exchange = obj(e['keyExchange']);
      return [protocol, text(e['cipher']), exchange === null ? null : text(exchange['name'])].filter((p) => p !== null).join(' · ');
    }
    case 'inspection': {
      const vendor = text(e['vendor']);
      if (result.code === 'TLS_INSPECTED') return `re-signed by ${text(e['observedIssuer']) ?? 'an unexpected issuer'}${vendor === null ? '' : ` (${vendor})`}`;
      return result.status === 'pass' ? `issuer ${text(e['observedIssuer']) ?? ''}` : '';
    }
    default:
      return '';
  }
}
