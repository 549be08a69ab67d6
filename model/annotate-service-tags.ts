// Service tags in the reports: every resolved or connected address annotated with the tags whose prefixes contain
// it, in the results' evidence, so that every report (JSON, JUnit's evidence, console, allow-list, a merge) shows
// the same annotation. An address in no tag carries [] — said, never left out.
import type { CheckResult, Evidence, JsonValue } from './result.js';
import type { ServiceTagIndex, ServiceTagsSource } from './service-tags.js';

/** What a document records about the tags file its annotations come from (top-level `serviceTags`). */
export type ServiceTagsNote = ServiceTagsSource;

/**
 * The results with `evidence.serviceTags` set:
 * - dns: `{ "<address>": ["Tag", …], … }` for each address in `evidence.addresses` (not of a failed lookup);
 * - any result with an IP `address` (tcp, tls, inspection): `["Tag", …]` for that address.
 * Results with neither are returned as they are.
 */
export function annotateServiceTags(results: readonly CheckResult[], index: ServiceTagIndex): CheckResult[] {
  return results.map((result) => {
    if (result.check === 'dns') {
      // A failed lookup's addresses (a sinkhole's 0.0.0.0) are not the service's: nothing to annotate.
      if (result.status === 'fail') return result;
      const addresses = stringsOf(result.evidence['addresses']);
      if (addresses.length === 0) return result;
      const byAddress: Evidence = {};
      for (const address of addresses) {
        const tags = index.tagsOf(address);
        if (tags !== null) byAddress[address] = tags;
      }
      return withEvidence(result, byAddress);
    }
    if (result.address === null) return result;
    const tags = index.tagsOf(result.address);
    return tags === null ? result : withEvidence(result, tags);
  });
}

/** One address and its tags as a report shows them, from annotated results (allow-list, console). */
export function serviceTagsByAddress(results: readonly CheckResult[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const result of results) {
    const tags = result.evidence['serviceTags'];
    if (result.check === 'dns' && isRecord(tags)) {
      for (const [address, list] of Object.entries(tags)) found.set(address, stringsOf(list));
    } else if (result.address !== null && Array.isArray(tags)) {
      found.set(result.address, stringsOf(tags));
    }
  }
  return found;
}

function withEvidence(result: CheckResult, serviceTags: JsonValue): CheckResult {
  return { ...result, evidence: { ...result.evidence, serviceTags } };
}

function stringsOf(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isRecord(value: JsonValue | undefined): value is Evidence {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
