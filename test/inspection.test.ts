// The anchoring decision and the vendor table, over certificates made by the lab PKI (no network): by signature,
// not by name; incomplete chains, self-signed leaves, chains that include their root, look-alikes, hostile text.
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_NAME_TEXT, LabAuthority, chainCertificates, labPki, selfSignedIdentity, type ChainToSend, type LabIdentity, type LabPki, type NameSpec } from '../lab/pki.js';
import type { InspectionVendor } from '../model/codes.js';
import { ParsedCertificate, describeCertificate, parsePemCertificates } from '../pki/certificate.js';
import { assessChain, vendorFromProxyIdentity, type InspectionAssessment } from '../pki/inspection.js';
import { trustAnchors, type TrustSources } from '../pki/trust-anchors.js';

const HOST = 'login.lab.test';
const EXPECTED_ROOTS = ['DigiCert Global Root G2', 'DigiCert Global Root G3', 'Microsoft RSA Root Certificate Authority 2017'];

let pki: LabPki;
beforeAll(async () => {
  pki = await labPki();
});

/** With the lab roots as --ca-file (as `preflight lab` runs) unless told otherwise. */
function trust(overrides: Partial<TrustSources> = {}): TrustSources {
  return { caPems: [pki.trustedRootsPem], expectedIssuers: EXPECTED_ROOTS, ...overrides };
}

function assess(identity: LabIdentity, send: ChainToSend, trustSources: TrustSources = trust()): InspectionAssessment {
  return assessChain(chainCertificates(identity, send).map((c) => new ParsedCertificate(c.der)), trustAnchors(trustSources));
}

const WITH_INTERMEDIATES: ChainToSend = { intermediates: true, root: false };

describe('anchoring by signature', () => {
  it('passes the chain as servers send it: leaf and intermediate, anchored at a --ca-file root', async () => {
    const result = assess(await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(result).toMatchObject({ inspected: false, decidedBy: 'signature', vendor: null, observedIssuer: 'Microsoft Azure RSA TLS Issuing CA 04' });
    expect(result.path.end).toEqual({ kind: 'expected-anchor', store: 'ca-file' });
    expect(result.path.links.map((l) => l.source)).toEqual(['presented', 'presented', 'ca-file']);
    expect(result.reason).toBe('the chain anchors by signature at "DigiCert Global Root G2" (a --ca-file certificate)');
  });

  it('passes a chain that includes its root', async () => {
    const result = assess(await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), { intermediates: true, root: true });
    expect(result).toMatchObject({ inspected: false, decidedBy: 'signature' });
    expect(result.path.links).toHaveLength(3);
  });

  it('passes an ECDSA chain', async () => {
    const result = assess(await pki.eccIssuing.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(result).toMatchObject({ inspected: false, decidedBy: 'signature', observedIssuer: 'Microsoft Azure ECC TLS Issuing CA 04' });
  });

  it('is not fooled by an expired or misnamed certificate on an expected chain: that is the tls check\'s finding', async () => {
    expect(assess(await pki.publicIssuing.issueLeaf({ hosts: [HOST], validity: 'expired' }), WITH_INTERMEDIATES).inspected).toBe(false);
    expect(assess(await pki.publicIssuing.issueLeaf({ hosts: ['other.lab.test'] }), WITH_INTERMEDIATES).inspected).toBe(false);
  });

  it('matches the expected roots to Node\'s bundled copies by fingerprint', () => {
    const bundledG2 = parsePemCertificates(tls.rootCertificates).find((c) => c.x509.subject.endsWith('CN=DigiCert Global Root G2'));
    if (!bundledG2) throw new Error('Node bundles DigiCert Global Root G2');
    const asExpected = assessChain([bundledG2], trustAnchors({ caPems: [], expectedIssuers: ['DigiCert Global Root G2'] }));
    expect(asExpected).toMatchObject({ inspected: false, decidedBy: 'signature' });
    expect(asExpected.reason).toBe('the chain anchors by signature at "DigiCert Global Root G2" (an expected root, Node\'s bundled copy)');

    const trustedButNotExpected = assessChain([bundledG2], trustAnchors({ caPems: [], expectedIssuers: ['Microsoft RSA Root Certificate Authority 2017'] }));
    expect(trustedButNotExpected).toMatchObject({ inspected: true, vendor: 'unknown' });
    expect(trustedButNotExpected.reason).toBe('the chain anchors at "DigiCert Global Root G2", a root in Node\'s store but not an expected one');
  });
});

describe('odd but valid chains', () => {
  it('anchors a leaf with an empty subject (its SAN names it) and describes it without error', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST], subject: [] });
    const result = assess(identity, WITH_INTERMEDIATES);
    expect(result).toMatchObject({ inspected: false, decidedBy: 'signature', observedIssuer: 'Microsoft Azure RSA TLS Issuing CA 04' });
    expect(describeCertificate(new ParsedCertificate(identity.leaf.der))).toMatchObject({ subject: '', commonName: null, subjectAltNames: [`DNS:${HOST}`], unreadable: null });
  });

  it('follows a chain far deeper than real ones (30 certificates) to its anchor', async () => {
    let issuing: LabAuthority = pki.publicRoot;
    for (let depth = 1; depth <= 28; depth++) issuing = await issuing.subordinate({ name: [['CN', `Lab Depth CA ${depth}`]], keyAlgorithm: 'ecdsa' });
    const result = assess(await issuing.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(result).toMatchObject({ inspected: false, decidedBy: 'signature' });
    expect(result.path.links).toHaveLength(30);
    expect(result.path.end).toEqual({ kind: 'expected-anchor', store: 'ca-file' });
  });
});

