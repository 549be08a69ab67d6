// The certificates of a result document (schemaVersion 2): each described once, in a table keyed by its SHA-256
// fingerprint, and named by that fingerprint wherever evidence refers to it. A run meets the same few chains on
// thousands of handshakes; carried inline, they were most of the JSON (17 of 28 MB at 2,000 endpoints).
import type { CertificateTable, CheckResult, Evidence, JsonValue } from './result.js';

export type { CertificateDescription, CertificateTable } from './result.js';

/**
 * The fingerprints a result's evidence refers to, in the places schema version 2 defines:
 * - tls and inspection: `chain` (the presented certificates, leaf first), `aia.fetched` (issuers fetched from a
 *   caIssuers URL) and `aia.attempts[].issuer`; inspection's `path[].sha256` (the path built, anchor included);
 * - crl and ocsp: `namedBy[].sha256` and `namedBy[].issuerSha256` (the live certificates that name the URL).
 * Other checks' `chain` (dns: CNAME hops) is not about certificates.
 */
export function certificateReferences(result: Pick<CheckResult, 'check' | 'evidence'>): string[] {
  const { check, evidence } = result;
  const found: string[] = [];
  const add = (value: JsonValue | undefined) => {
    if (typeof value === 'string') found.push(value);
  };
  if (check === 'tls' || check === 'inspection') {
    for (const fingerprint of arrayOf(evidence['chain'])) add(fingerprint);
    const aia = objectOf(evidence['aia']);
    for (const fingerprint of arrayOf(aia?.['fetched'])) add(fingerprint);
    for (const attempt of arrayOf(aia?.['attempts'])) add(objectOf(attempt)?.['issuer']);
    for (const link of arrayOf(evidence['path'])) add(objectOf(link)?.['sha256']);
  }
  if (check === 'crl' || check === 'ocsp') {
    for (const entry of arrayOf(evidence['namedBy'])) {
      add(objectOf(entry)?.['sha256']);
      add(objectOf(entry)?.['issuerSha256']);
    }
  }
  return [...new Set(found)];
}

/** The descriptions `results` refer to, from `table`: the document carries no certificate that nothing names. */
export function referencedCertificates(results: readonly CheckResult[], table: Readonly<CertificateTable>): CertificateTable {
  const referenced: CertificateTable = {};
  for (const result of results) {
    for (const fingerprint of certificateReferences(result)) {
      const description = table[fingerprint];
      if (description) referenced[fingerprint] = description;
    }
  }
  return referenced;
}

function arrayOf(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function objectOf(value: JsonValue | undefined): Evidence | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
