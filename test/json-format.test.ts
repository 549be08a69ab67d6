// The compact `--json` form (issue 9: at most 10 MB at 2,000 endpoints): fingerprints as 64 hex digits (Windows'
// thumbprint form), inspection path links that were presented named by their place in `chain`, durations to a
// tenth of a millisecond, and no null or empty evidence fields. Documents written before (schema version 1, and
// version 2 with OpenSSL's colon fingerprints and whole path links: test/fixtures) still read, diff and merge.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { chainCertificates, labPki, type LabPki } from '../lab/pki.js';
import { certificateReferences, pathFingerprints } from '../model/certificates.js';
import { compareRuns } from '../model/comparison.js';
import { compactFingerprint, isFingerprint } from '../model/fingerprints.js';
import { mergeDocuments } from '../model/merge.js';
import { parseResultDocument, readResultDocument, type ReadDocument } from '../model/read-document.js';
import type { CheckResult, Evidence, RunDocument } from '../model/result.js';
import { ParsedCertificate } from '../pki/certificate.js';
import { assessChain } from '../pki/inspection.js';
import { trustAnchors } from '../pki/trust-anchors.js';
import type { TlsEvidence } from '../probes/tls-evidence.js';
import { renderConsole } from '../reporters/console.js';
import { renderHtml } from '../reporters/html/page.js';
import { renderJson } from '../reporters/json.js';
import { renderJunit } from '../reporters/junit.js';
import { CertificateRegistry } from '../specs/certificate-registry.js';
import { makeResult } from '../specs/check-run.js';
import { inspectionEvidence } from '../specs/checks/inspection.js';
import { result, runDocument } from './support/documents.js';
import { COMPACT_FINGERPRINT, expectCompactForm } from './support/compact-json.js';
import { projectRoot } from './support/netns.js';
import { validateJunit } from './support/xsd.js';

const fixtures = path.join(projectRoot, 'test', 'fixtures');
const V1_FILE = path.join(fixtures, 'result-v1-lab.json');
const V2_COLON_FILE = path.join(fixtures, 'result-v2-lab.json');
const COLON = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

let pki: LabPki;
beforeAll(async () => {
  pki = await labPki();
});

/** The colon-form version 2 fixture as this version writes the same run: compact fingerprints, path by place. */
function compactedFixture(): RunDocument {
  const colonText = readFileSync(V2_COLON_FILE, 'utf8');
  const doc = JSON.parse(colonText.replace(/"([0-9A-F]{2}(?::[0-9A-F]{2}){31})"/g, (_, fingerprint: string) => `"${compactFingerprint(fingerprint)}"`)) as RunDocument;
  for (const r of doc.results.filter((r) => r.check === 'inspection')) {
    const chain = r.evidence['chain'] as string[];
    r.evidence['path'] = (r.evidence['path'] as Evidence[]).map((link) => (link['source'] === 'presented' ? { source: 'presented', chain: chain.indexOf(link['sha256'] as string) } : link));
  }
  return doc;
}

function refusal(text: string): string {
  try {
    parseResultDocument(text, 'new.json');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('the document was accepted');
}

describe('fingerprints', () => {
  it('are 64 upper-case hex digits, the thumbprint Windows shows: OpenSSL\'s SHA-256 without the colons', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: ['login.lab.test'] });
    const parsed = new ParsedCertificate(identity.leaf.der);
    expect(parsed.sha256).toMatch(COMPACT_FINGERPRINT);
    expect(parsed.sha256).toBe(new X509Certificate(identity.leaf.der).fingerprint256.replaceAll(':', ''));
    expect(parsed.observed.sha256).toBe(parsed.sha256);
  });

  it('are recognised in both forms, any case; anything else is not a fingerprint', () => {
    expect(isFingerprint('AB'.repeat(32))).toBe(true);
    expect(isFingerprint('ab'.repeat(32))).toBe(true);
    expect(isFingerprint(`${'AB:'.repeat(31)}AB`)).toBe(true);
    expect(isFingerprint('AB'.repeat(31))).toBe(false);
    expect(isFingerprint(`${'AB'.repeat(31)}:AB`)).toBe(false);
    expect(isFingerprint('GG'.repeat(32))).toBe(false);
    expect(compactFingerprint(`${'ab:'.repeat(31)}ab`)).toBe('AB'.repeat(32));
  });
});

