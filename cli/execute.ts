// One run, from options to exit code: plan, checks, reports. Shared by `run` and `lab`.
import { UsageError } from '../config/errors.js';
import { loadPlan, type PlanOptions } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import { applyExpectedFailures, localDate } from '../config/expected-failures.js';
import { compareRuns, resultFailsRun } from '../model/comparison.js';
import { readResultDocument, type ReadDocument } from '../model/read-document.js';
import type { FailOnKind } from '../model/fail-on.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { annotateServiceTags } from '../model/annotate-service-tags.js';
import { loadServiceTags } from '../model/service-tags.js';
import { renderConsole } from '../reporters/console.js';
import { renderServiceTagsSection } from '../reporters/service-tags-console.js';
import { ProgressLine } from '../reporters/progress.js';
import { appendStepSummary } from '../reporters/step-summary.js';
import { colorWanted, progressWanted } from '../reporters/terminal.js';
import { STDOUT, validateReportTargets } from '../reporters/targets.js';
import { oneLine, terminalSafe } from '../reporters/text.js';
import { writeReports } from '../reporters/write.js';
import { buildDocument } from '../runner/document.js';
import { runChecks } from '../runner/run-checks.js';
import { compileUserSpecs, type UserSpecs } from '../runner/user-specs.js';
import { withProxyRouting } from '../proxy/discover.js';

/** What a run and a merge share: the reports to write, the service tags to annotate with, what fails. */
export interface ReportingOptions {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  /** `--prometheus`: the text exposition format for node_exporter's textfile collector. */
  prometheus?: string | undefined;
  /** `--service-tags`: Microsoft's ServiceTags_*.json, to annotate every resolved address with its tags. */
  serviceTags?: string | undefined;
  /** `--fail-on`: which statuses make the exit code 1 (default: failure). */
  failOn: readonly FailOnKind[];
}

export interface RunOptions extends PlanOptions, ReportingOptions {
  /** `--baseline`: an earlier --json result to compare this run with. */
  baseline?: string | undefined;
  /** `--specs DIR`: the user's own spec files, run with the checks. */
  specs?: string | undefined;
  /** `--quiet` / `--verbose`. */
  detail?: 'quiet' | 'normal' | 'verbose';
}

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_INTERNAL = 3;
/** As shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

export interface RunOutcome {
  exitCode: number;
  document: RunDocument;
  /** No check reached a verdict (all skipped, or none applied): the run exits 1, whatever --fail-on says. */
  nothingTested: boolean;
}

export async function executeRun(options: RunOptions): Promise<number> {
  await validateReportTargets(options);
  const baseline = readBaseline(options);
  const plan = await loadPlan(options);
  return withUserSpecs(options, async (specs) => (await executePlan(plan, options, { baseline, specs })).exitCode);
}

/** The --baseline document, read before any probe: an unreadable one is a usage error (exit 2). */
export function readBaseline(options: Pick<RunOptions, 'baseline'>): ReadDocument | null {
  if (options.baseline === undefined) return null;
  if (options.baseline.trim() === '') throw new UsageError('--baseline needs a file name (an earlier --json result)');
  return readResultDocument(options.baseline);
}

/** Compiles the --specs files (a file that does not compile is exit 2, before any probe), runs `body`, cleans up. */
export async function withUserSpecs<T>(options: Pick<RunOptions, 'specs'>, body: (specs: UserSpecs | undefined) => Promise<T>): Promise<T> {
  if (options.specs === undefined) return body(undefined);
  const specs = await compileUserSpecs(options.specs);
  try {
    return await body(specs);
  } finally {
    await specs.dispose();
  }
}

/**
 * Where the run's own text goes (summary, banners): stdout, unless a report is written there, which must then be
 * the only thing on stdout so that a pipe (`--json - | jq`) reads a whole, valid document.
 */
export function consoleStream(options: Pick<RunOptions, 'json' | 'junit' | 'html' | 'prometheus'>): NodeJS.WriteStream {
  return [options.json, options.junit, options.html, options.prometheus].includes(STDOUT) ? process.stderr : process.stdout;
}

/** What a run brings beside its plan: the --baseline document and the compiled --specs files. */
export interface RunInputs {
  baseline?: ReadDocument | null;
  specs?: UserSpecs | undefined;
}

