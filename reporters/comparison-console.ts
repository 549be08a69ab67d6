// The comparison with an earlier run, for a person (`diff`, and `run --baseline` under its findings): regressions
// first, each "code before → after" with its remediation, then what was fixed, what still fails, and the counts
// of new, gone and no-longer-tested checks. Ids and codes may come from a file of unknown origin: all inert.
import type { Comparison, ComparisonItem } from '../model/comparison.js';
import type { CheckResult } from '../model/result.js';
import { INDENT, remediationLines, shown, textLines, type LineStyle } from './console-lines.js';

/** Under a list's heading (at 2 columns): its items at 4, their remediation at 6. */
const ITEM = '    ';
/** Long lists of fixed and still-failing checks show this many, then "and N more". */
const LISTED = 20;

/** `current`: the newer run's results, whose remediation a regression shows. */
export function comparisonLines(comparison: Comparison, current: readonly CheckResult[], style: LineStyle): string[] {
  const byId = new Map(current.map((r) => [r.id, r]));
  const { paint } = style;
  const baseline = `${shown(comparison.baseline.hostname || 'unknown host')}, ${shown(comparison.baseline.startedAt || 'unknown time')}`;
  const lines = ['', paint('heading', `Against the baseline (${baseline})`)];
  const regressions = comparison.regressions;
  if (regressions.length === 0) lines.push(`${INDENT.result}no regressions`);
  else {
    lines.push(paint('fail', `${INDENT.result}Regressions (${regressions.length})`));
    for (const item of regressions) {
      lines.push(...textLines(`✖ ${shown(item.id)}  ${change(item)}`, style, ITEM, INDENT.remediation));
      const remediation = byId.get(item.id)?.remediation ?? '';
      lines.push(...remediationLines(remediation, style));
      if (item.after?.status === 'warn') lines.push(...textLines('accepted by an expectedFailures entry: does not fail the run', style, INDENT.detail));
    }
  }
  lines.push(...listed('Fixed', 'pass', comparison.fixed, style));
  lines.push(...listed('Still failing', 'fail', comparison.stillFailing, style));
  lines.push(...listed('No longer tested (a prerequisite stopped passing)', 'skip', comparison.untested, style));
  lines.push('', countsLine(comparison));
  return lines;
}

/** "3 regressions, 1 fixed, 2 still failing, 0 new, 1 gone, 4 no longer tested": one line, for logs and CI. */
export function countsLine(comparison: Comparison): string {
  const regressions = comparison.regressions.length;
  return [
    `${regressions} ${regressions === 1 ? 'regression' : 'regressions'}`,
    `${comparison.fixed.length} fixed`,
    `${comparison.stillFailing.length} still failing`,
    `${comparison.new.length} new`,
    `${comparison.gone.length} gone`,
    `${comparison.untested.length} no longer tested`,
  ].join(', ');
}

/** "TCP_OK → TCP_REFUSED": each code names its status; "absent" for a side that has no such check. */
export function change(item: ComparisonItem): string {
  const side = (value: ComparisonItem['before']) => (value === null ? 'absent' : shown(value.code));
  return `${side(item.before)} → ${side(item.after)}`;
}

function listed(title: string, style: 'pass' | 'fail' | 'skip', items: readonly ComparisonItem[], lineStyle: LineStyle): string[] {
  if (items.length === 0) return [];
  const mark = style === 'pass' ? '✔' : style === 'fail' ? '✖' : '-';
  const lines = [lineStyle.paint(style, `${INDENT.result}${title} (${items.length})`)];
  for (const item of items.slice(0, LISTED)) {
    lines.push(...textLines(`${mark} ${shown(item.id)}  ${change(item)}`, lineStyle, ITEM, INDENT.remediation));
  }
  if (items.length > LISTED) lines.push(`${INDENT.detail}and ${items.length - LISTED} more (all of them in the JSON comparison)`);
  return lines;
}
