// What a `--json` document of this version looks like byte for byte where it was made compact (README, "JSON
// result document"): fingerprints as 64 hex digits, presented path links as places in `chain`, durations to a
// tenth of a millisecond, no null or empty evidence fields. Used on documents real runs wrote.
import { expect } from 'vitest';
import { pathFingerprints } from '../../model/certificates.js';
import type { Evidence, RunDocument } from '../../model/result.js';

export const COMPACT_FINGERPRINT = /^[0-9A-F]{64}$/;

/** Checks `text` and says how many inspection path links it found of each kind (presented, from elsewhere). */
export function expectCompactForm(text: string): { presented: number; elsewhere: number } {
  const doc = JSON.parse(text) as RunDocument;
  for (const [key, certificate] of Object.entries(doc.certificates)) {
    expect(key).toMatch(COMPACT_FINGERPRINT);
    expect(certificate.sha256).toBe(key);
  }
  // OpenSSL's colon form appears nowhere, references included.
  expect(text).not.toMatch(/[0-9A-F]{2}(:[0-9A-F]{2}){31}/);
  const counts = { presented: 0, elsewhere: 0 };
  for (const result of doc.results) {
    // A number written as a JSON value has at most one decimal (messages may say "12.5 ms", never more).
    expect(text.includes(`"durationMs":${result.durationMs}`)).toBe(true);
    expect(Math.round(result.durationMs * 10) / 10).toBe(result.durationMs);
    // The fields the contract names stay, null or empty as they may be; evidence fields that are null or [] do not.
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['url', 'address', 'port', 'remediation', 'durationMs', 'evidence']));
    for (const [key, value] of Object.entries(result.evidence)) {
      expect(value === null || (Array.isArray(value) && value.length === 0), `${result.id} evidence.${key}`).toBe(false);
    }
    if (result.check !== 'inspection' || !Array.isArray(result.evidence['path'])) continue;
    const chain = result.evidence['chain'] as string[];
    const links = result.evidence['path'] as Evidence[];
    const resolved = pathFingerprints(result.evidence);
    links.forEach((link, index) => {
      if (link['source'] === 'presented') {
        counts.presented += 1;
        expect(Object.keys(link).sort()).toEqual(['chain', 'source']);
        expect(resolved[index]!.sha256).toBe(chain[link['chain'] as number]);
      } else {
        counts.elsewhere += 1;
        expect(link['sha256']).toMatch(COMPACT_FINGERPRINT);
        expect(resolved[index]!.sha256).toBe(link['sha256']);
      }
      expect(doc.certificates[resolved[index]!.sha256!]).toMatchObject({ sha256: resolved[index]!.sha256 });
    });
  }
  expect(text).not.toMatch(/[:,[]-?\d+\.\d{2,}[,}\]]/);
  return counts;
}
