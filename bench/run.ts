// `npm run bench`: preflight against Prometheus blackbox_exporter on the same lab work, on loopback, in one run.
// Everything is reported as measured and as ratios within this run (the machine is small and noisy); nothing is
// asserted. Exit 0: every measurement ran (checks or probes that failed against the healthy lab are listed as
// warnings: they make the comparison suspect but do not fail the bench); 1: something could not be run or timed out.
import { setMaxListeners } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ResolverAddress } from '../config/plan.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { createDnsQueryCache, probeDns } from '../probes/dns.js';
import { Limiter } from '../probes/limiter.js';
import { BLACKBOX_BINARY, runProbes, startBlackbox, writeBlackboxConfig, type ProbeRound } from './blackbox.js';
import { withDeadline } from './deadline.js';
import { BENCH_DOMAIN, BLACKBOX_ADDRESS, STARTUP_RESOLVER_ADDRESS, startLabInWorker, type BenchEndpoint } from './lab.js';
import { GNU_TIME, timedRun, type TimedRun } from './processes.js';

const NAME_COUNT = 2_000;
const POOL_SIZE = 32;
/** preflight's default --concurrency, and as many scrapes in flight at once for blackbox_exporter. */
const CONCURRENCY = 256;
/**
 * The vitest-overhead pair (CLI --only dns against a probeDns loop) runs at this cap instead: at 256 names (512
 * datagrams) at once the lab resolver's UDP receive buffer overflows, and the 2.5 s retransmissions that follow
 * would swamp the difference being measured.
 */
const OVERHEAD_CONCURRENCY = 64;
const OVERHEAD_ROUNDS = 3;
const STARTUP_SAMPLES = 5;
/** Checks per name of the full run: dns once, then tcp, tls and inspection on each of its two addresses. */
const CHECKS_PER_NAME = 1 + 3 * 2;
/** preflight's default per-step deadline, for the in-process probe loop. */
const STEP_TIMEOUT_MS = 5_000;
const RUN_DEADLINE_MS = 300_000;
const STARTUP_DEADLINE_MS = 30_000;
const STARTUP_POLL_INTERVAL_MS = 1;
const PROBE_LOOP_DEADLINE_MS = 120_000;
const FAILURE_LINES_SHOWN = 3;
const RESULTS_FILE = path.resolve('bench-results.json');

const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(distRoot, 'cli', 'main.js');

/** What the CLI's console report ends with. */
const TOTALS_LINE = /(\d+) passed, (\d+) failed, (\d+) warned, (\d+) skipped/;

/** What else happened on the machine during a measurement, to judge whether the lab held up. */
interface SideFigures {
  /** CPU of this process: the lab's worker thread, plus the HTTP driver during the blackbox_exporter round. */
  benchCpuMs: number;
  /** Datagrams the kernel dropped for a full socket receive buffer (system-wide: the lab resolver's, here). */
  udpReceiveDrops: number;
}

interface CliOutcome extends SideFigures {
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
  measuredBy: TimedRun['measuredBy'];
  exitCode: number | null;
  passed: number;
  total: number;
  /** The first lines of the console report's failure section. */
  failureSample: string[];
}

interface ProbeLoopOutcome {
  wallMs: number;
  /** Names that got no address. */
  failures: number;
}

