// The tls probe and the tls/inspection verdicts against lab TLS servers: one fixture per outcome, asserting code and message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedEndpoint, RunPlan } from '../config/plan.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { HOSTILE_NAME_TEXT, LAB_REVOCATION, labPki, selfSignedIdentity, writeAuthorityFiles, writeServerFiles, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture, type LabTlsServer, type TlsFixture } from '../lab/tls-servers.js';
import { summarize, type CheckResult } from '../model/result.js';
import { openConnection } from '../net/connect.js';
import { probeTls } from '../probes/tls.js';
import type { TlsEvidence, TlsTarget } from '../probes/tls-evidence.js';
import { renderConsole } from '../reporters/console.js';
import { renderJunit } from '../reporters/junit.js';
import { ObservationSession } from '../runner/session.js';
import { tableDescription } from '../specs/certificate-registry.js';
import { CheckRun } from '../specs/check-run.js';
import { assessObserved, inspectionCheck, judgeInspection } from '../specs/checks/inspection.js';
import { addressTargets } from '../specs/checks/tcp.js';
import { judgeTls, tlsCheck } from '../specs/checks/tls.js';
import { validateJunit } from './support/xsd.js';

const HOST = 'login.lab.test';
const ctx = (stepTimeoutMs = 3000) => ({ stepTimeoutMs, signal: new AbortController().signal });

let pki: LabPki;
let nextAddress = 1601;
const running: LabTlsServer[] = [];

beforeAll(async () => {
  pki = await labPki();
});
afterAll(() => Promise.all(running.map((server) => server.close())));

async function serve(fixture: TlsFixture): Promise<LabTlsServer> {
  const server = await startTlsFixture(loopbackAddress(nextAddress++), 0, fixture);
  running.push(server);
  return server;
}

/** Handshakes with `fixture` as HOST (or `host`), trusting the lab's look-alike public roots. */
async function handshake(fixture: TlsFixture, options: { host?: string; stepTimeoutMs?: number; target?: Partial<TlsTarget> } = {}): Promise<TlsEvidence> {
  const server = await serve(fixture);
  return probeTls({ host: options.host ?? HOST, address: server.host, port: server.port, caPems: [pki.trustedRootsPem], ...options.target }, ctx(options.stepTimeoutMs));
}

/** "login.lab.test at 127.0.x.y:PORT (port 443 mapped): " */
const where = (evidence: TlsEvidence) => `${evidence.host} at ${evidence.address}:${evidence.port} (port 443 mapped): `;

