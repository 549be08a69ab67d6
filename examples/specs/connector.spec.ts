// Our tenant's own connector host: the application proxy connector talks to <tenant>.msappproxy.net, which must
// resolve through Microsoft's Traffic Manager and must reach Microsoft's own certificate, not our TLS inspection's.
//
// Run against the lab: `preflight --specs examples/specs lab`. The lab's connector host sits behind a simulated
// Zscaler that re-signs TLS, so "is not inspected" is tagged `fails-in-lab`: in the lab it MUST fail, and the
// lab's self-check reports it as a surprise if it passes (the spec would then be blind to inspection).
import { describe, expect, test } from 'vitest';
import { FAILS_IN_LAB_TAG, handshake, plan, resolve } from 'egress-preflight/spec';

/** Our connector host: the plan's *.msappproxy.net endpoint (set with --var tenant=contoso in production). */
function connectorHost(): string {
  const endpoint = plan().endpoints.find((e) => e.host.endsWith('.msappproxy.net'));
  if (!endpoint) throw new Error('the plan has no *.msappproxy.net endpoint: run with a connector profile');
  return endpoint.host;
}

describe('our connector host', () => {
  test('resolves through Traffic Manager', async () => {
    const resolved = await resolve(connectorHost());
    expect(resolved).toResolve();
    expect(resolved).toEndIn('.trafficmanager.net');
  });

  test('is not TLS-inspected', { tags: [FAILS_IN_LAB_TAG] }, async () => {
    const shaken = await handshake(connectorHost());
    expect(shaken).not.toBeInspected();
    expect(shaken).toChainTo('DigiCert Global Root G2');
  });
});
