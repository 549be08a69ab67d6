// `preflight watch … --baseline F`: the change window itself. Runs the plan every --interval, each round in a
// fresh observation session (runChecks makes one per call: no DNS answer, connection or handshake outlives its
// round, so nothing is reused beyond its TTL), and prints each change against the previous round and the baseline
// the moment a round shows it, with its time. Ctrl-C or --until ends it normally: the timeline is written
// (--json, and --html as a page: reporters/html/timeline.ts), the last round's JUnit against the baseline
// (--junit), and the exit code is 1 while a regression against the baseline is still open in the last round, 0
// otherwise (not 130: Ctrl-C is how a watch ends).
import { applyExpectedFailures, localDate } from '../config/expected-failures.js';
import { UsageError } from '../config/errors.js';
import { loadPlan } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import type { ReadDocument } from '../model/read-document.js';
import { WatchTimeline } from '../model/watch-timeline.js';
import { validateReportTargets } from '../reporters/targets.js';
import { STDOUT, writeReportFile, writeReports, writeReportText } from '../reporters/write.js';
import { buildDocument } from '../runner/document.js';
import { runChecks } from '../runner/run-checks.js';
import { withProxyRouting } from '../proxy/discover.js';
import { consoleStream, EXIT_CHECK_FAILED, EXIT_OK, readBaseline, type RunOptions } from './execute.js';
import { clockTime, parseInterval, parseUntil, type WatchSchedule } from './watch-schedule.js';
import { eventLines, roundLine, startLine, summaryLines, timelineJson } from './watch-output.js';

export interface WatchOptions extends RunOptions {
  interval?: string | undefined;
  until?: string | undefined;
  /** --fail-on was given: watch refuses it (its exit code is whether a regression is open). */
  failOnGiven: boolean;
}

export async function executeWatch(options: WatchOptions): Promise<number> {
  const intervalMs = parseInterval(options.interval);
  const until = parseUntil(options.until, new Date());
  if (options.failOnGiven) throw new UsageError('--fail-on does not apply to watch: it exits 1 when a regression against the baseline is still open at the end');
  if (options.baseline === undefined) throw new UsageError('watch needs --baseline FILE: an earlier --json result of the same checks, taken before the change');
  await validateReportTargets(options);
  const baseline = readBaseline(options) as ReadDocument;
  const plan = await loadPlan(options);
  return watchPlan(plan, options, baseline, { intervalMs, until });
}

/** The loop, given a plan (the lab's, or a loaded one). */
export async function watchPlan(plan: RunPlan, options: WatchOptions, baseline: ReadDocument, schedule: WatchSchedule): Promise<number> {
  const say = consoleStream(options);
  const timeline = new WatchTimeline(baseline);
  const startedAt = new Date();
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.on('SIGINT', onInterrupt);
  let last: ReturnType<typeof buildDocument> | null = null;
  say.write(startLine(options.baseline ?? '', baseline, schedule, startedAt));
  try {
    while (!stop.signal.aborted) {
      const roundStart = new Date();
      // A PAC's decisions are taken again each round, as the agent's machine would.
      const outcome = await runChecks(await withProxyRouting(plan, stop.signal), stop.signal);
      // A round cut short by Ctrl-C is not compared: its missing checks would look gone.
      if (outcome.interrupted || stop.signal.aborted) break;
      for (const error of outcome.internalErrors) process.stderr.write(`preflight: internal error: ${error.split('\n')[0]}\n`);
      const results = applyExpectedFailures(outcome.results, plan.expectedFailures ?? [], localDate(roundStart));
      const durationMs = Date.now() - roundStart.getTime();
      const events = timeline.observe(roundStart, durationMs, results);
      last = { ...buildDocument(plan.profile, roundStart, results, outcome.certificates), comparison: timeline.comparison };
      say.write(roundLine(timeline, roundStart));
      for (const event of events) say.write(eventLines(event));
      const next = roundStart.getTime() + schedule.intervalMs;
      if (schedule.until !== null && next >= schedule.until.getTime()) {
        await sleep(schedule.until.getTime() - Date.now(), stop.signal);
        break;
      }
      await sleep(next - Date.now(), stop.signal);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  const endedAt = new Date();
  const endedBy = stop.signal.aborted ? 'interrupt' : 'until';
  const timelineDocument = timelineJson(timeline, { baselineFile: options.baseline ?? '', baseline, plan, startedAt, endedAt, endedBy, schedule });
  if (options.json !== undefined) {
    const text = `${JSON.stringify(timelineDocument)}\n`;
    if (options.json === STDOUT) process.stdout.write(text);
    else await writeReportFile(options.json, text);
  }
  if (options.html !== undefined) {
    const { renderTimelineHtml } = await import('../reporters/html/timeline.js');
    await writeReportText(options.html, renderTimelineHtml(timelineDocument), { stdout: (text) => process.stdout.write(text) });
  }
  if (options.junit !== undefined && last !== null) {
    await writeReports(last, { junit: options.junit }, { stdout: (text) => process.stdout.write(text) }, { failOn: ['regression'] });
  }
  say.write(summaryLines(timeline, endedBy, endedAt));
  if (timeline.rounds.length === 0) {
    process.stderr.write(`preflight: watch ended at ${clockTime(endedAt)} before its first round finished: nothing was tested\n`);
    return EXIT_CHECK_FAILED;
  }
  return timeline.openRegressions().length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}

/** Resolves after `ms`, or at once when `signal` fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
