// Runs of bench/probes-only.js: our probes without the checks, timed like the CLI, in the probe threads a run of
// that size gets and in one thread.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeThreadCount } from '../runner/probe-threads.js';
import type { BenchEndpoint, BenchLab } from './lab.js';
import { log } from './measure.js';
import { timedRun } from './processes.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'probes-only.js');
const RUN_DEADLINE_MS = 300_000;

/** What of the sitting these runs need. */
export interface ProbesOnlyContext {
  lab: Pick<BenchLab, 'resolver' | 'tlsPort'>;
  scratch: string;
  concurrency: number | null;
  warnings: string[];
}

export interface ProbesOnlyOutcome {
  threads: number;
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
}

/** One run with the threads a CLI run of this size gets, then one in a single thread. */
export async function measureProbesOnly(ctx: ProbesOnlyContext, endpoints: readonly BenchEndpoint[], suffix: string): Promise<ProbesOnlyOutcome[]> {
  const namesFile = path.join(ctx.scratch, `names-${endpoints.length}.json`);
  await writeFile(namesFile, JSON.stringify(endpoints.map((endpoint) => endpoint.name)));
  const outcomes: ProbesOnlyOutcome[] = [];
  for (const threads of [probeThreadCount(endpoints.length), 0]) {
    log(`our probes alone, no checks, ${threads} probe thread(s)${suffix}`);
    const args = [SCRIPT, '--names', namesFile, '--resolver', `${ctx.lab.resolver.host}:${ctx.lab.resolver.port}`, '--port', String(ctx.lab.tlsPort), '--threads', String(threads), ...(ctx.concurrency === null ? [] : ['--concurrency', String(ctx.concurrency)])];
    const run = await timedRun({ command: process.execPath, args, deadlineMs: RUN_DEADLINE_MS, scratchDir: ctx.scratch });
    if (run.exitCode !== 0) ctx.warnings.push(`our probes alone (${threads} threads)${suffix}: exit ${run.exitCode ?? run.signal}: ${run.stdoutTail.trim() || run.stderrTail.trim()}`);
    outcomes.push({ threads, wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssKiB: run.peakRssKiB });
  }
  return outcomes;
}