/** Stops, last started first, whatever the bench started; run on every way out. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(): Promise<void> {
  /** Failures against a lab where everything is healthy. */
  const warnings: string[] = [];
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'egress-preflight-bench-'));
  cleanups.push(() => rm(scratch, { recursive: true, force: true }));
  log(`lab: ${NAME_COUNT} names, ${POOL_SIZE} TLS servers; starting (certificates first)`);
  const lab = await startLabInWorker({ nameCount: NAME_COUNT, poolSize: POOL_SIZE });
  cleanups.push(lab.stop);
  const caFile = path.join(scratch, 'bench-root.pem');
  await writeFile(caFile, lab.caPem);
  const names = lab.endpoints.map((endpoint) => endpoint.name);
  const cliArgs = (configFile: string, resolver: ResolverAddress, only: string, concurrency: number): string[] => [
    CLI, '--config', configFile, '--resolver', `${resolver.host}:${resolver.port}`, '--port-map', `443=${lab.tlsPort}`,
    '--ca-file', caFile, '--only', only, '--no-proxy', '--concurrency', String(concurrency),
  ];
  const runCli = async (what: string, args: string[], expectedChecks: number): Promise<CliOutcome> => {
    log(`${what}…`);
    const [run, side] = await observed(() => timedRun({ command: process.execPath, args, deadlineMs: RUN_DEADLINE_MS, scratchDir: scratch }));
    const outcome = { ...cliOutcome(what, run), ...side };
    if (outcome.total !== expectedChecks || outcome.passed !== expectedChecks) {
      warnings.push(`${what}: ${outcome.passed} of ${outcome.total} checks passed, ${expectedChecks} expected; first failures:\n${outcome.failureSample.join('\n')}`);
    }
    return outcome;
  };

  log(`start-up: ${STARTUP_SAMPLES} runs of one endpoint, spawn to the resolver's first query`);
  const startupAddress = lab.endpoints[0]?.addresses[0];
  if (startupAddress === undefined) throw new Error('the bench lab has no endpoints');
  const startupSamples = await measureStartup(scratch, startupAddress, (config, resolver) => cliArgs(config, resolver, 'dns', CONCURRENCY));
  const startupMs = median(startupSamples);

  const configFile = await writeEndpointsConfig(scratch, 'bench-endpoints.json', names);
  // The pair alternates, OVERHEAD_ROUNDS times: what is compared is each side's median, not one noisy sample.
  const probeLoops: Array<ProbeLoopOutcome & SideFigures> = [];
  const dnsOnlyRuns: CliOutcome[] = [];
  for (let round = 1; round <= OVERHEAD_ROUNDS; round++) {
    log(`probeDns in-process: ${NAME_COUNT} names, ${OVERHEAD_CONCURRENCY} at a time (round ${round} of ${OVERHEAD_ROUNDS})`);
    const [probeLoop, probeLoopSide] = await observed(() => timeProbeDnsLoop(names, lab.resolver));
    if (probeLoop.failures > 0) warnings.push(`probeDns loop: ${probeLoop.failures} of ${NAME_COUNT} names did not resolve`);
    probeLoops.push({ ...probeLoop, ...probeLoopSide });
    dnsOnlyRuns.push(await runCli(`preflight --only dns --concurrency ${OVERHEAD_CONCURRENCY} (${NAME_COUNT} checks, round ${round} of ${OVERHEAD_ROUNDS})`, cliArgs(configFile, lab.resolver, 'dns', OVERHEAD_CONCURRENCY), NAME_COUNT));
  }
  const probeLoopMs = median(probeLoops.map((loop) => loop.wallMs));
  const dnsOnlyMs = median(dnsOnlyRuns.map((run) => run.wallMs));

  const fullChecks = NAME_COUNT * CHECKS_PER_NAME;
  const full = await runCli(`preflight --only dns,tcp,tls,inspection (${fullChecks} checks)`, cliArgs(configFile, lab.resolver, 'dns,tcp,tls,inspection', CONCURRENCY), fullChecks);

  const [blackbox, blackboxSide] = await observed(() => measureBlackbox(scratch, lab.endpoints, caFile, lab.resolver, lab.tlsPort));
  if (blackbox.failedCount > 0) warnings.push(`blackbox_exporter: ${blackbox.failedCount} probes failed, e.g. ${blackbox.failures.join('; ')}`);

  const results = {
    machine: { cpus: os.cpus().length, node: process.version, peakRssMeasuredBy: full.measuredBy },
    lab: { names: NAME_COUNT, tlsServers: POOL_SIZE, domain: BENCH_DOMAIN, concurrency: CONCURRENCY, overheadConcurrency: OVERHEAD_CONCURRENCY },
    startup: { medianMs: startupMs, samplesMs: startupSamples },
    preflight: { full, dnsOnly: { medianWallMs: dnsOnlyMs, runs: dnsOnlyRuns } },
    probeDnsLoop: { medianWallMs: probeLoopMs, runs: probeLoops },
    blackbox: {
      probes: blackbox.succeeded + blackbox.failedCount, succeeded: blackbox.succeeded,
      wallMs: blackbox.wallMs, cpuMs: blackbox.cpuMs, peakRssKiB: blackbox.peakRssKiB, ...blackboxSide,
    },
    ratios: {
      wallOursToBlackbox: full.wallMs / blackbox.wallMs,
      wallAfterStartupOursToBlackbox: (full.wallMs - startupMs) / blackbox.wallMs,
      cpuOursToBlackbox: full.cpuMs / blackbox.cpuMs,
      peakRssOursToBlackbox: full.peakRssKiB / blackbox.peakRssKiB,
      vitestOverheadPerCheckMs: (dnsOnlyMs - startupMs - probeLoopMs) / NAME_COUNT,
      dnsOnlyAfterStartupToProbeLoop: (dnsOnlyMs - startupMs) / probeLoopMs,
    },
    warnings,
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);

  const r = results.ratios;
  const side = (figures: SideFigures): string => `lab CPU ${seconds(figures.benchCpuMs)}, UDP drops ${figures.udpReceiveDrops}`;
  printTable([
    [`preflight, ${fullChecks} checks, wall`, seconds(full.wallMs), `${full.passed}/${full.total} passed, exit ${full.exitCode}; ${side(full)}`],
    ['preflight, CPU (user+sys)', seconds(full.cpuMs), ''],
    ['preflight, peak RSS', mebibytes(full.peakRssKiB), `by ${full.measuredBy}`],
    [`blackbox_exporter, ${results.blackbox.probes} probes, wall`, seconds(blackbox.wallMs), `${blackbox.succeeded} succeeded; ${side(blackboxSide)} (with the HTTP driver)`],
    ['blackbox_exporter, CPU (user+sys)', seconds(blackbox.cpuMs), 'during the probes'],
    ['blackbox_exporter, peak RSS', mebibytes(blackbox.peakRssKiB), 'VmHWM'],
    ['ratio ours/blackbox, wall', ratio(r.wallOursToBlackbox), 'whole CLI against the probes alone'],
    ['ratio ours/blackbox, wall after start-up', ratio(r.wallAfterStartupOursToBlackbox), 'ours less the start-up median'],
    ['ratio ours/blackbox, CPU', ratio(r.cpuOursToBlackbox), ''],
    ['ratio ours/blackbox, peak RSS', ratio(r.peakRssOursToBlackbox), ''],
    ['start-up, spawn to first DNS query', `${Math.round(startupMs)} ms`, `median of ${startupSamples.map(Math.round).join(', ')}`],
    [`preflight --only dns, ${NAME_COUNT} checks, wall`, seconds(dnsOnlyMs), `median of ${samplesOf(dnsOnlyRuns)}; concurrency ${OVERHEAD_CONCURRENCY}; UDP drops ${dropsOf(dnsOnlyRuns)}`],
    [`probeDns loop in-process, ${NAME_COUNT} names`, seconds(probeLoopMs), `median of ${samplesOf(probeLoops)}; concurrency ${OVERHEAD_CONCURRENCY}; UDP drops ${dropsOf(probeLoops)}`],
    ['vitest overhead per check', `${r.vitestOverheadPerCheckMs.toFixed(2)} ms`, '(dns-only wall − start-up − loop) / checks'],
    ['ratio dns-only after start-up / loop', ratio(r.dnsOnlyAfterStartupToProbeLoop), ''],
  ]);
  log(`results written to ${RESULTS_FILE}`);
  for (const warning of warnings) log(`WARNING: ${warning}`);
}

