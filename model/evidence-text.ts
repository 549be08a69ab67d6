// How text from outside enters evidence: what a server, a certificate or a proxy sent becomes one sanitised, capped
// line (it is hostile: it must not break a report, a terminal or a log), and a thrown value becomes its message,
// never a stack. A leaf: probes, the PKI code and the HTTP plumbing all write evidence this way.

/**
 * Text from the network as one printable line: control characters, line and paragraph separators and
 * bidirectional overrides become spaces, runs of space collapse, and the result is capped at `maxLength`.
 */
export function toOneLine(text: string, maxLength: number): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const characters = [...flat];
  return characters.length <= maxLength ? flat : `${characters.slice(0, maxLength - 1).join('')}…`;
}

/** Text of an unknown thrown value, for evidence: never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
