// Per-chain work once: a run verifies each distinct chain once (and checks each host name against it once), however
// many handshakes presented it, and reaches the verdict Node's own verifying handshake reaches. Counted, not timed.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCrl } from '../lab/crl.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, selfSignedIdentity, type LabCertificate, type LabPki } from '../lab/pki.js';
import { startTlsFixture, type LabTlsServer, type TlsFixture } from '../lab/tls-servers.js';
import { ChainTrust } from '../pki/chain-trust.js';
import { parseCrl } from '../pki/crl.js';
import { probeTls } from '../probes/tls.js';
import { RunMemo } from '../runner/run-memo.js';
import type { CheckRun } from '../specs/check-run.js';
import { crlSignatureOnce } from '../specs/checks/revocation.js';
import { judgeTls } from '../specs/checks/tls.js';

const HOST = 'login.lab.test';
const ctx = () => ({ stepTimeoutMs: 3000, signal: new AbortController().signal });

let pki: LabPki;
let nextAddress = 1801;
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

/** A chain as a handshake hands it over: new X509Certificate objects each time, as each connection makes them. */
function presented(...certificates: LabCertificate[]): X509Certificate[] {
  return certificates.map((certificate) => new X509Certificate(certificate.der));
}

describe('per-chain trust work, once per run', () => {
  it('verifies a chain judged 1,000 times once, and checks its host name once', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const trust = new ChainTrust([pki.trustedRootsPem]);
    const judgments = Array.from({ length: 1000 }, () => trust.judge(presented(identity.leaf, pki.publicIssuing.certificate), HOST, Date.now()));
    expect(trust.counts).toEqual({ chainsVerified: 1, hostChecks: 1 });
    expect(judgments.every((judgment) => judgment.authorized && judgment.anchoredInTrustStore && judgment.authorizationError === null)).toBe(true);
    // Every handshake shares the one evidence form of the chain.
    expect(new Set(judgments.map((judgment) => judgment.chain)).size).toBe(1);
  });

  it('verifies two different chains once each, each with its own verdict', async () => {
    const good = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const expired = await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' });
    const trust = new ChainTrust([pki.trustedRootsPem]);
    for (let i = 0; i < 500; i += 1) {
      expect(trust.judge(presented(good.leaf, pki.publicIssuing.certificate), HOST, Date.now())).toMatchObject({ authorized: true, authorizationError: null });
      expect(trust.judge(presented(expired.leaf, pki.publicIssuing.certificate), HOST, Date.now())).toMatchObject({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED', anchoredInTrustStore: true });
    }
    expect(trust.counts).toEqual({ chainsVerified: 2, hostChecks: 2 });
  });

  it('gives the same certificates under another host name their own host check, not a second verification', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const trust = new ChainTrust([pki.trustedRootsPem]);
    expect(trust.judge(presented(identity.leaf, pki.publicIssuing.certificate), HOST, Date.now())).toMatchObject({ authorized: true, hostnameError: null });
    const other = trust.judge(presented(identity.leaf, pki.publicIssuing.certificate), 'other.lab.test', Date.now());
    expect(other).toMatchObject({ authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID', anchoredInTrustStore: true });
    expect(other.hostnameError).toBe(`Hostname/IP does not match certificate's altnames: Host: other.lab.test. is not in the cert's altnames: DNS:${HOST}`);
    expect(trust.counts).toEqual({ chainsVerified: 1, hostChecks: 2 });
  });

  it('plays the dates again at each moment: a chain cached while valid is expired after its notAfter', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const trust = new ChainTrust([pki.trustedRootsPem]);
    expect(trust.judge(presented(identity.leaf, pki.publicIssuing.certificate), HOST, Date.now()).authorizationError).toBeNull();
    const later = identity.leaf.notAfter.getTime() + 1000;
    expect(trust.judge(presented(identity.leaf, pki.publicIssuing.certificate), HOST, later).authorizationError).toBe('CERT_HAS_EXPIRED');
    expect(trust.counts.chainsVerified).toBe(1);
  });

  it('refuses a chain whose leaf signature does not verify: untrusted, CERT_SIGNATURE_FAILURE', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const forged = Buffer.from(identity.leaf.der);
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff; // the last byte of the signature
    const trust = new ChainTrust([pki.trustedRootsPem]);
    const judgment = trust.judge([new X509Certificate(forged), new X509Certificate(pki.publicIssuing.certificate.der)], HOST, Date.now());
    expect(judgment).toMatchObject({ authorized: false, authorizationError: 'CERT_SIGNATURE_FAILURE', anchoredInTrustStore: false });
  });

  it('verifies the chain once over 1,000 real handshakes sharing the run\'s ChainTrust', async () => {
    const server = await serve({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    const chainTrust = new ChainTrust([pki.trustedRootsPem]);
    const target = { host: HOST, address: server.host, port: server.port, caPems: [pki.trustedRootsPem], chainTrust };
    const verdicts: string[] = [];
    for (let batch = 0; batch < 50; batch += 1) {
      const evidence = await Promise.all(Array.from({ length: 20 }, () => probeTls(target, ctx())));
      verdicts.push(...evidence.map((observed) => judgeTls(443, observed).code));
    }
    expect(verdicts).toHaveLength(1000);
    expect(new Set(verdicts)).toEqual(new Set(['TLS_OK']));
    expect(chainTrust.counts).toEqual({ chainsVerified: 1, hostChecks: 1 });
  });
});

describe('the verdict Node\'s verifying handshake gives', () => {
  /** authorizationError of a handshake whose context holds the CAs, as the probe's used to. */
  async function nodeVerdict(server: LabTlsServer, host: string): Promise<{ error: string | null; chain: X509Certificate[] }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: server.host, port: server.port, servername: host, ca: [...tls.rootCertificates, pki.trustedRootsPem], rejectUnauthorized: false, ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        const chain: X509Certificate[] = [];
        for (let current = socket.getPeerX509Certificate(); current && !chain.some((c) => c.fingerprint256 === current?.fingerprint256); current = current.issuerCertificate) chain.push(current);
        resolve({ error: socket.authorizationError ? String(socket.authorizationError) : null, chain });
        socket.destroy();
      });
    });
  }

  it('matches it on trusted, expired, not-yet-valid, misnamed, incomplete, self-signed and unknown-root chains', async () => {
    const fixtures: Array<[string, TlsFixture, string]> = [
      ['trusted', { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) }, 'null'],
      ['expired', { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' }) }, 'CERT_HAS_EXPIRED'],
      ['not yet valid', { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'not-yet-valid' }) }, 'CERT_NOT_YET_VALID'],
      ['misnamed', { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: ['other.lab.test'] }) }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
      ['incomplete', { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), send: { intermediates: false, root: false } }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['self-signed', { kind: 'serve', identity: await selfSignedIdentity({ hosts: [HOST] }) }, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      ['unknown root', { kind: 'intercept', authority: pki.zscalerIntermediate }, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      ['root sent', { kind: 'intercept', authority: pki.corporateRoot, send: { intermediates: true, root: true } }, 'SELF_SIGNED_CERT_IN_CHAIN'],
      ['untrusted and expired', { kind: 'serve', identity: await pki.corporateRoot.issueLeaf({ hosts: [HOST], validity: 'expired' }) }, 'CERT_HAS_EXPIRED'],
    ];
    const trust = new ChainTrust([pki.trustedRootsPem]);
    for (const [name, fixture, expected] of fixtures) {
      const node = await nodeVerdict(await serve(fixture), HOST);
      const ours = trust.judge(node.chain, HOST, Date.now());
      expect({ name, node: String(node.error), ours: String(ours.authorizationError) }).toEqual({ name, node: expected, ours: expected });
    }
  });
});

describe('CRL signatures, once per run', () => {
  it('verifies one CRL against one issuer once, however many handshakes ask', async () => {
    const crl = parseCrl(await labCrl(pki.publicIssuing));
    const issuer = new X509Certificate(pki.publicIssuing.certificate.der);
    const trust = new ChainTrust([]);
    const [observedIssuer] = trust.judge([issuer], 'ca.lab.test', Date.now()).chain;
    const derived = new RunMemo();
    const run = { observe: { derived }, plan: { trust: { caPems: [], expectedIssuers: [] } } } as unknown as CheckRun;
    const outcomes = Array.from({ length: 1000 }, () => crlSignatureOnce(run, 'http://crl.lab.test/issuing.crl', crl, [observedIssuer!], []).outcome);
    expect(new Set(outcomes)).toEqual(new Set(['valid']));
    expect(derived.computed.get('crl signature')).toBe(1);

    const forged = parseCrl(await labCrl(pki.publicIssuing, { signedBy: pki.corporateRoot }));
    expect(crlSignatureOnce(run, 'http://crl.lab.test/forged.crl', forged, [observedIssuer!], []).outcome).toBe('invalid');
    expect(derived.computed.get('crl signature')).toBe(2);
  });
});
