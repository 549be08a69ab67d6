// `npm run bench`: preflight against Prometheus blackbox_exporter on the same lab work, on loopback, in one run.
// Everything is reported as measured and as ratios within this run (the machine is small and noisy); nothing is
// asserted. Exit 0: every measurement ran and both tools saw a healthy lab; 1: something did not.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolverAddress } from '../config/plan.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { createDnsQueryCache, probeDns } from '../probes/dns.js';
import { Limiter } from '../runner/limiter.js';
import { runProbes, startBlackbox, writeBlackboxConfig, BLACKBOX_BINARY } from './blackbox.js';
import { withDeadline } from './deadline.js';
import { BENCH_DOMAIN, BLACKBOX_ADDRESS, STARTUP_RESOLVER_ADDRESS, startLabInWorker, type BenchEndpoint } from './lab.js';
import { GNU_TIME, timedRun, type TimedRun } from './processes.js';

const NAME_COUNT = 2_000;
const POOL_SIZE = 32;
/** preflight's default --concurrency, and as many scrapes in flight at once for blackbox_exporter. */
const CONCURRENCY = 256;
const STARTUP_SAMPLES = 5;
/** Checks per name of the full run: dns once, then tcp, tls and inspection on each of its two addresses. */
const CHECKS_PER_NAME = 1 + 3 * 2;
/** preflight's default per-step deadline, for the in-process probe loop. */
const STEP_TIMEOUT_MS = 5_000;
const RUN_DEADLINE_MS = 300_000;
const STARTUP_DEADLINE_MS = 30_000;
const STARTUP_POLL_INTERVAL_MS = 1;
const PROBE_LOOP_DEADLINE_MS = 120_000;
const RESULTS_FILE = path.resolve('bench-results.json');

const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(distRoot, 'cli', 'main.js');

/** What the CLI's console report ends with. */
const TOTALS_LINE = /(\d+) passed, (\d+) failed, (\d+) warned, (\d+) skipped/;

interface CliOutcome {
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
  measuredBy: TimedRun['measuredBy'];
  exitCode: number | null;
  passed: number;
  total: number;
}

