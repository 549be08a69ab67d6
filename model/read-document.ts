// Reading a `--json` result document back (for diff, merge, allowlist and --baseline): schema version 1 or 2, into
// one in-memory form, version 2's. Version 1 carried each certificate inline in every tls and inspection result;
// those descriptions are lifted into the `certificates` table and the evidence names them by fingerprint, as
// version 2 writes it. A file that is not a result document, or of a version this tool does not know, is one
// clear line (a UsageError: exit 2), never a stack trace: the file may come from anywhere.
import { readFileSync } from 'node:fs';
import { UsageError } from '../config/errors.js';
import { certificateReferences, unresolvedPathLink } from './certificates.js';
import { isFingerprint } from './fingerprints.js';
import { STATUSES } from './codes.js';
import { summarize, type CertificateDescription, type CertificateTable, type CheckResult, type Evidence, type JsonValue, type RunDocument } from './result.js';

export const READABLE_SCHEMA_VERSIONS = [1, 2] as const;

/**
 * A result document as read: version 2's shape whatever the file's version. Every fingerprint in a tls or inspection
 * result's `chain` and `aia.fetched` is described in `certificates`; the other references (inspection's `path`,
 * whose presented links may name their place in `chain` instead: model/certificates.ts pathFingerprints; crl/ocsp
 * `namedBy`) are fingerprints that resolve when the file was version 2 (version 1 described only the
 * presented and fetched certificates, and kept its own shape of those fields).
 */
export interface ReadDocument extends Omit<RunDocument, 'schemaVersion' | 'comparison'> {
  /** The version the file was written in. */
  schemaVersion: (typeof READABLE_SCHEMA_VERSIONS)[number];
  /** As the file has it: a later version writes a comparison here (with --baseline, and in diff). */
  comparison: Evidence | null;
}

/** Reads and normalizes FILE; throws UsageError with one line naming the file when it cannot. */
export function readResultDocument(file: string): ReadDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read the result document: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseResultDocument(text, file);
}

