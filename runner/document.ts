// The JSON result document of shared/interface.md, from a run's results.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../config/profiles.js';
import { referencedCertificates } from '../model/certificates.js';
import type { CertificateTable, CheckResult, RunDocument } from '../model/result.js';
import { SCHEMA_VERSION, summarize } from '../model/result.js';

export function toolVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** `certificates`: the run's table; the document keeps the certificates its results refer to. */
export function buildDocument(profile: string, startedAt: Date, results: CheckResult[], certificates: Readonly<CertificateTable> = {}): RunDocument {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'egress-preflight', version: toolVersion() },
    host: { hostname: os.hostname(), platform: process.platform },
    profile,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary: summarize(results),
    certificates: referencedCertificates(results, certificates),
    comparison: null,
    results,
  };
}