describe('tls probe and verdict', () => {
  it('completes a TLS 1.3 handshake with a trusted RSA chain: TLS_OK, with every certificate described', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST, 'alt.lab.test'] });
    const evidence = await handshake({ kind: 'serve', identity });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(verdict.message).toBe(`${where(evidence)}TLSv1.3 TLS_AES_256_GCM_SHA384, certificate "${HOST}" issued by "Microsoft Azure RSA TLS Issuing CA 04", valid until ${identity.leaf.notAfter.toISOString()}`);
    expect(evidence).toMatchObject({ protocol: 'TLSv1.3', authorized: true, authorizationError: null, hostnameError: null, handshakeFailure: null, legacyRetry: null });

    const [leaf, issuing] = evidence.chain;
    expect(evidence.chain).toHaveLength(2); // leaf + intermediate, as the server sent them (the root is the trust store's)
    expect(leaf).toMatchObject({
      subject: `CN=${HOST}`,
      issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04',
      commonName: HOST,
      issuerCommonName: 'Microsoft Azure RSA TLS Issuing CA 04',
      keyType: 'rsa',
      keyBits: 2048,
      curve: null,
      subjectAltNames: [`DNS:${HOST}`, 'DNS:alt.lab.test'],
      crlUrls: LAB_REVOCATION.leaf.crl,
      ocspUrls: LAB_REVOCATION.leaf.ocsp,
      caIssuersUrls: LAB_REVOCATION.leaf.caIssuers,
      isCertificateAuthority: false,
      unreadableExtensions: [],
      notAfter: identity.leaf.notAfter.toISOString(),
    });
    expect(leaf?.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(leaf?.sha256).toMatch(/^[0-9A-F]{64}$/);
    expect(Buffer.from(leaf?.der ?? '', 'base64')).toEqual(identity.leaf.der);
    expect(issuing).toMatchObject({ commonName: 'Microsoft Azure RSA TLS Issuing CA 04', crlUrls: LAB_REVOCATION.issuingCa.crl, ocspUrls: LAB_REVOCATION.issuingCa.ocsp, isCertificateAuthority: true });
    expect(evidence.anchoredInTrustStore).toBe(true);
  });

  it('reads an ECDSA chain: TLS_OK with the curve and key size', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.eccIssuing.issueLeaf({ hosts: [HOST] }) });
    expect(judgeTls(443, evidence)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(judgeTls(443, evidence).message).toContain('issued by "Microsoft Azure ECC TLS Issuing CA 04"');
    expect(evidence.chain.map((c) => [c.keyType, c.curve, c.keyBits])).toEqual([['ec', 'prime256v1', 256], ['ec', 'prime256v1', 256]]);
  });

  it('checks an IP literal endpoint without SNI against the IP SAN: TLS_OK', async () => {
    const server = await serve({ kind: 'intercept', authority: pki.publicIssuing });
    const evidence = await probeTls({ host: server.host, address: server.host, port: server.port, caPems: [pki.trustedRootsPem] }, ctx());
    expect(evidence.chain[0]?.subjectAltNames).toEqual([`IP:${server.host}`]);
    expect(judgeTls(443, evidence)).toMatchObject({ code: 'TLS_OK' });
  });

  it('reports an expired leaf on a trusted chain: TLS_CERT_EXPIRED', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' });
    const evidence = await handshake({ kind: 'serve', identity });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_CERT_EXPIRED' });
    expect(verdict.message).toBe(`${where(evidence)}the certificate "${HOST}" expired on ${identity.leaf.notAfter.toISOString()}`);
    expect(verdict.remediation).toMatch(/^Check this machine's clock first/);
    expect(evidence.authorizationError).toBe('CERT_HAS_EXPIRED');
  });

  it('reports a leaf that is not valid yet: TLS_CERT_NOT_YET_VALID', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'not-yet-valid' });
    const evidence = await handshake({ kind: 'serve', identity });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_CERT_NOT_YET_VALID' });
    expect(verdict.message).toBe(`${where(evidence)}the certificate "${HOST}" is not valid before ${identity.leaf.notBefore.toISOString()}`);
  });

  it('reports a certificate for another name: TLS_HOSTNAME_MISMATCH', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: ['other.lab.test'] }) });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_HOSTNAME_MISMATCH' });
    expect(verdict.message).toBe(`${where(evidence)}the certificate is for DNS:other.lab.test, not for ${HOST}`);
    expect(verdict.remediation).toContain('a wrong DNS answer, a captive portal or a proxy');
  });

  it('reports a chain from a CA no store holds: TLS_UNTRUSTED, naming the issuer', async () => {
    const zscaler = await handshake({ kind: 'intercept', authority: pki.zscalerIntermediate });
    expect(judgeTls(443, zscaler)).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(judgeTls(443, zscaler).message).toBe(`${where(zscaler)}the chain leads to "Zscaler Root CA", which neither Node's bundled Mozilla roots nor --ca-file contain [UNABLE_TO_GET_ISSUER_CERT_LOCALLY]`);

    const corporate = await handshake({ kind: 'intercept', authority: pki.corporateRoot, send: { intermediates: true, root: true } });
    expect(judgeTls(443, corporate).message).toBe(`${where(corporate)}the chain ends at "Contoso Egress Inspection CA", a root neither Node's bundled Mozilla roots nor --ca-file contain [SELF_SIGNED_CERT_IN_CHAIN]`);

    const selfSigned = await handshake({ kind: 'serve', identity: await selfSignedIdentity({ hosts: [HOST] }) });
    expect(judgeTls(443, selfSigned).message).toBe(`${where(selfSigned)}the certificate "${HOST}" is self-signed [DEPTH_ZERO_SELF_SIGNED_CERT]`);
  });

  it('reports a server that sends no intermediate: TLS_UNTRUSTED (incomplete chain)', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), send: { intermediates: false, root: false } });
    expect(judgeTls(443, evidence)).toMatchObject({ code: 'TLS_UNTRUSTED' });
    expect(judgeTls(443, evidence).message).toBe(`${where(evidence)}the issuer "Microsoft Azure RSA TLS Issuing CA 04" is unknown and the server did not send it (incomplete chain, or a root no store holds) [UNABLE_TO_VERIFY_LEAF_SIGNATURE]`);
  });

  it('puts untrusted before expired, though OpenSSL reports only the expiry, and lists the rest', async () => {
    const identity = await pki.corporateRoot.issueLeaf({ hosts: ['elsewhere.lab.test'], validity: 'expired' });
    const evidence = await handshake({ kind: 'serve', identity });
    expect(evidence).toMatchObject({ authorizationError: 'CERT_HAS_EXPIRED', anchoredInTrustStore: false });
    const verdict = judgeTls(443, evidence);
    expect(verdict.code).toBe('TLS_UNTRUSTED');
    expect(verdict.message).toBe(`${where(evidence)}the chain leads to "Contoso Egress Inspection CA", which neither Node's bundled Mozilla roots nor --ca-file contain (also TLS_CERT_EXPIRED, TLS_HOSTNAME_MISMATCH)`);
  });

  it('asks again with TLS 1.0–1.1 when TLS 1.2+ is refused: TLS_PROTOCOL_TOO_OLD with the version', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), legacyOnly: true });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_PROTOCOL_TOO_OLD' });
    expect(verdict.message).toBe(`${where(evidence)}the server only speaks TLSv1.1 (TLS 1.2 and 1.3 failed: the server sent TLS alert 70 (protocol_version))`);
    expect(evidence.legacyRetry).toEqual({ protocol: 'TLSv1.1', detail: 'the server accepted TLSv1.1', olderThanTls10: false });
    expect(evidence.chain).toHaveLength(2); // the old session's chain still feeds the inspection check
  });

  it('reports plain HTTP on the TLS port: TLS_NOT_TLS', async () => {
    const evidence = await handshake({ kind: 'plain-http' });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_NOT_TLS' });
    expect(verdict.message).toBe(`${where(evidence)}the server answered with bytes that are not TLS (wrong version number)`);
    expect(evidence.legacyRetry).toBeNull();
  });

  it('reports a server that accepts and never answers the ClientHello: TLS_TIMEOUT', async () => {
    const evidence = await handshake({ kind: 'tarpit' }, { stepTimeoutMs: 300 });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_TIMEOUT' });
    expect(verdict.message).toBe(`${where(evidence)}the connection opened but no handshake answer came before the deadline`);
    expect(evidence.handshakeMs).toBeGreaterThanOrEqual(290);
  });

  it('reports a reset on the ClientHello: TLS_HANDSHAKE_FAILED, naming it', async () => {
    const evidence = await handshake({ kind: 'reset-on-hello' });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_HANDSHAKE_FAILED' });
    expect(verdict.message).toBe(`${where(evidence)}the connection was reset during the handshake; TLS 1.0–1.1 failed as well: the connection was reset during the handshake`);
  });

  it('reports a TLS alert: TLS_HANDSHAKE_FAILED, naming the alert', async () => {
    const evidence = await handshake({ kind: 'handshake-alert' });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_HANDSHAKE_FAILED' });
    expect(verdict.message).toBe(`${where(evidence)}the server sent TLS alert 40 (handshake_failure); TLS 1.0–1.1 failed as well: the server sent TLS alert 70 (protocol_version)`);
  });

  it('carries the tcp code and advice when its own connection is refused: TCP_REFUSED', async () => {
    const closed = loopbackAddress(nextAddress++);
    const port = await findSharedFreePort([closed]);
    const evidence = await probeTls({ host: HOST, address: closed, port, caPems: [] }, ctx());
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(verdict.message).toBe(`${closed}:${port} (port 443 mapped): connection refused (RST): nothing listens, or a firewall rejects`);
    expect(verdict.remediation).toContain(`allow outbound TCP 443 from this machine to ${closed} (${HOST})`);
  });

  it('runs over the transport it is given, and carries a tunnel failure code', async () => {
    const server = await serve({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    let opened = 0;
    const transport = (signal: AbortSignal) => {
      opened++;
      return openConnection(server.host, server.port, signal);
    };
    // address and port name where the tunnel leads; only the transport connects.
    const evidence = await probeTls({ host: HOST, address: '192.0.2.1', port: 443, caPems: [pki.trustedRootsPem], transport }, ctx());
    expect(opened).toBe(1);
    expect(judgeTls(443, evidence).code).toBe('TLS_OK');

    const denied = () => Promise.reject(Object.assign(new Error('the proxy answered 403 to CONNECT login.lab.test:443'), { code: 'PROXY_DENIED' }));
    const tunnelFailure = judgeTls(443, await probeTls({ host: HOST, address: '192.0.2.1', port: 443, caPems: [], transport: denied }, ctx()));
    expect(tunnelFailure).toMatchObject({ status: 'fail', code: 'PROXY_DENIED', message: `${HOST} at 192.0.2.1:443: the proxy answered 403 to CONNECT login.lab.test:443` });
    expect(tunnelFailure.remediation).toContain('see the proxy check');
  });

  it('takes revocation findings from the crl/ocsp checks: TLS_CERT_REVOKED before expiry', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' }) });
    const [leaf] = evidence.chain;
    if (!leaf) throw new Error('no leaf captured');
    const verdict = judgeTls(443, evidence, [{ certificate: leaf, source: LAB_REVOCATION.leaf.crl[0], revokedAt: '2026-01-02T03:04:05.000Z', reason: 'keyCompromise' }]);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_CERT_REVOKED' });
    expect(verdict.message).toBe(`${where(evidence)}certificate "${HOST}" (serial ${leaf.serialNumber}) is revoked since 2026-01-02T03:04:05.000Z (keyCompromise) according to ${LAB_REVOCATION.leaf.crl[0]} (also TLS_CERT_EXPIRED)`);
  });
});