describe('the inspection path', () => {
  it('names presented certificates by their place in chain, and an anchor from --ca-file by fingerprint, described in the table', async () => {
    const identity = await pki.publicIssuing.issueLeaf({ hosts: ['login.lab.test'] });
    const presented = chainCertificates(identity, { intermediates: true, root: false }).map((c) => new ParsedCertificate(c.der));
    const assessment = assessChain(presented, trustAnchors({ caPems: [pki.trustedRootsPem], expectedIssuers: [] }));
    const registry = new CertificateRegistry();
    const tls = { protocol: 'TLSv1.3', chain: presented.map((c) => c.observed) } as unknown as TlsEvidence;
    const evidence = inspectionEvidence(tls, assessment, registry.refer);
    const [leaf, issuing] = presented.map((c) => c.sha256);
    const anchor = assessment.path.links[2]!.certificate.sha256;
    expect(evidence['chain']).toEqual([leaf, issuing]);
    expect(evidence['path']).toEqual([{ source: 'presented', chain: 0 }, { source: 'presented', chain: 1 }, { sha256: anchor, source: 'ca-file' }]);
    expect(pathFingerprints(evidence)).toEqual([{ sha256: leaf, source: 'presented' }, { sha256: issuing, source: 'presented' }, { sha256: anchor, source: 'ca-file' }]);
    const inspection = result({ id: 'inspection:login.lab.test@127.0.0.1:443', check: 'inspection', host: 'login.lab.test', status: 'pass', code: 'INSPECTION_NONE', durationMs: 0, evidence });
    expect(certificateReferences(inspection).sort()).toEqual([leaf, issuing, anchor].sort());
    const table = registry.referencedBy(inspection);
    expect(Object.keys(table).sort()).toEqual([leaf, issuing, anchor].sort());
    const doc = { ...runDocument([inspection]), durationMs: 1234, certificates: table };
    expect(expectCompactForm(renderJson(doc))).toEqual({ presented: 2, elsewhere: 1 });
  });

  it('is refused when a link names a place chain does not have', () => {
    const doc = compactedFixture();
    const index = doc.results.findIndex((r) => r.check === 'inspection');
    (doc.results[index]!.evidence['path'] as Evidence[])[1] = { source: 'presented', chain: 7 };
    expect(refusal(JSON.stringify(doc))).toBe(`new.json: results[${index}] (${doc.results[index]!.id}): path[1] refers to chain entry 7, which "chain" does not have`);
  });
});

describe('durations', () => {
  it('are kept to a tenth of a millisecond where results are made: no float noise from summed steps', () => {
    const subject = { id: 'tls:x@127.0.0.1:443', check: 'tls' as const, host: 'x', address: '127.0.0.1', port: 443, url: null };
    const [connectMs, handshakeMs] = [858.7, 558.1]; // each to a tenth, as elapsedSince gives them (a real run's pair)
    const summed = connectMs + handshakeMs;
    expect(summed).toBe(1416.8000000000002);
    const made = makeResult(subject, { status: 'pass', code: 'TLS_OK', message: 'ok' }, summed, {});
    expect(made.durationMs).toBe(1416.8);
    expect(renderJson(runDocument([made]))).toContain('"durationMs":1416.8,');
  });
});

describe('the JSON writer', () => {
  const dns = result({
    id: 'dns:gone.lab.test', check: 'dns', host: 'gone.lab.test', status: 'fail', code: 'DNS_NXDOMAIN', message: 'gone.lab.test does not exist (NXDOMAIN)',
    evidence: { chain: [], addresses: [], suffixes: ['lab.test'], resolvers: ['127.0.0.53:53'], failure: { code: 'DNS_NXDOMAIN', resolver: '127.0.0.53:53', detail: null }, ede: [], purpose: null, resolvedByProxy: false },
  });
  const tcp = result({ id: 'tcp:a.lab.test@127.0.0.1:443', check: 'tcp', host: 'a.lab.test', address: '127.0.0.1', port: 443, status: 'pass', code: 'TCP_OK', durationMs: 1.25, evidence: { address: '127.0.0.1', port: 443, connectMs: 1.2, failure: null, serviceTags: [] } });

  it('leaves out evidence fields that are null or empty lists, keeps what is inside them and every top-level field', () => {
    const text = renderJson(runDocument([dns, tcp]));
    const written = JSON.parse(text) as RunDocument;
    expect(written.results[0]!.evidence).toEqual({ suffixes: ['lab.test'], resolvers: ['127.0.0.53:53'], failure: { code: 'DNS_NXDOMAIN', resolver: '127.0.0.53:53', detail: null }, resolvedByProxy: false });
    // serviceTags: [] is a finding (looked up, in no tag), not an absence: it stays.
    // The tcp evidence's address restates the result's own: left out; its port (the one connected) differs and stays.
    expect(written.results[1]!.address).toBe('127.0.0.1');
    expect(written.results[1]!.evidence).toEqual({ port: 443, connectMs: 1.2, serviceTags: [] });
    expect(written.results[0]).toMatchObject({ address: null, port: null, url: null, remediation: '' });
    expect(text).toContain('"url":null');
    // The model the reporters render from still has them: only the file leaves them out.
    expect(dns.evidence['ede']).toEqual([]);
  });

  it('keeps an evidence address that differs from the result\'s (where a pin or proxy connected)', () => {
    const pinned = { ...tcp, evidence: { ...tcp.evidence, address: '192.0.2.7' } };
    expect(JSON.parse(renderJson(runDocument([pinned]))).results[0].evidence.address).toBe('192.0.2.7');
  });

  it('leaves out an inspection reason its message ends with, and keeps one it does not', () => {
    const reason = 'the chain anchors by signature at "Bench Lab Root" (a --ca-file certificate)';
    const subject = { id: 'inspection:a.lab.test@127.0.0.1:443', check: 'inspection' as const, host: 'a.lab.test', address: '127.0.0.1', port: 443, status: 'pass' as const, code: 'INSPECTION_NONE' as const };
    const restated = result({ ...subject, message: `a.lab.test at 127.0.0.1:443: not inspected: ${reason}`, evidence: { reason, decidedBy: 'signature' } });
    const extended = result({ ...subject, message: `a.lab.test at 127.0.0.1:443: not inspected: ${reason}`, evidence: { reason: `${reason}; fetched from its AIA URL`, decidedBy: 'signature' } });
    const [first, second] = (JSON.parse(renderJson(runDocument([restated, extended]))) as RunDocument).results;
    expect(first!.evidence).toEqual({ decidedBy: 'signature' });
    expect(first!.message.endsWith(reason)).toBe(true);
    expect(second!.evidence['reason']).toBe(`${reason}; fetched from its AIA URL`);
  });

  it('writes a document the console, JUnit and HTML reporters render from once read back, as they render the run', () => {
    const doc = runDocument([dns, tcp]);
    const read = parseResultDocument(renderJson(doc), 'result.json');
    expect(read.results[0]!.evidence['purpose']).toBeUndefined();
    expect(renderConsole(read, { color: false, width: 120 })).toBe(renderConsole(doc, { color: false, width: 120 }));
    expect(renderHtml(read)).toBe(renderHtml(doc));
    // JUnit shows the evidence the document holds (system-out): the read-back one without the empty fields.
    const junit = path.join(mkdtempSync(path.join(tmpdir(), 'json-format-')), 'read.xml');
    writeFileSync(junit, renderJunit(read));
    expect(readFileSync(junit, 'utf8')).toContain('<failure message="DNS_NXDOMAIN: gone.lab.test does not exist (NXDOMAIN)" type="DNS_NXDOMAIN">');
    expect(validateJunit(junit)).toBe('');
  });
});

