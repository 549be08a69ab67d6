// The bench's command line: which sizes, how many alternating rounds, quick mode, latency mode. Bad input is one
// line on stderr and exit 2, as for the CLI.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Endpoint counts, each measured in the same sitting against blackbox_exporter. */
  sizes: number[];
  /** Alternating rounds (ours, blackbox, ours, blackbox…) per size: ratios are of the medians. */
  rounds: number;
  /** Spawn-to-first-query samples. */
  startupSamples: number;
  /** The vitest-overhead pair (CLI --only dns against an in-process probeDns loop). */
  overhead: boolean;
  /** Latency mode: the RTT the relay adds, or null for none. */
  latencyMs: number | null;
  /** Our --concurrency (null: the CLI's default). */
  concurrency: number | null;
}

export const USAGE = `usage: npm run bench -- [--sizes 200,2000] [--rounds 2] [--quick] [--latency-ms RTT] [--concurrency N]
  --sizes        endpoint counts to measure (default 200,2000)
  --rounds       alternating rounds per size, ratios of the medians (default 2)
  --quick        one size (200), one round, no vitest-overhead pair, 2 start-up samples: a developer's check
  --latency-ms   also run both tools through a loopback relay adding this RTT (and through it at 0 ms), and report
                 the extra wall in RTTs
  --concurrency  preflight's --concurrency (default: the CLI's own)`;

const MAX_SIZE = 5_000;

export class BenchUsageError extends Error {}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        sizes: { type: 'string' },
        rounds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'latency-ms': { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values;
  if (values.help) throw new BenchUsageError(USAGE);
  const quick = values.quick === true;
  const sizes = values.sizes === undefined ? (quick ? [200] : [200, 2_000]) : values.sizes.split(',').map((size) => positive(size.trim(), '--sizes', MAX_SIZE));
  return {
    sizes,
    rounds: values.rounds === undefined ? (quick ? 1 : 2) : positive(values.rounds, '--rounds', 20),
    startupSamples: quick ? 2 : 5,
    overhead: !quick,
    latencyMs: values['latency-ms'] === undefined ? null : positive(values['latency-ms'], '--latency-ms', 5_000),
    concurrency: values.concurrency === undefined ? null : positive(values.concurrency, '--concurrency', 100_000),
  };
}

function positive(text: string, option: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new BenchUsageError(`${option}: expected whole numbers from 1 to ${max}, got "${text}"`);
  }
  return value;
}
