// `watch --interval` and `--until`: read from the command line, refused (exit 2, one line) when they make no sense.
import { UsageError } from '../config/errors.js';

export const DEFAULT_INTERVAL_MS = 30_000;

export interface WatchSchedule {
  intervalMs: number;
  /** When to stop (--until); null: at Ctrl-C. */
  until: Date | null;
}
/** Below a second a round would start before the last one's answers are in; nobody watches a change that fast. */
const MIN_INTERVAL_MS = 1_000;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** `30s`, `2m`, `1h`, or plain seconds (`45`, `1.5`). */
export function parseInterval(text: string | undefined): number {
  if (text === undefined) return DEFAULT_INTERVAL_MS;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$/i.exec(text);
  const ms = match === null ? Number.NaN : Number(match[1]) * (UNIT_MS[(match[2] || 's').toLowerCase()] ?? Number.NaN);
  if (!Number.isFinite(ms)) throw new UsageError(`--interval "${text}": expected a duration like 30s, 2m, 1h or plain seconds`);
  if (ms < MIN_INTERVAL_MS) throw new UsageError(`--interval "${text}": at least 1s`);
  return Math.round(ms);
}

/**
 * `HH:MM` or `HH:MM:SS`: the next time the local clock shows it (today, or tomorrow when it has passed); or an
 * ISO 8601 date and time (`2026-11-29T02:30:00Z`, `2026-11-29T02:30+01:00`), which must lie ahead.
 */
export function parseUntil(text: string | undefined, now: Date): Date | null {
  if (text === undefined) return null;
  const clock = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(text);
  if (clock !== null) {
    const [hours, minutes, seconds] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (hours > 23 || minutes > 59 || seconds > 59) throw new UsageError(`--until "${text}": not a time of day (HH:MM or HH:MM:SS)`);
    const until = new Date(now);
    until.setHours(hours, minutes, seconds, 0);
    if (until.getTime() <= now.getTime()) until.setDate(until.getDate() + 1);
    return until;
  }
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`--until "${text}": expected HH:MM[:SS] (local time) or an ISO 8601 date and time`);
  if (time <= now.getTime()) throw new UsageError(`--until "${text}": that time has passed`);
  return new Date(time);
}

/** HH:MM:SS on this machine's clock: what a person watching a change window reads beside the change log. */
export function clockTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
