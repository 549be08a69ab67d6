// .NET bypasslist patterns. .NET builds each entry as new Regex(entry, IgnoreCase | CultureInvariant) and
// matches it unanchored. Only a subset translates to JavaScript, and only patterns that cannot backtrack
// without end: a repeated group may not itself repeat or alternate, and few repeats may be open-ended.

const MAX_PATTERN_LENGTH = 256;
const MAX_REPEAT_BOUND = 1000;
/** The URIs matched are at most this long: a 253-character host name, a scheme and a port. */
export const MAX_SUBJECT_LENGTH = 300;
/** Bound on the ways the repeats of one pattern can split a subject: beyond it, one match could take seconds. */
const MAX_REPEAT_CHOICES = 100_000;

export class PatternError extends Error {}

export function dotNetPatternToRegExp(pattern: string): RegExp {
  return new RegExp(translateDotNetPattern(pattern), 'i');
}

/** JavaScript source for a .NET pattern, or a PatternError naming what is not accepted. */
export function translateDotNetPattern(pattern: string): string {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new PatternError(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  // One frame per open group: whether it holds a repeat or an alternative (repeating it could backtrack exponentially).
  const groups: { risky: boolean }[] = [{ risky: false }];
  // What a quantifier here would repeat.
  let previous: 'nothing' | 'atom' | 'group' | 'risky-group' | 'repeat' | 'lazy-repeat' = 'nothing';
  let repeatChoices = 1;
  let source = '';
  let i = 0;
  const current = () => groups[groups.length - 1] ?? { risky: false };
  while (i < pattern.length) {
    const char = pattern[i] ?? '';
    const repeat = readRepeat(pattern, i);
    if (repeat) {
      if (previous === 'nothing') throw new PatternError(`has a quantifier (${repeat.text}) that follows nothing`);
      if (previous === 'repeat' && repeat.text === '?') {
        source += '?';
        previous = 'lazy-repeat';
        i += 1;
        continue;
      }
      if (previous === 'repeat' || previous === 'lazy-repeat') throw new PatternError(`has a nested quantifier (${repeat.text})`);
      if (previous === 'risky-group') throw new PatternError('repeats a group that itself repeats or alternates (it could backtrack without end)');
      repeatChoices *= repeat.max === Infinity ? MAX_SUBJECT_LENGTH : repeat.max - repeat.min + 1;
      if (repeatChoices > MAX_REPEAT_CHOICES) throw new PatternError('has too many open-ended repeats (it could backtrack for seconds)');
      current().risky = true;
      source += repeat.text;
      previous = 'repeat';
      i += repeat.text.length;
      continue;
    }
    switch (char) {
      case '\\': {
        const escape = translateEscape(pattern, i, false);
        source += escape.source;
        previous = escape.zeroWidth ? 'nothing' : 'atom';
        i += escape.length;
        break;
      }
      case '[': {
        const cls = translateClass(pattern, i);
        source += cls.source;
        previous = 'atom';
        i += cls.length;
        break;
      }
      case '(': {
        const open = translateGroupOpening(pattern, i);
        i += open.length;
        if (open.source === '') break; // an inline (?i): the whole pattern is case-insensitive already
        source += open.source;
        groups.push({ risky: false });
        previous = 'nothing';
        break;
      }
      case ')': {
        const closed = groups.pop();
        if (!closed || groups.length === 0) throw new PatternError('has a ) without its (');
        if (closed.risky) current().risky = true;
        source += ')';
        previous = closed.risky ? 'risky-group' : 'group';
        i += 1;
        break;
      }
      case '|':
        current().risky = true;
        source += '|';
        previous = 'nothing';
        i += 1;
        break;
      case '^':
      case '$':
        source += char;
        previous = 'nothing';
        i += 1;
        break;
      case '.':
        source += '.';
        previous = 'atom';
        i += 1;
        break;
      default:
        // A "{" that starts no quantifier, and "}" or "]", are literals in .NET: escape them for JavaScript.
        source += '{}]/'.includes(char) ? `\\${char}` : char;
        previous = 'atom';
        i += 1;
    }
  }
  if (groups.length > 1) throw new PatternError('has a ( without its )');
  try {
    new RegExp(source);
  } catch {
    throw new PatternError('is not a regular expression preflight can read');
  }
  return source;
}

/** A quantifier at i: *, +, ?, {n}, {n,}, {n,m}. */
function readRepeat(pattern: string, i: number): { text: string; min: number; max: number } | null {
  const char = pattern[i];
  if (char === '*') return { text: char, min: 0, max: Infinity };
  if (char === '+') return { text: char, min: 1, max: Infinity };
  if (char === '?') return { text: '?', min: 0, max: 1 };
  const bounds = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!bounds) return null;
  const min = Number(bounds[1]);
  const max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3]);
  if (min > max) throw new PatternError(`has a quantifier ${bounds[0]} whose minimum exceeds its maximum`);
  if (Math.max(min, max === Infinity ? 0 : max) > MAX_REPEAT_BOUND) throw new PatternError(`has a quantifier ${bounds[0]} above ${MAX_REPEAT_BOUND}`);
  return { text: bounds[0], min, max };
}

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S']);
const CONTROL_ESCAPES: Record<string, string> = { t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\v', e: '\\x1b' };

function translateEscape(pattern: string, i: number, inClass: boolean): { source: string; length: number; zeroWidth: boolean } {
  const next = pattern[i + 1];
  if (next === undefined) throw new PatternError('ends with a lone \\');
  const plain = (source: string, length = 2) => ({ source, length, zeroWidth: false });
  if (CLASS_ESCAPES.has(next)) return plain(`\\${next}`);
  const control = CONTROL_ESCAPES[next];
  if (control) return plain(control);
  const hex = next === 'x' ? /^[0-9a-f]{2}/i.exec(pattern.slice(i + 2)) : next === 'u' ? /^[0-9a-f]{4}/i.exec(pattern.slice(i + 2)) : null;
  if (hex) return plain(`\\${next}${hex[0]}`, 2 + hex[0].length);
  if (!inClass) {
    if (next === 'b' || next === 'B') return { source: `\\${next}`, length: 2, zeroWidth: true };
    if (next === 'A') return { source: '^', length: 2, zeroWidth: true };
    if (next === 'z' || next === 'Z') return { source: '$', length: 2, zeroWidth: true };
  }
  if (/[A-Za-z0-9]/.test(next)) throw new PatternError(`uses \\${next}, which preflight does not support`);
  return plain(`\\${next}`);
}

/** A [...] class; .NET's class subtraction [a-z-[aeiou]] has no JavaScript equivalent. */
function translateClass(pattern: string, start: number): { source: string; length: number } {
  let i = start + 1;
  let source = '[';
  if (pattern[i] === '^') {
    source += '^';
    i += 1;
  }
  // A "]" right after the opening is a literal in .NET.
  if (pattern[i] === ']') {
    source += '\\]';
    i += 1;
  }
  while (i < pattern.length) {
    const char = pattern[i] ?? '';
    if (char === ']') return { source: `${source}]`, length: i + 1 - start };
    if (char === '\\') {
      const escape = translateEscape(pattern, i, true);
      source += escape.source;
      i += escape.length;
      continue;
    }
    if (char === '-' && pattern[i + 1] === '[') throw new PatternError('uses class subtraction -[...], which preflight does not support');
    source += char === '[' ? '\\[' : char;
    i += 1;
  }
  throw new PatternError('has a [ without its ]');
}

/** "(", "(?:", "(?<name>" and "(?'name'" open a group; "(?i)" alone is dropped; other (? constructs are refused. */
function translateGroupOpening(pattern: string, i: number): { source: string; length: number } {
  if (pattern[i + 1] !== '?') return { source: '(', length: 1 };
  const rest = pattern.slice(i);
  if (rest.startsWith('(?:')) return { source: '(?:', length: 3 };
  const named = /^\(\?(?:<[A-Za-z_]\w*>|'[A-Za-z_]\w*')/.exec(rest);
  if (named) return { source: '(?:', length: named[0].length };
  const caseOption = /^\(\?i\)/.exec(rest);
  if (caseOption) return { source: '', length: caseOption[0].length };
  throw new PatternError(`uses ${JSON.stringify(rest.slice(0, 4))}, a group construct preflight does not support`);
}
