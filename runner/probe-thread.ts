// A probe thread: runs the jobs the main thread's ProbeThreads sends (runner/thread-probes.ts), each under its own
// deadlines, and answers with the evidence. Cancelling the run cancels every job here at once.
import { parentPort } from 'node:worker_threads';
import { presentedChainIn, threadProbe } from './thread-probes.js';
import { Batcher, type ThreadReply, type ThreadRequest } from './probe-thread-messages.js';

const port = parentPort;
if (!port) throw new Error('runner/probe-thread.js runs only as a worker thread');

/** Certificates whose DER this thread has sent: later chains name them by fingerprint only. */
const sent = new Set<string>();
const running = new Map<number, AbortController>();

const replies = new Batcher<ThreadReply>((batch) => port.postMessage(batch));

port.on('message', (requests: ThreadRequest[]) => {
  for (const request of requests) start(request);
});

function start(request: ThreadRequest): void {
  if (request.type === 'cancel-all') {
    for (const controller of running.values()) controller.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  const ctx = { stepTimeoutMs: request.stepTimeoutMs, signal: controller.signal };
  threadProbe(request.kind, request.input as never, ctx, (fingerprint) => sent.has(fingerprint)).then(
    (output) => {
      const presented = presentedChainIn(output);
      // Marked when posted, not when read: a DER is "sent" only once a message carrying it is on its way.
      presented?.fingerprints.forEach((fingerprint, index) => presented.ders[index] && sent.add(fingerprint));
      reply({ type: 'done', id: request.id, output });
    },
    (error: unknown) => reply({ type: 'crashed', id: request.id, message: error instanceof Error ? error.message : String(error) }),
  ).finally(() => running.delete(request.id));
}

function reply(message: ThreadReply): void {
  replies.send(message);
}
