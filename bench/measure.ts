// Figures around a measurement: what else the machine went through meanwhile, and the medians the ratios use.
import { readFileSync } from 'node:fs';

/** What else happened on the machine during a measurement, to judge whether the lab held up. */
export interface SideFigures {
  /** CPU of this process: the lab's and the relay's worker threads, plus the HTTP driver during blackbox rounds. */
  benchCpuMs: number;
  /** Datagrams the kernel dropped for a full socket receive buffer (system-wide: the lab resolver's, here). */
  udpReceiveDrops: number;
}

/** Runs `work` and says what the lab (this process) and the kernel's UDP buffers went through meanwhile. */
export async function observed<T>(work: () => Promise<T>): Promise<[T, SideFigures]> {
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

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
