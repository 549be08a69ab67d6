// Plain-HTTP results of a host (http, crl, ocsp): what answered, with which status, through which proxy, and when a
// block page answered in place of the server, its title and the words that gave it away (server text, escaped).
import type { CheckResult, Evidence } from '../../model/result.js';
import { codeLink, statusBadge } from './badges.js';
import { html, type Html } from './escape.js';
import { num, obj, objects, text, texts } from './evidence.js';

const PORT80_CHECKS = new Set(['http', 'crl', 'ocsp']);

export function port80Section(results: readonly CheckResult[], explained: ReadonlySet<string>): Html | '' {
  const own = results.filter((r) => PORT80_CHECKS.has(r.check));
  if (own.length === 0) return '';
  return html`<div class="port80"><h4>Plain HTTP (port 80)</h4><ul class="fetches">${own.map((r) => fetchItem(r, explained))}</ul></div>`;
}

function fetchItem(result: CheckResult, explained: ReadonlySet<string>): Html {
  const fetch = obj(result.evidence['fetch']);
  const hops = fetch === null ? [] : objects(fetch['hops']);
  const page = obj(result.evidence['page']);
  return html`<li class="fetch">
<div>${statusBadge(result.status)} <span class="kind">${result.check}</span> <span class="target">${result.url ?? ''}</span> ${codeLink(result.code, explained)}</div>
<p class="message">${result.message}</p>
${hops.length === 0 ? '' : html`<ol class="hops">${hops.map(hopItem)}</ol>`}
${page === null ? '' : pageBlock(page)}
${revocationLine(result)}
</li>`;
}

function hopItem(hop: Evidence): Html {
  const answer = obj(hop['answer']);
  const proxy = text(hop['proxy']);
  const failed = objects(hop['failedAttempts']);
  const status = answer === null ? null : `${num(answer['status']) ?? ''} ${text(answer['statusText']) ?? ''}`.trim();
  const headers = answer === null ? [] : [
    ['content-type', text(answer['contentType'])], ['server', text(answer['server'])], ['via', text(answer['via'])], ['location', text(answer['location'])],
  ].filter((pair): pair is [string, string] => pair[1] !== null);
  return html`<li><span class="method">${text(hop['method']) ?? 'GET'}</span> ${text(hop['url']) ?? ''}${proxy === null ? '' : html` <span class="via">through ${proxy}</span>`}
${status === null ? '' : html` → <strong>${status}</strong>`}${headers.map(([name, value]) => html` <span class="header">${name}: ${value}</span>`)}
${failed.map((f) => html`<div class="attempt">${text(f['address']) ?? ''}:${num(f['port']) ?? ''} ${text(f['code']) ?? ''} ${text(f['detail']) ?? ''}</div>`)}</li>`;
}

/** What came back instead of the expected body: the block page's title, markers and an excerpt, as text. */
function pageBlock(page: Evidence): Html {
  const title = text(page['title']);
  const markers = texts(page['markers']);
  const excerpt = text(page['excerpt']);
  return html`<div class="page">
<p>Page (${text(page['kind']) ?? 'unknown'})${title === null ? '' : html` titled <q class="page-title">${title}</q>`}</p>
${markers.length === 0 ? '' : html`<p class="markers">it mentions: ${markers.join('; ')}</p>`}
${excerpt === null ? '' : html`<blockquote class="excerpt">${excerpt}</blockquote>`}
</div>`;
}

/** The CRL's dates or the OCSP answer, one line. */
function revocationLine(result: CheckResult): Html | '' {
  const crl = obj(result.evidence['crl']);
  if (crl !== null) {
    return html`<p class="revocation">CRL of ${text(crl['issuer']) ?? '?'}: this update ${text(crl['thisUpdate']) ?? '?'}, next update ${text(crl['nextUpdate']) ?? '?'}, ${num(crl['entries']) ?? '?'} revoked</p>`;
  }
  const response = obj(result.evidence['response']);
  if (response !== null) {
    return html`<p class="revocation">OCSP ${text(response['responseStatus']) ?? '?'}${text(response['certStatus']) === null ? '' : `, certificate ${text(response['certStatus'])}`}${text(response['producedAt']) === null ? '' : `, produced ${text(response['producedAt'])}`}</p>`;
  }
  return '';
}
