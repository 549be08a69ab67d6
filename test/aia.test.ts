// A server that omits its intermediate, judged as the agent's Windows meets it: the missing issuer fetched from the
// leaf's AIA caIssuers URL on the lab's port 80 (a DER certificate, a PKCS#7 bundle), and the AIA URL that cannot
// be fetched (refused, a block page) named as the failure. Loopback only.
import 'reflect-metadata';
import { X509Certificate as PeculiarCertificate, X509Certificates } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer } from '../lab/dns-server.js';
import { blockPageHtml, startHttpFixtures, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabAuthority } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import type { CheckResult } from '../model/result.js';
import { readCertificates } from '../pki/certificate-bundle.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { inspectionCheck } from '../specs/checks/inspection.js';
import { addressTargets } from '../specs/checks/tcp.js';
import { tlsCheck } from '../specs/checks/tls.js';
import { testPlan, urlEndpoint } from './support/port80.js';

const TLS = { der: loopbackAddress(6311), p7c: loopbackAddress(6312), refused: loopbackAddress(6313), page: loopbackAddress(6314), complete: loopbackAddress(6315) };
const AIA = loopbackAddress(6316);
const CLOSED = loopbackAddress(6317);
const DER_URL = 'http://aia.lab.test/contoso-issuing.crt';
const P7C_URL = 'http://aia.lab.test/contoso-issuing.p7c';
const PAGE_URL = 'http://aia.lab.test/blocked.crt';
const REFUSED_URL = 'http://aia-closed.lab.test/contoso-issuing.crt';
const ISSUING = 'Contoso Lab Issuing CA 1';

const closers: Array<{ close(): Promise<void> }> = [];
let aia: LabHttpServer;
let run: CheckRun;
let issuing: LabAuthority;

beforeAll(async () => {
  const pki = await labPki();
  // A name endpoints.md does not list under the expected root: only its signature can decide, once it is fetched.
  issuing = await pki.publicRoot.subordinate({ name: [['C', 'US'], ['O', 'Contoso Lab'], ['CN', ISSUING]] });
  const leaf = (host: string, url: string) => issuing.issueLeaf({ hosts: [host], revocation: { caIssuers: [url] } });
  const identities = await Promise.all([
    leaf('der.lab.test', DER_URL), leaf('p7c.lab.test', P7C_URL), leaf('refused.lab.test', REFUSED_URL), leaf('page.lab.test', PAGE_URL), leaf('complete.lab.test', DER_URL),
  ]);
  const der = issuing.certificate.der;
  const p7c = Buffer.from(new X509Certificates([new PeculiarCertificate(issuing.certificate.pem)]).export('raw'));
  const httpPort = await findSharedFreePort([AIA, CLOSED]);
  aia = await startHttpFixtures(AIA, httpPort, {
    '/contoso-issuing.crt': { kind: 'body', contentType: 'application/pkix-cert', body: der },
    '/contoso-issuing.p7c': { kind: 'body', contentType: 'application/pkcs7-mime', body: p7c },
    '/blocked.crt': { kind: 'body', contentType: 'text/html', body: blockPageHtml('Web Page Blocked', 'Zscaler Internet Access') },
  });
  const tlsPort = await findSharedFreePort(Object.values(TLS));
  const omits = { intermediates: false, root: false };
  const [derId, p7cId, refusedId, pageId, completeId] = identities;
  const servers = await Promise.all([
    startTlsFixture(TLS.der, tlsPort, { kind: 'serve', identity: derId!, send: omits }),
    startTlsFixture(TLS.p7c, tlsPort, { kind: 'serve', identity: p7cId!, send: omits }),
    startTlsFixture(TLS.refused, tlsPort, { kind: 'serve', identity: refusedId!, send: omits }),
    startTlsFixture(TLS.page, tlsPort, { kind: 'serve', identity: pageId!, send: omits }),
    startTlsFixture(TLS.complete, tlsPort, { kind: 'serve', identity: completeId! }),
  ]);
  const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });
  const dns = await startLabDnsServer({
    zone: {
      'der.lab.test': a(TLS.der), 'p7c.lab.test': a(TLS.p7c), 'refused.lab.test': a(TLS.refused), 'page.lab.test': a(TLS.page),
      'complete.lab.test': a(TLS.complete), 'aia.lab.test': a(AIA), 'aia-closed.lab.test': a(CLOSED),
    },
  });
  closers.push(aia, dns, ...servers);
  const endpoints = ['der', 'p7c', 'refused', 'page', 'complete'].map((name) => urlEndpoint(`https://${name}.lab.test/`, 'tls'));
  const plan = testPlan({ checks: ['dns', 'tcp', 'tls', 'inspection'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: httpPort, 443: tlsPort }, caPems: [pki.trustedRootsPem] });
  run = new CheckRun(plan, new ObservationSession(plan));
});
afterAll(() => Promise.all(closers.map((closer) => closer.close())));

async function results(host: string): Promise<{ tls: CheckResult; inspection: CheckResult }> {
  const plan = run.hosts.find((candidate) => candidate.host === host);
  if (!plan) throw new Error(`no host ${host}`);
  const [target] = await addressTargets(run, plan, plan.tlsPorts);
  if (!target) throw new Error(`no target for ${host}`);
  return { tls: await tlsCheck(run, target), inspection: await inspectionCheck(run, target) };
}

