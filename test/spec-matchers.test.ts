// The matchers of `egress-preflight/spec` on observations a spec gets: a failed assertion says what was observed
// (the chain, the code and message, the issuer), and a matcher given the wrong thing fails negated or not.
import { describe, expect, it } from 'vitest';
import { matchers } from '../spec/matchers.js';
import type { Connection, Fetched, Handshake, Resolution } from '../spec/observations.js';

const resolved: Resolution = {
  kind: 'resolution', host: 'login.contoso.example', status: 'pass', code: 'DNS_OK',
  message: 'login.contoso.example resolves through 1 CNAME hop to 203.0.113.7',
  chain: [
    { name: 'login.contoso.example', type: 'CNAME', value: 'weu.tm.trafficmanager.net', ttl: 60 },
    { name: 'weu.tm.trafficmanager.net', type: 'A', value: '203.0.113.7', ttl: 30 },
  ],
  names: ['login.contoso.example', 'weu.tm.trafficmanager.net'], canonicalName: 'weu.tm.trafficmanager.net', addresses: ['203.0.113.7'], suffixes: ['contoso.example', 'trafficmanager.net'],
};
const sinkholed: Resolution = {
  ...resolved, status: 'fail', code: 'DNS_SINKHOLE', message: 'login.contoso.example resolves to 0.0.0.0: blocked by DNS policy',
  chain: [{ name: 'login.contoso.example', type: 'A', value: '0.0.0.0', ttl: 60 }], names: ['login.contoso.example'], canonicalName: 'login.contoso.example', addresses: ['0.0.0.0'],
};
const inspected: Handshake = {
  kind: 'handshake', host: 'contoso.msappproxy.net', port: 443, address: '203.0.113.7', via: 'direct', status: 'fail', code: 'TLS_UNTRUSTED', message: 'the chain leads to "Zscaler Root CA"',
  protocol: 'TLSv1.3',
  chain: [
    { subject: 'CN=contoso.msappproxy.net', commonName: 'contoso.msappproxy.net', issuer: 'CN=Zscaler Intermediate Root CA', issuerCommonName: 'Zscaler Intermediate Root CA', sha256: 'AA', notBefore: '', notAfter: '' },
    { subject: 'CN=Zscaler Intermediate Root CA', commonName: 'Zscaler Intermediate Root CA', issuer: 'CN=Zscaler Root CA', issuerCommonName: 'Zscaler Root CA', sha256: 'BB', notBefore: '', notAfter: '' },
  ],
  inspection: { inspected: true, vendor: 'zscaler', observedIssuer: 'Zscaler Intermediate Root CA', code: 'TLS_INSPECTED', message: 'TLS is inspected', path: ['contoso.msappproxy.net', 'Zscaler Intermediate Root CA'] },
};
const refused: Connection = {
  kind: 'connection', host: 'login.contoso.example', port: 443, via: 'direct', status: 'fail', code: 'TCP_REFUSED', message: '203.0.113.7:443: connection refused (RST)',
  attempts: [{ address: '203.0.113.7', status: 'fail', code: 'TCP_REFUSED', message: '203.0.113.7:443: connection refused (RST)' }],
};
const blockPage: Fetched = {
  kind: 'fetch', url: 'http://crl.example/root.crl', status: 'fail', code: 'HTTP_BLOCK_PAGE', message: 'a block page', httpStatus: 200, crl: null, pageTitle: 'Access Denied by Policy',
};

const asserted = { isNot: false };
const negated = { isNot: true };

