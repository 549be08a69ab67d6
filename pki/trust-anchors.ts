// The trust a run's chains are judged against: Node's bundled roots and the --ca-file certificates, indexed for issuer
// look-ups, and which of them (and which issuing CAs under them, by name) are the anchors Microsoft's chains are
// expected at. Facts from shared/reference/endpoints.md: "Certificate authorities that Microsoft's chains anchor at".
// Built once per run by whoever holds the run (the observation session's memo, a ChainTrust): nothing here is cached
// per plan, so nothing outlives a run but the bundled roots, which are the same for every run of the process.
import tls from 'node:tls';
import { parsePemCertificates, type ParsedCertificate } from './certificate.js';

/** Where a certificate on a path came from. */
export type CertificateSource = 'presented' | 'bundled' | 'ca-file';

export interface PathLink {
  certificate: ParsedCertificate;
  source: CertificateSource;
}

/** A run's trust settings (RunPlan.trust): --ca-file PEM texts, trusted and expected, and the expected roots' names. */
export interface TrustSources {
  caPems: readonly string[];
  expectedIssuers: readonly string[];
}

export interface TrustAnchors {
  /** Node's bundled roots and the --ca-file certificates, indexed by subject (lower case) for issuer look-ups. */
  bySubject: ReadonlyMap<string, readonly PathLink[]>;
  byFingerprint: ReadonlyMap<string, PathLink>;
  /** SHA-256 fingerprints of the expected anchors. */
  expected: ReadonlySet<string>;
  /**
   * Lower-case names accepted when the server leaves out the certificate that would prove them by signature:
   * the expected issuers and the issuing CAs endpoints.md lists under them.
   */
  expectedByName: ReadonlySet<string>;
}

/** The issuing CAs under each root of Microsoft's chains (azure-docs azure-certificate-authority-details.md, 2025-11-17). */
const ISSUING_CAS_BY_ROOT: Readonly<Record<string, readonly string[]>> = {
  'DigiCert Global Root G2': [
    ...numbered('Microsoft Azure RSA TLS Issuing CA', [3, 4, 7, 8]),
    'Microsoft TLS RSA Root G2',
    ...numbered('Microsoft TLS G2 RSA CA OCSP', range(2, 16)),
    'DigiCert Global G2 TLS RSA SHA256 2020 CA1',
    'DigiCert Basic OV G2 TLS CN RSA4096 SHA256 2022 CA1',
  ],
  'DigiCert Global Root G3': [
    ...numbered('Microsoft Azure ECC TLS Issuing CA', [3, 4, 7, 8]),
    'Microsoft TLS ECC Root G2',
    ...numbered('Microsoft TLS G2 ECC CA OCSP', [2, 4, 6, 8]),
    'DigiCert Global G3 TLS ECC SHA384 2020 CA1',
  ],
  'Microsoft RSA Root Certificate Authority 2017': numbered('Microsoft Azure RSA TLS Issuing CA', [3, 4, 7, 8]),
  'Microsoft ECC Root Certificate Authority 2017': numbered('Microsoft Azure ECC TLS Issuing CA', [3, 4, 7, 8]),
  'DigiCert Global Root CA': [
    'DigiCert TLS RSA SHA256 2020 CA1', 'DigiCert TLS Hybrid ECC SHA384 2020 CA1', 'DigiCert Cloud Services CA-1',
    'DigiCert SHA2 Secure Server CA', 'GeoTrust Global TLS RSA4096 SHA256 2022 CA1',
  ],
};

/**
 * The expected anchors of a trust plan: Node's bundled roots whose names the plan lists (then known by SHA-256
 * fingerprint, so a look-alike with the same name is not one of them) and every --ca-file certificate.
 */
export function trustAnchors(trust: TrustSources): TrustAnchors {
  // Node's bundled roots are the same for every run of this process, and a fixed set: parsed once per process.
  bundledRoots ??= parsePemCertificates(tls.rootCertificates).map((certificate) => ({ certificate, source: 'bundled' }));
  const roots = bundledRoots;
  const caFileCertificates: PathLink[] = parsePemCertificates(trust.caPems).map((certificate) => ({ certificate, source: 'ca-file' }));
  const wanted = new Set(trust.expectedIssuers.map((name) => name.toLowerCase()));
  // Node's text, not the attribute reading: that would parse all 144 roots again, slowly.
  const expectedBundled = roots.filter(({ certificate }) => {
    const lines = certificate.subjectText.split('\n');
    const commonName = lines.find((line) => line.startsWith('CN='))?.slice('CN='.length) ?? '';
    return wanted.has(commonName.toLowerCase()) || wanted.has(lines.join(', ').toLowerCase());
  });
  const bySubject = new Map<string, PathLink[]>();
  const byFingerprint = new Map<string, PathLink>();
  for (const link of [...caFileCertificates, ...roots]) {
    const key = link.certificate.subjectText.toLowerCase();
    bySubject.set(key, [...(bySubject.get(key) ?? []), link]);
    if (!byFingerprint.has(link.certificate.sha256)) byFingerprint.set(link.certificate.sha256, link);
  }
  return {
    bySubject,
    byFingerprint,
    expected: new Set([...expectedBundled, ...caFileCertificates].map((link) => link.certificate.sha256)),
    expectedByName: new Set([
      ...wanted,
      ...Object.entries(ISSUING_CAS_BY_ROOT).filter(([root]) => wanted.has(root.toLowerCase())).flatMap(([, issuingCas]) => issuingCas.map((name) => name.toLowerCase())),
    ]),
  };
}

let bundledRoots: PathLink[] | undefined;

function numbered(prefix: string, numbers: readonly number[]): string[] {
  return numbers.map((n) => `${prefix} ${String(n).padStart(2, '0')}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
