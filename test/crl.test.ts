// The crl check against lab CRL servers: one fixture per code (asserting code and message), then a run whose TLS
// endpoints' certificates name the CRLs: discovered without any being configured, each fetched once, a revoked
// leaf reported on its tls check, a dead distribution point saved by the next one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedEndpoint } from '../config/plan.js';
import { CrlReason, labCrl, serialOf } from '../lab/crl.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { blockPageHtml, startHttpFixtures, type HttpFixture, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { LAB_REVOCATION, labPki, type LabIdentity, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture, type LabTlsServer } from '../lab/tls-servers.js';
import type { CheckResult } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { crlCheck, crlSources } from '../specs/checks/crl.js';
import { addressTargets } from '../specs/checks/tcp.js';
import { tlsCheck } from '../specs/checks/tls.js';
import { testPlan, urlEndpoint } from './support/port80.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let pki: LabPki;
const closers: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  pki = await labPki();
});
afterAll(() => Promise.all(closers.map((closer) => closer.close())));

const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });

async function labDns(zone: Record<string, string>): Promise<LabDnsServer> {
  const server = await startLabDnsServer({ zone: Object.fromEntries(Object.entries(zone).map(([name, address]) => [name, a(address)])) });
  closers.push(server);
  return server;
}

async function resultOf(run: CheckRun, url: string): Promise<CheckResult> {
  const source = (await crlSources(run)).find((candidate) => candidate.url === url);
  if (!source) throw new Error(`no crl source ${url}`);
  return crlCheck(run, source);
}

const totalMs = (result: CheckResult) => (result.evidence['fetch'] as { totalMs: number }).totalMs;

