// `preflight merge`: many runners' result documents as one. A runner is the machine that ran the checks, named by
// its file's `host.hostname`; two files from the same hostname stay two runners (`agent-01`, `agent-01#2`, in
// the order the files were given), never one overwriting the other. A merged document can itself be merged
// again: its results keep the runner they name.
//
// The merged document is a version 2 result document with, beyond it:
//   runners: [{ name, hostname, platform, profile, startedAt, durationMs, toolVersion, schemaVersion, source, summary }]
//   results[].runner: the runner's name; results[].id: "<runner>/<id>", so that ids stay unique in the document and
//     diff and --baseline pair two merges runner by runner.
// `certificates` is the union of the inputs' tables; `summary` counts every runner's results; `startedAt` is the
// earliest runner's start and `durationMs` the span to the last runner's end; `host` is the machine that merged.
import os from 'node:os';
import { certificateReferences } from './certificates.js';
import { isFingerprint } from './fingerprints.js';
import type { ReadDocument } from './read-document.js';
import { SCHEMA_VERSION, summarize, type CertificateTable, type CheckResult, type RunDocument, type RunSummary } from './result.js';

export interface MergeInput {
  /** The file it was read from, as given on the command line. */
  source: string;
  document: ReadDocument;
}

export interface RunnerInfo {
  name: string;
  hostname: string;
  platform: string;
  profile: string;
  startedAt: string;
  durationMs: number;
  toolVersion: string;
  /** The schema version of the file it came from (1 or 2). */
  schemaVersion: number;
  source: string;
  summary: RunSummary;
}

export interface MergedDocument extends RunDocument {
  runners: RunnerInfo[];
}

/** Names a hostname-less document's runner (a file written by hand or by an older tool). */
const UNKNOWN_HOST = 'unknown-host';

export function mergeDocuments(inputs: readonly MergeInput[], toolVersion: string): MergedDocument {
  const taken = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}#${n}`;
    taken.add(name);
    return name;
  };
  const runners: RunnerInfo[] = [];
  const results: CheckResult[] = [];
  const certificates: CertificateTable = {};
  for (const { source, document } of inputs) {
    Object.assign(certificates, document.certificates);
    for (const [original, own] of runnersOf(document)) {
      const name = unique(original ?? (document.host.hostname || UNKNOWN_HOST));
      const wasMerged = original !== null;
      runners.push({
        name,
        // A runner of an earlier merge: its name is its hostname, with the "#n" that kept it apart.
        hostname: wasMerged ? original.replace(/#\d+$/, '') : document.host.hostname,
        platform: wasMerged ? '' : document.host.platform,
        profile: document.profile,
        startedAt: document.startedAt,
        durationMs: document.durationMs,
        toolVersion: document.tool.version,
        schemaVersion: document.schemaVersion,
        source,
        summary: summarize(own),
      });
      for (const result of own) {
        const id = original !== null && result.id.startsWith(`${original}/`) ? result.id.slice(original.length + 1) : result.id;
        results.push({ ...result, id: `${name}/${id}`, runner: name });
      }
    }
  }
  describeUnresolved(results, certificates);
  const starts = runners.map((r) => Date.parse(r.startedAt)).filter(Number.isFinite);
  const ends = runners.map((r) => Date.parse(r.startedAt) + r.durationMs).filter(Number.isFinite);
  const earliest = starts.length === 0 ? null : Math.min(...starts);
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'egress-preflight', version: toolVersion },
    host: { hostname: os.hostname(), platform: process.platform },
    profile: [...new Set(runners.map((r) => r.profile).filter((p) => p !== ''))].join(', '),
    startedAt: earliest === null ? '' : new Date(earliest).toISOString(),
    durationMs: earliest === null ? 0 : Math.max(0, Math.max(...ends) - earliest),
    summary: summarize(results),
    certificates,
    comparison: null,
    runners,
    results,
  };
}

/**
 * A document's results by runner: one group (null: named by the file's hostname) for a run's own document, one per
 * runner that a merged document names, in the order they first appear.
 */
function runnersOf(document: ReadDocument): Map<string | null, CheckResult[]> {
  const groups = new Map<string | null, CheckResult[]>();
  for (const result of document.results) {
    const key = result.runner ?? null;
    const { runner: _dropped, ...rest } = result;
    const group = groups.get(key);
    if (group) group.push(rest);
    else groups.set(key, [rest]);
  }
  // A run without results is still a runner (it shows in the matrix as a row with nothing in it).
  if (groups.size === 0) groups.set(null, []);
  return groups;
}

/**
 * A version 1 document described only the presented and fetched certificates; its inspection `path` and crl/ocsp
 * `namedBy` also name others (the anchor) by fingerprint. The merged document is version 2, whose readers require
 * every reference to resolve: such a certificate gets a description that says it was not recorded, with the
 * subject the evidence gave, rather than a made-up one.
 */
function describeUnresolved(results: readonly CheckResult[], certificates: CertificateTable): void {
  for (const result of results) {
    for (const fingerprint of certificateReferences(result)) {
      if (Object.hasOwn(certificates, fingerprint) || !isFingerprint(fingerprint)) continue;
      const path = result.evidence['path'];
      const link = Array.isArray(path) ? path.find((entry) => entry !== null && typeof entry === 'object' && !Array.isArray(entry) && entry['sha256'] === fingerprint) : undefined;
      const subject = link !== undefined && link !== null && typeof link === 'object' && !Array.isArray(link) && typeof link['subject'] === 'string' ? link['subject'] : '';
      certificates[fingerprint] = {
        subject, issuer: '', commonName: null, issuerCommonName: null, serialNumber: '', notBefore: '', notAfter: '', sha256: fingerprint,
        signatureAlgorithm: null, signatureDigest: null, keyType: 'unknown', keyBits: null, curve: null, isCertificateAuthority: false,
        sans: [], crlUrls: [], ocspUrls: [], caIssuersUrls: [], unreadableExtensions: [],
        unreadable: 'not described: the schema version 1 document it came from recorded only its fingerprint',
      };
    }
  }
}
