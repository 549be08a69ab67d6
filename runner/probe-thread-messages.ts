// What the main thread and a probe thread say to each other. Each side posts its messages in batches, one per turn
// of its event loop: a message wakes the other thread, and one wake-up per job was most of a probe thread's cost.
import type { ThreadProbeKind } from './thread-probes.js';

export type ThreadRequest =
  | { type: 'run'; id: number; kind: ThreadProbeKind; input: unknown; stepTimeoutMs: number }
  /** The run was cancelled: every job ends now, as at its deadline. */
  | { type: 'cancel-all' };

export type ThreadReply =
  | { type: 'done'; id: number; output: unknown }
  /** The probe threw: a bug, not a network outcome (probes never throw for those). */
  | { type: 'crashed'; id: number; message: string };

/** Messages gathered during one turn of the event loop, posted together at its end. */
export class Batcher<M> {
  private queued: M[] = [];
  private scheduled = false;

  constructor(private readonly post: (batch: M[]) => void) {}

  send(message: M): void {
    this.queued.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queued;
      this.queued = [];
      this.post(batch);
    });
  }
}
