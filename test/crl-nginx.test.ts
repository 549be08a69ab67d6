// Interop with a real component: Debian's nginx serves lab CRL files (DER, application/pkix-crl) on a loopback
// address, and the crl check reads them through it: CRL_OK for a fresh one, CRL_STALE for an expired one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCrl } from '../lab/crl.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import type { CheckResult } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { crlCheck, crlSources } from '../specs/checks/crl.js';
import { startNginx, type RunningNginx } from './support/services.js';
import { testPlan, urlEndpoint } from './support/port80.js';

const HOST = loopbackAddress(4401);
const DAY = 86_400_000;
const ISSUER = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';

describe('crl check through nginx', () => {
  const root = mkdtempSync(join(tmpdir(), 'crl-nginx-'));
  let nginx: RunningNginx;
  let dns: LabDnsServer;
  let run: CheckRun;

  beforeAll(async () => {
    const pki = await labPki();
    const now = Date.now();
    writeFileSync(join(root, 'fresh.crl'), await labCrl(pki.publicIssuing, { revoked: [{ serialNumber: '1234' }] }));
    writeFileSync(join(root, 'stale.crl'), await labCrl(pki.publicIssuing, { thisUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - 3 * DAY) }));
    const port = await findSharedFreePort([HOST]);
    nginx = await startNginx({ host: HOST, port, root });
    dns = await startLabDnsServer({ zone: { 'crl.nginx.lab.test': { records: [{ type: 'A', value: HOST, ttl: 60 }] } } });
    const endpoints = ['fresh', 'stale'].map((name) => urlEndpoint(`http://crl.nginx.lab.test/${name}.crl`, 'crl'));
    const plan = testPlan({ checks: ['dns', 'crl'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: port }, caPems: [pki.trustedRootsPem, pki.publicIssuing.certificate.pem] });
    run = new CheckRun(plan, new ObservationSession(plan));
  });
  afterAll(async () => {
    await Promise.all([nginx?.stop(), dns?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  async function check(name: string): Promise<CheckResult> {
    const source = (await crlSources(run)).find((candidate) => candidate.url.endsWith(`/${name}.crl`));
    if (!source) throw new Error(`no source ${name}`);
    return crlCheck(run, source);
  }

  it('reads a fresh CRL as nginx serves it: CRL_OK', async () => {
    const result = await check('fresh');
    expect(result).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(result.message).toMatch(new RegExp(`^http://crl.nginx.lab.test/fresh.crl: the CRL of "${ISSUER}" \\(\\d+ bytes, 1 revoked\\) fetched in [\\d.]+ ms; signature verified with "${ISSUER}"; valid until \\S+$`));
    const fetch = result.evidence['fetch'] as { hops: Array<{ answer: { server: string; contentType: string; contentLength: number } }> };
    expect(fetch.hops[0]?.answer).toMatchObject({ contentType: 'application/pkix-crl', server: expect.stringMatching(/^nginx/) });
  });

  it('reports an expired CRL nginx serves: CRL_STALE', async () => {
    const result = await check('stale');
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_STALE' });
    expect(result.message).toMatch(new RegExp(`^http://crl.nginx.lab.test/stale.crl: the CRL of "${ISSUER}" is stale: its nextUpdate \\S+ passed 3 d( \\d+ s)? ago$`));
  });
});