describe('look-alikes and unknown anchors', () => {
  it('tells a look-alike root from Node\'s bundled one: same name, another key', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: [HOST] });
    const withRoot = assess(identity, { intermediates: true, root: true }, trust({ caPems: [] }));
    expect(withRoot).toMatchObject({ inspected: true, vendor: 'unknown', decidedBy: 'signature' });
    expect(withRoot.path.end.kind).toBe('untrusted-root');
    expect(withRoot.reason).toBe('the chain ends at "DigiCert Global Root G2", a self-signed root in no trust store, though it carries the name of an expected CA: a look-alike with another key');

    const withoutRoot = assess(identity, WITH_INTERMEDIATES, trust({ caPems: [] }));
    expect(withoutRoot.path.end).toMatchObject({ kind: 'missing-issuer', namesakes: [expect.objectContaining({ source: 'bundled' })] });
    expect(withoutRoot.reason).toBe('"Microsoft Azure RSA TLS Issuing CA 04" names "DigiCert Global Root G2" as its issuer, but the known "DigiCert Global Root G2" (bundled) did not sign it: a look-alike');
  });

  it('flags a self-signed leaf', async () => {
    const result = assess(await selfSignedIdentity({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(result).toMatchObject({ inspected: true, vendor: 'unknown', observedIssuer: HOST, reason: 'the certificate is self-signed' });
  });

  it('accepts a self-signed leaf that --ca-file pins', async () => {
    const identity = await selfSignedIdentity({ hosts: [HOST] });
    expect(assess(identity, WITH_INTERMEDIATES, trust({ caPems: [identity.leaf.pem] })).inspected).toBe(false);
  });

  it('flags an unknown corporate CA, naming it', async () => {
    const result = assess(await pki.corporateRoot.issueLeaf({ hosts: [HOST] }), { intermediates: true, root: true });
    expect(result).toMatchObject({ inspected: true, vendor: 'unknown', observedIssuer: 'Contoso Egress Inspection CA' });
    expect(result.reason).toBe('the chain ends at "Contoso Egress Inspection CA", a self-signed root in no trust store');
  });
});

describe('incomplete chains', () => {
  it('decides by the leaf\'s issuer name when the server leaves out an expected intermediate, and says so', async () => {
    const result = assess(await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), { intermediates: false, root: false });
    expect(result).toMatchObject({ inspected: false, decidedBy: 'issuer-name', vendor: null });
    expect(result.path.end).toEqual({ kind: 'missing-issuer', namesakes: [] });
    expect(result.reason).toBe('decided by name: the server did not send "Microsoft Azure RSA TLS Issuing CA 04", an issuing CA of an expected root, so its signature could not be checked');
  });

  it('flags a missing issuer that is no expected intermediate', async () => {
    const result = assess(await pki.publicIssuing.issueLeaf({ hosts: [HOST] }), { intermediates: false, root: false }, trust({ expectedIssuers: ['DigiCert Global Root CA'] }));
    expect(result).toMatchObject({ inspected: true, vendor: 'unknown', decidedBy: 'signature' });
    expect(result.reason).toBe('the chain leads to "Microsoft Azure RSA TLS Issuing CA 04", which is neither in a trust store nor an issuing CA of an expected root');
  });

  it('names the vendor from the leaf\'s issuer alone when the interceptor sends no intermediate', async () => {
    const result = assess(await pki.zscalerIntermediate.issueLeaf({ hosts: [HOST] }), { intermediates: false, root: false });
    expect(result).toMatchObject({ inspected: true, vendor: 'zscaler', decidedBy: 'issuer-name', observedIssuer: 'Zscaler Intermediate Root CA (zscaler.net) (t)' });
  });
});