/** Runs `work` and says what the lab (this process) and the kernel's UDP buffers went through meanwhile. */
async function observed<T>(work: () => Promise<T>): Promise<[T, SideFigures]> {
  const cpuBefore = process.cpuUsage();
  const dropsBefore = udpReceiveBufferErrors();
  const result = await work();
  const cpu = process.cpuUsage(cpuBefore);
  return [result, { benchCpuMs: Math.round((cpu.user + cpu.system) / 1000), udpReceiveDrops: udpReceiveBufferErrors() - dropsBefore }];
}

/** The kernel's Udp RcvbufErrors counter, from the header and value lines of /proc/net/snmp. */
function udpReceiveBufferErrors(): number {
  const [header, values] = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Udp: '));
  const index = header?.split(' ').indexOf('RcvbufErrors') ?? -1;
  const value = Number(values?.split(' ')[index]);
  if (index < 0 || !Number.isFinite(value)) throw new Error('no Udp RcvbufErrors counter in /proc/net/snmp');
  return value;
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
async function timeProbeDnsLoop(names: readonly string[], resolver: ResolverAddress): Promise<ProbeLoopOutcome> {
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

async function measureBlackbox(scratch: string, endpoints: readonly BenchEndpoint[], caFile: string, resolver: ResolverAddress, tlsPort: number): Promise<ProbeRound> {
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
function cliOutcome(what: string, run: TimedRun): Omit<CliOutcome, keyof SideFigures> {
  const totals = TOTALS_LINE.exec(run.stdoutTail);
  if ((run.exitCode !== 0 && run.exitCode !== 1) || totals === null) {
    throw new Error(`${what}: exit ${run.exitCode ?? run.signal}\n${run.stderrTail || run.stdoutTail}`);
  }
  const [passed, failed, warned, skipped] = totals.slice(1).map(Number) as [number, number, number, number];
  const failureSample = run.stdoutHead.split('\n').filter((line) => line.trimStart().startsWith('✖')).slice(0, FAILURE_LINES_SHOWN);
  return { wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssKiB: run.peakRssKiB, measuredBy: run.measuredBy, exitCode: run.exitCode, passed, total: passed + failed + warned + skipped, failureSample };
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

const samplesOf = (runs: ReadonlyArray<{ wallMs: number }>): string => runs.map((run) => (run.wallMs / 1000).toFixed(2)).join(', ');
const dropsOf = (runs: readonly SideFigures[]): number => runs.reduce((sum, run) => sum + run.udpReceiveDrops, 0);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mebibytes = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const ratio = (value: number): string => `${value.toFixed(2)}×`;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

if (!existsSync(GNU_TIME)) log(`${GNU_TIME} is missing (Debian package "time"): peak RSS and CPU are sampled from /proc every 50 ms`);

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
