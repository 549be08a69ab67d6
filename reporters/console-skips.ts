// The console's "Not tested" section: every check that did not run, grouped by why, with what would run it.
import type { CheckResult } from '../model/result.js';
import type { CauseRelation } from './causes.js';
import { INDENT, shown, target, textLines, type LineStyle } from './console-lines.js';

interface SkipContext extends LineStyle {
  relation: CauseRelation;
}

/** A skipped result that stands on its own, with the skips that follow from it (a placeholder host's checks). */
interface SkipUnit {
  root: CheckResult;
  members: readonly CheckResult[];
}

/**
 * Skips behind a failure or warning are counted here and shown under it above; the others are grouped by
 * reason. A host with unfilled placeholders gets the exact `--var NAME=<value>` that would test it, once per
 * variable, with the hosts it unlocks.
 */
export function notTestedSection(results: readonly CheckResult[], context: SkipContext, failsRun: boolean): string[] {
  const skipped = results.filter((r) => r.status === 'skip');
  if (skipped.length === 0) return [];
  const { relation } = context;
  const behindFindings = skipped.filter((r) => {
    const root = relation.rootOf(r);
    return root !== undefined && root.status !== 'skip';
  });
  const units: SkipUnit[] = skipped
    .filter((r) => relation.rootOf(r) === undefined)
    .map((root) => ({ root, members: [root, ...relation.consequencesOf(root)] }));
  const placeholderUnits = units.filter((u) => missingVarsOf(u.root).length > 0);
  const otherUnits = units.filter((u) => missingVarsOf(u.root).length === 0);
  const gate = failsRun ? ', failing the run: --fail-on skip' : '';
  return [
    '',
    context.paint('heading', `Not tested (${skipped.length})${gate}`),
    ...placeholderLines(placeholderUnits, context),
    ...reasonLines(otherUnits, context),
    ...(behindFindings.length > 0 ? textLines(`${checks(behindFindings.length)} not run because of the findings above`, context, INDENT.result) : []),
  ];
}

/** The placeholder names a skip is waiting for (evidence.missingVars). */
function missingVarsOf(result: CheckResult): string[] {
  const names = result.evidence['missingVars'];
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string' && name !== '') : [];
}

function placeholderLines(units: readonly SkipUnit[], context: SkipContext): string[] {
  if (units.length === 0) return [];
  const hostsByVar = new Map<string, string[]>();
  for (const { root } of units) {
    for (const name of missingVarsOf(root)) {
      const hosts = hostsByVar.get(name) ?? [];
      if (!hosts.includes(root.host)) hosts.push(root.host);
      hostsByVar.set(name, hosts);
    }
  }
  const hostCount = new Set(units.map((u) => u.root.host)).size;
  const memberCount = units.reduce((sum, u) => sum + u.members.length, 0);
  return [
    ...textLines(`- ${checks(memberCount)} on ${hostCount === 1 ? '1 host' : `${hostCount} hosts`} wait for a placeholder value:`, context, INDENT.result, INDENT.detail),
    ...[...hostsByVar].flatMap(([name, hosts]) =>
      textLines(`--var ${shown(name)}=<value> would test ${hosts.map((host) => shown(host)).join(', ')}`, context, INDENT.detail, INDENT.remediation),
    ),
  ];
}

/** Skips grouped by their reason (their message without the "not run: " every skip starts with). */
function reasonLines(units: readonly SkipUnit[], context: SkipContext): string[] {
  const byReason = new Map<string, SkipUnit[]>();
  for (const unit of units) {
    const reason = shown(unit.root.message).replace(/^not run: /, '');
    const group = byReason.get(reason);
    if (group) group.push(unit);
    else byReason.set(reason, [unit]);
  }
  return [...byReason].flatMap(([reason, group]) => {
    const memberCount = group.reduce((sum, u) => sum + u.members.length, 0);
    const targets = group.map(({ root }) => `${shown(root.check)} ${shown(target(root) || root.host)}`).join(', ');
    return [
      ...textLines(`- ${checks(memberCount)}: ${reason}`, context, INDENT.result, INDENT.detail),
      ...textLines(targets, context, INDENT.detail, INDENT.remediation),
    ];
  });
}

function checks(n: number): string {
  return `${n} ${n === 1 ? 'check' : 'checks'}`;
}
