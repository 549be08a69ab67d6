// Probe threads: a run's connection work (TCP connects, TLS handshakes) spread over worker threads, so that a large
// run uses more than the one core its main thread has. A TLS handshake in Node costs about 2 ms of CPU, most of it
// in OpenSSL and the socket plumbing, none of it waiting: at 4,000 handshakes the main thread alone was the
// bottleneck while the second core idled. The main thread keeps everything else: DNS, the limiter that bounds what
// is in flight, judging each distinct chain once (PresentedCertificates hold the DERs the threads send) and the checks.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { PresentedCertificates } from '../pki/presented-chain.js';
import type { ProbeContext } from '../probes/probe.js';
import { Batcher, type ThreadReply, type ThreadRequest } from './probe-thread-messages.js';
import { presentedChainIn, threadProbe, type ThreadProbeKind, type ThreadProbeKinds } from './thread-probes.js';

/** Below this many planned connections a thread's start-up (~30 ms each) costs more than it saves. */
export const MIN_CONNECTIONS_FOR_THREADS = 32;
/**
 * A probe thread's garbage is a handshake's: sockets, buffers and certificate copies that die with it. V8's default
 * young generation (up to 32 MB a thread) let each thread's heap grow for nothing: 4 MB cut a 2,000-endpoint run's
 * peak RSS by about 60 MB at no cost in CPU.
 */
const YOUNG_GENERATION_MB = 4;
/** Beyond four the main thread (DNS, checks, reports) is the bottleneck, and each thread is ~10 MB of heap. */
const MAX_THREADS = 4;

/** How many probe threads a run with `plannedConnections` connections gets on this machine (0: none). */
export function probeThreadCount(plannedConnections: number, cores = availableParallelism()): number {
  if (cores < 2 || plannedConnections < MIN_CONNECTIONS_FOR_THREADS) return 0;
  return Math.min(cores, MAX_THREADS);
}

interface Pending {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  rerun: () => void;
}

interface ProbeThread {
  worker: Worker;
  requests: Batcher<ThreadRequest>;
  pending: Map<number, Pending>;
}

export class ProbeThreads {
  private threads: ProbeThread[] | undefined;
  /** A thread died: what it had pending ran again here, and so does everything after. */
  private broken = false;
  private closed = false;
  private nextId = 1;

  /**
   * `certificates`: where the DERs of presented chains land, as each reply arrives (before anything awaits it).
   * `signal`: the run's cancellation, passed on to every job in every thread.
   */
  constructor(size: number, private readonly certificates: PresentedCertificates, private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.post({ type: 'cancel-all' }), { once: true });
    // Started now, with the run: a thread loads its modules while the first DNS answers are awaited.
    if (size > 0) this.threads = this.start(size);
  }

  /** Runs the probe in the least busy thread; here when there are none. */
  run<K extends ThreadProbeKind>(kind: K, input: ThreadProbeKinds[K]['input'], ctx: ProbeContext): Promise<ThreadProbeKinds[K]['output']> {
    const inThread = (): Promise<ThreadProbeKinds[K]['output']> => threadProbe(kind, input, ctx, (fingerprint) => this.certificates.has(fingerprint)).then((output) => this.received(output));
    const threads = this.broken || this.closed ? [] : this.threads ?? [];
    const thread = leastBusy(threads);
    if (!thread) return inThread();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve: resolve as (output: unknown) => void, reject, rerun: () => inThread().then(resolve, reject) });
      const request: ThreadRequest = { type: 'run', id, kind, input, stepTimeoutMs: ctx.stepTimeoutMs };
      thread.requests.send(request);
      if (this.signal.aborted) thread.requests.send({ type: 'cancel-all' });
    });
  }

  /** The busiest thread's event-loop utilization since the last call (0..1): the elastic cap's view of the threads. */
  utilization(): number {
    let busiest = 0;
    for (const thread of this.threads ?? []) busiest = Math.max(busiest, threadUtilization(thread));
    return busiest;
  }

  /** Ends the threads; jobs still pending never settle (the run is over). */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads ?? [];
    this.threads = [];
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private start(size: number): ProbeThread[] {
    return Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SCRIPT, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      const thread: ProbeThread = { worker, requests: new Batcher((batch) => worker.postMessage(batch)), pending: new Map() };
      // Held only while it has work: an idle thread never keeps the process alive.
      thread.worker.unref();
      thread.worker.on('message', (replies: ThreadReply[]) => {
        for (const reply of replies) this.settle(thread, reply);
      });
      thread.worker.on('error', () => this.fail(thread));
      thread.worker.on('exit', () => this.fail(thread));
      return thread;
    });
  }

  private settle(thread: ProbeThread, reply: ThreadReply): void {
    const pending = thread.pending.get(reply.id);
    if (!pending) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) thread.worker.unref();
    if (reply.type === 'done') pending.resolve(this.received(reply.output));
    else pending.reject(new Error(reply.message));
  }

  /** A thread that dies mid-run is a bug; its jobs are not lost but run again in this thread, and so is the rest. */
  private fail(thread: ProbeThread): void {
    if (this.closed) return;
    this.broken = true;
    const pending = [...thread.pending.values()];
    thread.pending.clear();
    for (const job of pending) job.rerun();
  }

  private received<T>(output: T): T {
    const presented = presentedChainIn(output);
    if (presented) this.certificates.learn(presented);
    return output;
  }

  private post(request: ThreadRequest): void {
    for (const thread of this.threads ?? []) thread.requests.send(request);
  }
}

function leastBusy(threads: readonly ProbeThread[]): ProbeThread | undefined {
  let best: ProbeThread | undefined;
  for (const thread of threads) if (!best || thread.pending.size < best.pending.size) best = thread;
  return best;
}

const lastUtilization = new WeakMap<ProbeThread, ReturnType<Worker['performance']['eventLoopUtilization']>>();

function threadUtilization(thread: ProbeThread): number {
  const previous = lastUtilization.get(thread);
  const now = thread.worker.performance.eventLoopUtilization();
  lastUtilization.set(thread, now);
  return previous ? thread.worker.performance.eventLoopUtilization(now, previous).utilization : now.utilization;
}

/**
 * The thread's script is the built JavaScript beside this module. The project's own tests run this module from its
 * TypeScript source, where no .js sits beside it: they get dist/'s (npm test builds first).
 */
const WORKER_SCRIPT = workerScript();

function workerScript(): URL {
  const beside = new URL('./probe-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../dist/runner/probe-thread.js', import.meta.url);
}
