// Console lines that fit the terminal: wrapped at word boundaries with a hanging indent, never cut.

/** Below this, a hanging indent leaves no room for words: narrower terminals get this width anyway. */
export const MIN_WIDTH = 40;
/** What the console assumes when it is not writing to a terminal (CI logs, pipes). */
export const DEFAULT_WIDTH = 80;

/** Visible width, by code point: an emoji is one unit, as close as the renderer can know without a font. */
export function visibleLength(text: string): number {
  let n = 0;
  for (const _char of text) n++;
  return n;
}

/**
 * `text` (already one line, terminal-safe) as lines of at most `width` characters: the first starts with
 * `firstIndent`, the rest with `hangingIndent`. Only a single word longer than a whole line (a long URL)
 * overflows, on a line of its own: splitting it would change what a reader copies.
 */
export function wrap(text: string, width: number, firstIndent: string, hangingIndent = firstIndent): string[] {
  const limit = Math.max(width, MIN_WIDTH);
  // Each word with the spaces before it: kept inside a line (columns are two spaces apart), dropped at a break.
  const words = [...text.matchAll(/( *)([^ ]+)/g)].map((match) => ({ gap: match[1] ?? '', word: match[2] ?? '' }));
  const lines: string[] = [];
  let line = firstIndent;
  let lineHasWord = false;
  for (const { gap, word } of words) {
    const candidate = lineHasWord ? `${line}${gap}${word}` : `${line}${word}`;
    if (!lineHasWord || visibleLength(candidate) <= limit) {
      line = candidate;
      lineHasWord = true;
      continue;
    }
    lines.push(line);
    line = `${hangingIndent}${word}`;
  }
  lines.push(line);
  return lines;
}

/**
 * Shortens a genuinely huge text at a word boundary, ending in "…". Only a guard against a server string of
 * kilobytes flooding the terminal: checks keep their messages far shorter, so no verdict is ever cut by it.
 */
export function bounded(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${space > max / 2 ? head.slice(0, space) : head}…`;
}
