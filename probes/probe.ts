// The one shape every probe has (after blackbox_exporter's prober.ProbeFn): a target, a context that
// carries the deadline of each network step and the run's cancellation, and typed evidence back.
// Probes observe; they never decide pass or fail and never throw for a network outcome.
import type { StepContext } from '../net/deadline.js';

/** A probe's context is a network step's: the deadline of each step, and the run's cancellation. */
export type ProbeContext = StepContext;

export type Probe<Target, Evidence> = (target: Target, ctx: ProbeContext) => Promise<Evidence>;

/** What probes build on, handed on from where it lives (net/deadline.ts, model/evidence-text.ts). */
export { deadlineSignal, elapsedSince, releaseDeadline, stepDeadline } from '../net/deadline.js';
export { describeError } from '../model/evidence-text.js';