/** `source` names the document in error messages. */
export function parseResultDocument(text: string, source: string): ReadDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not a result document: not JSON (${oneLine(error instanceof Error ? error.message : String(error))})`);
  }
  const fail = (why: string): never => {
    throw new UsageError(`${source}: ${oneLine(why)}`);
  };
  if (!isObject(parsed) || !('schemaVersion' in parsed) || !isObject(parsed['tool']) || parsed['tool']['name'] !== 'egress-preflight') {
    return fail('not an egress-preflight result document (written by `preflight --json`)');
  }
  const version = parsed['schemaVersion'];
  if (version !== 1 && version !== 2) {
    return fail(`a result document of schema version ${JSON.stringify(version)}, which this egress-preflight does not read (it reads ${READABLE_SCHEMA_VERSIONS.join(' and ')}); use the version that wrote it`);
  }
  const tool = parsed['tool'];
  const host = isObject(parsed['host']) ? parsed['host'] : {};
  if (!Array.isArray(parsed['results'])) return fail('not a result document: "results" is not a list');
  const certificates: CertificateTable = {};
  if (version === 2) {
    if (!isObject(parsed['certificates'])) return fail('not a version 2 result document: "certificates" is not an object');
    for (const [fingerprint, value] of Object.entries(parsed['certificates'])) {
      const description = certificateDescription(value);
      if (description === null || description.sha256 !== fingerprint) return fail(`certificates["${fingerprint}"] is not a certificate description`);
      certificates[fingerprint] = description;
    }
  }
  const results = parsed['results'].map((value, index) => {
    const result = checkResult(value);
    if (result === null) return fail(`results[${index}] is not a check result`);
    if (version === 1) return liftCertificates(result, certificates, (why) => fail(`results[${index}] (${result.id}): ${why}`));
    const badLink = unresolvedPathLink(result);
    if (badLink !== null) return fail(`results[${index}] (${result.id}): ${badLink}`);
    const unresolved = certificateReferences(result).find((fingerprint) => !Object.hasOwn(certificates, fingerprint));
    if (unresolved !== undefined) return fail(`results[${index}] (${result.id}) refers to certificate ${unresolved}, which "certificates" does not describe`);
    return result;
  });
  const comparison = parsed['comparison'];
  return {
    schemaVersion: version,
    tool: { name: 'egress-preflight', version: stringOr(tool['version'], '') },
    host: { hostname: stringOr(host['hostname'], ''), platform: stringOr(host['platform'], '') },
    profile: stringOr(parsed['profile'], ''),
    startedAt: stringOr(parsed['startedAt'], ''),
    durationMs: typeof parsed['durationMs'] === 'number' ? parsed['durationMs'] : 0,
    // Derived again rather than trusted: the form diff and merge count from is the results themselves.
    summary: summarize(results),
    ...(parsed['interrupted'] === true ? { interrupted: true as const } : {}),
    certificates,
    comparison: isObject(comparison) ? (comparison as Evidence) : null,
    results,
  };
}

/** Version 1: a tls or inspection result's `chain` and `aia.fetched` held whole certificates; now fingerprints. */
function liftCertificates(result: CheckResult, certificates: CertificateTable, fail: (why: string) => never): CheckResult {
  if (result.check !== 'tls' && result.check !== 'inspection') return result;
  const lift = (values: JsonValue | undefined, field: string): string[] => {
    if (values === undefined) return [];
    if (!Array.isArray(values)) return fail(`${field} is not a list`);
    return values.map((value, index) => {
      const description = certificateDescription(value);
      if (description === null) return fail(`${field}[${index}] is not a certificate`);
      certificates[description.sha256] ??= description;
      return description.sha256;
    });
  };
  const evidence: Evidence = { ...result.evidence };
  if ('chain' in evidence) evidence['chain'] = lift(evidence['chain'], 'evidence.chain');
  const aia = evidence['aia'];
  if (isObject(aia) && 'fetched' in aia) evidence['aia'] = { ...(aia as Evidence), fetched: lift((aia as Evidence)['fetched'], 'evidence.aia.fetched') };
  return { ...result, evidence };
}

/** A check result with the fields every report needs, or null. */
function checkResult(value: unknown): CheckResult | null {
  if (!isObject(value)) return null;
  const { id, check, host, status, code, message } = value;
  if (typeof id !== 'string' || typeof check !== 'string' || typeof host !== 'string' || typeof code !== 'string' || typeof message !== 'string') return null;
  if (!(STATUSES as readonly unknown[]).includes(status) || !isObject(value['evidence'])) return null;
  return {
    id,
    // A kind or code a later version added is still a result to pair and count.
    check: check as CheckResult['check'],
    host,
    address: typeof value['address'] === 'string' ? value['address'] : null,
    port: typeof value['port'] === 'number' ? value['port'] : null,
    url: typeof value['url'] === 'string' ? value['url'] : null,
    status: status as CheckResult['status'],
    code: code as CheckResult['code'],
    message,
    remediation: stringOr(value['remediation'], ''),
    durationMs: typeof value['durationMs'] === 'number' ? value['durationMs'] : 0,
    evidence: value['evidence'] as Evidence,
    // A merged document's results say which runner ran them (model/merge.ts).
    ...(typeof value['runner'] === 'string' ? { runner: value['runner'] } : {}),
  };
}

/**
 * A certificate as either version describes it (version 1 said `subjectAltNames`, version 2 `sans`), or null
 * when it has no fingerprint. Fields an older writer did not record are empty.
 */
function certificateDescription(value: unknown): CertificateDescription | null {
  if (!isObject(value) || !isFingerprint(value['sha256'])) return null;
  const text = (key: string) => stringOr(value[key], '');
  const nullableText = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : null);
  const list = (key: string) => (Array.isArray(value[key]) ? (value[key] as unknown[]).filter((item): item is string => typeof item === 'string') : []);
  return {
    subject: text('subject'),
    issuer: text('issuer'),
    commonName: nullableText('commonName'),
    issuerCommonName: nullableText('issuerCommonName'),
    serialNumber: text('serialNumber'),
    notBefore: text('notBefore'),
    notAfter: text('notAfter'),
    sha256: value['sha256'],
    signatureAlgorithm: nullableText('signatureAlgorithm'),
    signatureDigest: nullableText('signatureDigest'),
    keyType: stringOr(value['keyType'], 'unknown'),
    keyBits: typeof value['keyBits'] === 'number' ? value['keyBits'] : null,
    curve: nullableText('curve'),
    isCertificateAuthority: value['isCertificateAuthority'] === true,
    sans: list('sans' in value ? 'sans' : 'subjectAltNames'),
    crlUrls: list('crlUrls'),
    ocspUrls: list('ocspUrls'),
    caIssuersUrls: list('caIssuersUrls'),
    unreadableExtensions: list('unreadableExtensions'),
    unreadable: nullableText('unreadable'),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** Error text from JSON.parse or a file may hold anything; a usage error is one line. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 300);
}