describe('inspection verdict on live chains', () => {
  const trust = () => ({ caPems: [pki.trustedRootsPem], expectedIssuers: ['DigiCert Global Root G2', 'DigiCert Global Root G3'] });

  it('passes the look-alike public chain: INSPECTION_NONE by signature, even when the leaf is expired', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' }) });
    const verdict = judgeInspection(443, evidence, assessObserved(evidence, trust()));
    expect(verdict).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    expect(verdict.message).toBe(`${where(evidence)}not inspected: the chain anchors by signature at "DigiCert Global Root G2" (a --ca-file certificate)`);
  });

  it('names Zscaler for its re-signing interceptor: TLS_INSPECTED with vendor and remediation', async () => {
    const evidence = await handshake({ kind: 'intercept', authority: pki.zscalerIntermediate });
    const assessment = assessObserved(evidence, trust());
    const verdict = judgeInspection(443, evidence, assessment);
    expect(assessment.vendor).toBe('zscaler');
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_INSPECTED' });
    expect(verdict.message).toBe(`${where(evidence)}TLS is inspected: the certificate comes from "Zscaler Intermediate Root CA (zscaler.net) (t)" (zscaler), not from an expected CA: "Zscaler Intermediate Root CA (zscaler.net) (t)" is the name zscaler gives its inspection CA`);
    expect(verdict.remediation).toBe(`Exempt ${HOST} from TLS inspection on Zscaler Internet Access (SSL inspection policy) (a do-not-decrypt rule for the host or its domain). Microsoft: "Avoid all forms of inline inspection and termination on outbound TLS communications".`);
  });

  it('names an unknown corporate CA as the observed issuer: TLS_INSPECTED, vendor unknown', async () => {
    const evidence = await handshake({ kind: 'intercept', authority: pki.corporateRoot });
    const assessment = assessObserved(evidence, trust());
    expect(assessment.vendor).toBe('unknown');
    const verdict = judgeInspection(443, evidence, assessment);
    expect(verdict.message).toBe(`${where(evidence)}TLS is inspected: the certificate comes from "Contoso Egress Inspection CA", not from an expected CA: the chain leads to "Contoso Egress Inspection CA", which is neither in a trust store nor an issuing CA of an expected root`);
    expect(verdict.remediation).toMatch(new RegExp(`^Exempt ${HOST} from TLS inspection on the inspecting device `));
  });
});

