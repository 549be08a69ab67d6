// The ocsp probe and check: real RFC 6960 requests to the lab responder (and to OpenSSL's own responder), one fixture
// per outcome asserting code and message, then a run that finds responders in live chains and reports a revoked
// leaf on its tls check.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrlReason, serialOf } from '../lab/crl.js';
import { startLabDnsServer } from '../lab/dns-server.js';
import { blockPageHtml, labOcspResponder, startHttpFixtures, type HttpFixture, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabAuthority, type LabIdentity, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import type { CheckResult } from '../model/result.js';
import { observeCertificate, ParsedCertificate, type ObservedCertificate } from '../pki/certificate.js';
import { ocspRequest, readOcspResponse } from '../pki/ocsp.js';
import { probeOcsp, type OcspEvidence } from '../probes/ocsp.js';
import { certificateFields } from '../pki/pkix.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { judgeOcsp, ocspCheck, ocspSources } from '../specs/checks/ocsp.js';
import { addressTargets } from '../specs/checks/tcp.js';
import { tlsCheck } from '../specs/checks/tls.js';
import { probeContext, routerFor, testPlan, urlEndpoint } from './support/port80.js';

const RESPONDER = loopbackAddress(4201);
const DAY = 86_400_000;
const ISSUER = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';

let pki: LabPki;
let leaf: LabIdentity;
let server: LabHttpServer;
let port: number;
const closers: Array<{ close(): Promise<void> }> = [];
const workDir = mkdtempSync(join(tmpdir(), 'ocsp-test-'));

const observed = (der: Buffer): ObservedCertificate => observeCertificate(new ParsedCertificate(der));
const authorityCertificate = (authority: LabAuthority) => observed(authority.certificate.der);

beforeAll(async () => {
  pki = await labPki();
  leaf = await pki.publicIssuing.issueLeaf({ hosts: ['leaf.lab.test'] });
  const serial = serialOf(leaf.leaf);
  const responder = async (options: Omit<Parameters<typeof labOcspResponder>[0], 'authority'> = {}, authority = pki.publicIssuing): Promise<HttpFixture> =>
    ({ kind: 'ocsp', responder: await labOcspResponder({ authority, ...options }) });
  const routes: Record<string, HttpFixture> = {
    '/good': await responder(),
    '/revoked': await responder({ statuses: new Map([[serial, { status: 'revoked', revokedAt: new Date('2026-02-03T04:05:06Z'), reason: CrlReason.keyCompromise }]]) }),
    '/unknown': await responder({ statuses: new Map([[serial, { status: 'unknown' }]]) }),
    '/try-later': await responder({ unsuccessful: 3 }),
    '/forged': await responder({ signedBy: pki.zscalerRoot }),
    '/stale': await responder({ thisUpdate: new Date(Date.now() - 3 * DAY), nextUpdate: new Date(Date.now() - DAY) }),
    '/ecc': await responder({}, pki.eccIssuing),
    '/garbage': { kind: 'body', contentType: 'application/ocsp-response', body: Buffer.from([0x30, 0x03, 0x0a, 0x01]) },
    '/blocked': { kind: 'body', contentType: 'text/html', body: blockPageHtml('Web Page Blocked', 'Palo Alto Networks') },
    '/not-allowed': { kind: 'body', status: 405, contentType: 'text/plain', body: 'method not allowed\n' },
    '/hang': { kind: 'hang' },
  };
  port = await findSharedFreePort([RESPONDER]);
  server = await startHttpFixtures(RESPONDER, port, routes);
  closers.push(server);
});
afterAll(async () => {
  await Promise.all(closers.map((closer) => closer.close()));
  rmSync(workDir, { recursive: true, force: true });
});

const url = (path: string) => `http://ocsp.lab.test:${port}${path}`;

async function ask(path: string, certificate: Buffer = leaf.leaf.der, issuer: LabAuthority = pki.publicIssuing, stepTimeoutMs = 1000): Promise<OcspEvidence> {
  return probeOcsp({ url: url(path), router: routerFor({ 'ocsp.lab.test': [RESPONDER] }), certificate: observed(certificate), issuer: authorityCertificate(issuer) }, probeContext(stepTimeoutMs));
}

describe('ocsp request', () => {
  it('is an RFC 6960 request that OpenSSL reads: SHA-1 CertID of the issuer\'s name and key, and the serial', () => {
    const file = join(workDir, 'request.der');
    writeFileSync(file, ocspRequest(leaf.leaf.der, pki.publicIssuing.certificate.der));
    const text = spawnSync('openssl', ['ocsp', '-reqin', file, '-req_text', '-noverify'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('Hash Algorithm: sha1');
    expect(text).toContain(`Serial Number: ${serialOf(leaf.leaf)}`);
    expect(text).toMatch(/Issuer Name Hash: [0-9A-F]{40}/);
  });
});

describe('ocsp probe and verdict', () => {
  it('passes a good answer signed by the issuer: OCSP_OK', async () => {
    const evidence = await ask('/good');
    const verdict = judgeOcsp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'pass', code: 'OCSP_OK' });
    expect(verdict.message).toBe(`${url('/good')}: the responder says "CN=leaf.lab.test" (serial ${serialOf(leaf.leaf)}) is good (signed by the issuer, in ${evidence.fetch.totalMs} ms)`);
    expect(evidence.response).toMatchObject({ responseStatus: 'successful', signature: 'valid', signatureAlgorithm: 'sha256WithRSAEncryption', answers: 1, certStatus: 'good' });
    expect(evidence.fetch.hops[0]).toMatchObject({ method: 'POST', answer: { status: 200, contentType: 'application/ocsp-response' } });
    expect(server.requests.at(-1)).toEqual({ method: 'POST', path: '/good' });
  });

  it('reads an ECDSA issuer\'s answer', async () => {
    const eccLeaf = await pki.eccIssuing.issueLeaf({ hosts: ['ecc.lab.test'] });
    const evidence = await ask('/ecc', eccLeaf.leaf.der, pki.eccIssuing);
    expect(judgeOcsp(evidence, 80)).toMatchObject({ status: 'pass', code: 'OCSP_OK' });
    expect(evidence.response).toMatchObject({ signature: 'valid', signatureAlgorithm: 'ecdsa-with-SHA256' });
  });

  it('passes a revoked answer (the responder works) and names the revocation', async () => {
    const evidence = await ask('/revoked');
    const verdict = judgeOcsp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'pass', code: 'OCSP_OK' });
    expect(verdict.message).toBe(`${url('/revoked')}: the responder says "CN=leaf.lab.test" (serial ${serialOf(leaf.leaf)}) is revoked since 2026-02-03T04:05:06.000Z (keyCompromise) (signed by the issuer, in ${evidence.fetch.totalMs} ms) (see the tls check of the endpoints presenting it)`);
  });

  it('warns when the responder does not know the certificate, or its answer is out of date', async () => {
    const unknown = judgeOcsp(await ask('/unknown'), 80);
    expect(unknown).toMatchObject({ status: 'warn', code: 'OCSP_OK' });
    expect(unknown.message).toMatch(/ is unknown \(signed by the issuer, in [\d.]+ ms\): the responder does not know the certificate$/);
    const stale = judgeOcsp(await ask('/stale'), 80);
    expect(stale).toMatchObject({ status: 'warn', code: 'OCSP_OK' });
    expect(stale.message).toMatch(/, but the answer is out of date: nextUpdate \S+ passed 1 d( \d+ s)? ago$/);
  });

  it('reports a responder status other than successful: OCSP_UNSUCCESSFUL', async () => {
    const tryLater = judgeOcsp(await ask('/try-later'), 80);
    expect(tryLater).toMatchObject({ status: 'fail', code: 'OCSP_UNSUCCESSFUL', message: `${url('/try-later')}: the responder answered "tryLater" (it cannot answer now) to a request about "CN=leaf.lab.test" (serial ${serialOf(leaf.leaf)})` });
    const otherIssuer = await pki.eccIssuing.issueLeaf({ hosts: ['other.lab.test'] });
    const unauthorized = judgeOcsp(await ask('/good', otherIssuer.leaf.der, pki.eccIssuing), 80);
    expect(unauthorized).toMatchObject({ status: 'fail', code: 'OCSP_UNSUCCESSFUL' });
    expect(unauthorized.message).toContain('answered "unauthorized" (it does not answer for this certificate\'s issuer)');
  });

  it('reports a signature that verifies with no key of the issuer: OCSP_MALFORMED', async () => {
    const verdict = judgeOcsp(await ask('/forged'), 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'OCSP_MALFORMED', message: `${url('/forged')}: the response's signature verifies neither with the issuer "${ISSUER}" nor with a responder certificate it delegated OCSP signing to` });
  });

  it('reports bytes that are not an OCSP response, and pages, as OCSP_MALFORMED', async () => {
    const garbage = judgeOcsp(await ask('/garbage'), 80);
    expect(garbage).toMatchObject({ status: 'fail', code: 'OCSP_MALFORMED', message: `${url('/garbage')}: the answer (4 bytes, application/ocsp-response) is not an OCSP response (truncated: an element at offset 0 claims 3 bytes, 2 remain)` });
    const blocked = judgeOcsp(await ask('/blocked'), 80);
    expect(blocked).toMatchObject({ status: 'fail', code: 'OCSP_MALFORMED' });
    expect(blocked.message).toBe(`${url('/blocked')}: an HTML page titled "Web Page Blocked" with status 200 OK; it mentions paloalto, text: web page blocked, text: has been blocked, where an OCSP response was due`);
  });

  it('reports an HTTP refusal as OCSP_HTTP_STATUS and silence as OCSP_TIMEOUT', async () => {
    expect(judgeOcsp(await ask('/not-allowed'), 80)).toMatchObject({ status: 'fail', code: 'OCSP_HTTP_STATUS', message: `${url('/not-allowed')}: the server answered 405 Method Not Allowed` });
    const silent = judgeOcsp(await ask('/hang', undefined, undefined, 300), 80);
    expect(silent).toMatchObject({ status: 'fail', code: 'OCSP_TIMEOUT', message: `${url('/hang')}: no answer within 300 ms of the request` });
  });
});

