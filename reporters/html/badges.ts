// The small pieces every section shows the same way: a status mark, a code that links to its explanation, where a
// check went.
import type { Status } from '../../model/codes.js';
import { explanationOf } from '../../model/code-catalogue.js';
import type { CheckResult } from '../../model/result.js';
import { anchorId, html, type Html } from './escape.js';

const STATUS_WORDS: Readonly<Record<Status, string>> = { pass: 'pass', fail: 'fail', warn: 'warn', skip: 'skip' };

/** Status as a word in a coloured badge: readable in black and white print and by screen readers. */
export function statusBadge(status: Status): Html {
  // Status comes from a document: only a known one selects a class.
  const known = Object.hasOwn(STATUS_WORDS, status) ? status : 'skip';
  return html`<span class="badge ${known}">${STATUS_WORDS[known]}</span>`;
}

/** The fragment the explanation of `code` has in this report. */
export function codeAnchor(code: string): string {
  return anchorId('code', code);
}

/** The code, linked to its explanation when the report embeds one (`explained` holds those codes). */
export function codeLink(code: string, explained: ReadonlySet<string>): Html {
  if (!explained.has(code) || explanationOf(code) === undefined) return html`<code>${code}</code>`;
  return html`<a class="code" href="#${codeAnchor(code)}"><code>${code}</code></a>`;
}

/** Where the check went: its URL, else address:port (IPv6 in brackets), else the port alone. */
export function targetOf(result: CheckResult): string {
  if (result.url !== null) return result.url;
  if (result.address === null) return result.port === null ? '' : `port ${result.port}`;
  const address = result.address.includes(':') ? `[${result.address}]` : result.address;
  return result.port === null ? result.address : `${address}:${result.port}`;
}

/** The anchor of a host's section. */
export function hostAnchor(host: string): string {
  return anchorId('host', host);
}
