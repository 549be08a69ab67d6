// Built-in profiles: the YAML files in config/profiles/ of this package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

/** The profile a run uses when neither --profile nor --config names one. */
export const DEFAULT_PROFILE = 'entra-cloud-sync';

export interface ProfileSummary {
  name: string;
  description: string;
  isDefault: boolean;
  /** One line per endpoint, as the profile writes it (placeholders unfilled), with purpose and notes. */
  endpoints: string[];
}

let cachedRoot: string | undefined;

/**
 * The directory holding package.json. Compiled code runs from dist/config/ and tests from config/, so the
 * root is found by walking up from this module rather than by a fixed number of steps.
 */
export function packageRoot(): string {
  if (cachedRoot === undefined) {
    const start = dirname(fileURLToPath(import.meta.url));
    let dir = start;
    while (!existsSync(join(dir, 'package.json'))) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`no package.json above ${start}`);
      dir = parent;
    }
    cachedRoot = dir;
  }
  return cachedRoot;
}

function profilesDir(): string {
  return join(packageRoot(), 'config', 'profiles');
}

export function profileNames(): string[] {
  return readdirSync(profilesDir())
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .sort();
}

/** The file of a built-in profile; an unknown name goes to `fail` (by default a UsageError naming the known ones). */
export function profilePath(name: string, fail: (reason: string) => never = throwUsageError): string {
  const known = profileNames();
  if (!known.includes(name)) fail(`unknown profile "${name}" (known: ${known.join(', ')})`);
  return join(profilesDir(), `${name}.yaml`);
}

function throwUsageError(reason: string): never {
  throw new UsageError(reason);
}

export function listProfiles(): ProfileSummary[] {
  return profileNames().map(summarize);
}

/** yaml is loaded only for a listing: a run reads its profiles through config/parse-config.ts, which loads it itself. */
const require = createRequire(import.meta.url);

// Built-in profiles are validated against the schema by the tests, so a plain read is enough for a listing.
function summarize(name: string): ProfileSummary {
  const { parse } = require('yaml') as typeof import('yaml');
  const profile = asRecord(parse(readFileSync(profilePath(name), 'utf8')));
  const endpoints = Array.isArray(profile['endpoints']) ? profile['endpoints'] : [];
  return {
    name,
    description: text(profile['description']) ?? '',
    isDefault: name === DEFAULT_PROFILE,
    endpoints: endpoints.map((endpoint) => describeEndpoint(asRecord(endpoint))),
  };
}

function describeEndpoint(endpoint: Record<string, unknown>): string {
  const ports = Array.isArray(endpoint['ports']) ? endpoint['ports'].join(',') : '';
  const target = text(endpoint['url']) ?? `${text(endpoint['host']) ?? '?'}:${ports}`;
  const sample = text(endpoint['sample']);
  const tags = Array.isArray(endpoint['tags']) ? endpoint['tags'].map(String) : [];
  const optional = endpoint['optional'] === true ? 'optional' : undefined;
  const notes = [optional, text(endpoint['wildcard']), sample === undefined ? undefined : `sample ${sample}`, ...tags]
    .filter((note) => note !== undefined);
  const purpose = text(endpoint['purpose']) ?? '';
  return `${target}  ${purpose}${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
