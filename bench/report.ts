// The bench's figures as markdown tables (ready for the README's Performance section) on stdout.
import type { OverheadFigures } from './overhead.js';
import type { Pair } from './sitting.js';
import { median } from './measure.js';

export interface SizeFigures {
  endpoints: number;
  checks: number;
  pair: Pair;
}

export interface LatencyFigures {
  endpoints: number;
  rttMs: number;
  zero: Pair;
  delayed: Pair;
  /** (median wall through the relay at the RTT − at 0 ms) / RTT. */
  extraRtt: { ours: number; blackbox: number };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mebibytes = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const ratio = (value: number): string => `${value.toFixed(2)}×`;
const medianOf = <T>(runs: readonly T[], pick: (run: T) => number): number => median(runs.map(pick));

export function summarizeSize(figures: SizeFigures, startupMs: number) {
  const { ours, blackbox } = figures.pair;
  const jsonBytes = medianOf(ours, (run) => run.jsonBytes ?? NaN);
  const m = {
    oursWallMs: figures.pair.oursMedianWallMs,
    oursCpuMs: medianOf(ours, (run) => run.cpuMs),
    oursPeakRssKiB: medianOf(ours, (run) => run.peakRssKiB),
    blackboxWallMs: figures.pair.blackboxMedianWallMs,
    blackboxCpuMs: medianOf(blackbox, (run) => run.cpuMs),
    blackboxPeakRssKiB: medianOf(blackbox, (run) => run.peakRssKiB),
    jsonBytes,
    jsonBytesPerCheck: jsonBytes / figures.checks,
  };
  return {
    ...m,
    ratios: {
      wall: m.oursWallMs / m.blackboxWallMs,
      wallAfterStartup: (m.oursWallMs - startupMs) / m.blackboxWallMs,
      cpu: m.oursCpuMs / m.blackboxCpuMs,
      peakRss: m.oursPeakRssKiB / m.blackboxPeakRssKiB,
    },
  };
}

export function printReport(sizes: readonly SizeFigures[], startup: { medianMs: number; samplesMs: number[] }, latency: readonly LatencyFigures[], overhead: OverheadFigures | null, rounds: number): void {
  const rows: string[][] = [];
  for (const size of sizes) {
    const s = summarizeSize(size, startup.medianMs);
    const drops = size.pair.ours.reduce((sum, run) => sum + run.udpReceiveDrops, 0);
    const passed = size.pair.ours.map((run) => `${run.passed}/${run.total}`).join(', ');
    rows.push(
      [`${size.endpoints} endpoints: wall`, seconds(s.oursWallMs), seconds(s.blackboxWallMs), ratio(s.ratios.wall), `ours passed ${passed}; ours less start-up ${ratio(s.ratios.wallAfterStartup)}; UDP drops ${drops}`],
      [`${size.endpoints} endpoints: CPU (user+sys)`, seconds(s.oursCpuMs), seconds(s.blackboxCpuMs), ratio(s.ratios.cpu), ''],
      [`${size.endpoints} endpoints: peak RSS`, mebibytes(s.oursPeakRssKiB), mebibytes(s.blackboxPeakRssKiB), ratio(s.ratios.peakRss), ''],
      ...probesOnlyRows(size, s.blackboxWallMs, s.blackboxCpuMs),
      [`${size.endpoints} endpoints: JSON result`, `${(s.jsonBytes / 1e6).toFixed(2)} MB`, 'none', '', `${Math.round(s.jsonBytesPerCheck)} bytes per check (${size.checks} checks)`],
    );
  }
  rows.push(['spawn to first DNS query', `${Math.round(startup.medianMs)} ms`, '', '', `median of ${startup.samplesMs.map(Math.round).join(', ')} ms; one endpoint`]);
  for (const l of latency) {
    rows.push([
      `${l.endpoints} endpoints, RTT ${l.rttMs} ms: extra wall`, `${l.extraRtt.ours.toFixed(1)} RTT`, `${l.extraRtt.blackbox.toFixed(1)} RTT`, ratio(l.extraRtt.ours / l.extraRtt.blackbox),
      `relay at 0 ms: ${seconds(l.zero.oursMedianWallMs)} / ${seconds(l.zero.blackboxMedianWallMs)}; at ${l.rttMs} ms: ${seconds(l.delayed.oursMedianWallMs)} / ${seconds(l.delayed.blackboxMedianWallMs)}`,
    ]);
  }
  if (overhead) {
    rows.push([
      'vitest overhead per check', `${overhead.vitestOverheadPerCheckMs.toFixed(2)} ms`, '', '',
      `--only dns ${seconds(overhead.dnsOnly.medianWallMs)} vs probeDns loop ${seconds(overhead.probeDnsLoop.medianWallMs)}, less start-up`,
    ]);
  }
  const header = ['measure', 'preflight', 'blackbox_exporter', 'ratio', 'notes'];
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  process.stdout.write(`\nMedians of ${rounds} alternating round(s) per size, one sitting.\n\n${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}\n\n`);
}

/** Our probes without the checks, threaded and in one thread, against blackbox_exporter's medians. */
function probesOnlyRows(size: SizeFigures, blackboxWallMs: number, blackboxCpuMs: number): string[][] {
  const rounds = size.pair.probesOnly;
  if (rounds.length === 0) return [];
  return [0, 1].map((which) => {
    const runs = rounds.map((round) => round[which]).filter((run) => run !== undefined);
    const wallMs = medianOf(runs, (run) => run.wallMs);
    const threads = runs[0]?.threads ?? 0;
    return [
      `${size.endpoints} endpoints: our probes alone, ${threads === 0 ? 'one thread' : `${threads} probe threads`}`, seconds(wallMs), seconds(blackboxWallMs), ratio(wallMs / blackboxWallMs),
      `no checks, results or reports; CPU ${seconds(medianOf(runs, (run) => run.cpuMs))} (${ratio(medianOf(runs, (run) => run.cpuMs) / blackboxCpuMs)}), peak RSS ${mebibytes(medianOf(runs, (run) => run.peakRssKiB))}`,
    ];
  });
}
