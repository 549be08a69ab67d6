// The tls and inspection verdicts at the edges (issue 10, items 4 and 5): certificates that are odd but valid,
// weak cryptography that still works, and servers older than TLS 1.0. One lab fixture per case, code and message.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackAddress } from '../lab/loopback.js';
import { LabAuthority, labPki, type LabPki } from '../lab/pki.js';
import { startTlsFixture, type LabTlsServer, type TlsFixture } from '../lab/tls-servers.js';
import { probeTls } from '../probes/tls.js';
import type { TlsEvidence } from '../probes/tls-evidence.js';
import { assessObserved, judgeInspection } from '../specs/checks/inspection.js';
import { weakCryptoOf } from '../pki/weak-crypto.js';
import { judgeTls, tlsReportEvidence } from '../specs/checks/tls.js';

const HOST = 'login.lab.test';
const DH_1024 = readFileSync(new URL('./fixtures/dh1024.pem', import.meta.url));
/** What a server that still offers weak crypto is configured with: OpenSSL 3 refuses to serve it otherwise. */
const WEAK_SERVER: tls.SecureContextOptions = { ciphers: 'DEFAULT:@SECLEVEL=0' };
const DHE_ONLY: tls.SecureContextOptions = { dhparam: DH_1024, ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2' };

let pki: LabPki;
let nextAddress = 5201;
const running: LabTlsServer[] = [];

beforeAll(async () => {
  pki = await labPki();
});
afterAll(() => Promise.all(running.map((server) => server.close())));

const trust = () => ({ caPems: [pki.trustedRootsPem], expectedIssuers: ['DigiCert Global Root G2', 'DigiCert Global Root G3'] });

async function handshake(fixture: TlsFixture, host = HOST): Promise<TlsEvidence> {
  const server = await startTlsFixture(loopbackAddress(nextAddress++), 0, fixture);
  running.push(server);
  return probeTls({ host, address: server.host, port: server.port, caPems: [pki.trustedRootsPem] }, { stepTimeoutMs: 5000, signal: new AbortController().signal });
}

const where = (evidence: TlsEvidence) => `${evidence.host} at ${evidence.address}:${evidence.port} (port 443 mapped): `;
const inspection = (evidence: TlsEvidence) => judgeInspection(443, evidence, assessObserved(evidence, trust()));

describe('certificates that are odd but valid', () => {
  it('reads a leaf with an empty subject and a SAN (RFC 5280): TLS_OK, and inspection still judges it', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST], subject: [] });
    const evidence = await handshake({ kind: 'serve', identity });
    expect(evidence.chain[0]).toMatchObject({ subject: '', commonName: null, subjectAltNames: [`DNS:${HOST}`], unreadable: null });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(verdict.message).toBe(`${where(evidence)}TLSv1.3 TLS_AES_256_GCM_SHA384, certificate "DNS:${HOST}" issued by "Microsoft Azure RSA TLS Issuing CA 04", valid until ${identity.leaf.notAfter.toISOString()}`);
    expect(inspection(evidence)).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE', message: `${where(evidence)}not inspected: the chain anchors by signature at "DigiCert Global Root G2" (a --ca-file certificate)` });
  });

  it('names a leaf without a CN by its subject', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], subject: [['O', 'Contoso'], ['OU', 'Web']] }) });
    expect(judgeTls(443, evidence)).toMatchObject({ code: 'TLS_OK' });
    expect(judgeTls(443, evidence).message).toContain('certificate "O=Contoso, OU=Web" issued by');
  });

  it('reads 2,000 subjectAltNames, and a mismatch lists only the first ten', async () => {
    const names = [HOST, ...Array.from({ length: 1999 }, (_, i) => `host-${i}.many.lab.test`)];
    const identity = await pki.publicIssuing.issueLeaf({ hosts: names });
    const matching = await handshake({ kind: 'serve', identity });
    expect(matching.chain[0]?.subjectAltNames).toHaveLength(2000);
    expect(judgeTls(443, matching)).toMatchObject({ code: 'TLS_OK' });

    const other = await handshake({ kind: 'serve', identity }, 'elsewhere.lab.test');
    const verdict = judgeTls(443, other);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_HOSTNAME_MISMATCH' });
    const shown = names.slice(0, 10).map((name) => `DNS:${name}`).join(', ');
    expect(verdict.message).toBe(`${where(other)}the certificate is for ${shown} and 1990 more, not for elsewhere.lab.test`);
    expect(other.hostnameError).toBe(`Hostname/IP does not match certificate's altnames: Host: elsewhere.lab.test. is not in the cert's altnames: ${shown} and 1990 more`);
  });

  it('follows a valid 30-certificate chain to its root: tls and inspection agree that it anchors', async () => {
    let issuing: LabAuthority = pki.publicRoot;
    // ECDSA intermediates: 28 RSA key generations would dominate the test's time.
    for (let depth = 1; depth <= 28; depth++) issuing = await issuing.subordinate({ name: [['CN', `Lab Depth CA ${depth}`]], keyAlgorithm: 'ecdsa' });
    const evidence = await handshake({ kind: 'serve', identity: await issuing.issueLeaf({ hosts: [HOST] }) });
    expect(evidence.chain).toHaveLength(29); // as presented: the leaf and 28 intermediates; the root is --ca-file's
    expect(evidence).toMatchObject({ authorized: true, anchoredInTrustStore: true });
    expect(judgeTls(443, evidence)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    const assessment = assessObserved(evidence, trust());
    expect(assessment.path.links).toHaveLength(30);
    expect(assessment.path.end).toEqual({ kind: 'expected-anchor', store: 'ca-file' });
    expect(inspection(evidence)).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
  });
});

