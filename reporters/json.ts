import type { CheckResult, Evidence, RunDocument } from '../model/result.js';

/**
 * The `--json` document (shared/interface.md, "JSON result document"), compact: at 2,000 endpoints indentation
 * alone is megabytes, and `jq .` indents for a person who reads it.
 * JSON.stringify escapes control characters and lone surrogates, so hostile evidence survives a round trip.
 */
export function renderJson(doc: RunDocument): string {
  return `${JSON.stringify({ ...doc, results: doc.results.map(withoutEmptyEvidence) })}\n`;
}

/** About how many characters renderJsonPieces gathers before it hands a piece on. */
const PIECE_CHARS = 64 * 1024;

/**
 * The text of renderJson, in pieces of about 64 KB, made as they are asked for. At 2,000 endpoints the document is
 * 10 MB: made whole it was a 10 MB string, its 10 MB of UTF-8 and a second copy of every result (without its empty
 * evidence) alive at once, at the very end of the run, when memory peaks. Here one result at a time is copied and
 * written. Byte for byte what renderJson writes (test/json-stream.test.ts): the document's fields in their own order
 * (`results` where it stands), each as JSON.stringify writes it, a field whose value JSON.stringify leaves out
 * (undefined) left out here too.
 */
export function* renderJsonPieces(doc: RunDocument): Generator<string, void, undefined> {
  let piece = '{';
  let fields = 0;
  for (const [key, value] of Object.entries(doc)) {
    const separator = fields === 0 ? '' : ',';
    if (key === 'results') {
      piece += `${separator}${JSON.stringify(key)}:[`;
      for (const [index, result] of doc.results.entries()) {
        // In a list JSON.stringify writes null for what it cannot write; a result is never that, but the bytes must agree.
        piece += `${index === 0 ? '' : ','}${(JSON.stringify(withoutEmptyEvidence(result)) as string | undefined) ?? 'null'}`;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
      piece += ']';
    } else {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) continue;
      piece += `${separator}${JSON.stringify(key)}:${text}`;
    }
    fields++;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}}\n`;
}

/**
 * The result with its evidence fields that hold null or an empty list left out (top-level fields stay: the contract
 * names url, address, port and remediation, and a reader finds them even when null or ''). Most evidence fields say
 * what went wrong (`failure`, `hostnameError`, `weakCrypto`, `ede`, …) and are null or empty on every check that
 * passed: written out, they were a tenth of a 2,000-endpoint document. Nothing is lost: for jq (`.evidence.failure`)
 * and JavaScript readers a missing field reads as null (or undefined), and the tool's own readers
 * (model/read-document.ts, the reporters' defensive evidence readers) treat absent as null or empty.
 * Only the evidence's own fields: inside them (a dns hop, a certificate's key exchange) values stay as observed.
 * Likewise an evidence `host` or `address` that restates the result's own, and a `reason` its message ends with
 * (restatesResult).
 */
function withoutEmptyEvidence(result: CheckResult): CheckResult {
  const evidence: Evidence = {};
  for (const [key, value] of Object.entries(result.evidence)) {
    if (value === null || (Array.isArray(value) && value.length === 0 && !EMPTY_IS_A_FINDING.has(key))) continue;
    if (restatesResult(result, key, value)) continue;
    evidence[key] = value;
  }
  return { ...result, evidence };
}

/**
 * Evidence lists whose emptiness is itself what was observed, so absent would say less: `serviceTags: []` on an
 * address means "looked up, in no service tag" (a firewall built from the tags blocks it; model/allowlist.ts),
 * where no field means the run had no --service-tags.
 */
const EMPTY_IS_A_FINDING: ReadonlySet<string> = new Set(['serviceTags']);

/**
 * An evidence `host` or `address` equal to the result's own field says nothing the result does not (the probe
 * carries them for the session; at 2,000 endpoints they were 0.3 MB). One that differs (the address a proxy or a
 * hosts-file pin connected to) stays.
 */
function restatesResult(result: CheckResult, key: string, value: unknown): boolean {
  return (key === 'host' && value === result.host) || (key === 'address' && value === result.address) || restatedReason(result, key, value);
}

/**
 * An inspection `reason` is the end of its message ("…: not inspected: <reason>"): written twice it was 0.34 MB of a
 * 2,000-endpoint document. A reason the message does not end with (one an explanation was added to) stays.
 */
function restatedReason(result: CheckResult, key: string, value: unknown): boolean {
  return key === 'reason' && typeof value === 'string' && value !== '' && result.message.endsWith(`: ${value}`);
}
