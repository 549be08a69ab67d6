import type { RunDocument } from '../model/result.js';

/**
 * The `--json` document (shared/interface.md, "JSON result document"), exactly as the model holds it, compact:
 * at 2,000 endpoints indentation alone is megabytes, and `jq .` indents for a person who reads it.
 * JSON.stringify escapes control characters and lone surrogates, so hostile evidence survives a round trip.
 */
export function renderJson(doc: RunDocument): string {
  return `${JSON.stringify(doc)}\n`;
}