describe('inspection vendors', () => {
  it('names Zscaler from its intermediate and mitmproxy from its CA', async () => {
    const zscaler = assess(await pki.zscalerIntermediate.issueLeaf({ hosts: [HOST] }), { intermediates: true, root: true });
    expect(zscaler).toMatchObject({ inspected: true, vendor: 'zscaler', observedIssuer: 'Zscaler Intermediate Root CA (zscaler.net) (t)' });
    expect(zscaler.reason).toBe('"Zscaler Intermediate Root CA (zscaler.net) (t)" is the name zscaler gives its inspection CA');
    const mitmproxy = assess(await pki.mitmproxy.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(mitmproxy).toMatchObject({ inspected: true, vendor: 'mitmproxy', observedIssuer: 'mitmproxy' });
  });

  it('flags a vendor-named intermediate even when an expected root signed it', async () => {
    const subordinate = await pki.publicRoot.subordinate({ name: [['C', 'US'], ['O', 'Zscaler Inc.'], ['CN', 'Zscaler Intermediate Root CA (zscaler.net)']] });
    const result = assess(await subordinate.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES);
    expect(result.path.end.kind).toBe('expected-anchor');
    expect(result).toMatchObject({ inspected: true, vendor: 'zscaler', decidedBy: 'issuer-name' });
    expect(result.reason).toBe('"Zscaler Intermediate Root CA (zscaler.net)" is the name zscaler gives its inspection CA (the chain anchors by signature at "DigiCert Global Root G2", but a vendor-named CA on it re-signs)');
  });

  const vendorNames: Array<[InspectionVendor, NameSpec]> = [
    ['zscaler', [['CN', 'ZSCALER ROOT CA']]],
    ['fortinet', [['CN', 'FortiGate'], ['O', 'Fortinet Ltd.']]],
    ['fortinet', [['CN', 'Fortinet_CA_SSLProxy']]],
    ['cisco-umbrella', [['CN', 'Cisco Umbrella Primary SubCA']]],
    ['sophos', [['CN', 'SecurityAppliance_SSL_CA']]],
    ['netskope', [['O', 'netskope inc'], ['CN', 'caadmin.netskope.com']]],
    ['forcepoint', [['CN', 'Forcepoint Cloud CA']]],
    ['skyhigh', [['CN', 'McAfee Web Gateway']]],
    ['skyhigh', [['CN', 'Skyhigh Secure Web Gateway']]],
    ['bluecoat', [['OU', 'Blue Coat ProxySG'], ['CN', 'Proxy CA']]],
    ['fiddler', [['CN', 'DO_NOT_TRUST_FiddlerRoot']]],
    ['burp', [['CN', 'PortSwigger CA']]],
    ['unknown', [['CN', 'mitmproxy']]], // mitmproxy's pattern needs O=mitmproxy as well
    ['unknown', [['CN', 'PA-VM Forward Trust CA']]], // Palo Alto uses an administrator-named CA
  ];
  it.each(vendorNames)('recognises %s in %j, case-insensitively', async (vendor, name) => {
    const authority = await LabAuthority.root({ name, keyAlgorithm: 'ecdsa' });
    expect(assess(await authority.issueLeaf({ hosts: [HOST] }), WITH_INTERMEDIATES)).toMatchObject({ inspected: true, vendor });
  });
});

describe('hostile certificate text', () => {
  it('stays data: the decision names the issuer as written, and the description is plain strings', async () => {
    const identity = await pki.hostile.issueLeaf({ hosts: [HOST], subject: [['CN', HOSTILE_NAME_TEXT], ['O', ']]><x>&"\'']] });
    const result = assess(identity, { intermediates: true, root: true });
    expect(result).toMatchObject({ inspected: true, vendor: 'unknown', observedIssuer: HOSTILE_NAME_TEXT });
    const description = describeCertificate(new ParsedCertificate(identity.leaf.der));
    expect(description.commonName).toBe(HOSTILE_NAME_TEXT);
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    expect(Object.values(description).flat().every((value) => ['string', 'number', 'boolean'].includes(typeof value) || value === null)).toBe(true);
  });
});

describe('vendor from the proxy that tunnels an inspected chain', () => {
  it('names the product from its Server or Via header', () => {
    expect(vendorFromProxyIdentity([null, '1.1 proxy.corp (squid/5.7)'])).toBe('squid');
    expect(vendorFromProxyIdentity(['BlueCoat-Security-Appliance', null])).toBe('bluecoat');
    expect(vendorFromProxyIdentity(['Zscaler/6.2'])).toBe('zscaler');
    expect(vendorFromProxyIdentity(['nginx', '1.1 varnish'])).toBeNull();
  });
});
