// Our corporate proxy's bypass list: these hosts are exempt from the proxy (and from its TLS inspection), so this
// machine must reach them directly, and they must present Microsoft's chain. A team keeps this list in step with
// the proxy's configuration (PAC file, bypass list); the spec catches a firewall rule that lags behind it.
import { expect, test } from 'vitest';
import { connect, handshake, plan } from 'egress-preflight/spec';

/** What our proxy's bypass list exempts (in production, also read back from the run's proxy settings). */
const BYPASSED = ['login.microsoftonline.com', 'lab-msappproxy-com.msappproxy.com'];

for (const host of BYPASSED) {
  test(`${host} is reachable without the proxy`, async () => {
    const connection = await connect(host, 443);
    // When the run does have a proxy, a host on our list must not be sent through it.
    if (plan().proxy) expect(connection.via).toBe('direct');
    expect(connection).toReach();
  });

  test(`${host} presents Microsoft's chain, not an inspecting proxy's`, async () => {
    const shaken = await handshake(host);
    expect(shaken).not.toBeInspected();
    expect(shaken).toChainTo('Microsoft Azure RSA TLS Issuing CA 04');
  });
}