describe('documents written before', () => {
  const v1 = () => readResultDocument(V1_FILE);
  const colon = () => readResultDocument(V2_COLON_FILE);
  const compact = (): ReadDocument => parseResultDocument(renderJson(compactedFixture()), 'new.json');

  it('read as written: colon fingerprints and whole path links (version 2 before), inline certificates (version 1)', () => {
    for (const doc of [v1(), colon()]) {
      expect(Object.keys(doc.certificates).length).toBeGreaterThan(0);
      for (const key of Object.keys(doc.certificates)) expect(key).toMatch(COLON);
      for (const r of doc.results.filter((r) => r.check === 'inspection')) {
        for (const link of pathFingerprints(r.evidence)) expect(link.sha256).toMatch(COLON);
      }
    }
    const now = compact();
    for (const key of Object.keys(now.certificates)) expect(key).toMatch(COMPACT_FINGERPRINT);
    // The same run in both forms: the same certificates behind the same references.
    const subjects = (doc: ReadDocument) => doc.results.filter((r) => r.check === 'inspection').map((r) => pathFingerprints(r.evidence).map((link) => doc.certificates[link.sha256!]?.subject ?? link.sha256));
    expect(subjects(now)).toEqual(subjects(colon()));
  });

  it('diff against this version\'s documents: every check paired by id, nothing changed', () => {
    for (const before of [v1(), colon()]) {
      const comparison = compareRuns(before, compact().results);
      expect(comparison.regressions).toEqual([]);
      expect(comparison.fixed).toEqual([]);
      expect(comparison.new).toEqual([]);
      expect(comparison.gone).toEqual([]);
      expect(comparison.stillFailing.map((item) => item.id).sort()).toEqual(compact().results.filter((r: CheckResult) => r.status === 'fail').map((r) => r.id).sort());
    }
  });

  it('merge with this version\'s documents into one that reads back, every reference resolving', () => {
    const merged = mergeDocuments([
      { source: 'old.json', document: v1() },
      { source: 'colon.json', document: { ...colon(), host: { hostname: 'agent-02', platform: 'linux' } } },
      { source: 'new.json', document: { ...compact(), host: { hostname: 'agent-03', platform: 'linux' } } },
    ], '9.9.9');
    expect(merged.results).toHaveLength(30);
    const again = parseResultDocument(renderJson(merged), 'merged.json');
    expect(again.summary).toEqual(merged.summary);
    for (const r of again.results) {
      for (const fingerprint of certificateReferences(r)) expect(again.certificates[fingerprint]).toMatchObject({ sha256: fingerprint });
      if (r.check === 'inspection') for (const link of pathFingerprints(r.evidence)) expect(link.sha256).not.toBeNull();
    }
  });
});
