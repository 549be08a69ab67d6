// `preflight merge A.json B.json …`: many runners' results as one report (model/merge.ts), with the runner × host
// matrix on the console and in HTML, the merged JSON, JUnit suites per runner and host, and the Prometheus text
// format. Every input is read and checked before anything is written: a file that is not a result document is one
// line, exit 2.
import { realpathSync } from 'node:fs';
import { UsageError } from '../config/errors.js';
import { annotateServiceTags } from '../model/annotate-service-tags.js';
import { statusFailsRun } from '../model/fail-on.js';
import { mergeDocuments, type MergedDocument } from '../model/merge.js';
import { readResultDocument } from '../model/read-document.js';
import { loadServiceTags } from '../model/service-tags.js';
import { renderMatrixConsole } from '../reporters/matrix-console.js';
import { renderServiceTagsSection } from '../reporters/service-tags-console.js';
import { validateReportTargets } from '../reporters/targets.js';
import { writeReports, writeReportText } from '../reporters/write.js';
import { toolVersion } from '../runner/document.js';
import { consoleStream, EXIT_CHECK_FAILED, EXIT_OK, type ReportingOptions } from './execute.js';

export interface MergeOptions extends ReportingOptions {
  files: readonly string[];
}

export async function executeMerge(options: MergeOptions): Promise<number> {
  await validateReportTargets(options);
  if (options.files.length === 0) throw new UsageError('merge needs the result files to merge (written by `preflight --json`)');
  refuseRepeatedFiles(options.files);
  const tags = options.serviceTags === undefined ? null : loadServiceTags(options.serviceTags);
  const inputs = options.files.map((file) => ({ source: file, document: readResultDocument(file) }));
  const merged = mergeDocuments(inputs, toolVersion());
  const document: MergedDocument = tags === null ? merged : { ...merged, results: annotateServiceTags(merged.results, tags), serviceTags: tags.source };
  const say = consoleStream(options);
  const width = say.isTTY ? say.columns : undefined;
  const io = { stdout: (text: string) => void process.stdout.write(text) };
  const failures: unknown[] = [];
  await writeReports(document, { json: options.json, junit: options.junit, prometheus: options.prometheus }, io, { failOn: options.failOn })
    .catch((error: unknown) => failures.push(error));
  if (options.html !== undefined) {
    const { renderMergeHtml } = await import('../reporters/html/matrix.js');
    await writeReportText(options.html, renderMergeHtml(document, { failOn: options.failOn }), io).catch((error: unknown) => failures.push(error));
  }
  const unwritten = failures[0] ?? null;
  const sections = tags === null ? [] : [renderServiceTagsSection(document.results, tags.source, width)];
  say.write(renderMatrixConsole(document, { width, failOn: options.failOn, sections }));
  if (unwritten !== null) throw unwritten;
  if (document.results.length > 0 && document.results.every((r) => r.status === 'skip')) {
    process.stderr.write('preflight: nothing was tested: every check of every runner was skipped\n');
    return EXIT_CHECK_FAILED;
  }
  return document.results.some((r) => statusFailsRun(r.status, options.failOn)) ? EXIT_CHECK_FAILED : EXIT_OK;
}

/** The same file twice (a shell glob and a name, a link) would count one runner as two. */
function refuseRepeatedFiles(files: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    let identity: string;
    try {
      identity = realpathSync(file);
    } catch {
      continue; // reading it names the problem
    }
    const earlier = seen.get(identity);
    if (earlier !== undefined) throw new UsageError(`${earlier} and ${file} are the same file: each runner's result is merged once`);
    seen.set(identity, file);
  }
}
