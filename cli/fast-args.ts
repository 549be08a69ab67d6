// The common command line (`preflight [run] --option value …`) read without yargs. Loading yargs (cliui,
// string-width's Intl.Segmenter, y18n) is a quarter of a second of CPU before the first probe; a run whose options
// are all plain `--name value` pairs does not need it. Anything else — help, version, another command, an
// unknown option, a value that starts with '-', a repeated or multi-valued option, a number that is not a plain
// integer — returns null and yargs parses the line as always, with its own messages. The options are the very ones
// runOptions() declares to yargs (recorded, not listed again), so an option added there is known here.
import type { Argv } from 'yargs';
import { runOptions, toRunOptions } from './run-options.js';
import type { RunOptions } from './execute.js';

interface Declared {
  name: string;
  type: 'string' | 'boolean' | 'number';
  array: boolean;
}

let declared: { byFlag: Map<string, Declared>; all: Declared[] } | undefined;

/** What runOptions() declares, recorded by a stand-in for yargs that only takes note. */
function declaredOptions(): { byFlag: Map<string, Declared>; all: Declared[] } {
  if (declared !== undefined) return declared;
  const byFlag = new Map<string, Declared>();
  const all: Declared[] = [];
  const recorder = {
    option(name: string, definition: { alias?: string; type?: string; array?: boolean }) {
      const type = definition.type === 'boolean' || definition.type === 'number' ? definition.type : 'string';
      const option: Declared = { name, type, array: definition.array === true };
      all.push(option);
      byFlag.set(`--${name}`, option);
      if (definition.alias !== undefined) byFlag.set(definition.alias.length === 1 ? `-${definition.alias}` : `--${definition.alias}`, option);
      return recorder;
    },
  };
  runOptions(recorder as unknown as Argv<object>);
  return (declared = { byFlag, all });
}

/** RunOptions for `argv` (without node and the script), or null when yargs must read it. */
export function fastRunOptions(argv: readonly string[]): RunOptions | null {
  const { byFlag } = declaredOptions();
  const values = new Map<string, string | number | boolean | string[]>();
  let i = argv[0] === 'run' ? 1 : 0;
  while (i < argv.length) {
    const token = argv[i] ?? '';
    const equals = token.startsWith('--') ? token.indexOf('=') : -1;
    const flag = equals > 0 ? token.slice(0, equals) : token;
    const option = byFlag.get(flag);
    if (option === undefined || values.has(option.name)) return null;
    if (option.type === 'boolean') {
      if (equals > 0) return null;
      values.set(option.name, true);
      i += 1;
      continue;
    }
    const value = equals > 0 ? token.slice(equals + 1) : argv[i + 1];
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    i += equals > 0 ? 1 : 2;
    // yargs would take a following bare word as one more value of an array option, or as a positional.
    const next = argv[i];
    if (next !== undefined && !next.startsWith('-')) return null;
    if (option.type === 'number') {
      if (!/^[0-9]{1,9}$/.test(value)) return null;
      values.set(option.name, Number(value));
    } else {
      values.set(option.name, option.array ? [value] : value);
    }
  }
  const args: Record<string, unknown> = { _: [], $0: 'preflight' };
  for (const [name, value] of values) {
    args[name] = value;
    args[name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase())] = value;
  }
  return toRunOptions(args as Parameters<typeof toRunOptions>[0]);
}
