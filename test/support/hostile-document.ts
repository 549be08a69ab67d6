// A result document whose server-supplied text is crafted to break an HTML report: certificate names, a block page
// title and excerpt, an EDE text and a host name that carry markup, script, style breakers, bidi overrides and
// control characters. The HTML unit tests and the browser test render it and look for anything that acted.
import type { CertificateDescription, CheckResult } from '../../model/result.js';
import { result, runDocument } from './documents.js';

export const HOSTILE = {
  subjectCn: '<script>window.__pwned = "subject"</script>',
  issuerCn: `"'><img src=x onerror="window.__pwned='issuer'">`,
  pageTitle: '</style></title><script>window.__pwned = "title"</script>',
  excerpt: '<iframe src="https://attacker.example/"></iframe><style>body{display:none}</style>',
  edeText: 'blocked \u202Egnp.exe\u202C by <b>policy</b>\x1b[31m',
  host: 'evil"><svg onload="window.__pwned=1">.example',
  long: `${'A'.repeat(5000)}<script>late()</script>`,
} as const;

const LEAF = 'AA:'.repeat(31) + 'AA';
const ISSUER = 'BB:'.repeat(31) + 'BB';

function certificate(sha256: string, commonName: string, issuerCommonName: string): CertificateDescription {
  return {
    subject: `CN=${commonName}`, issuer: `CN=${issuerCommonName}`, commonName, issuerCommonName, serialNumber: '01',
    notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', sha256, signatureAlgorithm: 'sha256WithRSAEncryption',
    signatureDigest: 'sha256', keyType: 'rsa', keyBits: 2048, curve: null, isCertificateAuthority: sha256 === ISSUER, sans: [`DNS:${HOSTILE.host}`],
    crlUrls: [], ocspUrls: [], caIssuersUrls: [], unreadableExtensions: [], unreadable: null,
  };
}

export function hostileDocument() {
  const host = HOSTILE.host;
  const results: CheckResult[] = [
    result({
      id: `dns:${host}`, check: 'dns', host, status: 'fail', code: 'DNS_SINKHOLE', message: `${host} resolves to 0.0.0.0; EDE: ${HOSTILE.edeText}`,
      remediation: 'Allow it in the DNS filtering policy.',
      evidence: { chain: [{ name: host, type: 'A', value: '0.0.0.0', ttl: 60 }], addresses: ['0.0.0.0'], suffixes: ['example'], ede: [{ code: 17, name: 'Filtered', text: HOSTILE.edeText }] },
    }),
    result({
      id: 'tls:proxy.test@192.0.2.1:443', check: 'tls', host: 'proxy.test', address: '192.0.2.1', port: 443, status: 'fail', code: 'TLS_UNTRUSTED',
      message: `the chain leads to "${HOSTILE.issuerCn}"`, remediation: 'Exempt the host from inspection.',
      evidence: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', connectMs: 3, handshakeMs: 40, chain: [LEAF, ISSUER] },
    }),
    result({
      id: 'inspection:proxy.test@192.0.2.1:443', check: 'inspection', host: 'proxy.test', address: '192.0.2.1', port: 443, status: 'fail', code: 'TLS_INSPECTED',
      message: `TLS is inspected: the certificate comes from "${HOSTILE.issuerCn}"`, remediation: 'Exempt the host from inspection.', durationMs: 0,
      evidence: { vendor: 'unknown', observedIssuer: HOSTILE.issuerCn, reason: HOSTILE.long, chain: [LEAF, ISSUER], path: [{ sha256: LEAF, source: 'presented' }, { sha256: ISSUER, source: 'presented' }], expectedIssuers: ['DigiCert Global Root G2'] },
    }),
    result({
      id: 'http:http://proxy.test/', check: 'http', host: 'proxy.test', port: 80, url: 'http://proxy.test/', status: 'fail', code: 'HTTP_BLOCK_PAGE',
      message: `an HTML page titled "${HOSTILE.pageTitle}"`, remediation: 'Allow the URL.',
      evidence: {
        fetch: { url: 'http://proxy.test/', hops: [{ url: 'http://proxy.test/', method: 'GET', proxy: null, connectMs: 2, answer: { status: 200, statusText: 'OK', headersMs: 5, contentType: 'text/html', server: HOSTILE.issuerCn } }], body: { readMs: 1 }, totalMs: 9 },
        page: { kind: 'html', title: HOSTILE.pageTitle, markers: ['text: blocked'], excerpt: HOSTILE.excerpt },
      },
    }),
  ];
  return { ...runDocument(results), certificates: { [LEAF]: certificate(LEAF, HOSTILE.subjectCn, HOSTILE.issuerCn), [ISSUER]: certificate(ISSUER, HOSTILE.issuerCn, 'Root') } };
}