/** Stops, last started first, whatever the bench started; run on every way out. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => process.stderr.write(`bench: cleanup: ${String(error)}\n`));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(): Promise<number> {
  const problems: string[] = [];
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'egress-preflight-bench-'));
  cleanups.push(() => rm(scratch, { recursive: true, force: true }));
  log(`lab: ${NAME_COUNT} names, ${POOL_SIZE} TLS servers; starting (certificates first)`);
  const lab = await startLabInWorker({ nameCount: NAME_COUNT, poolSize: POOL_SIZE });
  cleanups.push(lab.stop);
  const caFile = path.join(scratch, 'bench-root.pem');
  await writeFile(caFile, lab.caPem);
  const names = lab.endpoints.map((endpoint) => endpoint.name);
  const cliArgs = (configFile: string, resolver: ResolverAddress, only: string): string[] => [
    CLI, '--config', configFile, '--resolver', `${resolver.host}:${resolver.port}`, '--port-map', `443=${lab.tlsPort}`,
    '--ca-file', caFile, '--only', only, '--no-proxy', '--concurrency', String(CONCURRENCY),
  ];
  const runCli = async (what: string, args: string[], expectedChecks: number): Promise<CliOutcome> => {
    log(`${what}…`);
    const outcome = cliOutcome(what, await timedRun({ command: process.execPath, args, deadlineMs: RUN_DEADLINE_MS, scratchDir: scratch }));
    if (outcome.total !== expectedChecks || outcome.passed !== expectedChecks) {
      problems.push(`${what}: ${outcome.passed} of ${outcome.total} checks passed, ${expectedChecks} expected`);
    }
    return outcome;
  };

  log(`start-up: ${STARTUP_SAMPLES} runs of one endpoint, spawn to the resolver's first query`);
  const startupAddress = lab.endpoints[0]?.addresses[0];
  if (startupAddress === undefined) throw new Error('the bench lab has no endpoints');
  const startupSamples = await measureStartup(scratch, startupAddress, (config, resolver) => cliArgs(config, resolver, 'dns'));
  const startupMs = median(startupSamples);

  log(`probeDns in-process: ${NAME_COUNT} names, ${CONCURRENCY} at a time`);
  const probeLoop = await timeProbeDnsLoop(names, lab.resolver);
  if (probeLoop.failures > 0) problems.push(`probeDns loop: ${probeLoop.failures} of ${NAME_COUNT} names did not resolve`);

  const configFile = await writeEndpointsConfig(scratch, 'bench-endpoints.json', names);
  const dnsOnly = await runCli(`preflight --only dns (${NAME_COUNT} checks)`, cliArgs(configFile, lab.resolver, 'dns'), NAME_COUNT);
  const full = await runCli(`preflight --only dns,tcp,tls,inspection (${NAME_COUNT * CHECKS_PER_NAME} checks)`, cliArgs(configFile, lab.resolver, 'dns,tcp,tls,inspection'), NAME_COUNT * CHECKS_PER_NAME);

  const blackbox = await measureBlackbox(scratch, lab.endpoints, caFile, lab.resolver, lab.tlsPort);
  if (blackbox.failedCount > 0) problems.push(`blackbox_exporter: ${blackbox.failedCount} probes failed, e.g. ${blackbox.failures.join('; ')}`);

  const overheadMs = dnsOnly.wallMs - startupMs - probeLoop.wallMs;
  const results = {
    machine: { cpus: os.cpus().length, node: process.version, peakRssMeasuredBy: full.measuredBy },
    lab: { names: NAME_COUNT, tlsServers: POOL_SIZE, concurrency: CONCURRENCY, domain: BENCH_DOMAIN },
    startup: { medianMs: startupMs, samplesMs: startupSamples },
    preflight: { dnsOnly, full },
    probeDnsLoop: probeLoop,
    blackbox: { probes: blackbox.succeeded + blackbox.failedCount, succeeded: blackbox.succeeded, wallMs: blackbox.wallMs, cpuMs: blackbox.cpuMs, peakRssKiB: blackbox.peakRssKiB },
    ratios: {
      wallOursToBlackbox: full.wallMs / blackbox.wallMs,
      wallAfterStartupOursToBlackbox: (full.wallMs - startupMs) / blackbox.wallMs,
      cpuOursToBlackbox: full.cpuMs / blackbox.cpuMs,
      peakRssOursToBlackbox: full.peakRssKiB / blackbox.peakRssKiB,
      vitestOverheadPerCheckMs: overheadMs / NAME_COUNT,
      dnsOnlyAfterStartupToProbeLoop: (dnsOnly.wallMs - startupMs) / probeLoop.wallMs,
    },
    problems,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);

  const r = results.ratios;
  printTable([
    ['preflight full run, wall', seconds(full.wallMs), `${full.passed}/${full.total} checks passed, exit ${full.exitCode}`],
    ['preflight full run, CPU (user+sys)', seconds(full.cpuMs), ''],
    ['preflight full run, peak RSS', mebibytes(full.peakRssKiB), `by ${full.measuredBy}`],
    ['blackbox_exporter, wall', seconds(blackbox.wallMs), `${blackbox.succeeded}/${blackbox.succeeded + blackbox.failedCount} probes succeeded`],
    ['blackbox_exporter, CPU (user+sys)', seconds(blackbox.cpuMs), 'during the probes'],
    ['blackbox_exporter, peak RSS', mebibytes(blackbox.peakRssKiB), 'VmHWM'],
    ['ratio ours/blackbox, wall', ratio(r.wallOursToBlackbox), 'whole CLI vs probes only'],
    ['ratio ours/blackbox, wall after start-up', ratio(r.wallAfterStartupOursToBlackbox), 'ours minus the start-up median'],
    ['ratio ours/blackbox, CPU', ratio(r.cpuOursToBlackbox), ''],
    ['ratio ours/blackbox, peak RSS', ratio(r.peakRssOursToBlackbox), ''],
    ['start-up, spawn to first DNS query', `${Math.round(startupMs)} ms`, `median of ${startupSamples.map(Math.round).join(', ')}`],
    [`preflight --only dns (${NAME_COUNT} checks), wall`, seconds(dnsOnly.wallMs), `${dnsOnly.passed}/${dnsOnly.total} passed`],
    [`probeDns loop in-process (${NAME_COUNT} names)`, seconds(probeLoop.wallMs), `${NAME_COUNT - probeLoop.failures}/${NAME_COUNT} resolved`],
    ['vitest overhead per check', `${r.vitestOverheadPerCheckMs.toFixed(2)} ms`, '(dns-only wall − start-up − loop) / checks'],
    ['ratio dns-only after start-up / loop', ratio(r.dnsOnlyAfterStartupToProbeLoop), ''],
  ]);
  log(`results written to ${RESULTS_FILE}`);
  for (const problem of problems) log(`PROBLEM: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

/** Spawn to the first query at a resolver of its own, one endpoint, STARTUP_SAMPLES times in a row. */
async function measureStartup(scratch: string, address: string, argsFor: (configFile: string, resolver: ResolverAddress) => string[]): Promise<number[]> {
  const name = `startup.${BENCH_DOMAIN}`;
  const server = await startLabDnsServer({ host: STARTUP_RESOLVER_ADDRESS, zone: { [name]: { records: [{ type: 'A', value: address }] } } });
  cleanups.push(() => server.close());
  const configFile = await writeEndpointsConfig(scratch, 'startup-endpoint.json', [name]);
  const samples: number[] = [];
  for (let i = 0; i < STARTUP_SAMPLES; i++) {
    const queriesBefore = server.queries.length;
    let spawnedAt = 0;
    const run = timedRun({ command: process.execPath, args: argsFor(configFile, server), deadlineMs: STARTUP_DEADLINE_MS, scratchDir: scratch, onSpawn: (at) => (spawnedAt = at) });
    // Awaited below; marked handled now so that a failure while waiting for the query is the one reported.
    run.catch(() => undefined);
    samples.push(await untilQueryArrives(server, queriesBefore, spawnedAt));
    cliOutcome('start-up run', await run);
  }
  return samples;
}

