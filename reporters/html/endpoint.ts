// One endpoint host's section: its DNS chain, the verdicts per address, the certificates where they matter, its
// plain-HTTP fetches and its timing. Any result of a kind these parts do not draw is still listed, never dropped.
import { summarize, type CertificateTable, type CheckResult } from '../../model/result.js';
import { addressTable } from './addresses.js';
import { codeLink, hostAnchor, statusBadge, targetOf } from './badges.js';
import { certificateSection } from './certificates.js';
import { dnsSection } from './dns-chain.js';
import { html, type Html } from './escape.js';
import { port80Section } from './port80.js';
import { waterfallRows, waterfallSection } from './waterfall.js';

const DRAWN = new Set(['dns', 'tcp', 'tls', 'inspection', 'http', 'crl', 'ocsp']);

export interface EndpointContext {
  certificates: Readonly<CertificateTable>;
  explained: ReadonlySet<string>;
  /** The waterfalls' shared scale (waterfallScale over every host). */
  scaleMs: number;
}

export function endpointSection(host: string, results: readonly CheckResult[], context: EndpointContext): Html {
  const counts = summarize(results);
  const worst = counts.failed > 0 ? 'fail' : counts.warned > 0 ? 'warn' : counts.passed > 0 ? 'pass' : 'skip';
  const dns = results.find((r) => r.check === 'dns');
  const others = results.filter((r) => !DRAWN.has(r.check));
  return html`<section class="endpoint ${worst}" id="${hostAnchor(host)}">
<h3>${statusBadge(worst)} ${host} <small>${counts.passed} passed · ${counts.failed} failed · ${counts.warned} warned · ${counts.skipped} not run</small></h3>
${dns === undefined ? '' : dnsSection(dns, context.explained)}
${addressTable(results, context.explained)}
${certificateSection(results, context.certificates, context.explained)}
${port80Section(results, context.explained)}
${others.length === 0 ? '' : resultList(others, context.explained)}
${waterfallSection(waterfallRows(results), context.scaleMs)}
</section>`;
}

/** Results as plain lines: this machine's checks, and kinds the sections above do not draw. */
export function resultList(results: readonly CheckResult[], explained: ReadonlySet<string>): Html {
  return html`<ul class="results">${results.map((r) => html`<li>${statusBadge(r.status)} <span class="kind">${r.check}</span> <span class="target">${targetOf(r)}</span> ${codeLink(r.code, explained)}<div class="message">${r.message}</div></li>`)}</ul>`;
}
