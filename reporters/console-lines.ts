// How one result, or one consequence under its cause, becomes console lines: inert, wrapped, coloured on request.
import type { Status } from '../model/codes.js';
import type { CheckResult } from '../model/result.js';
import { oneLine, terminalSafe } from './text.js';
import { bounded, wrap } from './wrap.js';

export type Style = Status | 'heading' | 'faint';
export type Paint = (style: Style, text: string) => string;

/** ANSI SGR parameters: green, red, yellow, grey, bold, dim. */
const SGR: Readonly<Record<Style, number>> = { pass: 32, fail: 31, warn: 33, skip: 90, heading: 1, faint: 2 };

export const MARKS: Readonly<Record<Status, string>> = { pass: '✔', fail: '✖', warn: '!', skip: '-' };

/**
 * A guard against a server string of kilobytes flooding the terminal, far above any message the checks write:
 * messages are never cut in practice, so no verdict is lost (they wrap instead).
 */
const TEXT_MAX = 2000;

/** Where a line sits: a result at 2 columns, its details at 6 (continued at 8), its consequences at 8 (at 12). */
export const INDENT = { result: '  ', detail: '      ', remediation: '        ', consequence: '        ', consequenceMore: '            ' } as const;

export interface LineStyle {
  paint: Paint;
  width: number;
}

export function painter(color: boolean): Paint {
  return color ? (style, text) => `\x1b[${SGR[style]}m${text}\x1b[0m` : (_style, text) => text;
}

/** Every string of a result may hold server text: printed only once it is one line and inert. */
export function shown(text: string): string {
  return terminalSafe(bounded(oneLine(text), TEXT_MAX));
}

/** Where the check went: its URL, else address:port (IPv6 in brackets), else the port alone. */
export function target(result: CheckResult): string {
  if (result.url !== null) return result.url;
  if (result.address === null) return result.port === null ? '' : `port ${result.port}`;
  const address = result.address.includes(':') ? `[${result.address}]` : result.address;
  return result.port === null ? result.address : `${address}:${result.port}`;
}

/** "tls  host  [::1]:443": the check, its host and its target, server text made inert. */
export function where(result: CheckResult, withHost = true): string {
  const fields = [result.check, withHost ? result.host : '', target(result)];
  return fields.map((field) => shown(field)).filter((field) => field !== '').join('  ');
}

/** A finding with its remediation: "✖ where  CODE  message", then "→ remediation", both wrapped. */
export function findingLines(result: CheckResult, style: LineStyle, withHost = true): string[] {
  const head = `${MARKS[result.status]} ${where(result, withHost)}  ${shown(result.code)}  ${shown(result.message)}`;
  const lines = colourFirst(wrap(head, style.width, INDENT.result, INDENT.detail), result, style.paint);
  return [...lines, ...remediationLines(result.remediation, style)];
}

export function remediationLines(remediation: string, style: LineStyle): string[] {
  return remediation === '' ? [] : wrap(`→ ${shown(remediation)}`, style.width, INDENT.detail, INDENT.remediation);
}

/** A consequence under its cause: its own check and code, not the message its cause already explains. */
export function consequenceLines(result: CheckResult, style: LineStyle): string[] {
  const head = `${MARKS[result.status]} ${where(result)}  ${shown(result.code)}`;
  return colourFirst(wrap(head, style.width, INDENT.consequence, INDENT.consequenceMore), result, style.paint);
}

/** Plain text (a heading's detail, a list of names), wrapped with a hanging indent. */
export function textLines(text: string, style: LineStyle, indent: string, hanging = `${indent}  `): string[] {
  return wrap(text, style.width, indent, hanging);
}

/**
 * Colours the mark and the code after wrapping, so colour codes never count as width. Both are single words
 * and the first of their kind on the lines (the mark opens them, the code follows the where-fields).
 */
function colourFirst(lines: string[], result: CheckResult, paint: Paint): string[] {
  const tokens = [MARKS[result.status], shown(result.code)];
  const out = [...lines];
  for (const token of tokens) {
    const index = out.findIndex((line) => line.includes(token));
    if (index >= 0) out[index] = out[index]!.replace(token, () => paint(result.status, token));
  }
  return out;
}
