// The run's checks as vitest tests: one test per endpoint host, holding every check about it (dns, tcp, tls,
// inspection, and the port-80 kinds for URLs on that host), in plan order. One test per host rather than per
// check: at 2,000 endpoints vitest's own cost per test (about 0.15 ms of CPU) would otherwise be paid 14,000
// times. The checks are already under way (the CLI starts them before this file loads); a test awaits its
// host's results and fails when one of them fails.
import { describe, test } from 'vitest';
import { kindsOf, plannedChecks, type PlannedCheck } from './registry.js';
import { checkRun, endpointTest } from './support.js';

const run = checkRun();
const kinds = kindsOf(run);
// Targets that come from other results (tcp's from dns, crl's from live chains) are known once those are judged.
const planned = await Promise.allSettled(kinds.map((kind) => plannedChecks(run, kind)));

// Hosts in plan order first, then hosts only a certificate or this machine names (a CRL server, the clock).
const byEndpoint = new Map<string, PlannedCheck[]>(run.hosts.map((host) => [host.host, []]));
for (const kind of planned) {
  for (const check of kind.status === 'fulfilled' ? kind.value : []) {
    const checks = byEndpoint.get(check.endpoint) ?? [];
    checks.push(check);
    byEndpoint.set(check.endpoint, checks);
  }
}

describe.concurrent('checks', () => {
  for (const [endpoint, checks] of byEndpoint) if (checks.length > 0) endpointTest(endpoint, checks);
  // A kind whose targets cannot be found fails a test of its own; the other kinds still run.
  kinds.forEach((kind, i) => {
    const outcome = planned[i];
    if (outcome?.status === 'rejected') {
      test(`${kind} targets`, () => {
        throw outcome.reason;
      });
    }
  });
});
