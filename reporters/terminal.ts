// What the console may do on the stream it writes to: colour (NO_COLOR, FORCE_COLOR, a terminal) and live
// progress (a terminal, outside CI). Decided from the stream and the environment only, in one place.

type Env = Readonly<Record<string, string | undefined>>;

interface Stream {
  isTTY?: boolean;
}

/** Set to something that does not say "no": CI=false and FORCE_COLOR=0 are how people switch these off. */
function saysYes(value: string | undefined): boolean {
  return value !== undefined && !['0', 'false', 'no'].includes(value.trim().toLowerCase());
}

/**
 * ANSI colour: never with NO_COLOR set to anything but '' (no-color.org), which wins over FORCE_COLOR; always with
 * FORCE_COLOR (even in a pipe, for CI logs that render colour) unless it is 0 or false; otherwise on a terminal.
 */
export function colorWanted(stream: Stream, env: Env = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined) return saysYes(env['FORCE_COLOR']) || env['FORCE_COLOR'] === '';
  return Boolean(stream.isTTY);
}

/** A live progress line: only on a terminal, and never in CI (CI set), whose logs keep every rewrite as a line. */
export function progressWanted(stream: Stream, env: Env = process.env): boolean {
  return Boolean(stream.isTTY) && !saysYes(env['CI']) && env['TERM'] !== 'dumb';
}