describe('crl check, one fixture per code', () => {
  const CRLS = loopbackAddress(4101);
  const CLOSED = loopbackAddress(4102);
  const CAP = 256 * 1024;
  let server: LabHttpServer;
  let run: CheckRun;
  let fresh: Buffer;
  const url = (path: string) => `http://crl.lab.test${path}`;
  const issuer = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';

  beforeAll(async () => {
    const issuing = pki.publicIssuing;
    const now = Date.now();
    fresh = await labCrl(issuing, { thisUpdate: new Date(now - HOUR), nextUpdate: new Date(now + 7 * DAY), revoked: [{ serialNumber: '0ABC', reason: CrlReason.superseded }] });
    const crl = (body: Buffer): HttpFixture => ({ kind: 'body', contentType: 'application/pkix-crl', body });
    // A download cut short: the outer SEQUENCE claims more bytes than arrived.
    const corrupt = fresh.subarray(0, fresh.length - 40);
    const routes: Record<string, HttpFixture> = {
      '/fresh.crl': crl(fresh),
      '/stale.crl': crl(await labCrl(issuing, { thisUpdate: new Date(now - 8 * DAY), nextUpdate: new Date(now - DAY) })),
      '/future.crl': crl(await labCrl(issuing, { thisUpdate: new Date(now + DAY), nextUpdate: new Date(now + 8 * DAY) })),
      '/near.crl': crl(await labCrl(issuing, { thisUpdate: new Date(now - 7 * DAY), nextUpdate: new Date(now + 2 * HOUR) })),
      '/forged.crl': crl(await labCrl(issuing, { signedBy: pki.zscalerRoot })),
      '/corporate.crl': crl(await labCrl(pki.corporateRoot)),
      '/corrupt.crl': crl(corrupt),
      '/pem.crl': { kind: 'body', contentType: 'application/pkix-crl', body: `-----BEGIN X509 CRL-----\n${fresh.toString('base64')}\n-----END X509 CRL-----\n` },
      '/huge.crl': { kind: 'stream', contentType: 'application/pkix-crl', totalBytes: 200 * 1024 * 1024, declareLength: true },
      '/endless.crl': { kind: 'stream', contentType: 'application/pkix-crl', totalBytes: 'endless', declareLength: false },
      '/slow.crl': { kind: 'drip', contentType: 'application/pkix-crl', body: fresh, bytesPerTick: 16, intervalMs: 100 },
      '/blocked.crl': { kind: 'body', contentType: 'text/html', body: blockPageHtml('Access Denied', 'Blue Coat ProxySG') },
      '/forbidden.crl': { kind: 'body', status: 403, contentType: 'text/html', body: '<html><head><title>Forbidden</title></head><body>Request denied by policy</body></html>' },
      '/loop.crl': { kind: 'redirect', status: 302, location: '/loop.crl' },
    };
    const port = await findSharedFreePort([CRLS, CLOSED]);
    server = await startHttpFixtures(CRLS, port, routes);
    closers.push(server);
    const dns = await labDns({ 'crl.lab.test': CRLS, 'closed.lab.test': CLOSED });
    const endpoints: PlannedEndpoint[] = [...Object.keys(routes), '/missing.crl'].map((path) => urlEndpoint(url(path), 'crl'));
    endpoints.push(urlEndpoint('http://closed.lab.test/x.crl', 'crl'));
    // The issuing CA in the trust list: a configured CRL is checked against any known certificate of its issuer's name.
    const plan = testPlan({
      checks: ['dns', 'crl'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: port },
      caPems: [pki.trustedRootsPem, issuing.certificate.pem], crlMaxBytes: CAP, httpTimeoutMs: 1000,
    });
    run = new CheckRun(plan, new ObservationSession(plan));
  });

  it('passes a fresh, signed CRL: CRL_OK with size, entries, issuer, dates and timing', async () => {
    const result = await resultOf(run, url('/fresh.crl'));
    expect(result).toMatchObject({ id: `crl:${url('/fresh.crl')}`, check: 'crl', host: 'crl.lab.test', port: 80, url: url('/fresh.crl'), status: 'pass', code: 'CRL_OK' });
    const crl = result.evidence['crl'] as Record<string, unknown>;
    expect(crl).toMatchObject({ issuer, entries: 1, sizeBytes: fresh.length, signatureAlgorithm: 'sha256WithRSAEncryption' });
    expect(result.message).toBe(`${url('/fresh.crl')}: the CRL of "${issuer}" (${fresh.length} bytes, 1 revoked) fetched in ${totalMs(result)} ms; signature verified with "${issuer}"; valid until ${crl['nextUpdate']}`);
    expect(result.evidence['signature']).toEqual({ outcome: 'valid', issuer });
    expect(result.evidence).not.toHaveProperty('der');
  });

  it('fails a CRL past its nextUpdate: CRL_STALE', async () => {
    const result = await resultOf(run, url('/stale.crl'));
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_STALE' });
    expect(result.message).toMatch(new RegExp(`^${url('/stale.crl')}: the CRL of "${issuer}" is stale: its nextUpdate \\S+ passed 1 d( \\d+ s)? ago$`));
    expect(result.remediation).toContain('a cache on the path (proxy, CDN) serves an old copy');
    // True whether or not another point serves: the warning that says one does must not be contradicted.
    expect(result.remediation).toMatch(/^The agent rejects an expired CRL: unless another distribution point of the same certificates serves a current one, every certificate it covers then fails revocation checking\. /);
  });

  it('fails a CRL whose thisUpdate is ahead of the clock: CRL_STALE, naming the clock', async () => {
    const result = await resultOf(run, url('/future.crl'));
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_STALE' });
    expect(result.message).toMatch(new RegExp(`^${url('/future.crl')}: the CRL of "${issuer}" is not valid yet: its thisUpdate \\S+ is 23 h 59 min ahead of this machine's clock$`));
    expect(result.remediation).toMatch(/^Check this machine's clock first/);
  });

  it('warns when nextUpdate is near: CRL_STALE as a warning', async () => {
    const result = await resultOf(run, url('/near.crl'));
    expect(result).toMatchObject({ status: 'warn', code: 'CRL_STALE' });
    expect(result.message).toMatch(/; it expires in 1 h 59 min \(nextUpdate \S+\)$/);
  });

  it('fails a CRL signed with another key: CRL_SIGNATURE_INVALID', async () => {
    const result = await resultOf(run, url('/forged.crl'));
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_SIGNATURE_INVALID', message: `${url('/forged.crl')}: the CRL's signature does not verify with the key of "${issuer}"` });
  });

  it('passes a configured CRL whose issuer is unknown here, saying the signature is unverified', async () => {
    const result = await resultOf(run, url('/corporate.crl'));
    expect(result).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(result.message).toContain('signature not verified: no certificate of "C=NL, O=Contoso Corporation, OU=Network Security, CN=Contoso Egress Inspection CA" is known here');
  });

  it('fails bytes that are not a DER CRL: CRL_MALFORMED, and says so for PEM', async () => {
    const corrupt = await resultOf(run, url('/corrupt.crl'));
    expect(corrupt).toMatchObject({ status: 'fail', code: 'CRL_MALFORMED' });
    expect(corrupt.message).toMatch(new RegExp(`^${url('/corrupt.crl')}: the answer \\(${fresh.length - 40} bytes, application/pkix-crl\\) is not a DER X.509 CRL \\(truncated: an element at offset 0 claims ${fresh.length - 4} bytes, ${fresh.length - 44} remain\\)$`));
    const pem = await resultOf(run, url('/pem.crl'));
    expect(pem).toMatchObject({ status: 'fail', code: 'CRL_MALFORMED' });
    expect(pem.message).toMatch(/ is a PEM \(Base64 text\) CRL; distribution points must serve DER$/);
  });

  it('stops reading at the cap: CRL_TOO_LARGE, whether the size is declared or not', async () => {
    const huge = await resultOf(run, url('/huge.crl'));
    expect(huge).toMatchObject({ status: 'fail', code: 'CRL_TOO_LARGE', message: `${url('/huge.crl')}: the answer declares 200.0 MB, over the CRL size cap of 256.0 kB` });
    expect(huge.remediation).toContain('raise limits.crlMaxBytes');
    const endless = await resultOf(run, url('/endless.crl'));
    expect(endless).toMatchObject({ status: 'fail', code: 'CRL_TOO_LARGE', message: `${url('/endless.crl')}: the answer sent more than 256.0 kB (reading stopped there), over the CRL size cap of 256.0 kB` });
    expect((endless.evidence['fetch'] as { body: { receivedBytes: number } }).body.receivedBytes).toBeLessThan(CAP + 128 * 1024);
  });

  it('gives up on a CRL dripped past the deadline: CRL_TIMEOUT', async () => {
    const result = await resultOf(run, url('/slow.crl'));
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_TIMEOUT', message: `${url('/slow.crl')}: the body did not arrive within 1000 ms of the headers` });
    expect(totalMs(result)).toBeLessThan(2500);
  });

  it('recognises pages where DER was due: CRL_BLOCK_PAGE with the title', async () => {
    const blocked = await resultOf(run, url('/blocked.crl'));
    expect(blocked).toMatchObject({ status: 'fail', code: 'CRL_BLOCK_PAGE' });
    expect(blocked.message).toBe(`${url('/blocked.crl')}: an HTML page titled "Access Denied" with status 200 OK; it mentions bluecoat, text: access denied, text: has been blocked, where a DER CRL was due`);
    const forbidden = await resultOf(run, url('/forbidden.crl'));
    expect(forbidden).toMatchObject({ status: 'fail', code: 'CRL_BLOCK_PAGE', message: `${url('/forbidden.crl')}: an HTML page titled "Forbidden" with status 403 Forbidden, where a DER CRL was due` });
  });

  it('reports other answers as CRL_HTTP_STATUS: a 404, a redirect loop', async () => {
    expect(await resultOf(run, url('/missing.crl'))).toMatchObject({ status: 'fail', code: 'CRL_HTTP_STATUS', message: `${url('/missing.crl')}: the server answered 404 Not Found` });
    const loop = await resultOf(run, url('/loop.crl'));
    expect(loop).toMatchObject({ status: 'fail', code: 'CRL_HTTP_STATUS' });
    expect(loop.message).toMatch(new RegExp(`^${url('/loop.crl')}: more than 3 redirects \\(a redirect loop\\)`));
  });

  it('carries the tcp code when the connection is refused: TCP_REFUSED', async () => {
    const result = await resultOf(run, 'http://closed.lab.test/x.crl');
    expect(result).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(result.message).toMatch(new RegExp(`^http://closed.lab.test/x.crl: ${CLOSED}:\\d+ \\(port 80 mapped\\): connection refused`));
  });

  it('fetched every URL once', () => {
    const paths = server.requests.map((request) => request.path);
    expect(paths.filter((path) => path === '/fresh.crl')).toHaveLength(1);
    expect(new Set(paths.filter((path) => path !== '/loop.crl')).size).toBe(paths.filter((path) => path !== '/loop.crl').length);
  });
});

describe('crl checks of live chains', () => {
  const TLS = { good: loopbackAddress(4111), revoked: loopbackAddress(4112), twoPoints: loopbackAddress(4113), wrong: loopbackAddress(4114) };
  const CRL_HOST = loopbackAddress(4115);
  const DIGICERT = loopbackAddress(4116);
  const DOWN = loopbackAddress(4117);
  const ISSUING_CRL = 'http://crl.lab.test/issuing.crl';
  const DOWN_CRL = 'http://down.lab.test/issuing.crl';
  const CORPORATE_CRL = 'http://crl.lab.test/corporate.crl';
  const [ROOT_CRL_3, ROOT_CRL_4] = LAB_REVOCATION.issuingCa.crl;
  let crlServer: LabHttpServer;
  let digicert: LabHttpServer;
  let run: CheckRun;
  let revokedLeaf: LabIdentity;
  const issuer = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';

  beforeAll(async () => {
    const issuing = pki.publicIssuing;
    const leaf = (host: string, crl: string[]) => issuing.issueLeaf({ hosts: [host], revocation: { crl } });
    const [good, revoked, twoPoints, wrong] = await Promise.all([
      leaf('good.lab.test', [ISSUING_CRL]), leaf('revoked.lab.test', [ISSUING_CRL]), leaf('twopoints.lab.test', [DOWN_CRL, ISSUING_CRL]), leaf('wrong.lab.test', [CORPORATE_CRL]),
    ]);
    revokedLeaf = revoked;
    const httpPort = await findSharedFreePort([CRL_HOST, DIGICERT, DOWN]);
    const crl = (body: Buffer): HttpFixture => ({ kind: 'body', contentType: 'application/pkix-crl', body });
    crlServer = await startHttpFixtures(CRL_HOST, httpPort, {
      '/issuing.crl': crl(await labCrl(issuing, { revoked: [{ serialNumber: serialOf(revoked.leaf), revokedAt: new Date('2026-01-02T03:04:05Z'), reason: CrlReason.keyCompromise }] })),
      '/corporate.crl': crl(await labCrl(pki.corporateRoot)),
    });
    // The look-alike DigiCert host serves its root's CRL at the path the issuing CA's certificate names.
    digicert = await startHttpFixtures(DIGICERT, httpPort, { [new URL(ROOT_CRL_3 ?? '').pathname]: crl(await labCrl(pki.publicRoot)) });
    const tlsPort = await findSharedFreePort(Object.values(TLS));
    const servers: LabTlsServer[] = await Promise.all([
      startTlsFixture(TLS.good, tlsPort, { kind: 'serve', identity: good }), startTlsFixture(TLS.revoked, tlsPort, { kind: 'serve', identity: revoked }),
      startTlsFixture(TLS.twoPoints, tlsPort, { kind: 'serve', identity: twoPoints }), startTlsFixture(TLS.wrong, tlsPort, { kind: 'serve', identity: wrong }),
    ]);
    closers.push(crlServer, digicert, ...servers);
    // crl4.digicert.com is not in the zone: its point fails, crl3's serves the same CRL.
    const dns = await labDns({
      'good.lab.test': TLS.good, 'revoked.lab.test': TLS.revoked, 'twopoints.lab.test': TLS.twoPoints, 'wrong.lab.test': TLS.wrong,
      'crl.lab.test': CRL_HOST, 'down.lab.test': DOWN, 'crl3.digicert.com': DIGICERT,
    });
    const endpoints = ['good', 'revoked', 'twopoints', 'wrong'].map((name) => urlEndpoint(`https://${name}.lab.test/`, 'tls'));
    const plan = testPlan({ checks: ['dns', 'tcp', 'tls', 'crl'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: httpPort, 443: tlsPort }, caPems: [pki.trustedRootsPem] });
    run = new CheckRun(plan, new ObservationSession(plan));
  });

  async function tlsResult(host: string): Promise<CheckResult> {
    const plan = run.hosts.find((candidate) => candidate.host === host);
    if (!plan) throw new Error(`no host ${host}`);
    const [target] = await addressTargets(run, plan, plan.tlsPorts);
    if (!target) throw new Error(`no target for ${host}`);
    return tlsCheck(run, target);
  }

  it('finds every distribution point of the live chains, none configured, each once', async () => {
    const sources = await crlSources(run);
    expect(sources.map((source) => source.url).sort()).toEqual([CORPORATE_CRL, DOWN_CRL, ISSUING_CRL, ROOT_CRL_3, ROOT_CRL_4].sort());
    expect(sources.every((source) => !source.configured)).toBe(true);
    expect(sources.find((source) => source.url === ISSUING_CRL)?.namedBy.map((link) => link.certificate.commonName).sort()).toEqual(['good.lab.test', 'revoked.lab.test', 'twopoints.lab.test']);
  });

  it('passes the issuing CA\'s CRL and says which live certificate is on it', async () => {
    const result = await resultOf(run, ISSUING_CRL);
    expect(result).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    const serial = serialOf(revokedLeaf.leaf);
    expect(result.message).toContain(`; signature verified with "${issuer}"; it lists "CN=revoked.lab.test" (serial ${serial}) as revoked (see the tls check); valid until`);
    expect(result.evidence['covered']).toEqual(expect.arrayContaining([
      { subject: 'CN=revoked.lab.test', serialNumber: serial, revoked: true, revokedAt: '2026-01-02T03:04:05.000Z', reason: 'keyCompromise' },
      expect.objectContaining({ subject: 'CN=good.lab.test', revoked: false }),
    ]));
  });

  it('reports the revoked leaf on its tls check: TLS_CERT_REVOKED', async () => {
    const revoked = await tlsResult('revoked.lab.test');
    expect(revoked).toMatchObject({ status: 'fail', code: 'TLS_CERT_REVOKED' });
    expect(revoked.message).toMatch(new RegExp(`: certificate "revoked.lab.test" \\(serial ${serialOf(revokedLeaf.leaf)}\\) is revoked since 2026-01-02T03:04:05.000Z \\(keyCompromise\\) according to ${ISSUING_CRL}$`));
    expect(await tlsResult('good.lab.test')).toMatchObject({ status: 'pass', code: 'TLS_OK' });
  });

  it('verifies the root\'s CRL with the root from the chain; the point that fails is a warning when the next one serves', async () => {
    expect(await resultOf(run, ROOT_CRL_3 ?? '')).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    const crl4 = await resultOf(run, ROOT_CRL_4 ?? '');
    expect(crl4).toMatchObject({ status: 'warn', code: 'DNS_NXDOMAIN' });
    expect(crl4.message).toMatch(new RegExp(`; the certificate's other distribution point ${ROOT_CRL_3} serves a valid CRL, so revocation checking succeeds after this one fails$`));
    expect(crl4.remediation).toMatch(new RegExp(`^Revocation checking waits for this point to fail before it uses ${ROOT_CRL_3}\\. To remove that wait: The agent resolves `));
    const down = await resultOf(run, DOWN_CRL);
    expect(down).toMatchObject({ status: 'warn', code: 'TCP_REFUSED' });
    expect(down.message).toContain(`the certificate's other distribution point ${ISSUING_CRL} serves a valid CRL`);
    expect(await tlsResult('twopoints.lab.test')).toMatchObject({ status: 'pass', code: 'TLS_OK' });
  });

  it('fails a CRL from another CA than the certificate\'s issuer: CRL_SIGNATURE_INVALID', async () => {
    const result = await resultOf(run, CORPORATE_CRL);
    expect(result).toMatchObject({ status: 'fail', code: 'CRL_SIGNATURE_INVALID' });
    expect(result.message).toBe(`${CORPORATE_CRL}: the CRL is issued by "C=NL, O=Contoso Corporation, OU=Network Security, CN=Contoso Egress Inspection CA", not by "${issuer}", the issuer of the certificates that name this URL`);
  });

  it('fetched each URL once for the crl and tls checks together', async () => {
    await Promise.all((await crlSources(run)).map((source) => crlCheck(run, source)));
    expect(crlServer.requests.map((request) => request.path).sort()).toEqual(['/corporate.crl', '/issuing.crl']);
    expect(digicert.requests).toHaveLength(1);
  });
});
