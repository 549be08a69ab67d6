// One source of general text per code: every code of the contract has an entry, and `preflight explain` prints it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closestCode, CODE_CATALOGUE, explanationOf } from '../model/code-catalogue.js';
import { ALL_CODES } from '../model/codes.js';

const cliPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

function preflight(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('the code catalogue', () => {
  it('has an entry for every code in model/codes.ts, and none for a code that does not exist', () => {
    expect(Object.keys(CODE_CATALOGUE).sort()).toEqual([...ALL_CODES].sort());
  });

  it('every entry has a title, a meaning, what to change and the requirement; every failure code names its usual causes', () => {
    for (const code of ALL_CODES) {
      const entry = CODE_CATALOGUE[code];
      for (const field of ['title', 'meaning', 'change', 'requirement'] as const) expect(entry[field].trim(), `${code}.${field}`).not.toBe('');
      const passing = /_OK$/.test(code) || code === 'INSPECTION_NONE';
      if (!passing) expect(entry.causes.length, `${code} causes`).toBeGreaterThan(0);
    }
  });

  it('an unknown code has no entry (a document from a later version), and the closest known code is suggested', () => {
    expect(explanationOf('DNS_FROM_A_LATER_VERSION')).toBeUndefined();
    expect(explanationOf('toString')).toBeUndefined();
    expect(closestCode('TLS_INSPECT')).toBe('TLS_INSPECTED');
    expect(closestCode('inspected')).toBe('TLS_INSPECTED');
    expect(closestCode('DNS_NXDOMIAN')).toBe('DNS_NXDOMAIN');
    expect(closestCode('tcp-refuse')).toBe('TCP_REFUSED');
  });
});

describe('preflight explain', () => {
  it('explain CODE: meaning, usual causes, what to change, the Microsoft requirement', () => {
    const run = preflight(['explain', 'TLS_INSPECTED']);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^TLS_INSPECTED \(inspection check\): TLS is inspected\n\nWhat it means\n/);
    expect(run.stdout).toContain('\nUsual causes\n  - a secure web gateway or firewall with TLS decryption');
    expect(run.stdout).toContain('\nWhat to change\n  Add a do-not-decrypt (bypass) rule');
    expect(run.stdout).toMatch(/\nMicrosoft requirement\n {2}Microsoft: "Avoid all forms of inline inspection and termination on outbound\n {2}TLS communications"/);
    expect(run.stdout.split('\n').every((line) => line.length <= 80)).toBe(true);
  });

  it('accepts the code in any case, with - for _', () => {
    const run = preflight(['explain', 'dns-sinkhole']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^DNS_SINKHOLE \(dns check\): the name is blocked by DNS policy\n/);
  });

  it('explain with no code lists every code by check kind', () => {
    const run = preflight(['explain']);
    expect(run.status).toBe(0);
    for (const code of ALL_CODES) expect(run.stdout).toMatch(new RegExp(`^  ${code} +${CODE_CATALOGUE[code].title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(run.stdout).toMatch(/^dns\n {2}DNS_OK/);
    expect(run.stdout).toContain('\n\nany\n  SKIPPED_PREREQUISITE');
  });

  it('an unknown code: one line on stderr with the closest code, exit 2, nothing on stdout', () => {
    const run = preflight(['explain', 'TLS_INSPECT']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('preflight: explain: unknown code "TLS_INSPECT"; did you mean TLS_INSPECTED? (`preflight explain` lists every code)\n');
  });

  it('an unknown code full of terminal escapes is shown inert', () => {
    const run = preflight(['explain', '\x1b]0;owned\x07X']);
    expect(run.status).toBe(2);
    expect(run.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(run.stderr).toContain('unknown code "\\x1b]0;owned\\x07X"');
  });
});

describe('the JUnit report points at the catalogue', () => {
  it('a failure names `preflight explain CODE` for a known code, and nothing for a code this version does not know', async () => {
    const { renderJunit } = await import('../reporters/junit.js');
    const { result, runDocument } = await import('./support/documents.js');
    const known = result({ id: 'tcp:a@192.0.2.1:443', check: 'tcp', host: 'a', address: '192.0.2.1', port: 443, status: 'fail', code: 'TCP_TIMEOUT', message: 'no answer' });
    const later = result({ id: 'spec > x', check: 'tcp', host: 'b', status: 'fail', code: 'DNS_FROM_A_LATER_VERSION' as 'TCP_TIMEOUT', message: 'failed' });
    const xml = renderJunit(runDocument([known, later]), { failOn: ['failure'] });
    expect(xml).toContain('What TCP_TIMEOUT means in general, and what usually causes it: preflight explain TCP_TIMEOUT');
    expect(xml).not.toContain('preflight explain DNS_FROM_A_LATER_VERSION');
  });
});