describe('toResolve and toEndIn', () => {
  it('a sinkholed name fails toResolve with the dns code, message and the chain observed', () => {
    const result = matchers.toResolve.call(asserted, sinkholed);
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('expected login.contoso.example to resolve, but DNS_SINKHOLE: login.contoso.example resolves to 0.0.0.0: blocked by DNS policy; observed login.contoso.example → A 0.0.0.0');
  });

  it('toEndIn judges where the CNAME chain ends, on a label boundary, and says where it ended', () => {
    expect(matchers.toEndIn.call(asserted, resolved, '.trafficmanager.net').pass).toBe(true);
    expect(matchers.toEndIn.call(asserted, resolved, 'manager.net').pass).toBe(false);
    const old = matchers.toEndIn.call(negated, resolved, '.trafficmanager.net');
    expect(old.message()).toBe('expected the chain of login.contoso.example not to end in .trafficmanager.net, but it ends at weu.tm.trafficmanager.net: login.contoso.example → CNAME weu.tm.trafficmanager.net → A 203.0.113.7');
  });
});

describe('toReach', () => {
  it('says which address failed and how', () => {
    const result = matchers.toReach.call(asserted, refused);
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('expected to reach login.contoso.example:443, but TCP_REFUSED: 203.0.113.7:443: connection refused (RST)');
  });
});

describe('toBeInspected and toChainTo', () => {
  it('not.toBeInspected on an inspected chain names the inspecting issuer, the vendor and the chain', () => {
    const result = matchers.toBeInspected.call(negated, inspected);
    expect(result.pass).toBe(true);
    expect(result.message()).toBe('expected contoso.msappproxy.net:443 not to be inspected, but TLS_INSPECTED: the certificate comes from "Zscaler Intermediate Root CA" (zscaler); presented "contoso.msappproxy.net" < "Zscaler Intermediate Root CA", the last issued by "Zscaler Root CA"');
  });

  it('with no chain at all, neither toBeInspected nor its negation passes', () => {
    const none: Handshake = { ...inspected, chain: [], inspection: null, code: 'TCP_REFUSED', message: 'connection refused' };
    expect(matchers.toBeInspected.call(asserted, none).pass).toBe(false);
    // For a negated matcher vitest fails the assertion when pass is true.
    expect(matchers.toBeInspected.call(negated, none).pass).toBe(true);
    expect(matchers.toBeInspected.call(negated, none).message()).toBe('cannot tell whether contoso.msappproxy.net:443 is inspected: no certificate chain came (TCP_REFUSED: connection refused)');
  });

  it('toChainTo finds an issuer on the chain and names the chain when it is not there', () => {
    expect(matchers.toChainTo.call(asserted, inspected, 'Zscaler Root CA').pass).toBe(true);
    const result = matchers.toChainTo.call(asserted, inspected, 'DigiCert Global Root G2');
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('expected contoso.msappproxy.net:443 to chain to "DigiCert Global Root G2", but it presented "contoso.msappproxy.net" < "Zscaler Intermediate Root CA", the last issued by "Zscaler Root CA"; path to the anchor: "contoso.msappproxy.net" < "Zscaler Intermediate Root CA"');
  });
});

describe('toServeCrl', () => {
  it('a block page instead of the CRL is named by its title and status', () => {
    const result = matchers.toServeCrl.call(asserted, blockPage);
    expect(result.pass).toBe(false);
    expect(result.message()).toBe('expected http://crl.example/root.crl to serve a CRL, but it answered HTTP 200 with a page titled "Access Denied by Policy" (HTTP_BLOCK_PAGE: a block page)');
  });
});

describe('a matcher given the wrong thing', () => {
  it('fails whether negated or not, saying what it expects', () => {
    expect(matchers.toBeInspected.call(asserted, resolved).pass).toBe(false);
    expect(matchers.toBeInspected.call(negated, resolved).pass).toBe(true);
    expect(matchers.toBeInspected.call(negated, resolved).message()).toBe('toBeInspected() expects what handshake(host, port) returns; it was given what resolve(host) returns');
    expect(matchers.toResolve.call(asserted, 'login.contoso.example').message()).toBe('toResolve() expects what resolve(host) returns; it was given string');
  });

  it('is registered with vitest: expect(…).toEndIn works in a spec', () => {
    expect(resolved).toEndIn('trafficmanager.net');
    expect(() => expect(sinkholed).toResolve()).toThrow('expected login.contoso.example to resolve, but DNS_SINKHOLE');
  });
});
