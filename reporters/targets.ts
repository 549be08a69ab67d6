// Where the reports go (`--json`, `--junit`, `--html`), checked before the run: a command line whose reports cannot be
// written must fail before any probe is sent, not after minutes of checks (and never by one report silently
// overwriting another).
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../config/errors.js';

/** Files to write each report to (`--json`, `--junit`, `--html`); `-` means stdout. */
export interface ReportTargets {
  json?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  prometheus?: string | undefined;
}

export const STDOUT = '-';

const OPTIONS = [['json', '--json'], ['junit', '--junit'], ['html', '--html'], ['prometheus', '--prometheus']] as const;

/** Exit 2 (UsageError, one line naming the option and the path) for a target that cannot be honoured. */
export async function validateReportTargets(targets: ReportTargets, cwd: string = process.cwd()): Promise<void> {
  const given = OPTIONS.flatMap(([key, option]) => (targets[key] === undefined ? [] : [{ option, value: targets[key] }]));
  for (const { option, value } of given) {
    // `--json` followed by nothing, or by another option, reaches us as ''.
    if (value.trim() === '') throw new UsageError(`${option} needs a file name (or - for stdout)`);
  }
  // Two documents one after the other on stdout would be neither valid JSON nor valid XML.
  const onStdout = given.filter(({ value }) => value === STDOUT).map(({ option }) => option);
  if (onStdout.length > 1) throw new UsageError(`only one of ${onStdout.slice(0, -1).join(', ')} and ${onStdout.at(-1)} can write to stdout (-)`);
  const seen = new Map<string, { option: string; value: string }>();
  for (const target of given) {
    if (target.value === STDOUT) continue;
    const identity = await writableIdentity(target.option, target.value, cwd);
    const earlier = seen.get(identity);
    if (earlier) throw new UsageError(`${earlier.option} ${earlier.value} and ${target.option} ${target.value} are the same file: one report would overwrite the other`);
    seen.set(identity, target);
  }
}

/**
 * Checks that `value` can be written, and returns what identifies the file it names: its device and inode when it
 * exists (so a symlink or hard link to the same file is caught), else the real path of the nearest existing
 * directory plus the rest (the directories the write will create).
 */
async function writableIdentity(option: string, value: string, cwd: string): Promise<string> {
  const path = resolve(cwd, value);
  const refuse = (why: string): never => {
    throw new UsageError(`${option} ${value}: ${why}`);
  };
  const existing = await statOrNull(path, refuse);
  if (existing) {
    if (existing.isDirectory()) refuse('is a directory');
    await access(path, constants.W_OK).catch((error: unknown) => refuse(`cannot write it: ${reason(error)}`));
    return `inode ${existing.dev}:${existing.ino}`;
  }
  // Missing directories are made at write time; the nearest one that exists must let us make them.
  let ancestor = dirname(path);
  let ancestorStats = await statOrNull(ancestor, refuse);
  while (!ancestorStats && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
    ancestorStats = await statOrNull(ancestor, refuse);
  }
  if (ancestorStats && !ancestorStats.isDirectory()) refuse(`${ancestor} is not a directory`);
  await access(ancestor, constants.W_OK | constants.X_OK).catch((error: unknown) => refuse(`cannot create files in ${ancestor}: ${reason(error)}`));
  return `path ${join(await realpath(ancestor), relative(ancestor, path))}`;
}

/** null when nothing is there (or a file stands where a directory of the path should be: the caller walks up). */
async function statOrNull(path: string, refuse: (why: string) => never): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    return refuse(reason(error));
  }
}

/** Node's "EACCES: permission denied, access '/x'" names the path again: keep "permission denied (EACCES)". */
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errno = /^([A-Z]+): ([^,]+),/.exec(error.message);
  return errno ? `${errno[2]} (${errno[1]})` : error.message;
}
