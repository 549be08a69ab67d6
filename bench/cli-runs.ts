// Runs of the preflight CLI for the bench: argument lists, a timed run with its JSON result's size, and the totals
// read back from the console report.
import { readFileSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolverAddress } from '../config/plan.js';
import { observed, log, type SideFigures } from './measure.js';
import { timedRun, type TimedRun } from './processes.js';

const distRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(distRoot, 'cli', 'main.js');
/** The node options the CLI's own `#!` line gives it, so that the bench runs it as the installed command runs. */
export const CLI_NODE_FLAGS = nodeFlagsOf(readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '');

/** `#!/usr/bin/env -S node --flag …` → ['--flag', …]. */
export function nodeFlagsOf(shebang: string): string[] {
  const words = shebang.replace(/^#!/, '').trim().split(/\s+/);
  const node = words.findIndex((word) => word === 'node' || word.endsWith('/node'));
  return node < 0 ? [] : words.slice(node + 1);
}
const RUN_DEADLINE_MS = 300_000;
const FAILURE_LINES_SHOWN = 3;
/** What the CLI's console report ends with. */
const TOTALS_LINE = /(\d+) passed, (\d+) failed, (\d+) warned, (\d+) skipped/;

export interface CliOutcome extends SideFigures {
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
  measuredBy: TimedRun['measuredBy'];
  exitCode: number | null;
  passed: number;
  total: number;
  /** Size of the JSON result document, when the run wrote one. */
  jsonBytes: number | null;
  /** The first lines of the console report's failure section. */
  failureSample: string[];
}

export interface CliTarget {
  configFile: string;
  resolver: ResolverAddress;
  /** The port 443 is mapped to: the lab's TLS port, or the relay's. */
  tlsPort: number;
  caFile: string;
}

export function cliArgs(target: CliTarget, only: string, concurrency: number | null, jsonFile?: string): string[] {
  return [
    ...CLI_NODE_FLAGS, CLI, '--config', target.configFile, '--resolver', `${target.resolver.host}:${target.resolver.port}`, '--port-map', `443=${target.tlsPort}`,
    '--ca-file', target.caFile, '--only', only, '--no-proxy',
    ...(concurrency === null ? [] : ['--concurrency', String(concurrency)]),
    ...(jsonFile === undefined ? [] : ['--json', jsonFile]),
  ];
}

/**
 * Runs the CLI to its end; every check is expected to pass against the healthy lab, and a shortfall is added to
 * `warnings` (it makes the comparison suspect without making it impossible).
 */
export async function runCli(what: string, args: string[], expectedChecks: number, scratch: string, warnings: string[]): Promise<CliOutcome> {
  log(`${what}…`);
  const [run, side] = await observed(() => timedRun({ command: process.execPath, args, deadlineMs: RUN_DEADLINE_MS, scratchDir: scratch }));
  const jsonIndex = args.indexOf('--json');
  const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
  const jsonBytes = jsonFile === undefined ? null : (await stat(jsonFile)).size;
  const outcome = { ...cliOutcome(what, run), jsonBytes, ...side };
  if (outcome.total !== expectedChecks || outcome.passed !== expectedChecks) {
    warnings.push(`${what}: ${outcome.passed} of ${outcome.total} checks passed, ${expectedChecks} expected; first failures:\n${outcome.failureSample.join('\n')}`);
  }
  return outcome;
}

/** Exit 0 (all passed) and 1 (a check failed) are runs that completed; anything else is the tool failing to run. */
export function cliOutcome(what: string, run: TimedRun): Omit<CliOutcome, keyof SideFigures | 'jsonBytes'> {
  const totals = TOTALS_LINE.exec(run.stdoutTail);
  if ((run.exitCode !== 0 && run.exitCode !== 1) || totals === null) {
    throw new Error(`${what}: exit ${run.exitCode ?? run.signal}\n${run.stderrTail || run.stdoutTail}`);
  }
  const [passed, failed, warned, skipped] = totals.slice(1).map(Number) as [number, number, number, number];
  const failureSample = run.stdoutHead.split('\n').filter((line) => line.trimStart().startsWith('✖')).slice(0, FAILURE_LINES_SHOWN);
  return { wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssKiB: run.peakRssKiB, measuredBy: run.measuredBy, exitCode: run.exitCode, passed, total: passed + failed + warned + skipped, failureSample };
}

export async function writeEndpointsConfig(scratch: string, fileName: string, hosts: readonly string[]): Promise<string> {
  const file = path.join(scratch, fileName);
  await writeFile(file, JSON.stringify({ endpoints: hosts.map((host) => ({ host, ports: [443] })) }));
  return file;
}
