// The `--json` report is written piece by piece (issue 9: a 10 MB document made whole was part of the run's memory
// peak). What lands in the file must be byte for byte what renderJson makes of the same document, hostile text and
// all, and a file that cannot be written is still one line naming it.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { renderJson, renderJsonPieces } from '../reporters/json.js';
import { writeReportFile, writeReports } from '../reporters/write.js';
import { result, runDocument } from './support/documents.js';

const workDir = mkdtempSync(join(tmpdir(), 'json-stream-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** What a certificate subject, a DNS answer or a block page could put in evidence. */
const HOSTILE = 'ctl:\x00\x01\x08\x1b[31m\x7f lone:\ud800 low:\udfff pair:\ud83d\ude00 html:</script><!-- "q" \\ \u2028\u2029 bidi:\u202e';

/** Results of every shape the evidence filter meets: null and empty fields, restated host/address, serviceTags: []. */
function hostileResults(count: number): CheckResult[] {
  return Array.from({ length: count }, (_, i) => {
    const host = `h${i}.${HOSTILE}.test`;
    return result({
      id: `tls:${host}@192.0.2.${i % 250}:443`, check: i % 2 === 0 ? 'tls' : 'dns', host, address: `192.0.2.${i % 250}`, port: 443,
      status: i % 3 === 0 ? 'fail' : 'pass', code: i % 3 === 0 ? 'TLS_UNTRUSTED' : 'TLS_OK', message: `${HOSTILE} #${i}`,
      remediation: i % 5 === 0 ? HOSTILE : '', durationMs: i / 7,
      evidence: {
        host, address: i % 4 === 0 ? '198.51.100.1' : `192.0.2.${i % 250}`, failure: i % 3 === 0 ? { detail: HOSTILE, nested: null, empty: [] } : null,
        weakCrypto: [], serviceTags: [], subject: HOSTILE, chain: ['AB'.repeat(32)], [HOSTILE]: i,
      },
    });
  });
}

/** A document with fields after `results` (an interrupted run with --service-tags), as cli/execute.ts builds one. */
function interruptedDocument(results: CheckResult[]): RunDocument {
  return {
    ...runDocument(results),
    profile: HOSTILE,
    comparison: null,
    interrupted: true,
    serviceTags: { file: `ServiceTags_${HOSTILE}.json`, cloud: 'Public', changeNumber: null, tags: 3, prefixes: 12 },
  };
}

describe('the --json report, streamed', () => {
  it('writes to its file exactly the bytes renderJson makes, in pieces, for thousands of hostile results', async () => {
    const doc = interruptedDocument(hostileResults(3000));
    const file = join(workDir, 'nested', 'run.json');
    await writeReports(doc, { json: file }, { stdout: () => undefined });
    const whole = renderJson(doc);
    expect(readFileSync(file).equals(Buffer.from(whole, 'utf8'))).toBe(true);
    // Streamed indeed: many pieces, none near the whole; and the fields after results are there.
    const pieces = [...renderJsonPieces(doc)];
    expect(pieces.length).toBeGreaterThan(10);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(whole.length / 10);
    expect(whole.endsWith(`,"interrupted":true,"serviceTags":${JSON.stringify(doc.serviceTags)}}\n`)).toBe(true);
    expect(whole.slice(0, -1)).not.toMatch(/[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('writes the same bytes for a small document, no results, and a field that is undefined', async () => {
    const empty: RunDocument = { ...runDocument([]), serviceTags: undefined };
    const small = runDocument(hostileResults(2));
    for (const [name, doc] of [['empty.json', empty], ['small.json', small]] as const) {
      const file = join(workDir, name);
      await writeReports(doc, { json: file }, { stdout: () => undefined });
      expect(readFileSync(file, 'utf8')).toBe(renderJson(doc));
      expect([...renderJsonPieces(doc)]).toHaveLength(1);
    }
    expect(renderJson(empty)).toContain('"comparison":null,"results":[]}\n');
  });

  it('writes to stdout piece by piece, which together are the document', async () => {
    const doc = interruptedDocument(hostileResults(2000));
    const written: string[] = [];
    await writeReports(doc, { json: '-' }, { stdout: (text) => written.push(text) });
    expect(written.length).toBeGreaterThan(10);
    // Compared as a whole: a failure shows no 1 MB diff.
    expect(written.join('') === renderJson(doc)).toBe(true);
  });

  it('names a file it cannot open in one line, as the whole-text write did', async () => {
    const blocker = join(workDir, 'blocker.txt');
    writeFileSync(blocker, '');
    const directory = join(workDir, 'a-directory');
    mkdirSync(directory);
    const doc = runDocument(hostileResults(500));
    for (const [target, reason] of [[join(blocker, 'run.json'), 'not a directory (ENOTDIR)'], [directory, 'illegal operation on a directory (EISDIR)']]) {
      const streamed = await writeReports(doc, { json: target }, { stdout: () => undefined }).then(() => null, (error: unknown) => error);
      const whole = await writeReportFile(target, renderJson(doc)).then(() => null, (error: unknown) => error);
      expect(streamed).toBeInstanceOf(UsageError);
      expect((streamed as Error).message).toBe(`cannot write ${target}: ${reason}`);
      expect((streamed as Error).message).toBe((whole as Error).message);
    }
  });

  it('names a file whose disk fills up halfway in one line', async () => {
    const doc = runDocument(hostileResults(3000));
    // /dev/full opens, then refuses every write: the first piece fails, and no later one is made.
    let made = 0;
    const pieces = (function* () {
      for (const piece of renderJsonPieces(doc)) {
        made++;
        yield piece;
      }
    })();
    const writing = writeReportFile('/dev/full', pieces);
    await expect(writing).rejects.toBeInstanceOf(UsageError);
    await expect(writing).rejects.toThrow(/^cannot write \/dev\/full: no space left on device \(ENOSPC\)$/);
    expect(made).toBe(1);
  });
});