describe('tls and inspection checks in a run', () => {
  let dns: LabDnsServer;
  let run: CheckRun;
  const addresses = { ok: loopbackAddress(1701), zscaler: loopbackAddress(1702), closed: loopbackAddress(1703), http: loopbackAddress(1704) };
  const endpoint = (host: string): PlannedEndpoint => ({
    host, ports: [443], tlsPorts: [443], url: `https://${host}/`, expect: 'tls', purpose: null, source: null, tags: [], optional: false, wildcard: null, hostOrigin: 'literal', missingVars: [], unicodeHost: null,
  });

  beforeAll(async () => {
    const port = await findSharedFreePort(Object.values(addresses));
    const identity = await pki.publicIssuing.issueLeaf({ hosts: ['ok.lab.test'] });
    for (const server of [
      await startTlsFixture(addresses.ok, port, { kind: 'serve', identity }),
      await startTlsFixture(addresses.zscaler, port, { kind: 'intercept', authority: pki.zscalerIntermediate }),
      await startTlsFixture(addresses.http, port, { kind: 'plain-http' }),
    ]) running.push(server);
    const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });
    dns = await startLabDnsServer({ zone: { 'ok.lab.test': a(addresses.ok), 'zscaler.lab.test': a(addresses.zscaler), 'closed.lab.test': a(addresses.closed), 'http.lab.test': a(addresses.http) } });
    const plan: RunPlan = {
      profile: 'tls-test', checks: ['dns', 'tcp', 'tls', 'inspection'], resolvers: [{ host: dns.host, port: dns.port }],
      timeouts: { dns: 2000, connect: 2000, tls: 3000, http: 2000 }, portMap: { 443: port }, sinkholes: [], hostsFile: null,
      trust: { caPems: [pki.trustedRootsPem], expectedIssuers: ['DigiCert Global Root G2'] }, concurrency: 8, proxy: null,
      endpoints: ['ok.lab.test', 'zscaler.lab.test', 'closed.lab.test', 'http.lab.test', 'missing.lab.test'].map(endpoint),
    };
    run = new CheckRun(plan, new ObservationSession(plan));
  });
  afterAll(() => dns.close());

  async function resultsFor(name: string): Promise<{ tls: CheckResult; inspection: CheckResult }> {
    const host = run.hosts.find((h) => h.host === name);
    if (!host) throw new Error(`no host ${name}`);
    const [target] = await addressTargets(run, host, host.tlsPorts);
    if (!target) throw new Error(`no target for ${name}`);
    return { tls: await tlsCheck(run, target), inspection: await inspectionCheck(run, target) };
  }

  it('passes a clean endpoint and fails an inspected one side by side', async () => {
    const ok = await resultsFor('ok.lab.test');
    expect(ok.tls).toMatchObject({ id: `tls:ok.lab.test@${addresses.ok}:443`, status: 'pass', code: 'TLS_OK', address: addresses.ok, port: 443 });
    expect(ok.inspection).toMatchObject({ id: `inspection:ok.lab.test@${addresses.ok}:443`, status: 'pass', code: 'INSPECTION_NONE' });
    expect(ok.inspection.evidence).toMatchObject({ protocol: 'TLSv1.3', vendor: null, decidedBy: 'signature', pathEnd: 'expected-anchor' });

    const inspected = await resultsFor('zscaler.lab.test');
    expect(inspected.tls).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(inspected.inspection).toMatchObject({ status: 'fail', code: 'TLS_INSPECTED' });
    expect(inspected.inspection.evidence).toMatchObject({ vendor: 'zscaler', observedIssuer: 'Zscaler Intermediate Root CA (zscaler.net) (t)' });
    // Evidence names the chain by fingerprints, leaf first; each certificate is described once, in the run's table,
    // with what interface.md asks for and no DER.
    const chain = inspected.tls.evidence['chain'] as string[];
    expect(chain).toHaveLength(2);
    expect(inspected.inspection.evidence['chain']).toEqual(chain);
    const described = run.certificates.referencedBy(inspected.tls);
    expect(Object.keys(described).sort()).toEqual([...chain].sort());
    const leaf = described[chain[0]!] as Record<string, unknown>;
    expect(leaf).not.toHaveProperty('der');
    expect(leaf).toMatchObject({ sha256: chain[0], sans: ['DNS:zscaler.lab.test'] });
    expect(Object.keys(leaf)).toEqual(expect.arrayContaining(['subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'sha256', 'keyType', 'keyBits', 'signatureAlgorithm', 'sans', 'crlUrls', 'ocspUrls', 'caIssuersUrls']));
  });

  it('skips tls and inspection when tcp failed, and inspection when no chain was captured', async () => {
    const closed = await resultsFor('closed.lab.test');
    // Each skip carries its prerequisite's own message (under --only, that result is not in the report).
    expect(closed.tls).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { prerequisiteCode: 'TCP_REFUSED' } });
    expect(closed.tls.message).toMatch(/^not run: tcp failed: \S+ \(port 443 mapped\): connection refused \(RST\): nothing listens, or a firewall rejects$/);
    expect(closed.inspection).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { prerequisiteCode: 'SKIPPED_PREREQUISITE' } });
    expect(closed.inspection.message).toBe(closed.tls.message.replace(/^not run: /, 'not run: tls was skipped: '));

    const http = await resultsFor('http.lab.test');
    expect(http.tls).toMatchObject({ status: 'fail', code: 'TLS_NOT_TLS' });
    expect(http.inspection).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: `not run: tls failed: ${http.tls.message}`, evidence: { prerequisiteCode: 'TLS_NOT_TLS' } });
  });

  it('skips both when dns gave no address', async () => {
    const missing = await resultsFor('missing.lab.test');
    expect(missing.tls).toMatchObject({ id: 'tls:missing.lab.test:443', status: 'skip', code: 'SKIPPED_PREREQUISITE' });
    expect(missing.tls.message).toMatch(/^not run: dns failed: missing\.lab\.test /);
    expect(missing.tls.evidence).toMatchObject({ prerequisite: 'dns:missing.lab.test', prerequisiteCode: expect.stringMatching(/^DNS_/) });
    expect(missing.inspection).toMatchObject({ id: 'inspection:missing.lab.test:443', status: 'skip' });
  });
});

