// After our tenant moved region, sign-in must not resolve to the old region's front door any more: a stale
// conditional forwarder or hosts-file entry on the corporate resolvers would keep sending the agent there.
// The assertion is on the whole CNAME chain, hop by hop, not only on the final address.
import { expect, test } from 'vitest';
import { fetchUrl, resolve } from 'egress-preflight/spec';

/** The old region's front door (an example name: use the suffix your old tenant's chain went through). */
const OLD_REGION = '.weu-old.lab-identity.net';

test('login.microsoftonline.com resolves, and not through the old region', async () => {
  const resolved = await resolve('login.microsoftonline.com');
  expect(resolved).toResolve();
  expect(resolved).not.toEndIn(OLD_REGION);
  // No hop of the chain may pass through the old region either.
  expect(resolved.names.filter((name) => name.endsWith(OLD_REGION))).toEqual([]);
});

test('the DigiCert root CRL the agent checks is served as a CRL', async () => {
  // The same fetch as the built-in crl check's: done once per run.
  expect(await fetchUrl('http://crl3.digicert.com/DigiCertGlobalRootG2.crl')).toServeCrl();
});
