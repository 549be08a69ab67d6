// Every check of the run's plan, one test each, grouped by kind in registry order: dns:<host>, tcp:<host>@<address>:<port>…
// The checks themselves are already under way (the CLI starts them before this file loads); a test awaits its
// check's result and passes, fails or is skipped as the result says.
import { describe } from 'vitest';
import { kindsOf, plannedChecks } from './registry.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const kinds = kindsOf(run);
// Targets that come from other results (tcp's from dns, crl's from live chains) are known once those are judged.
const checks = await Promise.all(kinds.map((kind) => plannedChecks(run, kind)));

kinds.forEach((kind, i) => {
  describe.concurrent(kind, () => {
    for (const check of checks[i] ?? []) checkTest(check.id, check.result);
  });
});