describe('interop with OpenSSL', () => {
  it('reads responses OpenSSL\'s responder makes for our requests: good and revoked', async () => {
    const revoked = await pki.publicIssuing.issueLeaf({ hosts: ['revoked.lab.test'] });
    const expiry = '301231235959Z';
    writeFileSync(join(workDir, 'index.txt'), [
      `V\t${expiry}\t\t${serialOf(leaf.leaf)}\tunknown\t/CN=leaf.lab.test`,
      `R\t${expiry}\t260203040506Z,keyCompromise\t${serialOf(revoked.leaf)}\tunknown\t/CN=revoked.lab.test`,
    ].join('\n') + '\n');
    writeFileSync(join(workDir, 'issuer.crt'), pki.publicIssuing.certificate.pem);
    writeFileSync(join(workDir, 'issuer.key'), await pki.publicIssuing.keyPem());
    // OpenSSL answers a request read from a file (no listener: its -port binds every interface).
    const respond = (certificate: Buffer) => {
      writeFileSync(join(workDir, 'request.der'), ocspRequest(certificate, pki.publicIssuing.certificate.der));
      const args = ['ocsp', '-index', 'index.txt', '-CA', 'issuer.crt', '-rsigner', 'issuer.crt', '-rkey', 'issuer.key', '-reqin', 'request.der', '-respout', 'response.der'];
      expect(spawnSync('openssl', args, { cwd: workDir }).status).toBe(0);
      return readOcspResponse(readFileSync(join(workDir, 'response.der')), certificateFields(certificate), pki.publicIssuing.certificate.der);
    };
    expect(respond(leaf.leaf.der)).toMatchObject({ responseStatus: 'successful', certStatus: 'good', signature: 'valid', signedBy: 'the issuer' });
    expect(respond(revoked.leaf.der)).toMatchObject({ certStatus: 'revoked', revokedAt: '2026-02-03T04:05:06.000Z', revocationReason: 'keyCompromise', signature: 'valid' });
  });

  it('the lab responder answers OpenSSL\'s client with a response it verifies', async () => {
    writeFileSync(join(workDir, 'leaf.crt'), leaf.leaf.pem);
    writeFileSync(join(workDir, 'issuer.crt'), pki.publicIssuing.certificate.pem);
    const args = ['ocsp', '-issuer', 'issuer.crt', '-cert', 'leaf.crt', '-url', `http://${RESPONDER}:${port}/revoked`, '-VAfile', 'issuer.crt', '-timeout', '5'];
    // Asynchronously: the responder answers from this very process.
    const client = await promisify(execFile)('openssl', args, { cwd: workDir, encoding: 'utf8' });
    expect(client.stderr).toContain('Response verify OK');
    expect(client.stdout).toContain('leaf.crt: revoked');
    expect(client.stdout).toContain('Reason: keyCompromise');
  });
});

