import { it } from 'vitest';
import { labPki } from '../lab/pki.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { probeTls } from '../probes/tls.js';

it('explore', async () => {
  let t = performance.now();
  const pki = await labPki();
  console.log('pki', performance.now() - t);
  const ok = await pki.publicIssuing.issueLeaf({ hosts: ['ok.lab.test'] });
  const host = loopbackAddress(601);
  const fixtures = {
    ok: { kind: 'serve', identity: ok },
    legacy: { kind: 'serve', identity: ok, legacyOnly: true },
    http: { kind: 'plain-http' },
    tarpit: { kind: 'tarpit' },
    reset: { kind: 'reset-on-hello' },
    zscaler: { kind: 'intercept', authority: pki.zscalerIntermediate },
    leafonly: { kind: 'serve', identity: ok, send: { intermediates: false, root: false } },
  } as const;
  for (const [name, fixture] of Object.entries(fixtures)) {
    const server = await startTlsFixture(host, 0, fixture as never);
    t = performance.now();
    const ev = await probeTls({ host: 'ok.lab.test', address: host, port: server.port, caPems: [pki.trustedRootsPem] }, { stepTimeoutMs: 500, signal: new AbortController().signal });
    console.log(name, performance.now() - t, JSON.stringify({ ...ev, chain: ev.chain.map((c) => [c.subject, c.issuer, c.keyType, c.keyBits, c.crlUrls, c.ocspUrls]) }, null, 1));
    await server.close();
  }
});
