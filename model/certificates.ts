// The certificates of a result document (schemaVersion 2): each described once, in a table keyed by its SHA-256
// fingerprint, and named by that fingerprint wherever evidence refers to it. A run meets the same few chains on
// thousands of handshakes; carried inline, they were most of the JSON (17 of 28 MB at 2,000 endpoints).
import type { CertificateTable, CheckResult, Evidence, JsonValue } from './result.js';

export type { CertificateDescription, CertificateTable } from './result.js';

/**
 * The fingerprints a result's evidence refers to, in the places schema version 2 defines:
 * - tls and inspection: `chain` (the presented certificates, leaf first), `aia.fetched` (issuers fetched from a
 *   caIssuers URL) and `aia.attempts[].issuer`; inspection's `path[].sha256` (the path built, anchor included; a
 *   presented link names its place in `chain` instead, `path[].chain`: see pathFingerprints);
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

/**
 * Inspection's `path` (the path built, leaf first, anchor included) as fingerprints, whichever form each link has:
 * `{sha256, source}`, as every link was written before this version and as links not presented still are, or
 * `{source: 'presented', chain: N}`, naming the Nth entry of the same evidence's `chain`. A link that names neither
 * (or a place `chain` does not have) is null.
 */
export function pathFingerprints(evidence: Evidence): Array<{ sha256: string | null; source: string | null }> {
  const chain = arrayOf(evidence['chain']);
  return arrayOf(evidence['path']).map((value) => {
    const link = objectOf(value);
    const source = typeof link?.['source'] === 'string' ? link['source'] : null;
    const at = link?.['chain'];
    const named = typeof link?.['sha256'] === 'string' ? link['sha256'] : typeof at === 'number' && Number.isInteger(at) && at >= 0 ? chain[at] : undefined;
    return { sha256: typeof named === 'string' ? named : null, source };
  });
}

/**
 * The first link of inspection's `path` that names a place in `chain` that `chain` does not have, as text for a
 * reader's refusal; null when every link resolves.
 */
export function unresolvedPathLink(result: Pick<CheckResult, 'check' | 'evidence'>): string | null {
  if (result.check !== 'inspection') return null;
  const links = arrayOf(result.evidence['path']);
  const resolved = pathFingerprints(result.evidence);
  const index = links.findIndex((link, i) => objectOf(link)?.['chain'] !== undefined && resolved[i]!.sha256 === null);
  return index < 0 ? null : `path[${index}] refers to chain entry ${JSON.stringify(objectOf(links[index])?.['chain'])}, which "chain" does not have`;
}

function arrayOf(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function objectOf(value: JsonValue | undefined): Evidence | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
