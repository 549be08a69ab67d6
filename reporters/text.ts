// Helpers shared by the reporters, mostly for text that reached us from the network: certificate subjects,
// DNS answers, block pages. Any of it may be crafted to break a report document or to drive the terminal.

import type { CheckResult } from '../model/result.js';

/**
 * Characters XML 1.0 cannot carry at all, not even as character references: C0 controls other than
 * tab, LF and CR; U+FFFE and U+FFFF; surrogates. With the `u` flag the surrogate range only matches a
 * surrogate that is not half of a pair, so emoji and other astral characters stay.
 */
const XML_FORBIDDEN = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]/gu;

/** Drops what XML 1.0 forbids; escaping markup characters stays the job of whoever writes the XML. */
export function xmlSafe(text: string): string {
  return text.replace(XML_FORBIDDEN, '');
}

/**
 * Characters a terminal acts on instead of printing: C0 and C1 controls and DEL (ESC starts the colour
 * and cursor sequences, U+009B is a one-byte CSI), the bidi embeddings, overrides and isolates that
 * reorder what is shown ("Trojan Source"), and the Unicode line and paragraph separators.
 */
const TERMINAL_ACTIVE = /[\0-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** Shows every terminal-active character as a visible escape (`\x1b`, `\u202e`) so it prints instead of acting. */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_ACTIVE, visibleEscape);
}

function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Collapses every run of whitespace (line breaks included) to one space; cuts to `max` characters, ending in "…". */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // Cut by code point so an emoji is never split into a lone surrogate.
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Results per endpoint host, hosts in the order they first appear: how every report presents a run. */
export function groupByHost(results: readonly CheckResult[]): Map<string, CheckResult[]> {
  const groups = new Map<string, CheckResult[]>();
  for (const result of results) {
    const group = groups.get(result.host);
    if (group) group.push(result);
    else groups.set(result.host, [result]);
  }
  return groups;
}
