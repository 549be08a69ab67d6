// The live progress line on a terminal: checks done of those known so far, failures so far, and the host that has
// kept the run waiting longest. Rewritten in place with a carriage return (no escape sequences, so NO_COLOR's
// "no ANSI" holds too), at most ten times a second, and erased before the summary is printed.
import type { CheckResult } from '../model/result.js';
import type { RunListener, StartedCheck } from '../runner/run-events.js';
import { terminalSafe } from './text.js';
import { visibleLength } from './wrap.js';

interface Output {
  write(text: string): unknown;
  columns?: number;
}

export interface ProgressOptions {
  /** The least time between two rewrites. */
  intervalMs?: number;
  now?: () => number;
}

/** Ten rewrites a second at most: enough to look live, few enough not to flood a slow terminal or SSH link. */
const DEFAULT_INTERVAL_MS = 100;

export class ProgressLine implements RunListener {
  private readonly pending = new Map<string, { host: string; since: number }>();
  private done = 0;
  private failed = 0;
  /** What is on the line now, to pad over when the next text is shorter. */
  private shownLength = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  /** Redraws now and then even without events, so the waiting time of the slowest host moves. */
  private readonly ticker: NodeJS.Timeout;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly out: Output, options: ProgressOptions = {}) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.ticker = setInterval(() => this.schedule(), 1000);
    // Progress never keeps the process alive.
    this.ticker.unref();
  }

  started(check: StartedCheck): void {
    if (this.pending.has(check.id)) return;
    this.pending.set(check.id, { host: check.host, since: this.now() });
    this.schedule();
  }

  finished(result: CheckResult): void {
    // A result may come without a start event (judged before the listener was attached): counted all the same.
    this.pending.delete(result.id);
    this.done++;
    if (result.status === 'fail') this.failed++;
    this.schedule();
  }

  /** The line's text: "checks 37/120 · 2 failed · waiting on login.example.com (3.2 s)". */
  text(): string {
    const total = this.done + this.pending.size;
    const parts = [`preflight: checks ${this.done}/${total}`, `${this.failed} failed`];
    const slowest = this.slowest();
    if (slowest) parts.push(`waiting on ${terminalSafe(slowest.host)} (${((this.now() - slowest.since) / 1000).toFixed(1)} s)`);
    return parts.join(' · ');
  }

  /** Erases the line and stops: the summary is printed on a clean line. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    if (this.timer) clearTimeout(this.timer);
    if (this.shownLength > 0) this.out.write(`\r${' '.repeat(this.shownLength)}\r`);
    this.shownLength = 0;
  }

  private slowest(): { host: string; since: number } | undefined {
    let oldest: { host: string; since: number } | undefined;
    for (const entry of this.pending.values()) if (!oldest || entry.since < oldest.since) oldest = entry;
    return oldest;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = Math.max(0, this.lastDraw + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref();
  }

  private draw(): void {
    if (this.stopped) return;
    this.lastDraw = this.now();
    // One column short of the width: a line that fills it would wrap on some terminals, and \r would not reach back.
    // A pseudo-terminal without a size reports 0 columns.
    const columns = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    const width = Math.max(20, columns - 1);
    const chars = Array.from(this.text());
    const line = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('');
    const length = visibleLength(line);
    this.out.write(`\r${line}${' '.repeat(Math.max(0, this.shownLength - length))}`);
    this.shownLength = length;
  }
}
