// The latency relay in a worker thread of its own (see bench/latency-relay.ts), so that its timers fire on time
// whatever the bench's main thread (the HTTP driver of blackbox_exporter) or the lab's thread (handshakes) is doing.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { withDeadline } from './deadline.js';
import { startLatencyRelay, type LatencyRelaySpec, type LatencyRelayStats } from './latency-relay.js';
import type { ResolverAddress } from '../config/plan.js';

type RelayMessage = { kind: 'ready'; resolver: ResolverAddress; tcpPort: number } | { kind: 'failed'; message: string } | { kind: 'closed'; stats: LatencyRelayStats };

export interface RunningRelay {
  resolver: ResolverAddress;
  tcpPort: number;
  /** Closes the relay and ends its thread; resolves with what it relayed. */
  stop(): Promise<LatencyRelayStats | null>;
}

const START_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = 5_000;

export async function startRelayInWorker(spec: LatencyRelaySpec): Promise<RunningRelay> {
  const worker = new Worker(new URL(import.meta.url), { workerData: spec });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const next = (): Promise<RelayMessage> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  let stopping: Promise<LatencyRelayStats | null> | undefined;
  const stop = (): Promise<LatencyRelayStats | null> =>
    (stopping ??= (async () => {
      const closed = next();
      worker.postMessage('close');
      const last = await withDeadline(closed, STOP_DEADLINE_MS, 'closing the latency relay').catch(() => null);
      await worker.terminate();
      await exited;
      return last?.kind === 'closed' ? last.stats : null;
    })());
  try {
    const first = await withDeadline(next(), START_DEADLINE_MS, 'starting the latency relay');
    if (first.kind !== 'ready') throw new Error(`the latency relay did not start: ${first.kind === 'failed' ? first.message : first.kind}`);
    return { resolver: first.resolver, tcpPort: first.tcpPort, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const post = (message: RelayMessage): void => port.postMessage(message);
  try {
    const relay = await startLatencyRelay(workerData as LatencyRelaySpec);
    port.once('message', () => {
      void relay.close().finally(() => {
        post({ kind: 'closed', stats: relay.stats() });
        port.close();
      });
    });
    // At the end of its lifetime it closes by itself; the thread then has nothing left to do and ends.
    void relay.closed.then(() => port.unref());
    post({ kind: 'ready', resolver: relay.resolver, tcpPort: relay.tcpPort });
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}
