// `preflight allowlist RESULT.json…`: the allow-list the runs observed (model/allowlist.ts), on stdout in the format
// asked for. Several files, or a merged one, give the union. Names the evidence holds that are not DNS names are
// left out and named on stderr: a forged DNS answer must not add a line to a firewall's list.
import { UsageError } from '../config/errors.js';
import { buildAllowList } from '../model/allowlist.js';
import { readResultDocument } from '../model/read-document.js';
import { loadServiceTags } from '../model/service-tags.js';
import { ALLOWLIST_FORMATS, renderAllowList, type AllowListFormat } from '../reporters/allowlist.js';
import { oneLine, terminalSafe } from '../reporters/text.js';
import { toolVersion } from '../runner/document.js';
import { EXIT_OK } from './execute.js';

export interface AllowListOptions {
  files: readonly string[];
  format: string | undefined;
  serviceTags?: string | undefined;
}

export function executeAllowList(options: AllowListOptions): number {
  const format = options.format ?? 'text';
  if (!(ALLOWLIST_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: unknown format "${oneLine(format, 40)}" (allowed: ${ALLOWLIST_FORMATS.join(', ')})`);
  if (options.files.length === 0) throw new UsageError('allowlist needs the result files to read (written by `preflight --json` or `preflight merge --json`)');
  const tags = options.serviceTags === undefined ? null : loadServiceTags(options.serviceTags);
  const documents = options.files.map((file) => readResultDocument(file));
  const list = buildAllowList(documents.flatMap((document) => document.results), tags);
  for (const name of list.rejected) process.stderr.write(`preflight: allowlist: left out "${terminalSafe(oneLine(name, 120))}": not a DNS name or address\n`);
  process.stdout.write(renderAllowList(list, format as AllowListFormat, { toolVersion: toolVersion(), sources: options.files, serviceTags: tags?.source ?? null }));
  if (list.names.length === 0 && list.addresses.length === 0) process.stderr.write('preflight: allowlist: the results hold no name or address (no dns check ran?)\n');
  return EXIT_OK;
}
