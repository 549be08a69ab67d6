// Reading result documents back (for diff, merge, allowlist, --baseline): version 1, as the tool wrote it before
// schema version 2 (test/fixtures/result-v1-lab.json: part of a `preflight lab --json` run of that version, every
// certificate inline in each tls and inspection result), and version 2 (result-v2-lab.json, the same part of a run
// of this version), each certificate once in `certificates`.
// Whatever else a file holds is refused with one line naming it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { certificateReferences } from '../model/certificates.js';
import { parseResultDocument, readResultDocument, type ReadDocument } from '../model/read-document.js';
import type { CheckResult, RunDocument } from '../model/result.js';

const V1_FILE = new URL('./fixtures/result-v1-lab.json', import.meta.url).pathname;
const v1Text = readFileSync(V1_FILE, 'utf8');
/** The same part of a `preflight lab --json` run of schema version 2 (another run: another lab PKI, the same names). */
const V2_FILE = new URL('./fixtures/result-v2-lab.json', import.meta.url).pathname;
const v2Text = readFileSync(V2_FILE, 'utf8');
const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

const work = mkdtempSync(join(tmpdir(), 'read-document-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type V1Certificate = Record<string, unknown> & { sha256: string; subjectAltNames: string[] };
const v1Raw = JSON.parse(v1Text) as { results: Array<{ id: string; check: string; evidence: { chain?: unknown[] } }> };
const v1Chains = v1Raw.results.filter((r) => r.check === 'tls' || r.check === 'inspection').map((r) => (r.evidence.chain ?? []) as V1Certificate[]);

function resultById(doc: ReadDocument, id: string): CheckResult {
  const found = doc.results.find((r) => r.id === id);
  if (!found) throw new Error(`no result ${id}`);
  return found;
}

/** The UsageError parsing `text` throws, as the CLI prints it: one line. */
function refusal(text: string): string {
  try {
    parseResultDocument(text, 'old.json');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('the document was accepted');
}

describe('a version 1 document', () => {
  const doc = readResultDocument(V1_FILE);

  it('keeps every result, in order, with its status and code', () => {
    expect(doc.schemaVersion).toBe(1);
    expect(doc.results.map((r) => r.id)).toEqual(v1Raw.results.map((r) => r.id));
    expect(doc.summary).toEqual({ total: 10, passed: 6, failed: 3, warned: 0, skipped: 1 });
    expect(doc.comparison).toBeNull();
    expect(doc.tool.name).toBe('egress-preflight');
  });

  it('lifts the inline certificates into the table, each once, and names them by fingerprint in each chain', () => {
    const distinct = new Set(v1Chains.flat().map((certificate) => certificate.sha256));
    expect(Object.keys(doc.certificates).sort()).toEqual([...distinct].sort());
    for (const result of doc.results.filter((r) => r.check === 'tls' || r.check === 'inspection')) {
      const chain = (result.evidence['chain'] ?? []) as string[];
      for (const fingerprint of chain) expect(doc.certificates[fingerprint]).toMatchObject({ sha256: fingerprint });
    }
    const tls = resultById(doc, 'tls:login.microsoftonline.com@127.0.1.4:443');
    const [leaf] = v1Chains[v1Raw.results.filter((r) => r.check === 'tls' || r.check === 'inspection').findIndex((r) => r.id === tls.id)]!;
    expect(tls.evidence['chain']).toEqual([leaf!.sha256, expect.stringMatching(FINGERPRINT)]);
    // subjectAltNames, as version 1 called them, are the table's sans.
    const { subjectAltNames, ...rest } = leaf!;
    expect(doc.certificates[leaf!.sha256]).toEqual({ ...rest, sans: subjectAltNames });
  });

  it('leaves a dns chain (CNAME hops, not certificates) as it was', () => {
    const hops = resultById(doc, 'dns:login.microsoftonline.com').evidence['chain'] as unknown[];
    expect(hops[0]).toEqual({ name: 'login.microsoftonline.com', type: 'CNAME', value: '33bc2266.privatelink.lab-identity.net', ttl: 300 });
  });

  it('lifts the issuers an AIA completion fetched', () => {
    const raw = JSON.parse(v1Text) as { results: Array<{ id: string; evidence: Record<string, unknown> }> };
    const tls = raw.results.find((r) => r.id === 'tls:login.microsoftonline.com@127.0.1.4:443')!;
    const [leaf, issuing] = tls.evidence['chain'] as V1Certificate[];
    tls.evidence['chain'] = [leaf];
    tls.evidence['aia'] = { outcome: 'completed', attempts: [{ url: 'http://aia.lab.test/i.crt', for: 'x', issuer: issuing!.sha256, failure: null }], fetched: [issuing] };
    const lifted = resultById(parseResultDocument(JSON.stringify(raw), 'aia.json'), tls.id);
    expect(lifted.evidence['chain']).toEqual([leaf!.sha256]);
    expect(lifted.evidence['aia']).toMatchObject({ outcome: 'completed', fetched: [issuing!.sha256], attempts: [{ issuer: issuing!.sha256 }] });
  });
});

describe('a version 2 document', () => {
  const raw = JSON.parse(v2Text) as RunDocument;

  it('is read as written: each certificate once in the table, every reference resolving', () => {
    // The fixture is compact, as the tool writes it.
    expect(v2Text.indexOf('\n')).toBe(v2Text.length - 1);
    const doc = readResultDocument(V2_FILE);
    expect(doc).toEqual(raw);
    expect(Object.keys(doc.certificates)).toHaveLength(6);
    for (const result of doc.results) {
      for (const fingerprint of certificateReferences(result)) expect(doc.certificates[fingerprint]).toMatchObject({ sha256: fingerprint });
    }
  });

  it('reads into the same form as version 1: the same results, chains of fingerprints, the same certificates behind them', () => {
    const fromV1 = readResultDocument(V1_FILE);
    const fromV2 = readResultDocument(V2_FILE);
    const outline = (doc: ReadDocument) => doc.results.map((r) => ({
      id: r.id,
      code: r.code,
      chain: r.check === 'tls' || r.check === 'inspection' ? ((r.evidence['chain'] ?? []) as string[]).map((fingerprint) => doc.certificates[fingerprint]?.subject) : null,
    }));
    expect(outline(fromV1)).toEqual(outline(fromV2));
    expect(outline(fromV2).find((r) => r.id === 'tls:autoupdate.msappproxy.net@127.0.1.2:443')?.chain).toEqual([
      'CN=autoupdate.msappproxy.net', 'C=US, ST=California, O=Zscaler Inc., OU=Zscaler Inc., CN=Zscaler Intermediate Root CA (zscaler.net) (t)',
    ]);
  });

  it('refuses a chain that names a certificate the table does not describe', () => {
    const [leaf] = raw.results.find((r) => r.check === 'tls' && r.status === 'pass')?.evidence['chain'] as string[];
    const certificates = { ...raw.certificates };
    delete certificates[leaf!];
    const index = raw.results.findIndex((r) => r.check !== 'dns' && (r.evidence['chain'] as string[] | undefined)?.includes(leaf!));
    expect(refusal(JSON.stringify({ ...raw, certificates }))).toBe(`old.json: results[${index}] (${raw.results[index]!.id}) refers to certificate ${leaf}, which "certificates" does not describe`);
  });
});

describe('what is not a result document', () => {
  it('is refused with one line naming the file', () => {
    expect(refusal('<html>')).toMatch(/^old\.json: not a result document: not JSON \(Unexpected token .*\)$/);
    expect(refusal('[1, 2]')).toBe('old.json: not an egress-preflight result document (written by `preflight --json`)');
    expect(refusal('{"schemaVersion": 1, "tool": {"name": "blackbox_exporter"}}')).toBe('old.json: not an egress-preflight result document (written by `preflight --json`)');
    expect(refusal('{"tool": {"name": "egress-preflight"}, "results": []}')).toBe('old.json: not an egress-preflight result document (written by `preflight --json`)');
    expect(refusal('{"schemaVersion": 3, "tool": {"name": "egress-preflight"}, "results": []}'))
      .toBe('old.json: a result document of schema version 3, which this egress-preflight does not read (it reads 1 and 2); use the version that wrote it');
    expect(refusal('{"schemaVersion": 2, "tool": {"name": "egress-preflight"}, "results": {}}')).toBe('old.json: not a result document: "results" is not a list');
    expect(refusal('{"schemaVersion": 2, "tool": {"name": "egress-preflight"}, "results": []}')).toBe('old.json: not a version 2 result document: "certificates" is not an object');
    expect(refusal('{"schemaVersion": 1, "tool": {"name": "egress-preflight"}, "results": [{"id": "dns:x", "status": "maybe"}]}')).toBe('old.json: results[0] is not a check result');
    expect(refusal('{"schemaVersion": 2, "tool": {"name": "egress-preflight"}, "certificates": {"AA": {"sha256": "AA"}}, "results": []}')).toBe('old.json: certificates["AA"] is not a certificate description');
    // A name every object inherits is not a certificate the table describes.
    expect(refusal('{"schemaVersion": 2, "tool": {"name": "egress-preflight"}, "certificates": {}, "results": [{"id": "tls:x", "check": "tls", "host": "x", "status": "pass", "code": "TLS_OK", "message": "", "evidence": {"chain": ["toString"]}}]}'))
      .toBe('old.json: results[0] (tls:x) refers to certificate toString, which "certificates" does not describe');
  });

  it('keeps control characters from the file out of the line', () => {
    expect(refusal('{"schemaVersion": "\\u001b[31m", "tool": {"name": "egress-preflight"}, "results": []}')).toBe(
      'old.json: a result document of schema version "\\u001b[31m", which this egress-preflight does not read (it reads 1 and 2); use the version that wrote it',
    );
  });

  it('names a file that cannot be read', () => {
    expect(() => readResultDocument(join(work, 'missing.json'))).toThrow(new UsageError(`${join(work, 'missing.json')}: cannot read the result document: ENOENT`));
  });
});
