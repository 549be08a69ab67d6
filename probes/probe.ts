// The one shape every probe has (after blackbox_exporter's prober.ProbeFn): a target, a context that
// carries the deadline of each network step and the run's cancellation, and typed evidence back.
// Probes observe; they never decide pass or fail and never throw for a network outcome.

export interface ProbeContext {
  /** Deadline of each network step (one DNS query, one connect, one handshake), in milliseconds. */
  stepTimeoutMs: number;
  /** Aborts every step when the run is cancelled. */
  signal: AbortSignal;
}

export type Probe<Target, Evidence> = (target: Target, ctx: ProbeContext) => Promise<Evidence>;

/** A signal that fires at this step's deadline or when the run is cancelled, whichever comes first. */
export function stepDeadline(ctx: ProbeContext, timeoutMs = ctx.stepTimeoutMs): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
}

/** Milliseconds since `start` (from performance.now()), rounded to 0.1 ms for reports. */
export function elapsedSince(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/** Text of an unknown thrown value, for evidence: never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