export async function executePlan(loaded: RunPlan, options: RunOptions, { baseline = null, specs }: RunInputs = {}): Promise<RunOutcome> {
  // A tags file that cannot be read is a usage error, found before any probe is sent.
  const serviceTags = options.serviceTags === undefined ? null : loadServiceTags(options.serviceTags);
  const startedAt = new Date();
  // Ctrl-C: what has finished is written and shown, the rest is left out (never shown as passed).
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  // --pac / --wpad: each endpoint's route is fixed before the first probe.
  const plan = await withProxyRouting(loaded, interrupt.signal).catch((error: unknown) => {
    process.removeListener('SIGINT', onInterrupt);
    throw error;
  });
  // Live progress on a terminal, never in CI logs or pipes (and not under --quiet); erased before the summary.
  const progress = options.detail !== 'quiet' && progressWanted(process.stderr) ? new ProgressLine(process.stderr) : undefined;
  const run = await runChecks(plan, interrupt.signal, { specs, listener: progress })
    .finally(() => {
      process.removeListener('SIGINT', onInterrupt);
      progress?.stop();
    });
  const { certificates, internalErrors, interrupted } = run;
  const tagged = serviceTags === null ? run.results : annotateServiceTags(run.results, serviceTags);
  // An interrupted run cannot tell an unused expectedFailures entry from one whose check did not run.
  const results = applyExpectedFailures(tagged, plan.expectedFailures ?? [], localDate(startedAt), !interrupted);
  const document: RunDocument = {
    ...buildDocument(plan.profile, startedAt, results, certificates),
    comparison: baseline === null ? null : compareRuns(baseline, results),
    ...(interrupted ? { interrupted } : {}),
    ...(serviceTags === null ? {} : { serviceTags: serviceTags.source }),
  };
  // Every report that can be written is, and the summary is shown, before a report that could not be is named.
  const say = consoleStream(options);
  const targets = { json: options.json, junit: options.junit, html: options.html, prometheus: options.prometheus };
  const unwritten = await writeReports(document, targets, { stdout: (text) => process.stdout.write(text) }, { failOn: options.failOn })
    .then(() => null, (error: unknown) => error);
  const color = colorWanted(say);
  // Wrapped at the terminal's width; 80 in CI logs and pipes, which have none.
  const width = say.isTTY ? say.columns : undefined;
  const sections = serviceTags === null ? [] : [renderServiceTagsSection(results, serviceTags.source, width)];
  say.write(renderConsole(document, { color, width, failOn: options.failOn, sections, detail: options.detail ?? 'normal' }));
  const untested = interrupted ? null : nothingTested(results, options.only);
  // In GitHub Actions, the job's summary page gets the verdict and the failures (appended: other steps write there too).
  const stepSummary = process.env['GITHUB_STEP_SUMMARY'];
  if (stepSummary) {
    await appendStepSummary(stepSummary, document, { failOn: options.failOn, nothingTested: untested })
      .catch((error: unknown) => process.stderr.write(`preflight: cannot append to GITHUB_STEP_SUMMARY ${stepSummary}: ${error instanceof Error ? error.message : String(error)}\n`));
  }
  if (unwritten !== null) throw unwritten;
  if (interrupted) {
    process.stderr.write(`preflight: interrupted: ${results.length} finished checks reported; the others did not run\n`);
    return { exitCode: EXIT_INTERRUPTED, document, nothingTested: false };
  }
  for (const error of internalErrors) process.stderr.write(`preflight: internal error: ${error.split('\n')[0]}\n`);
  if (untested !== null) process.stderr.write(`preflight: nothing was tested: ${untested}\n`);
  const failed = results.some((r) => resultFailsRun(r, options.failOn, document.comparison)) || untested !== null;
  const exitCode = internalErrors.length > 0 ? EXIT_INTERNAL : failed ? EXIT_CHECK_FAILED : EXIT_OK;
  return { exitCode, document, nothingTested: untested !== null };
}

/**
 * Why no check reached a verdict, or null when one did. A run that tested nothing must not look like a run that
 * found nothing wrong (`--only tcp` with every name failing to resolve is all skips).
 */
export function nothingTested(all: readonly CheckResult[], only: string | undefined): string | null {
  // A note about the config (an unused expectedFailures entry) is no verdict on the network.
  const results = all.filter((r) => r.check !== 'config');
  if (results.length === 0) return `no check applied to this plan${only === undefined ? '' : ` (--only ${only})`}`;
  const firstSkip = results.find((r) => r.status === 'skip');
  if (firstSkip === undefined || results.some((r) => r.status !== 'skip')) return null;
  const skipped = results.length === 1 ? 'the only check was skipped' : `all ${results.length} checks were skipped`;
  return `${skipped} (${terminalSafe(oneLine(`${firstSkip.id}: ${firstSkip.message}`))})`;
}
