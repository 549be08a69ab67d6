// Every check of the run's plan, one test each, grouped by kind in registry order (dns:<host>,
// tcp:<host>@<address>:<port>…). The checks are already under way (the CLI starts them before this file loads);
// a test awaits its check's result and passes, fails or is skipped as the result says.
import { describe, test } from 'vitest';
import { kindsOf, plannedChecks } from './registry.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const kinds = kindsOf(run);
// Targets that come from other results (tcp's from dns, crl's from live chains) are known once those are judged.
// A kind whose targets cannot be found fails a test of its own, and the other kinds still run.
const planned = await Promise.allSettled(kinds.map((kind) => plannedChecks(run, kind)));

kinds.forEach((kind, i) => {
  const checks = planned[i];
  describe.concurrent(kind, () => {
    if (checks?.status === 'rejected') {
      test(`${kind} targets`, () => {
        throw checks.reason;
      });
      return;
    }
    for (const check of checks?.value ?? []) checkTest(check.id, check.result);
  });
});
