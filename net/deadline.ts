// Every network step has a deadline: one DNS query, one connect, one handshake, one HTTP phase. A step context
// carries the deadline of each step and the run's cancellation; the signals here fire at whichever comes first.
// Shared by the probes (probes/probe.ts hands them on) and the HTTP/CONNECT plumbing (http/).

/** What every network step runs under. */
export interface StepContext {
  /** Deadline of each network step (one DNS query, one connect, one handshake), in milliseconds. */
  stepTimeoutMs: number;
  /** Aborts every step when the run is cancelled. */
  signal: AbortSignal;
}

/** A signal that fires at this step's deadline or when the run is cancelled, whichever comes first. */
export function stepDeadline(ctx: StepContext, timeoutMs = ctx.stepTimeoutMs): AbortSignal {
  return deadlineSignal(timeoutMs, ctx.signal);
}

/**
 * A signal aborted after `timeoutMs`, or when `parent` aborts. Not AbortSignal.any + AbortSignal.timeout: `any`
 * holds its sources weakly and nothing else holds a timeout signal, so a garbage collection can take the
 * timeout before it fires and the deadline never comes (seen in the busy vitest worker). Here the pending
 * timer holds the controller; unref'd, it never keeps the process alive on its own.
 */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return controller.signal;
  }
  const timer = setTimeout(() => controller.abort(new DOMException(`deadline of ${timeoutMs} ms passed`, 'TimeoutError')), timeoutMs);
  timer.unref();
  const siblings = parent ? childrenOf(parent) : null;
  siblings?.add(controller);
  const release = (): void => {
    clearTimeout(timer);
    siblings?.delete(controller);
  };
  controller.signal.addEventListener('abort', release, { once: true });
  releases.set(controller.signal, release);
  return controller.signal;
}

/** How to end each deadline early, for a step that finished before it. */
const releases = new WeakMap<AbortSignal, () => void>();

/**
 * The step `signal` (from deadlineSignal) bounded has finished: its timer is cleared and its parent lets go of it.
 * Without this the timer would still fire at the deadline, seconds later, building an abort reason for a step long
 * done and keeping the step's listeners (its socket's closures) alive until then: at 2,000 endpoints 10,000 timers,
 * 0.3 s of CPU and a good part of the peak memory.
 */
export function releaseDeadline(signal: AbortSignal): void {
  releases.get(signal)?.();
}

/**
 * The deadlines under one parent signal. One listener on the parent aborts them all: a listener each would make
 * every addEventListener walk thousands of others in a large run.
 */
const childrenByParent = new WeakMap<AbortSignal, Set<AbortController>>();

function childrenOf(parent: AbortSignal): Set<AbortController> {
  let children = childrenByParent.get(parent);
  if (!children) {
    const created = new Set<AbortController>();
    parent.addEventListener('abort', () => {
      for (const child of created) child.abort(parent.reason);
    }, { once: true });
    childrenByParent.set(parent, created);
    children = created;
  }
  return children;
}

/** Milliseconds since `start` (from performance.now()), rounded to 0.1 ms for reports. */
export function elapsedSince(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
