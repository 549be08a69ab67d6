import type { Code, ResultKind, Status } from './codes.js';
import type { Comparison } from './comparison-types.js';
import type { ServiceTagsSource } from './service-tags.js';

/** Evidence is what a probe observed; plain JSON so it crosses the worker boundary and lands in reports as is. */
export type Evidence = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One result per check (shared/interface.md, "JSON result document"). */
export interface CheckResult {
  /** Stable across runs for the same check: diff and --baseline pair results by it. */
  id: string;
  check: ResultKind;
  host: string;
  /** IP literal as text, IPv6 without brackets; null where the check is not tied to one address. */
  address: string | null;
  port: number | null;
  url: string | null;
  status: Status;
  code: Code;
  /** One line a person can act on. */
  message: string;
  /** What to change, and where; empty when nothing needs changing. */
  remediation: string;
  durationMs: number;
  evidence: Evidence;
  /** Only in a merged document (`preflight merge`): the runner that ran the check (model/merge.ts). */
  runner?: string;
}

/** One certificate as the `certificates` table describes it (shared/interface.md, "JSON result document"). */
export type CertificateDescription = {
  /** One line, attributes in certificate order, special characters escaped as Node (RFC 2253) escapes them. */
  subject: string;
  issuer: string;
  /** The subject's first CN as written in the certificate; null when there is none. */
  commonName: string | null;
  issuerCommonName: string | null;
  /** Hex, as OpenSSL prints it. */
  serialNumber: string;
  /** ISO 8601; '' when unreadable. */
  notBefore: string;
  notAfter: string;
  /**
   * The table's key: 64 upper-case hex digits, as Windows shows a thumbprint (model/fingerprints.ts); documents of
   * earlier versions wrote OpenSSL's colon-separated form, which readers still accept.
   */
  sha256: string;
  /** The issuer's signature: 'sha256WithRSAEncryption', 'ecdsa-with-SHA256', 'sha1WithRSAEncryption', …; null when unreadable. */
  signatureAlgorithm: string | null;
  /** The digest that signature is over ('sha256', 'sha1', 'md5', …); null for EdDSA or when unknown. */
  signatureDigest: string | null;
  /** 'rsa', 'ec', 'ed25519', … as Node names the key type; 'unknown' when Node cannot read the key. */
  keyType: string;
  keyBits: number | null;
  /** EC curve (e.g. 'prime256v1'); null for other key types. */
  curve: string | null;
  isCertificateAuthority: boolean;
  /** subjectAltNames: "DNS:host", "IP:address", "URI:…", "email:…". */
  sans: string[];
  crlUrls: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
  unreadableExtensions: string[];
  /**
   * Why the certificate could not be described (the other fields are then placeholders); null when it was. One
   * unreadable certificate is data about that certificate, never a failed handshake.
   */
  unreadable: string | null;
};

/** Fingerprint → description: the `certificates` of a document, each certificate described once (model/certificates.ts). */
export type CertificateTable = Record<string, CertificateDescription>;

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
}

/** The schema version this tool writes; readers (model/read-document.ts) also accept 1. */
export const SCHEMA_VERSION = 2;

export interface RunDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'egress-preflight'; version: string };
  host: { hostname: string; platform: string };
  profile: string;
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
  /** Every certificate a result refers to (by fingerprint: tls/inspection `chain`, …), described once. */
  certificates: CertificateTable;
  /** The comparison with a --baseline run; null without one (shared/interface.md). */
  comparison: Comparison | null;
  /** Present, and true, when the run was interrupted: results then hold only the checks that had finished. */
  interrupted?: true;
  /** With --service-tags: the tags file the results' `evidence.serviceTags` come from. */
  serviceTags?: ServiceTagsSource;
  results: CheckResult[];
}

export function summarize(results: readonly CheckResult[]): RunSummary {
  const summary: RunSummary = { total: results.length, passed: 0, failed: 0, warned: 0, skipped: 0 };
  for (const r of results) {
    if (r.status === 'pass') summary.passed++;
    else if (r.status === 'fail') summary.failed++;
    else if (r.status === 'warn') summary.warned++;
    else summary.skipped++;
  }
  return summary;
}
