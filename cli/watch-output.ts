// What `watch` shows and writes: a start line, one line per round, each change as it appears (time first, so the
// lines read beside the change log), the ending, and the timeline document (--json). Ids, codes and messages come
// from the network or from a baseline file: made inert before they reach the terminal.
import type { RunPlan } from '../config/plan.js';
import { toolVersion } from '../runner/document.js';
import os from 'node:os';
import type { ReadDocument } from '../model/read-document.js';
import type { StatusAndCode } from '../model/comparison.js';
import type { OpenRegression, WatchEvent, WatchRound, WatchTimeline } from '../model/watch-timeline.js';
import type { Comparison } from '../model/comparison.js';
import { shown } from '../reporters/console-lines.js';
import { clockTime, type WatchSchedule } from './watch-schedule.js';

/** The `--json` document of a watch (its own kind: `kind` tells it from a result document). */
export interface TimelineDocument {
  kind: 'egress-preflight-watch-timeline';
  timelineVersion: 1;
  tool: { name: 'egress-preflight'; version: string };
  host: { hostname: string; platform: string };
  profile: string;
  baseline: { file: string; startedAt: string; hostname: string };
  startedAt: string;
  endedAt: string;
  /** `interrupt`: Ctrl-C (SIGINT); `until`: --until was reached. */
  endedBy: 'interrupt' | 'until';
  intervalMs: number;
  until: string | null;
  rounds: WatchRound[];
  events: WatchEvent[];
  /** The last completed round against the baseline (the `comparison` block of a result document); null without a round. */
  comparison: Comparison | null;
  openRegressions: OpenRegression[];
}

export interface TimelineContext {
  baselineFile: string;
  baseline: ReadDocument;
  plan: RunPlan;
  startedAt: Date;
  endedAt: Date;
  endedBy: 'interrupt' | 'until';
  schedule: WatchSchedule;
}

export function timelineJson(timeline: WatchTimeline, context: TimelineContext): TimelineDocument {
  return {
    kind: 'egress-preflight-watch-timeline',
    timelineVersion: 1,
    tool: { name: 'egress-preflight', version: toolVersion() },
    host: { hostname: os.hostname(), platform: process.platform },
    profile: context.plan.profile,
    baseline: { file: context.baselineFile, startedAt: context.baseline.startedAt, hostname: context.baseline.host.hostname },
    startedAt: context.startedAt.toISOString(),
    endedAt: context.endedAt.toISOString(),
    endedBy: context.endedBy,
    intervalMs: context.schedule.intervalMs,
    until: context.schedule.until?.toISOString() ?? null,
    rounds: timeline.rounds,
    events: timeline.events,
    comparison: timeline.comparison,
    openRegressions: timeline.openRegressions(),
  };
}

export function startLine(file: string, baseline: ReadDocument, schedule: WatchSchedule, now: Date): string {
  const until = schedule.until === null ? 'until Ctrl-C' : `until ${clockTime(schedule.until)} (or Ctrl-C)`;
  const from = `${shown(baseline.host.hostname || 'unknown host')} ${shown(baseline.startedAt || 'unknown time')}`;
  return `${clockTime(now)} watch: every ${schedule.intervalMs / 1000}s ${until}, against the baseline ${shown(file)} (${from}, ${baseline.summary.total} checks)\n`;
}

/** "10:02:31 round 4: 12 checks: 11 passed, 1 failed, 0 warned, 0 skipped; against the baseline: 1 regression open". */
export function roundLine(timeline: WatchTimeline, at: Date): string {
  const round = timeline.rounds.at(-1);
  if (round === undefined) return '';
  const { total, passed, failed, warned, skipped } = round.summary;
  const open = timeline.openRegressions().length;
  const still = timeline.comparison?.stillFailing.length ?? 0;
  return `${clockTime(at)} round ${round.round}: ${total} checks: ${passed} passed, ${failed} failed, ${warned} warned, ${skipped} skipped; against the baseline: ${open} ${open === 1 ? 'regression' : 'regressions'} open, ${still} still failing\n`;
}

const HEADINGS: Readonly<Record<WatchEvent['kind'], string>> = {
  regression: 'REGRESSION', fixed: 'FIXED', changed: 'CHANGED', new: 'NEW FAILURE', flapping: 'FLAPPING',
};

/** "10:02:31 REGRESSION tcp:… TCP_OK (pass) → TCP_REFUSED (fail)", then the message and remediation indented. */
export function eventLines(event: WatchEvent): string {
  const at = clockTime(new Date(event.at));
  const head = `${at} ${HEADINGS[event.kind]} ${shown(event.id)}`;
  if (event.kind === 'flapping') return `${head}: ${event.flips} changes since the watch began; the last: ${side(event.before)} → ${side(event.after)}\n`;
  const lines = [`${head}  ${side(event.before)} → ${side(event.after)}${baselineNote(event)}`];
  if (event.kind !== 'fixed' && event.message !== '') lines.push(`         ${shown(event.message)}`);
  if (event.kind !== 'fixed' && event.remediation !== '') lines.push(`         → ${shown(event.remediation)}`);
  return `${lines.join('\n')}\n`;
}

function baselineNote(event: WatchEvent): string {
  if (event.baseline === null) return ' (not in the baseline)';
  if (event.kind === 'regression' && event.baseline.status === 'fail') return ` (failing in the baseline too: ${shown(event.baseline.code)})`;
  if (event.kind === 'fixed' && event.baseline.status === 'fail') return ' (failing in the baseline: fixed by the change)';
  return '';
}

function side(value: StatusAndCode | null): string {
  return value === null ? 'absent' : `${shown(value.code)} (${value.status})`;
}

/** The ending: why it stopped, how many rounds, and every regression still open with the time it appeared. */
export function summaryLines(timeline: WatchTimeline, endedBy: 'interrupt' | 'until', at: Date): string {
  const why = endedBy === 'interrupt' ? 'ended by Ctrl-C' : 'reached --until';
  const open = timeline.openRegressions();
  const lines = [`${clockTime(at)} watch ${why} after ${timeline.rounds.length} ${timeline.rounds.length === 1 ? 'round' : 'rounds'}, ${timeline.events.length} changes seen`];
  if (timeline.rounds.length === 0) return `${lines.join('\n')}\n`;
  if (open.length === 0) lines.push('no regression against the baseline is open');
  else {
    lines.push(`${open.length} ${open.length === 1 ? 'regression' : 'regressions'} against the baseline still open:`);
    for (const item of open) {
      const since = item.since === null ? '' : ` since ${clockTime(new Date(item.since))}`;
      lines.push(`  ✖ ${shown(item.id)}  ${side(item.baseline)} → ${side(item.now)}${since}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
