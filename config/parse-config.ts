// Config text: YAML (JSON is YAML too), validated by config/schema.json, errors pointed at a line. The one
// place that knows the file's syntax; config/load.ts turns what it returns into a plan. JSON text is read by
// JSON.parse, and yaml parses it only when an error needs a line (parseJson).
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Document, LineCounter, Pair, YAMLMap } from 'yaml';
import { UsageError } from './errors.js';
import type { Expectation, IpFamily, Limits, Timeouts } from './plan.js';
import { configValidator } from './schema-validator.js';

/** A config file or profile as config/schema.json admits it. */
export interface ConfigFile {
  extends?: string;
  resolvers?: string[];
  proxy?: string;
  portMap?: Record<string, number>;
  vars?: Record<string, string>;
  sinkholes?: string[];
  timeouts?: Partial<Timeouts>;
  trust?: { caFiles?: string[]; expectedIssuers?: string[] };
  concurrency?: number;
  ipFamily?: IpFamily;
  limits?: Partial<Limits>;
  endpoints?: EndpointEntry[];
  expectedFailures?: ExpectedFailureEntry[];
}

export interface ExpectedFailureEntry {
  id?: string;
  match?: string;
  reason: string;
  until: string;
}

export type EndpointEntry = EndpointDetails & ({ url: string } | { host: string; ports: number[] });

export interface EndpointDetails {
  purpose?: string;
  source?: string;
  tags?: string[];
  optional?: boolean;
  expect?: Expectation;
  wildcard?: string;
  sample?: string;
}

/**
 * yaml is loaded when first needed (it is CommonJS on Node, so synchronously): loading it is 60-100 ms of a start, and
 * a JSON config that extends no profile never needs it, unless an error needs a line.
 */
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  return (yamlModule ??= require('yaml') as typeof import('yaml'));
}

export type Path = readonly (string | number)[];
/** Throws a UsageError naming the file, the line of the value at `path` (or of `key` in the mapping there) and the path. */
export type Locate = (path: Path, reason: string, key?: string) => never;


export function parseConfig(text: string, label: string): { file: ConfigFile; at: Locate } {
  const json = parseJson(text);
  // A JSON config skips yaml: its parse is most of the time a large config costs (0.3 s of CPU for 2,000 endpoints,
  // before the first probe), and yaml is needed only to name a line, so it parses the text when an error needs one.
  let located = json === undefined ? parseYaml(text, label) : undefined;
  const at: Locate = (path, reason, key) => {
    // (Should yaml refuse a text JSON.parse read, its syntax error is the message, as it was before.)
    located ??= parseYaml(text, label);
    const where = formatPath(path);
    throw new UsageError(`${label}:${lineOf(located.doc, located.lineCounter, path, key)}: ${where === '' ? '' : `${where}: `}${reason}`);
  };
  let data: unknown;
  if (json !== undefined) data = json.value;
  else {
    try {
      data = located?.doc.toJS() ?? {};
    } catch (error) {
      // e.g. too many alias expansions
      return at([], error instanceof Error ? error.message : String(error));
    }
  }
  // The schema is what makes data a ConfigFile: the validator says so of what it accepts.
  const validate = configValidator() as ValidateFunction<ConfigFile>;
  if (validate(data)) return { file: data, at };
  const error = mostTelling(validate.errors ?? []);
  if (error === undefined) return at([], 'does not match config/schema.json');
  const { path, key, reason } = describeSchemaError(error, data);
  return at(path, reason, key);
}

