// `egress-preflight/spec`: what a user's spec file (run with `preflight --specs DIR`) imports. Helpers that go
// through the current run's observations, the run's plan, and vitest matchers on what they return.
//
//   import { expect, test } from 'vitest';
//   import { handshake, resolve } from 'egress-preflight/spec';
//
//   test('our connector host resolves to the Traffic Manager and is not inspected', async () => {
//     expect(await resolve('contoso.msappproxy.net')).toEndIn('.trafficmanager.net');
//     expect(await handshake('contoso.msappproxy.net')).not.toBeInspected();
//   });
import './matchers.js';

export { connect, fetchUrl, handshake, plan, resolve } from './observations.js';
export type { CertificateSummary, Connection, ConnectionAttempt, Fetched, Handshake, PlanView, Resolution } from './observations.js';
export { describeCertificates, describeChain } from './matchers.js';
export { FAILS_IN_LAB_TAG } from '../runner/user-spec-run.js';
