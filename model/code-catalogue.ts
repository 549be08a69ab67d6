// One source of general text per result code, for `preflight explain`, the HTML report and any report that points
// at it. Typed as a Record over every Code: a code added to model/codes.ts without an entry does not compile.
import { ALL_CODES, type Code } from './codes.js';
import type { CodeExplanation } from './explanations/explanation.js';
import { HOST_EXPLANATIONS } from './explanations/host.js';
import { NETWORK_EXPLANATIONS } from './explanations/network.js';
import { PORT80_EXPLANATIONS } from './explanations/port80.js';
import { RUN_EXPLANATIONS } from './explanations/run.js';
import { TLS_EXPLANATIONS } from './explanations/tls.js';

export type { CodeExplanation } from './explanations/explanation.js';

export const CODE_CATALOGUE: Readonly<Record<Code, CodeExplanation>> = {
  ...NETWORK_EXPLANATIONS,
  ...TLS_EXPLANATIONS,
  ...PORT80_EXPLANATIONS,
  ...RUN_EXPLANATIONS,
  ...HOST_EXPLANATIONS,
};

/** The explanation of `code`, or undefined for a code this version does not know (a document from a later one). */
export function explanationOf(code: string): CodeExplanation | undefined {
  return Object.hasOwn(CODE_CATALOGUE, code) ? CODE_CATALOGUE[code as Code] : undefined;
}

/** The known code nearest to `text` (edit distance, ignoring case and `-`/`_`): what "did you mean" suggests. */
export function closestCode(text: string): Code {
  const wanted = normalized(text);
  let best: Code = ALL_CODES[0];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const code of ALL_CODES) {
    const candidate = normalized(code);
    // A code that contains what was typed ("inspected" → TLS_INSPECTED) is nearer than its edit distance says.
    const distance = candidate.includes(wanted) && wanted.length >= 3 ? candidate.length - wanted.length : editDistance(wanted, candidate);
    if (distance < bestDistance) {
      best = code;
      bestDistance = distance;
    }
  }
  return best;
}

/** `tls-inspected` and `tls_inspected` name TLS_INSPECTED. */
export function canonicalCode(text: string): string {
  return text.trim().toUpperCase().replace(/-/g, '_');
}

function normalized(text: string): string {
  return canonicalCode(text).replace(/_/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
