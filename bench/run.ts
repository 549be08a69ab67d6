// `npm run bench`: preflight against Prometheus blackbox_exporter on the same lab work, on loopback, in one sitting,
// at each size of --sizes (default 200 and 2,000 endpoints); with --latency-ms, also both through a relay that adds
// that RTT. Everything is reported as measured and as ratios within this sitting (the machine is small and noisy);
// nothing is asserted. Exit 0: every measurement ran (checks or probes that failed against the healthy lab are
// listed as warnings: they make the comparison suspect but do not fail the bench); 1: something could not be run or
// timed out; 2: bad options.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliArgs, writeEndpointsConfig } from './cli-runs.js';
import { startLabInWorker } from './lab.js';
import { log } from './measure.js';
import { BenchUsageError, parseBenchOptions, type BenchOptions } from './options.js';
import { measureOverhead } from './overhead.js';
import { GNU_TIME } from './processes.js';
import { printReport, summarizeSize, type LatencyFigures, type SizeFigures } from './report.js';
import { BLACKBOX_SCRAPES, BLACKBOX_SCRAPES_UNDER_LATENCY, CHECKS_PER_NAME, measurePair, type SittingContext } from './sitting.js';
import { measureStartup } from './startup.js';

const POOL_SIZE = 32;
const OVERHEAD_ROUNDS = 3;
const RESULTS_FILE = path.resolve('bench-results.json');

/** Stops, last started first, whatever the bench started; run on every way out. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(options: BenchOptions): Promise<void> {
  /** Failures against a lab where everything is healthy. */
  const warnings: string[] = [];
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'egress-preflight-bench-'));
  cleanups.push(() => rm(scratch, { recursive: true, force: true }));
  const nameCount = Math.max(...options.sizes);
  log(`lab: ${nameCount} names, ${POOL_SIZE} TLS servers; starting (certificates first)`);
  const lab = await startLabInWorker({ nameCount, poolSize: POOL_SIZE });
  cleanups.push(lab.stop);
  const caFile = path.join(scratch, 'bench-root.pem');
  await writeFile(caFile, lab.caPem);
  const ctx: SittingContext = { lab, caFile, scratch, rounds: options.rounds, concurrency: options.concurrency, warnings };

  log(`start-up: ${options.startupSamples} runs of one endpoint, spawn to the resolver's first query`);
  const startupAddress = lab.endpoints[0]?.addresses[0];
  if (startupAddress === undefined) throw new Error('the bench lab has no endpoints');
  const startupSamples = await measureStartup(scratch, startupAddress, options.startupSamples, (configFile, resolver) =>
    cliArgs({ configFile, resolver, tlsPort: lab.tlsPort, caFile }, 'dns', options.concurrency));
  const startup = { medianMs: [...startupSamples].sort((a, b) => a - b)[Math.floor(startupSamples.length / 2)] ?? NaN, samplesMs: startupSamples };

  const sizes: SizeFigures[] = [];
  for (const size of options.sizes) sizes.push({ endpoints: size, checks: size * CHECKS_PER_NAME, pair: await measurePair(ctx, size, null) });

  const latency: LatencyFigures[] = [];
  if (options.latencyMs !== null) {
    const rttMs = options.latencyMs;
    for (const size of options.sizes) {
      const zero = await measurePair(ctx, size, 0);
      const delayed = await measurePair(ctx, size, rttMs);
      const extra = (at: number, base: number): number => (at - base) / rttMs;
      latency.push({ endpoints: size, rttMs, zero, delayed, extraRtt: { ours: extra(delayed.oursMedianWallMs, zero.oursMedianWallMs), blackbox: extra(delayed.blackboxMedianWallMs, zero.blackboxMedianWallMs) } });
    }
  }

  const overheadNames = lab.endpoints.slice(0, nameCount).map((endpoint) => endpoint.name);
  const overhead = options.overhead
    ? await measureOverhead(overheadNames, { configFile: await writeEndpointsConfig(scratch, 'overhead-endpoints.json', overheadNames), resolver: lab.resolver, tlsPort: lab.tlsPort, caFile }, OVERHEAD_ROUNDS, startup.medianMs, scratch, warnings)
    : null;

  const results = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg(), node: process.version, peakRssMeasuredBy: sizes[0]?.pair.ours[0]?.measuredBy },
    options,
    lab: { names: nameCount, tlsServers: POOL_SIZE, blackboxScrapesInFlight: BLACKBOX_SCRAPES, blackboxScrapesUnderLatency: BLACKBOX_SCRAPES_UNDER_LATENCY },
    startup,
    sizes: sizes.map((size) => ({ endpoints: size.endpoints, checks: size.checks, ...summarizeSize(size, startup.medianMs), runs: size.pair })),
    latency,
    overhead,
    warnings,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  printReport(sizes, startup, latency, overhead, options.rounds);
  log(`results written to ${RESULTS_FILE}`);
  for (const warning of warnings) log(`WARNING: ${warning}`);
}

let exitCode = 0;
let options: BenchOptions | undefined;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
if (!existsSync(GNU_TIME)) log(`${GNU_TIME} is missing (Debian package "time"): peak RSS and CPU are sampled from /proc every 50 ms`);
try {
  await main(options);
} catch (error) {
  exitCode = 1;
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