describe('weak cryptography that still works: TLS_WEAK_CRYPTO (warn)', () => {
  it('names a 1024-bit RSA leaf', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], rsaBits: 1024 }) });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'warn', code: 'TLS_WEAK_CRYPTO' });
    expect(verdict.message).toBe(`${where(evidence)}weak cryptography: the leaf "${HOST}" has a 1024-bit RSA key`);
    expect(verdict.remediation).toContain('RSA 2048+ or ECDSA keys signed with SHA-256');
    expect(tlsReportEvidence(evidence)).toMatchObject({ findings: ['TLS_WEAK_CRYPTO'], weakCrypto: [`the leaf "${HOST}" has a 1024-bit RSA key`] });
  });

  it('names a 1024-bit DHE group on a DHE-only server, which OpenSSL\'s default floor would hide', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), tuning: DHE_ONLY });
    expect(evidence).toMatchObject({ protocol: 'TLSv1.2', cipher: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', keyExchange: { type: 'DH', name: null, bits: 1024 } });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'warn', code: 'TLS_WEAK_CRYPTO' });
    expect(verdict.message).toBe(`${where(evidence)}weak cryptography: the server's DHE key exchange uses a 1024-bit group`);
  });

  it('names a SHA-1 signature on an intermediate; the chain still anchors, so inspection passes', async () => {
    const sha1Issuing = await pki.publicRoot.subordinate({ name: [['CN', 'Lab SHA-1 Issuing CA']], signedWith: 'SHA-1' });
    const evidence = await handshake({ kind: 'serve', identity: await sha1Issuing.issueLeaf({ hosts: [HOST] }), tuning: WEAK_SERVER });
    expect(evidence.chain[1]).toMatchObject({ signatureAlgorithm: 'sha1WithRSAEncryption', signatureDigest: 'sha1' });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'warn', code: 'TLS_WEAK_CRYPTO' });
    expect(verdict.message).toBe(`${where(evidence)}weak cryptography: the intermediate "Lab SHA-1 Issuing CA" is signed with SHA-1 (sha1WithRSAEncryption)`);
    expect(inspection(evidence)).toMatchObject({ code: 'INSPECTION_NONE' });
  });

  it('lists every weakness of one handshake, leaf first, key exchange last', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST], rsaBits: 1024, signedWith: 'SHA-1' });
    const evidence = await handshake({ kind: 'serve', identity, tuning: DHE_ONLY });
    expect(judgeTls(443, evidence).message).toBe(`${where(evidence)}weak cryptography: the leaf "${HOST}" has a 1024-bit RSA key; the leaf "${HOST}" is signed with SHA-1 (sha1WithRSAEncryption); the server's DHE key exchange uses a 1024-bit group`);
  });

  it('ignores the digest of a root\'s signature on itself', async () => {
    const sha1Root = await LabAuthority.root({ name: [['CN', 'Lab SHA-1 Self-Signed Root']], signedWith: 'SHA-1' });
    const server = await startTlsFixture(loopbackAddress(nextAddress++), 0, { kind: 'serve', identity: await sha1Root.issueLeaf({ hosts: [HOST] }), send: { intermediates: true, root: true }, tuning: WEAK_SERVER });
    running.push(server);
    const evidence = await probeTls({ host: HOST, address: server.host, port: server.port, caPems: [sha1Root.certificate.pem] }, { stepTimeoutMs: 5000, signal: new AbortController().signal });
    expect(evidence.chain.map((c) => c.signatureDigest)).toEqual(['sha256', 'sha1']);
    expect(judgeTls(443, evidence)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
  });

  it('says what is weak where OpenSSL\'s default security level refuses the chain, instead of [UNSPECIFIED]', async () => {
    const sha1Issuing = await pki.publicRoot.subordinate({ name: [['CN', 'Lab SHA-1 Issuing CA']], signedWith: 'SHA-1' });
    const server = await startTlsFixture(loopbackAddress(nextAddress++), 0, { kind: 'serve', identity: await sha1Issuing.issueLeaf({ hosts: [HOST] }), tuning: WEAK_SERVER });
    running.push(server);
    // What a client at OpenSSL's default level (Node's own) says about this chain: no reason Node has a name for.
    const refusal = await new Promise<string | null>((resolve, reject) => {
      const socket = tls.connect({ host: server.host, port: server.port, servername: HOST, ca: [pki.trustedRootsPem], rejectUnauthorized: false }, () => {
        resolve(socket.authorizationError ? String(socket.authorizationError) : null);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(refusal).toBe('UNSPECIFIED');
    const observed = await probeTls({ host: HOST, address: server.host, port: server.port, caPems: [pki.trustedRootsPem] }, { stepTimeoutMs: 5000, signal: new AbortController().signal });
    const verdict = judgeTls(443, { ...observed, authorized: false, authorizationError: refusal });
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(verdict.message).toBe(`${where(observed)}the chain does not verify: CA signature digest too weak (the intermediate "Lab SHA-1 Issuing CA" is signed with SHA-1 (sha1WithRSAEncryption)) [UNSPECIFIED] (also TLS_WEAK_CRYPTO)`);
  });
});

describe('weakness rules on observed certificates (no network)', () => {
  it('names MD5 below the root, DSA and EC keys under the floor, and a small ECDHE curve; strong ones pass', async () => {
    const evidence = await handshake({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    const [leaf, issuing] = evidence.chain;
    if (!leaf || !issuing) throw new Error('leaf and intermediate expected');
    expect(weakCryptoOf(evidence.chain, evidence.keyExchange)).toEqual([]);
    const weak = weakCryptoOf(
      [{ ...leaf, keyType: 'ec', keyBits: 192, curve: 'prime192v1' }, { ...issuing, keyType: 'dsa', keyBits: 1024, signatureAlgorithm: 'md5WithRSAEncryption', signatureDigest: 'md5' }],
      { type: 'ECDH', name: 'prime192v1', bits: 192 },
    );
    expect(weak.map((w) => w.text)).toEqual([
      `the leaf "${HOST}" has a 192-bit EC key (prime192v1)`,
      'the intermediate "Microsoft Azure RSA TLS Issuing CA 04" has a 1024-bit DSA key',
      'the intermediate "Microsoft Azure RSA TLS Issuing CA 04" is signed with MD5 (md5WithRSAEncryption)',
      "the server's ECDHE key exchange uses prime192v1 (192 bits)",
    ]);
  });
});

describe('servers older than TLS 1.0: TLS_PROTOCOL_TOO_OLD', () => {
  it('recognises an SSL 3.0 ServerHello, which OpenSSL calls only "unsupported protocol"', async () => {
    const evidence = await handshake({ kind: 'sslv3-only', answer: 'server-hello' });
    expect(evidence.legacyRetry).toMatchObject({ protocol: null, olderThanTls10: true });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_PROTOCOL_TOO_OLD' });
    const chose = 'the server chose a protocol version that was not offered (unsupported protocol)';
    expect(verdict.message).toBe(`${where(evidence)}the server only speaks SSL 3.0 or older (TLS 1.2 and 1.3 failed: ${chose}; TLS 1.0–1.1 failed as well: ${chose})`);
    expect(verdict.remediation).toContain('The agent needs TLS 1.2 or newer');
  });

  it('recognises a server that refuses every TLS version with a protocol_version alert', async () => {
    const evidence = await handshake({ kind: 'sslv3-only', answer: 'protocol-version-alert' });
    const verdict = judgeTls(443, evidence);
    expect(verdict).toMatchObject({ status: 'fail', code: 'TLS_PROTOCOL_TOO_OLD' });
    const alert = 'the server sent TLS alert 70 (protocol_version)';
    expect(verdict.message).toBe(`${where(evidence)}the server only speaks SSL 3.0 or older (TLS 1.2 and 1.3 failed: ${alert}; TLS 1.0–1.1 failed as well: ${alert})`);
  });

  it('keeps a server that refuses for another reason TLS_HANDSHAKE_FAILED', async () => {
    const evidence = await handshake({ kind: 'handshake-alert' });
    expect(evidence.legacyRetry?.olderThanTls10).toBe(false);
    expect(judgeTls(443, evidence).code).toBe('TLS_HANDSHAKE_FAILED');
  });
});
