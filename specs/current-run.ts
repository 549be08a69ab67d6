// The run the spec shares with whoever runs it. The CLI creates its CheckRun and starts every check before any
// spec code loads, then hands the run over here; under `vitest run` nothing is handed over and the spec builds
// its own from the plan vitest provides. A module of its own, without vitest: the CLI imports it at start.
import type { CheckRun } from './check-run.js';

let provided: CheckRun | undefined;

export function provideCheckRun(run: CheckRun | undefined): void {
  provided = run;
}

export function providedCheckRun(): CheckRun | undefined {
  return provided;
}
