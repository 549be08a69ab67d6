// The run's certificate table: every certificate a check's evidence refers to, described once per run and named by
// its fingerprint in the evidence. It lives in the CheckRun (one per run), never in a module-level map, so two runs
// in one process (tests, watch) share nothing.
import { certificateReferences } from '../model/certificates.js';
import type { CertificateDescription, CertificateTable, CheckResult } from '../model/result.js';
import type { CertificateEvidence } from '../pki/certificate.js';

/** How evidence builders name a certificate: registering it where there is a table, returning its fingerprint. */
export type CertificateReferrer = (certificate: CertificateEvidence) => string;

/** Names a certificate without keeping its description: for evidence built outside a run (pure tests). */
export const fingerprintOnly: CertificateReferrer = (certificate) => certificate.sha256;

export class CertificateRegistry {
  private readonly descriptions = new Map<string, CertificateDescription>();

  /** Registers the certificate (once: the description is made the first time) and returns its fingerprint. */
  readonly refer: CertificateReferrer = (certificate) => {
    if (!this.descriptions.has(certificate.sha256)) this.descriptions.set(certificate.sha256, tableDescription(certificate));
    return certificate.sha256;
  };

  /** The descriptions of the certificates `result` refers to: what travels beside it to the document builder. */
  referencedBy(result: CheckResult): CertificateTable {
    const table: CertificateTable = {};
    for (const fingerprint of certificateReferences(result)) {
      const description = this.descriptions.get(fingerprint);
      if (description) table[fingerprint] = description;
    }
    return table;
  }
}

/** The table's form of a certificate: the report fields, field by field (never the DER an observation carries). */
export function tableDescription(certificate: CertificateEvidence): CertificateDescription {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    commonName: certificate.commonName,
    issuerCommonName: certificate.issuerCommonName,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    sha256: certificate.sha256,
    signatureAlgorithm: certificate.signatureAlgorithm,
    signatureDigest: certificate.signatureDigest,
    keyType: certificate.keyType,
    keyBits: certificate.keyBits,
    curve: certificate.curve,
    isCertificateAuthority: certificate.isCertificateAuthority,
    sans: [...certificate.subjectAltNames],
    crlUrls: [...certificate.crlUrls],
    ocspUrls: [...certificate.ocspUrls],
    caIssuersUrls: [...certificate.caIssuersUrls],
    unreadableExtensions: [...certificate.unreadableExtensions],
    unreadable: certificate.unreadable,
  };
}
