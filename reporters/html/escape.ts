// The one way text enters the HTML report. Every string interpolated into the `html` template is escaped by
// escapeHtml unless it is already an Html fragment: a renderer cannot forget to escape a certificate subject, a
// block page title or an EDE text, because the only way to write raw markup is to build it with the template.

/** Beyond this, a server string is cut (a block page excerpt of megabytes would bury the report). */
export const TEXT_MAX = 2000;

const MARKUP: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Characters shown as a visible escape instead of acting: C0 and C1 controls and DEL, the bidi embeddings,
 * overrides, isolates and marks that reorder what is displayed ("Trojan Source"), the Unicode line and paragraph
 * separators, the non-characters U+FFFE/U+FFFF and lone surrogates (with `u`, only a surrogate outside a pair).
 * Tab, LF and CR are plain whitespace in HTML text: they become a space.
 */
const INVISIBLE = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF\uD800-\uDFFF]/gu;

/**
 * Text as inert HTML, usable in element content and in double- or single-quoted attribute values alike: markup
 * characters become references, invisible and reordering characters become `\xNN` / `\uNNNN`, and a string
 * longer than `max` code points is cut, ending in "…".
 */
export function escapeHtml(text: string, max = TEXT_MAX): string {
  const bounded = cut(text, max);
  return bounded
    .replace(/[\t\n\r]/g, ' ')
    .replace(INVISIBLE, visibleEscape)
    .replace(/[&<>"']/g, (char) => MARKUP[char] ?? char);
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Markup the renderers built (never text from a document): the template passes it through unescaped. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What a template slot takes: text (escaped), numbers, markup, nothing (null, undefined, false), or a list of these. */
export type Fragment = Html | string | number | null | undefined | false | readonly Fragment[];

/** `html\`<td>${subject}</td>\``: the literal parts are markup, every interpolated value is escaped. */
export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.markup;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'string') return escapeHtml(value);
  return value.map(render).join('');
}

/** A fragment id from any text (a code, a host): only [A-Za-z0-9_-], so it is safe in `id` and in `href="#…"`. */
export function anchorId(prefix: string, text: string): string {
  return `${prefix}-${text.replace(/[^A-Za-z0-9_-]/g, (char) => `_${char.codePointAt(0)?.toString(16) ?? ''}`)}`;
}