describe('lab PKI as PEM files', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'tls-pem-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('writes what a real server needs (leaf + intermediates, key) and what --ca-file and mitmproxy read', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const { certificateFile, keyFile } = await writeServerFiles(identity, workDir, 'login', { intermediates: true, root: false });
    const server = tls.createServer({ cert: readFileSync(certificateFile), key: readFileSync(keyFile) });
    const host = loopbackAddress(nextAddress++);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const roots = await writeAuthorityFiles(pki.publicRoot, workDir, 'root');
      const evidence = await probeTls({ host: HOST, address: host, port, caPems: [readFileSync(roots.certificateFile, 'utf8')] }, ctx());
      expect(judgeTls(443, evidence).code).toBe('TLS_OK');
      expect(readFileSync(roots.combinedFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    } finally {
      server.close();
    }
  });
});

describe('hostile certificate text', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'tls-hostile-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('stays data in evidence, messages, JUnit and the console', async () => {
    const identity = await pki.hostile.issueLeaf({ hosts: [HOST], subject: [['CN', HOST], ['O', HOSTILE_NAME_TEXT]] });
    const evidence = await handshake({ kind: 'serve', identity });
    const tlsVerdict = judgeTls(443, evidence);
    const inspectionVerdict = judgeInspection(443, evidence, assessObserved(evidence, { caPems: [pki.trustedRootsPem], expectedIssuers: ['DigiCert Global Root G2'] }));
    expect(tlsVerdict.code).toBe('TLS_UNTRUSTED');
    expect(tlsVerdict.message).toContain(`"${HOSTILE_NAME_TEXT}"`);
    expect(inspectionVerdict).toMatchObject({ code: 'TLS_INSPECTED' });
    expect(inspectionVerdict.message).toContain(`the certificate comes from "${HOSTILE_NAME_TEXT}"`);
    expect(evidence.chain[0]?.issuerCommonName).toBe(HOSTILE_NAME_TEXT);
    // Node escapes control characters in its one-line names; the raw text is only in the CN fields.
    expect(evidence.chain[0]?.issuer).not.toMatch(/[\x00-\x1f]/);

    const base = { host: HOST, address: evidence.address, port: 443, url: null, durationMs: 1, evidence: { chain: evidence.chain.map((c) => c.sha256) } };
    const results: CheckResult[] = [
      { ...base, id: `tls:${HOST}@${evidence.address}:443`, check: 'tls', ...tlsVerdict, remediation: tlsVerdict.remediation ?? '' },
      { ...base, id: `inspection:${HOST}@${evidence.address}:443`, check: 'inspection', ...inspectionVerdict, remediation: inspectionVerdict.remediation ?? '' },
    ];
    const certificates = Object.fromEntries(evidence.chain.map((c) => [c.sha256, tableDescription(c)]));
    const doc = { schemaVersion: 2 as const, tool: { name: 'egress-preflight' as const, version: '0.0.0' }, host: { hostname: 'lab', platform: 'linux' }, profile: 'lab', startedAt: new Date().toISOString(), durationMs: 1, summary: summarize(results), certificates, comparison: null, results };
    const junitFile = join(workDir, 'hostile.xml');
    writeFileSync(junitFile, renderJunit(doc));
    expect(validateJunit(junitFile)).toBe('');
    // The failure text names the chain by its subjects, from the certificates table: hostile text stays escaped data.
    expect(readFileSync(junitFile, 'utf8')).toContain(`chain subjects: "${HOST}"`);
    const consoleText = renderConsole(doc, { color: false });
    expect(consoleText).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
    expect(consoleText).toContain(`Exempt ${HOST} from TLS inspection on the inspecting device`);
  });
});
