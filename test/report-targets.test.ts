// Where reports go, checked before the run: every target that cannot be honoured is one UsageError line naming
// the option and the path. (The CLI tests check that this happens before any probe is sent.)
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { validateReportTargets, type ReportTargets } from '../reporters/targets.js';

const work = mkdtempSync(join(tmpdir(), 'report-targets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function refusal(targets: ReportTargets): Promise<string> {
  const error = await validateReportTargets(targets, work).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return (error as UsageError).message;
}

describe('report targets', () => {
  it('an empty value (`--json` with nothing after it) names the option', async () => {
    expect(await refusal({ json: '' })).toBe('--json needs a file name (or - for stdout)');
    expect(await refusal({ json: 'a.json', junit: ' ' })).toBe('--junit needs a file name (or - for stdout)');
  });

  it('two reports on stdout', async () => {
    expect(await refusal({ json: '-', junit: '-' })).toBe('only one of --json and --junit can write to stdout (-)');
    expect(await refusal({ junit: '-', prometheus: '-' })).toBe('only one of --junit and --prometheus can write to stdout (-)');
  });

  it('--prometheus is a report like the others: the same file as --json is refused', async () => {
    expect(await refusal({ json: 'fleet.out', prometheus: './fleet.out' })).toBe('--json fleet.out and --prometheus ./fleet.out are the same file: one report would overwrite the other');
  });

  it('--html is checked like the others: an empty value, stdout shared with another report, the same file', async () => {
    expect(await refusal({ html: '' })).toBe('--html needs a file name (or - for stdout)');
    expect(await refusal({ json: '-', html: '-' })).toBe('only one of --json and --html can write to stdout (-)');
    expect(await refusal({ json: '-', junit: '-', html: '-' })).toBe('only one of --json, --junit and --html can write to stdout (-)');
    expect(await refusal({ junit: 'r.out', html: './r.out' })).toBe('--junit r.out and --html ./r.out are the same file: one report would overwrite the other');
    await expect(validateReportTargets({ json: 'a.json', junit: 'a.xml', html: '-' }, work)).resolves.toBeUndefined();
  });

  it('the same file twice, however it is spelled', async () => {
    expect(await refusal({ json: 'x', junit: './x' })).toBe('--json x and --junit ./x are the same file: one report would overwrite the other');
    expect(await refusal({ json: join(work, 'new', 'r'), junit: 'new/../new/r' })).toBe(`--json ${join(work, 'new', 'r')} and --junit new/../new/r are the same file: one report would overwrite the other`);
  });

  it('the same existing file through a symlink', async () => {
    writeFileSync(join(work, 'real.json'), '');
    symlinkSync(join(work, 'real.json'), join(work, 'link.json'));
    expect(await refusal({ json: 'real.json', junit: 'link.json' })).toBe('--json real.json and --junit link.json are the same file: one report would overwrite the other');
  });

  it('a directory where the file should be', async () => {
    mkdirSync(join(work, 'reports'));
    expect(await refusal({ junit: 'reports' })).toBe('--junit reports: is a directory');
  });

  it('a file where a directory of the path should be', async () => {
    writeFileSync(join(work, 'plain.txt'), '');
    expect(await refusal({ json: 'plain.txt/sub/out.json' })).toBe(`--json plain.txt/sub/out.json: ${join(work, 'plain.txt')} is not a directory`);
  });

  it('accepts stdout, new files in directories still to be made, and existing writable files', async () => {
    writeFileSync(join(work, 'old.xml'), 'before');
    await expect(validateReportTargets({ json: '-', junit: 'deep/er/out.xml' }, work)).resolves.toBeUndefined();
    await expect(validateReportTargets({ json: 'old.xml', junit: 'other.xml' }, work)).resolves.toBeUndefined();
    await expect(validateReportTargets({}, work)).resolves.toBeUndefined();
  });
});