describe('a server that omits its intermediate', () => {
  it('is completed from the AIA URL (DER): tls warns that the server omits it, inspection passes by signature', async () => {
    const { tls, inspection } = await results('der.lab.test');
    expect(tls).toMatchObject({ status: 'warn', code: 'TLS_OK' });
    expect(tls.message).toMatch(new RegExp(`^der\\.lab\\.test at ${TLS.der.replace(/\./g, '\\.')}:\\d+ \\(port 443 mapped\\): TLSv1\\.3 `));
    expect(tls.message).toContain(`, but the server omits its intermediate "${ISSUING}", fetched from ${DER_URL} (AIA) as Windows does; the completed chain anchors at "DigiCert Global Root G2"`);
    expect(tls.remediation).toMatch(/^Configure the server for der\.lab\.test to send its intermediate certificate/);
    expect(tls.evidence['aia']).toMatchObject({ outcome: 'completed', attempts: [{ url: DER_URL, for: 'der.lab.test', failure: null }], fetched: [expect.stringMatching(/^[0-9A-F]{64}$/)] });
    // The fetched issuer is named by fingerprint and described once, in the run's certificate table.
    const [fetched] = (tls.evidence['aia'] as { fetched: string[] }).fetched;
    expect(run.certificates.referencedBy(tls)[fetched!]).toMatchObject({ commonName: ISSUING, sha256: fetched });
    expect(inspection).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    expect(inspection.message).toContain(`not inspected: the chain anchors by signature at "DigiCert Global Root G2"`);
    expect(inspection.message).toContain(`; the server omits "${ISSUING}", fetched from its AIA URL as Windows does`);
  });

  it('reads a PKCS#7 certs-only bundle (.p7c) as Microsoft and DigiCert serve them', async () => {
    const { tls, inspection } = await results('p7c.lab.test');
    expect(tls).toMatchObject({ status: 'warn', code: 'TLS_OK' });
    expect(tls.message).toContain(`fetched from ${P7C_URL} (AIA)`);
    expect(inspection.code).toBe('INSPECTION_NONE');
  });

  it('names the AIA URL that is refused, with the tcp failure: TLS_UNTRUSTED, as the agent would fail', async () => {
    const { tls, inspection } = await results('refused.lab.test');
    expect(tls).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(tls.message).toMatch(new RegExp(`; the server omits "${ISSUING}", and its AIA caIssuers URL gave nothing usable, for Windows either: ${REFUSED_URL}: ${CLOSED.replace(/\./g, '\\.')}:\\d+ \\(port 80 mapped\\): connection refused \\(RST\\).* \\[TCP_REFUSED\\]$`));
    expect(tls.remediation).toBe(`The server for refused.lab.test must send its intermediate certificate; until it does, the agent's Windows fetches it from the AIA URL, which must be reachable: allow ${REFUSED_URL} (TCP 80) without authentication.`);
    expect(tls.evidence['aia']).toMatchObject({ outcome: 'unavailable', attempts: [{ url: REFUSED_URL, issuer: null, failure: { code: 'TCP_REFUSED' } }] });
    // Nothing proves by signature who issued the leaf: the inspection verdict stays what the presented chain shows.
    expect(inspection.code).toBe('TLS_INSPECTED');
    expect(inspection.message).toContain(`; its AIA URL ${REFUSED_URL} could not be fetched, so the missing "${ISSUING}" could not be checked (see the tls check)`);
  });

  it('names a block page where the certificate was due', async () => {
    const { tls } = await results('page.lab.test');
    expect(tls).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(tls.message).toContain(`its AIA caIssuers URL gave nothing usable, for Windows either: ${PAGE_URL}: an HTML page titled "Web Page Blocked" with status 200 OK; it mentions zscaler, text: web page blocked, text: has been blocked, where a CA certificate was due [HTTP_BLOCK_PAGE]`);
  });

  it('fetches nothing for a complete chain, and each AIA URL once per run', async () => {
    const { tls } = await results('complete.lab.test');
    expect(tls).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(tls.evidence).not.toHaveProperty('aia');
    await results('der.lab.test');
    expect(aia.requests.filter((request) => request.path === '/contoso-issuing.crt')).toHaveLength(1);
  });
});

describe('reading what a caIssuers URL serves', () => {
  it('reads DER, PKCS#7 and PEM; refuses anything else with one line', async () => {
    const pem = issuing.certificate.pem;
    expect(readCertificates(issuing.certificate.der)).toMatchObject({ format: 'der', certificates: [expect.anything()] });
    expect(readCertificates(Buffer.from(new X509Certificates([new PeculiarCertificate(pem)]).export('raw')))).toMatchObject({ format: 'pkcs7', certificates: [expect.anything()] });
    expect(readCertificates(Buffer.from(pem))).toMatchObject({ format: 'pem', certificates: [expect.anything()] });
    expect(readCertificates(Buffer.from('<html>\x1b[31m</html>'))).toEqual({ error: 'the answer is neither a DER certificate nor a PKCS#7 bundle (18 bytes starting 3c68746d6c3e1b5b)' });
  });
});