describe('ocsp checks of live chains', () => {
  let run: CheckRun;
  let revokedLeaf: LabIdentity;
  const TLS = { good: loopbackAddress(4211), revoked: loopbackAddress(4212) };

  beforeAll(async () => {
    const goodLeaf = await pki.publicIssuing.issueLeaf({ hosts: ['good.lab.test'], revocation: { ocsp: ['http://ocsp.lab.test/good'] } });
    revokedLeaf = await pki.publicIssuing.issueLeaf({ hosts: ['revoked.lab.test'], revocation: { ocsp: ['http://ocsp.lab.test/revoked-live'] } });
    const tlsPort = await findSharedFreePort(Object.values(TLS));
    const responder = await labOcspResponder({ authority: pki.publicIssuing, statuses: new Map([[serialOf(revokedLeaf.leaf), { status: 'revoked', revokedAt: new Date('2026-03-04T05:06:07Z') }]]) });
    const live = await startHttpFixtures(loopbackAddress(4213), port, { '/good': { kind: 'ocsp', responder }, '/revoked-live': { kind: 'ocsp', responder } });
    closers.push(live, await startTlsFixture(TLS.good, tlsPort, { kind: 'serve', identity: goodLeaf }), await startTlsFixture(TLS.revoked, tlsPort, { kind: 'serve', identity: revokedLeaf }));
    const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });
    const dns = await startLabDnsServer({ zone: { 'good.lab.test': a(TLS.good), 'revoked.lab.test': a(TLS.revoked), 'ocsp.lab.test': a(live.host), 'legacy.lab.test': a(live.host) } });
    closers.push(dns);
    const endpoints = [
      urlEndpoint('https://good.lab.test/', 'tls'), urlEndpoint('https://revoked.lab.test/', 'tls'),
      // Configured as well as named by a certificate: one result. A bare origin that certificates name responders
      // on: those are its checks. Named by none: skipped, saying why.
      urlEndpoint('http://ocsp.lab.test/good', 'ocsp'), urlEndpoint('http://ocsp.lab.test/', 'ocsp'), urlEndpoint('http://legacy.lab.test/', 'ocsp'),
    ];
    const plan = testPlan({ checks: ['dns', 'tcp', 'tls', 'ocsp'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: port, 443: tlsPort }, caPems: [pki.trustedRootsPem] });
    run = new CheckRun(plan, new ObservationSession(plan));
  });

  async function resultOf(sourceUrl: string): Promise<CheckResult> {
    const source = (await ocspSources(run)).find((candidate) => candidate.url === sourceUrl);
    if (!source) throw new Error(`no ocsp source ${sourceUrl}`);
    return ocspCheck(run, source);
  }

  it('asks each responder of the live chains about the certificate that names it', async () => {
    const sources = await ocspSources(run);
    // The issuing CA's own responder (ocsp.digicert.com, named by the intermediate) is found as well.
    expect(sources.map((source) => [source.url, source.configured])).toEqual([
      ['http://ocsp.lab.test/good', true], ['http://legacy.lab.test/', true], ['http://ocsp.digicert.com', false], ['http://ocsp.lab.test/revoked-live', true],
    ]);
    expect(await resultOf('http://ocsp.lab.test/good')).toMatchObject({ id: 'ocsp:http://ocsp.lab.test/good', host: 'ocsp.lab.test', status: 'pass', code: 'OCSP_OK' });
    expect(await resultOf('http://legacy.lab.test/')).toMatchObject({
      status: 'skip', code: 'SKIPPED_PREREQUISITE',
      message: 'not run: no live certificate names this responder, and an OCSP request asks about one certificate (TLS endpoints whose chains name it let the tool ask)',
    });
    expect(await resultOf('http://ocsp.digicert.com')).toMatchObject({ status: 'fail', code: 'DNS_NXDOMAIN' });
  });

  it('reports the leaf the responder calls revoked on its tls check: TLS_CERT_REVOKED', async () => {
    const host = run.hosts.find((candidate) => candidate.host === 'revoked.lab.test');
    if (!host) throw new Error('no host');
    const [target] = await addressTargets(run, host, host.tlsPorts);
    if (!target) throw new Error('no target');
    const tls = await tlsCheck(run, target);
    expect(tls).toMatchObject({ status: 'fail', code: 'TLS_CERT_REVOKED' });
    expect(tls.message).toMatch(new RegExp(`certificate "revoked.lab.test" \\(serial ${serialOf(revokedLeaf.leaf)}\\) is revoked since 2026-03-04T05:06:07.000Z according to http://ocsp.lab.test/revoked-live$`));
    expect(await resultOf('http://ocsp.lab.test/revoked-live')).toMatchObject({ status: 'pass', code: 'OCSP_OK' });
  });
});
