// The JSON result document of shared/interface.md, from a run's results.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../config/profiles.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { summarize } from '../model/result.js';

export function toolVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildDocument(profile: string, startedAt: Date, results: CheckResult[]): RunDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'egress-preflight', version: toolVersion() },
    host: { hostname: os.hostname(), platform: process.platform },
    profile,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary: summarize(results),
    results,
  };
}
