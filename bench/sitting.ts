// One size of the comparison: preflight and blackbox_exporter doing the same work for N endpoints, alternated
// round by round in one sitting; in latency mode, both again through the relay at 0 ms and at the RTT.
import path from 'node:path';
import type { ResolverAddress } from '../config/plan.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { BLACKBOX_BINARY, runProbes, startBlackbox, writeBlackboxConfig, type ProbeRound } from './blackbox.js';
import { cliArgs, runCli, writeEndpointsConfig, type CliOutcome, type CliTarget } from './cli-runs.js';
import { BLACKBOX_ADDRESS, RELAY_RESOLVER_ADDRESS, type BenchEndpoint, type RunningBenchLab } from './lab.js';
import { log, median, observed, type SideFigures } from './measure.js';
import { measureProbesOnly, type ProbesOnlyOutcome } from './probes-only-runs.js';
import { startRelayInWorker } from './relay-worker.js';

/** Checks per name of the full run: dns once, then tcp, tls and inspection on each of its two addresses. */
export const CHECKS_PER_NAME = 1 + 3 * 2;
const FULL_KINDS = 'dns,tcp,tls,inspection';
/** Scrapes in flight at once for blackbox_exporter on loopback: preflight's historical default --concurrency. */
export const BLACKBOX_SCRAPES = 256;
/**
 * Through the relay, scrapes in flight at once: more, so that the driver bounds blackbox_exporter less when each probe
 * waits an RTT; not all 6,000 at once, which the lab's one thread cannot serve within the 5 s deadline on two cores
 * (at 4,096, 40 % of the TLS probes failed).
 */
export const BLACKBOX_SCRAPES_UNDER_LATENCY = 1_024;
const RUN_DEADLINE_MS = 300_000;
const RELAY_MAX_CONNECTIONS = 8_192;

export interface BlackboxOutcome extends SideFigures {
  probes: number;
  succeeded: number;
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
}

export interface Pair {
  ours: CliOutcome[];
  blackbox: BlackboxOutcome[];
  /** Direct runs only: our probes without the checks, per round (threaded, then one thread). */
  probesOnly: ProbesOnlyOutcome[][];
  oursMedianWallMs: number;
  blackboxMedianWallMs: number;
}

export interface SittingContext {
  lab: RunningBenchLab;
  caFile: string;
  scratch: string;
  rounds: number;
  concurrency: number | null;
  warnings: string[];
}

/** `rounds` alternating runs of ours and blackbox_exporter for the first `size` endpoints, direct or through a relay. */
export async function measurePair(ctx: SittingContext, size: number, latencyMs: number | null): Promise<Pair> {
  const endpoints = ctx.lab.endpoints.slice(0, size);
  const configFile = await writeEndpointsConfig(ctx.scratch, `endpoints-${size}.json`, endpoints.map((endpoint) => endpoint.name));
  const ours: CliOutcome[] = [];
  const blackbox: BlackboxOutcome[] = [];
  const probesOnly: ProbesOnlyOutcome[][] = [];
  const label = ` (${size} endpoints${latencyMs === null ? '' : `, through the relay at RTT ${latencyMs} ms`})`;
  for (let round = 1; round <= ctx.rounds; round++) {
    const suffix = `${label}, round ${round} of ${ctx.rounds}`;
    const jsonFile = path.join(ctx.scratch, `result-${size}.json`);
    ours.push(await throughRelay(ctx, latencyMs, (target) => {
      const args = cliArgs({ ...target, configFile, caFile: ctx.caFile }, FULL_KINDS, ctx.concurrency, jsonFile);
      return runCli(`preflight, ${size * CHECKS_PER_NAME} checks${suffix}`, args, size * CHECKS_PER_NAME, ctx.scratch, ctx.warnings);
    }));
    blackbox.push(await throughRelay(ctx, latencyMs, (target) => measureBlackbox(ctx, endpoints, target, latencyMs === null ? BLACKBOX_SCRAPES : BLACKBOX_SCRAPES_UNDER_LATENCY, suffix)));
    if (latencyMs === null) probesOnly.push(await measureProbesOnly(ctx, endpoints, suffix));
  }
  return { ours, blackbox, probesOnly, oursMedianWallMs: median(ours.map((run) => run.wallMs)), blackboxMedianWallMs: median(blackbox.map((run) => run.wallMs)) };
}

type NetworkTarget = Pick<CliTarget, 'resolver' | 'tlsPort'>;

/** `work` against the lab directly (latency null), or through a relay started for it alone and stopped after. */
async function throughRelay<T>(ctx: SittingContext, latencyMs: number | null, work: (target: NetworkTarget) => Promise<T>): Promise<T> {
  if (latencyMs === null) return work({ resolver: ctx.lab.resolver, tlsPort: ctx.lab.tlsPort });
  const hosts = [...new Set(ctx.lab.endpoints.flatMap((endpoint) => endpoint.addresses))];
  const relay = await startRelayInWorker({
    rttMs: latencyMs,
    udp: { listenHost: RELAY_RESOLVER_ADDRESS, upstream: ctx.lab.resolver },
    tcp: { hosts, upstreamPort: ctx.lab.tlsPort, listenPort: await findSharedFreePort(hosts) },
    maxConnections: RELAY_MAX_CONNECTIONS,
    lifetimeMs: RUN_DEADLINE_MS + 60_000,
  });
  try {
    return await work({ resolver: relay.resolver, tlsPort: relay.tcpPort });
  } finally {
    const stats = await relay.stop();
    if (stats !== null && stats.connectionsRefused > 0) ctx.warnings.push(`the latency relay refused ${stats.connectionsRefused} connections (over ${RELAY_MAX_CONNECTIONS} at once)`);
  }
}

/** A fresh blackbox_exporter per round, so that its peak RSS is this round's. */
async function measureBlackbox(ctx: SittingContext, endpoints: readonly BenchEndpoint[], target: NetworkTarget, scrapes: number, suffix: string): Promise<BlackboxOutcome> {
  const resolver: ResolverAddress = target.resolver;
  const setup = await writeBlackboxConfig(ctx.scratch, endpoints, ctx.caFile, resolver, target.tlsPort);
  const port = await findSharedFreePort([BLACKBOX_ADDRESS]);
  log(`blackbox_exporter (${BLACKBOX_BINARY}): ${setup.probes.length} probes, ${scrapes} at a time${suffix}`);
  const running = await startBlackbox(setup.configFile, BLACKBOX_ADDRESS, port);
  try {
    const [round, side]: [ProbeRound, SideFigures] = await observed(() => runProbes(running, setup.probes, scrapes, RUN_DEADLINE_MS));
    if (round.failedCount > 0) ctx.warnings.push(`blackbox_exporter${suffix}: ${round.failedCount} probes failed, e.g. ${round.failures.join('; ')}`);
    return { probes: round.succeeded + round.failedCount, succeeded: round.succeeded, wallMs: round.wallMs, cpuMs: round.cpuMs, peakRssKiB: round.peakRssKiB, ...side };
  } finally {
    await running.service.stop();
  }
}
