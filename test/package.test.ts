// The package as users outside the checkout get it: `npm pack`, installed into an empty folder, run through its
// unambiguous bin name. No network: the dependencies come from the npm cache that `npm ci` filled.
//
// Why the empty folder receives a lockfile: `npm install --offline <tarball>` with no lockfile must resolve each
// dependency's semver range from registry metadata, and `npm ci` caches only tarballs (the lockfile already names
// them), so it fails with ENOTCACHED. The folder gets this repository's lockfile, production entries only, which
// is what a pinned CI install reproduces anyway; npm then takes every tarball from the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDocument } from '../model/result.js';
import { projectRoot } from './support/netns.js';
import { validateJunit } from './support/xsd.js';

const PACKAGE_TIMEOUT_MS = 120_000;
const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * npm without what an enclosing `npm test` put in the environment (npm_config_*, npm_package_*): its local
 * prefix among them would point installs back at this checkout. The cache location is kept.
 */
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) =>
  !/^npm_/i.test(name) || /^npm_config_cache$/i.test(name)));

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: PACKAGE_TIMEOUT_MS });
}

interface PackedFile { path: string }

let scratch: string;
let consumer: string;
let packedFiles: string[];

beforeAll(() => {
  // npm test builds dist/ first; the pack must not rebuild it under the other test files that run it.
  if (!existsSync(path.join(projectRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'preflight-package-'));
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], projectRoot)) as { filename: string; files: PackedFile[] }[];
  const tarball = path.join(scratch, packed[0]!.filename);
  packedFiles = packed[0]!.files.map((f) => f.path);

  consumer = path.join(scratch, 'consumer');
  execFileSync('mkdir', [consumer]);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify(productionLockfile()));
  npm(['install', '--offline', '--no-audit', '--no-fund', tarball], consumer);
}, PACKAGE_TIMEOUT_MS);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** This repository's lockfile reduced to what an installed egress-preflight needs, under a consumer's root. */
function productionLockfile() {
  const lock = JSON.parse(readFileSync(path.join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const entries = Object.entries(lock.packages).filter(([key, entry]) => key !== '' && !entry.dev && !entry.devOptional);
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer' }, ...Object.fromEntries(entries.map(([key, entry]) => [key, { ...entry, extraneous: true }])) } };
}

function bin(name: string, args: string[]) {
  return spawnSync(path.join(consumer, 'node_modules', '.bin', name), args, { cwd: consumer, encoding: 'utf8', timeout: PACKAGE_TIMEOUT_MS, env: { ...npmEnv, NO_COLOR: '1' } });
}

describe('the packed tarball', () => {
  it('carries the built CLI and what it reads at run time, and no tests or TypeScript sources', () => {
    expect(packedFiles).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'dist/cli/main.js', 'dist/specs/checks.spec.js', 'dist/lab/command.js', 'config/schema.json',
      'dist/spec/index.js', 'dist/spec/index.d.ts', 'dist/spec/matchers.d.ts',
      'config/profiles/entra-cloud-sync.yaml', 'config/profiles/entra-private-network-connector.yaml', 'config/profiles/entra-connect-health.yaml',
    ]));
    expect(packedFiles.filter((file) => file.startsWith('test/') || file.startsWith('dist/bench/') || /(?<!\.d)\.ts$/.test(file) || file.endsWith('.map'))).toEqual([]);
  });
});

describe('installed from the tarball into an empty folder, offline', () => {
  it('egress-preflight --version prints the package version', () => {
    const run = bin('egress-preflight', ['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('npx --no -- egress-preflight runs the installed bin (as the README\'s CI snippets do), never a registry package', () => {
    const run = spawnSync('npx', ['--no', '--', 'egress-preflight', '--version'], { cwd: consumer, encoding: 'utf8', timeout: PACKAGE_TIMEOUT_MS, env: npmEnv });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('the preflight bin name stays, for existing scripts', () => {
    const run = bin('preflight', ['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('egress-preflight lab runs the checks from the installed package: exit 0, a valid JSON and JUnit report', () => {
    // No lab fault is a deadline: a generous one keeps a loaded machine from turning a healthy answer into a timeout.
    const run = bin('egress-preflight', ['lab', '--timeout', '10000', '--json', 'lab.json', '--junit', 'lab.xml']);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/lab: every simulated fault was reported as built \(\d+\), every healthy endpoint passed/);
    const document = JSON.parse(readFileSync(path.join(consumer, 'lab.json'), 'utf8')) as RunDocument;
    expect(document.tool).toEqual({ name: 'egress-preflight', version });
    expect(document.results.length).toBeGreaterThan(0);
    expect(document.summary.total).toBe(document.results.length);
    expect(document.results.filter((r) => r.status === 'pass').map((r) => r.check)).toEqual(expect.arrayContaining(['dns', 'tcp', 'tls']));
    expect(validateJunit(path.join(consumer, 'lab.xml'))).toBe('');
  }, PACKAGE_TIMEOUT_MS);
});

describe('egress-preflight/spec, as an installed package exports it', () => {
  const spec = [
    "import { expect, test } from 'vitest';",
    "import { resolve, type Resolution } from 'egress-preflight/spec';",
    '',
    "test('login resolves through the lab chain', async () => {",
    "  const resolved: Resolution = await resolve('login.microsoftonline.com');",
    '  expect(resolved).toResolve();',
    "  expect(resolved).toEndIn('.trafficmanager.net');",
    '});',
    '',
  ].join('\n');

  /** tsc over one file of the consumer, as a user's editor or CI would check it (no @types/node there: none needed). */
  function typeCheck(file: string) {
    const config = path.join(consumer, `tsconfig.${path.basename(file)}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, noEmit: true, types: [] }, files: [file] }));
    const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    return spawnSync(process.execPath, [tsc, '-p', config], { cwd: consumer, encoding: 'utf8', timeout: PACKAGE_TIMEOUT_MS });
  }

  it('type-checks a spec that imports it (its helpers and the vitest matchers it adds)', () => {
    execFileSync('mkdir', ['-p', path.join(consumer, 'specs')]);
    writeFileSync(path.join(consumer, 'specs', 'own.spec.ts'), spec);
    const check = typeCheck('specs/own.spec.ts');
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    // A matcher that does not exist is a type error: the types are real, not `any`.
    writeFileSync(path.join(consumer, 'typo.ts'), spec.replace('toResolve()', 'toResolveNot()'));
    expect(typeCheck('typo.ts').stdout).toContain("Property 'toResolveNot' does not exist");
  }, PACKAGE_TIMEOUT_MS);

  it('egress-preflight lab --specs runs that spec from the installed package, in the same run and reports', () => {
    const run = bin('egress-preflight', ['lab', '--specs', 'specs', '--timeout', '10000', '--json', 'own.json']);
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const document = JSON.parse(readFileSync(path.join(consumer, 'own.json'), 'utf8')) as RunDocument;
    expect(document.results.filter((r) => r.check === 'spec').map((r) => [r.id, r.host, r.status])).toEqual([['login resolves through the lab chain', 'own.spec.ts', 'pass']]);
  }, PACKAGE_TIMEOUT_MS);
});