/** Milliseconds from `since` until `server` has seen more than `seen` queries, to within the poll interval. */
async function untilQueryArrives(server: LabDnsServer, seen: number, since: number): Promise<number> {
  while (server.queries.length <= seen) {
    if (performance.now() - since > STARTUP_DEADLINE_MS) throw new Error(`no DNS query arrived within ${STARTUP_DEADLINE_MS} ms of the CLI's start`);
    await sleep(STARTUP_POLL_INTERVAL_MS);
  }
  return performance.now() - since;
}

/** probeDns for every name in this process, under the same kind of cap and shared query cache as a run's session. */
async function timeProbeDnsLoop(names: readonly string[], resolver: ResolverAddress): Promise<{ wallMs: number; failures: number }> {
  const limiter = new Limiter(CONCURRENCY);
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

async function measureBlackbox(scratch: string, endpoints: readonly BenchEndpoint[], caFile: string, resolver: ResolverAddress, tlsPort: number) {
  const setup = await writeBlackboxConfig(scratch, endpoints, caFile, resolver, tlsPort);
  const port = await findSharedFreePort([BLACKBOX_ADDRESS]);
  log(`blackbox_exporter (${BLACKBOX_BINARY}): ${setup.probes.length} probes, ${CONCURRENCY} at a time`);
  const blackbox = await startBlackbox(setup.configFile, BLACKBOX_ADDRESS, port);
  cleanups.push(() => blackbox.service.stop());
  const round = await runProbes(blackbox, setup.probes, CONCURRENCY, RUN_DEADLINE_MS);
  await blackbox.service.stop();
  return round;
}

async function writeEndpointsConfig(scratch: string, fileName: string, hosts: readonly string[]): Promise<string> {
  const file = path.join(scratch, fileName);
  await writeFile(file, JSON.stringify({ endpoints: hosts.map((host) => ({ host, ports: [443] })) }));
  return file;
}

/** Exit 0 (all passed) and 1 (a check failed) are runs that completed; anything else is the tool failing to run. */
function cliOutcome(what: string, run: TimedRun): CliOutcome {
  const totals = TOTALS_LINE.exec(run.stdoutTail);
  if ((run.exitCode !== 0 && run.exitCode !== 1) || totals === null) {
    throw new Error(`${what}: exit ${run.exitCode ?? run.signal}\n${run.stderrTail || run.stdoutTail}`);
  }
  const [passed, failed, warned, skipped] = totals.slice(1).map(Number) as [number, number, number, number];
  return { wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssKiB: run.peakRssKiB, measuredBy: run.measuredBy, exitCode: run.exitCode, passed, total: passed + failed + warned + skipped };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

function printTable(rows: ReadonlyArray<readonly [string, string, string]>): void {
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const lines = rows.map(([what, value, note]) => `${what.padEnd(widths[0] ?? 0)}  ${value.padStart(widths[1] ?? 0)}  ${note}`.trimEnd());
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mebibytes = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const ratio = (value: number): string => `${value.toFixed(2)}×`;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

if (!existsSync(GNU_TIME)) log(`${GNU_TIME} is missing (Debian package "time"): peak RSS and CPU are sampled from /proc every 50 ms`);

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