/** The text as yaml reads it, positions counted; a syntax error is a UsageError at its line. */
function parseYaml(text: string, label: string): { doc: Document; lineCounter: LineCounter } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const line = syntaxError.linePos?.[0].line ?? 1;
    // The parser's message continues with the position and a code excerpt: keep the first sentence.
    const message = (syntaxError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${label}:${line}: YAML syntax error: ${message}`);
  }
  return { doc, lineCounter };
}

/**
 * The value of a JSON object or list text, as yaml would read it; undefined for anything else (YAML, a JSON scalar,
 * not JSON at all), which yaml then reads as it always has. Also undefined for JSON with a key twice in one object:
 * JSON.parse keeps the last, where yaml refuses the file ("Map keys must be unique"), and the refusal is the
 * behaviour users know.
 */
function parseJson(text: string): { value: object } | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || keysWritten(text) !== keysKept(value)) return undefined;
  return { value };
}

/**
 * How many object keys valid JSON text writes: strings followed by a colon. Each match takes a whole string, so
 * the search never starts inside one (outside strings, valid JSON has no quotes). About as long as JSON.parse
 * itself: 2-5 ms for a 2,000-endpoint config.
 */
function keysWritten(text: string): number {
  let count = 0;
  for (const match of text.matchAll(/"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?/g)) if (match[1] !== undefined) count++;
  return count;
}

/** How many keys the parsed objects hold: fewer than were written when a key came twice in one object. */
function keysKept(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((count: number, item: unknown) => count + keysKept(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  for (const item of Object.values(value)) count += 1 + keysKept(item);
  return count;
}

/**
 * An unknown key first; otherwise the first error as the rule that failed states it: a composite rule (anyOf,
 * not, propertyNames) rather than its branches, which sit below it in the schema or name the propertyName.
 */
function mostTelling(errors: ErrorObject[]): ErrorObject | undefined {
  const outermost = errors.filter((error) => error.propertyName === undefined &&
    !errors.some((other) => other !== error && error.schemaPath.startsWith(`${other.schemaPath}/`)));
  return outermost.find((error) => error.keyword === 'additionalProperties') ?? outermost[0];
}

function describeSchemaError(error: ErrorObject, data: unknown): { path: Path; key?: string; reason: string } {
  const path = pointerToPath(error.instancePath, data);
  const errorMessage: unknown = error.parentSchema?.['errorMessage'];
  const custom = typeof errorMessage === 'string' ? errorMessage : undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params['additionalProperty']);
      return { path, key, reason: `unknown key "${key}"` };
    }
    case 'propertyNames': {
      const key = String(error.params['propertyName']);
      return { path, key, reason: `key "${key}" is not allowed${custom === undefined ? '' : `: ${custom}`}` };
    }
    case 'enum': {
      const allowed: unknown = error.params['allowedValues'];
      return { path, reason: `must be one of ${Array.isArray(allowed) ? allowed.join(', ') : '?'}` };
    }
    default:
      return { path, reason: custom ?? error.message ?? 'is not valid' };
  }
}

/** "/endpoints/2/url" to ['endpoints', 2, 'url']: array positions become numbers, as the data says. */
function pointerToPath(pointer: string, data: unknown): Path {
  const path: (string | number)[] = [];
  let value = data;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path.push(Number(segment));
      value = value[Number(segment)];
    } else {
      path.push(segment);
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

export function formatPath(path: Path): string {
  return path.reduce<string>((text, segment) =>
    typeof segment === 'number' ? `${text}[${segment}]` : text === '' ? segment : `${text}.${segment}`, '');
}

/** The line of the value at `path`, or of `key` in the mapping there; as near as the document allows. */
function lineOf(doc: Document, lineCounter: LineCounter, path: Path, key?: string): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const segment of path) {
    const child = childOf(node, segment);
    if (child === undefined) break;
    node = child.node;
    offset = child.start ?? offset;
  }
  if (key !== undefined && yaml().isMap(node)) offset = startOf(pairOf(node, key)?.key) ?? offset;
  return lineCounter.linePos(offset).line;
}

function childOf(node: unknown, segment: string | number): { node: unknown; start: number | undefined } | undefined {
  const { isMap, isSeq } = yaml();
  if (isMap(node)) {
    const pair = pairOf(node, segment);
    // A block value starts on the line after its key: point at the value, or at the key when it has none.
    return pair === undefined ? undefined : { node: pair.value, start: startOf(pair.value) ?? startOf(pair.key) };
  }
  if (isSeq(node)) {
    const item: unknown = node.items[Number(segment)];
    return item === undefined ? undefined : { node: item, start: startOf(item) };
  }
  return undefined;
}

function pairOf(map: YAMLMap, key: string | number): Pair | undefined {
  const { isScalar } = yaml();
  return map.items.find((pair): pair is Pair => isScalar(pair.key) && String(pair.key.value) === String(key));
}

function startOf(node: unknown): number | undefined {
  return yaml().isNode(node) ? node.range?.[0] : undefined;
}
