// Child processes of the bench: timed runs with their peak memory and CPU, and long-running services. Each runs in
// a process group of its own, killed by its id when it is done, when its deadline passes, or when the bench exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withDeadline } from './deadline.js';

/** GNU time (Debian package `time`): exact peak RSS and CPU of a child. Without it, /proc is sampled instead. */
export const GNU_TIME = '/usr/bin/time';
const PROC_SAMPLE_INTERVAL_MS = 50;
// Linux reports /proc/<pid>/stat times in clock ticks of 1/100 s on every architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;
const OUTPUT_END_CHARS = 4_000;

/** Process groups started and not yet reaped: killed if the bench exits any other way (an uncaught error). */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const groupId of liveGroups) killGroup(groupId);
});

export interface TimedRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak resident set of the process (VmHWM / GNU time %M), KiB. */
  peakRssKiB: number;
  /** User + system CPU, ms. */
  cpuMs: number;
  /** How peak RSS and CPU were measured. */
  measuredBy: 'gnu-time' | 'proc-sampling';
  /** The start of stdout: the CLI's console report lists failures first. */
  stdoutHead: string;
  stdoutTail: string;
  stderrTail: string;
}

export interface TimedRunOptions {
  command: string;
  args: readonly string[];
  deadlineMs: number;
  /** Where GNU time writes its figures. */
  scratchDir: string;
  /** Called right after the spawn, with the performance.now() the wall time counts from. */
  onSpawn?: (startedAt: number) => void;
}

/** Runs a command to its end and measures it; rejects if it cannot be started or outlives its deadline. */
export async function timedRun(options: TimedRunOptions): Promise<TimedRun> {
  const useGnuTime = existsSync(GNU_TIME);
  const figuresFile = path.join(options.scratchDir, `gnu-time-${process.hrtime.bigint()}.txt`);
  const [command, args] = useGnuTime
    ? [GNU_TIME, ['-f', '%M %U %S', '-o', figuresFile, options.command, ...options.args]]
    : [options.command, [...options.args]];
  const startedAt = performance.now();
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(startedAt);
  const groupId = track(child);
  const stdout = endsOf(child.stdout);
  const stderr = endsOf(child.stderr);
  const sampler = useGnuTime ? undefined : sampleProcess(child);
  const finished = new Promise<{ code: number | null; signal: NodeJS.Signals | null; wallMs: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, wallMs: performance.now() - startedAt }));
  });
  try {
    const { code, signal, wallMs } = await withDeadline(finished, options.deadlineMs, `${path.basename(options.command)} ${options.args.join(' ')}`, () => killGroup(groupId));
    const figures = sampler ? sampler.stop() : parseGnuTime(await readFile(figuresFile, 'utf8'));
    return { exitCode: code, signal, wallMs, ...figures, measuredBy: useGnuTime ? 'gnu-time' : 'proc-sampling', stdoutHead: stdout.head(), stdoutTail: stdout.tail(), stderrTail: stderr.tail() };
  } finally {
    sampler?.stop();
    if (child.exitCode === null && child.signalCode === null) killGroup(groupId);
    liveGroups.delete(groupId);
  }
}

export interface Service {
  readonly pid: number;
  /** Kills the service's group and waits for it to go (bounded). Safe to call twice. */
  stop(): Promise<void>;
  /** Its output so far (the end of it). */
  outputTail(): string;
  /** False once it has exited. */
  isRunning(): boolean;
}

const SERVICE_STOP_DEADLINE_MS = 5_000;

export function startService(command: string, args: readonly string[]): Service {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const groupId = track(child);
  const stdout = endsOf(child.stdout);
  const stderr = endsOf(child.stderr);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // A missing binary surfaces as 'error' (and then 'close'); isRunning() turns false and the caller reports it.
  child.once('error', () => {});
  let stopping: Promise<void> | undefined;
  return {
    pid: groupId,
    isRunning: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    outputTail: () => `${stdout.tail()}${stderr.tail()}`.slice(-OUTPUT_END_CHARS),
    stop: () =>
      (stopping ??= (async () => {
        killGroup(groupId);
        await withDeadline(exited, SERVICE_STOP_DEADLINE_MS, `stopping ${command}`).catch(() => undefined);
        liveGroups.delete(groupId);
      })()),
  };
}

/** Peak RSS (KiB) and CPU (ms) of a live process so far, from /proc. */
export function readProcessFigures(pid: number): { peakRssKiB: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (peak === undefined || !Number.isFinite(ticks)) throw new Error(`cannot read the figures of process ${pid} from /proc`);
  return { peakRssKiB: Number(peak), cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** The last figures /proc showed before the process ended (up to one interval's worth of CPU is missed). */
function sampleProcess(child: ChildProcess): { stop(): { peakRssKiB: number; cpuMs: number } } {
  let last = { peakRssKiB: 0, cpuMs: 0 };
  const sample = (): void => {
    if (child.pid === undefined) return;
    try {
      last = readProcessFigures(child.pid);
    } catch {
      // It has just exited: keep the previous sample.
    }
  };
  const timer = setInterval(sample, PROC_SAMPLE_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return last;
    },
  };
}

/** GNU time's `%M %U %S` line; a child killed by a signal gets a "Command terminated…" line before it. */
function parseGnuTime(text: string): { peakRssKiB: number; cpuMs: number } {
  const figures = text.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  const [peakRssKiB, userSeconds, systemSeconds] = figures;
  if (peakRssKiB === undefined || userSeconds === undefined || systemSeconds === undefined || figures.some((n) => !Number.isFinite(n))) {
    throw new Error(`unexpected output of ${GNU_TIME}: ${text}`);
  }
  return { peakRssKiB, cpuMs: Math.round((userSeconds + systemSeconds) * 1000) };
}

function track(child: ChildProcess): number {
  if (child.pid === undefined) return -1;
  liveGroups.add(child.pid);
  return child.pid;
}

function killGroup(groupId: number): void {
  if (groupId <= 0) return;
  try {
    process.kill(-groupId, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/** Keeps only the start and the end of a stream's text (the CLI prints one line per host: 2,000 of them). */
function endsOf(stream: NodeJS.ReadableStream | null): { head(): string; tail(): string } {
  let head = '';
  let tail = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (head.length < OUTPUT_END_CHARS) head = (head + chunk).slice(0, OUTPUT_END_CHARS);
    tail = (tail + chunk).slice(-OUTPUT_END_CHARS);
  });
  return { head: () => head, tail: () => tail };
}
