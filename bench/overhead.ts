// The vitest-overhead pair: the CLI with --only dns against a probeDns loop in this process doing the same queries,
// alternated, so that what the spec layer costs per check can be read off the difference of the medians.
import { setMaxListeners } from 'node:events';
import type { ResolverAddress } from '../config/plan.js';
import { createDnsQueryCache, probeDns } from '../probes/dns.js';
import { Limiter } from '../probes/limiter.js';
import { cliArgs, runCli, type CliOutcome, type CliTarget } from './cli-runs.js';
import { withDeadline } from './deadline.js';
import { log, median, observed, type SideFigures } from './measure.js';

/**
 * Both sides run at this cap: at 256 names (512 datagrams) at once the lab resolver's UDP receive buffer
 * overflows, and the 2.5 s retransmissions that follow would swamp the difference being measured.
 */
export const OVERHEAD_CONCURRENCY = 64;
/** preflight's default per-step deadline, for the in-process probe loop. */
const STEP_TIMEOUT_MS = 5_000;
const PROBE_LOOP_DEADLINE_MS = 120_000;

export interface ProbeLoopOutcome extends SideFigures {
  wallMs: number;
  /** Names that got no address. */
  failures: number;
}

export interface OverheadFigures {
  dnsOnly: { medianWallMs: number; runs: CliOutcome[] };
  probeDnsLoop: { medianWallMs: number; runs: ProbeLoopOutcome[] };
  /** (dns-only wall − start-up − loop) / checks. */
  vitestOverheadPerCheckMs: number;
  dnsOnlyAfterStartupToProbeLoop: number;
}

export async function measureOverhead(names: readonly string[], target: CliTarget, rounds: number, startupMs: number, scratch: string, warnings: string[]): Promise<OverheadFigures> {
  const loops: ProbeLoopOutcome[] = [];
  const dnsOnlyRuns: CliOutcome[] = [];
  for (let round = 1; round <= rounds; round++) {
    log(`probeDns in-process: ${names.length} names, ${OVERHEAD_CONCURRENCY} at a time (round ${round} of ${rounds})`);
    const [loop, side] = await observed(() => timeProbeDnsLoop(names, target.resolver));
    if (loop.failures > 0) warnings.push(`probeDns loop: ${loop.failures} of ${names.length} names did not resolve`);
    loops.push({ ...loop, ...side });
    const what = `preflight --only dns --concurrency ${OVERHEAD_CONCURRENCY} (${names.length} checks, round ${round} of ${rounds})`;
    dnsOnlyRuns.push(await runCli(what, cliArgs(target, 'dns', OVERHEAD_CONCURRENCY), names.length, scratch, warnings));
  }
  const loopMs = median(loops.map((loop) => loop.wallMs));
  const dnsOnlyMs = median(dnsOnlyRuns.map((run) => run.wallMs));
  return {
    dnsOnly: { medianWallMs: dnsOnlyMs, runs: dnsOnlyRuns },
    probeDnsLoop: { medianWallMs: loopMs, runs: loops },
    vitestOverheadPerCheckMs: (dnsOnlyMs - startupMs - loopMs) / names.length,
    dnsOnlyAfterStartupToProbeLoop: (dnsOnlyMs - startupMs) / loopMs,
  };
}

/** probeDns for every name in this process, under the same kind of cap and shared query cache as a run's session. */
async function timeProbeDnsLoop(names: readonly string[], resolver: ResolverAddress): Promise<Omit<ProbeLoopOutcome, keyof SideFigures>> {
  const limiter = new Limiter(OVERHEAD_CONCURRENCY);
  const cache = createDnsQueryCache();
  const cancel = new AbortController();
  // Every query in flight listens on the signal until its deadline, as in the run's session.
  setMaxListeners(0, cancel.signal);
  const ctx = { stepTimeoutMs: STEP_TIMEOUT_MS, signal: cancel.signal };
  const started = performance.now();
  const evidence = await withDeadline(
    Promise.all(names.map((name) => limiter.run(() => probeDns({ name, resolvers: [resolver], cache }, ctx)))),
    PROBE_LOOP_DEADLINE_MS, 'the probeDns loop', () => cancel.abort(),
  );
  return { wallMs: performance.now() - started, failures: evidence.filter((e) => e.failure !== null || e.addresses.length === 0).length };
}
