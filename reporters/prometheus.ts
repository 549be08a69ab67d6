// `--prometheus FILE`: the results in the Prometheus text exposition format, for node_exporter's textfile
// collector, so that the monitoring a team already runs keeps watching between change windows. Rendered by
// prom-client's registry (a registry of our own, never the process-wide default), which writes one HELP and TYPE
// per family and escapes label values as the format says (backslash, double quote, line feed).
//
// Families (every sample carries `runner`: the hostname that ran the checks, or a merge's runner name):
//   egress_preflight_check_status{runner,id,check,host,address,port,code,status} 1   one per result
//   egress_preflight_check_failed{runner,id,check,host,address,port}             0|1 label set stable across runs
//   egress_preflight_check_duration_seconds{runner,id,check,host,address,port}
//   egress_preflight_checks{runner,status}                                            the summary counts
//   egress_preflight_run_timestamp_seconds{runner}                                    when the run started
//   egress_preflight_run_duration_seconds{runner}
//   egress_preflight_regressions{runner}     only when the document has a comparison with a baseline
// `id` keeps two checks apart that share host and port (two CRL URLs on one host); `address` and `port` are ""
// where a check has none (an empty label is no label to PromQL).
import { Gauge, Registry } from 'prom-client';
import type { CheckResult, RunDocument } from '../model/result.js';
import type { Comparison } from '../model/comparison-types.js';

/** One runner's part of a document: a run has one, a merge one per runner. */
export interface PrometheusRun {
  runner: string;
  startedAt: string;
  durationMs: number;
  results: readonly CheckResult[];
  comparison: Comparison | null;
}

const STATUSES = ['pass', 'fail', 'warn', 'skip'] as const;

type RunnerNote = { name: string; startedAt: string; durationMs: number };

/** A run's document is one runner, named by its hostname; a merged document (with `runners`) one per runner. */
export function runsOfDocument(doc: Pick<RunDocument, 'host' | 'startedAt' | 'durationMs' | 'results'> & { comparison: Comparison | null; runners?: readonly RunnerNote[] }): PrometheusRun[] {
  if (doc.runners === undefined) return [{ runner: doc.host.hostname, startedAt: doc.startedAt, durationMs: doc.durationMs, results: doc.results, comparison: doc.comparison }];
  return doc.runners.map((runner) => ({
    runner: runner.name,
    startedAt: runner.startedAt,
    durationMs: runner.durationMs,
    results: doc.results.filter((r) => r.runner === runner.name),
    comparison: null,
  }));
}

/** The `--prometheus` report of a document. */
export function renderPrometheusDocument(doc: Parameters<typeof runsOfDocument>[0]): Promise<string> {
  return renderPrometheus(runsOfDocument(doc));
}

export async function renderPrometheus(runs: readonly PrometheusRun[]): Promise<string> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: readonly string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const checkLabels = ['runner', 'id', 'check', 'host', 'address', 'port'] as const;
  const status = gauge('egress_preflight_check_status', 'A check of the last egress-preflight run: 1 for its status and code (one series per check).', [...checkLabels, 'code', 'status']);
  const failed = gauge('egress_preflight_check_failed', 'Whether a check of the last egress-preflight run failed (1) or not (0).', checkLabels);
  const duration = gauge('egress_preflight_check_duration_seconds', 'How long a check of the last egress-preflight run took.', checkLabels);
  const counts = gauge('egress_preflight_checks', 'Checks of the last egress-preflight run, by status.', ['runner', 'status']);
  const timestamp = gauge('egress_preflight_run_timestamp_seconds', 'When the last egress-preflight run started (Unix time).', ['runner']);
  const runDuration = gauge('egress_preflight_run_duration_seconds', 'How long the last egress-preflight run took.', ['runner']);
  const regressions = runs.some((run) => regressionCount(run) !== null)
    ? gauge('egress_preflight_regressions', 'Checks that passed in the baseline run and fail now.', ['runner'])
    : null;
  for (const run of runs) {
    const runner = labelValue(run.runner);
    for (const result of run.results) {
      const labels = {
        runner,
        id: labelValue(result.id),
        check: labelValue(result.check),
        host: labelValue(result.host),
        address: labelValue(result.address ?? ''),
        port: result.port === null ? '' : String(result.port),
      };
      status.set({ ...labels, code: labelValue(result.code), status: result.status }, 1);
      failed.set(labels, result.status === 'fail' ? 1 : 0);
      duration.set(labels, seconds(result.durationMs));
    }
    for (const name of STATUSES) counts.set({ runner, status: name }, run.results.filter((r) => r.status === name).length);
    const started = Date.parse(run.startedAt);
    if (Number.isFinite(started)) timestamp.set({ runner }, started / 1000);
    runDuration.set({ runner }, seconds(run.durationMs));
    const regressed = regressionCount(run);
    if (regressions !== null && regressed !== null) regressions.set({ runner }, regressed);
  }
  return registry.metrics();
}

/** The number of regressions of a run compared with a baseline (the `comparison` block), null without one. */
function regressionCount(run: PrometheusRun): number | null {
  return run.comparison === null ? null : run.comparison.regressions.length;
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

/**
 * prom-client escapes what the format requires (\, ", LF). The other control characters are legal in a label value
 * but a CR or an ESC from a hostile DNS answer has no business in a monitoring system's labels, and some readers
 * split lines at CR: shown as a visible escape instead.
 */
function labelValue(text: string): string {
  return text.replace(/[\0-\x09\x0B-\x1F\x7F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
