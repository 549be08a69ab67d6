// Values of command-line options, each checked on its own: one clear line (a UsageError) for a bad one.
import { CHECK_KINDS, type CheckKind } from '../model/codes.js';
import { UsageError } from './errors.js';
import { IP_FAMILIES, type IpFamily } from './plan.js';

export function parsePortMap(text: string): [string, number][] {
  return text.split(',').map((pair) => {
    const [from = '', to = '', extra] = pair.split('=');
    const fromPort = parsePort(from.trim());
    const toPort = parsePort(to.trim());
    if (fromPort === undefined || toPort === undefined || extra !== undefined) {
      return usage(`--port-map "${text}": expected PORT=PORT[,PORT=PORT…]`);
    }
    return [String(fromPort), toPort];
  });
}

// Same rules as varName and varValue in config/schema.json: a value ends up inside a host name.
const VAR_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const VAR_VALUE = /^[A-Za-z0-9_.-]+$/;

export function parseVar(text: string): [string, string] {
  const equals = text.indexOf('=');
  const name = text.slice(0, equals);
  const value = text.slice(equals + 1);
  if (equals < 0 || !VAR_NAME.test(name) || !VAR_VALUE.test(value)) {
    return usage(`--var "${text}": expected KEY=VALUE, the value part of a host name (letters, digits, '-', '.', '_')`);
  }
  return [name, value];
}

export function parseChecks(only: string | undefined): CheckKind[] {
  // host checks this Windows machine; elsewhere they would only add skips, so they run when --only names them.
  if (only === undefined) return CHECK_KINDS.filter((kind) => kind !== 'host' || process.platform === 'win32');
  const known = `known: ${CHECK_KINDS.join(', ')}`;
  const names = only.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.find((name) => !(CHECK_KINDS as readonly string[]).includes(name));
  if (unknown !== undefined) usage(`--only "${only}": unknown check kind "${unknown}" (${known})`);
  if (names.length === 0) usage(`--only "${only}": name at least one check kind (${known})`);
  return CHECK_KINDS.filter((kind) => names.includes(kind));
}

export function parseIpFamily(text: string | undefined): IpFamily | undefined {
  if (text === undefined) return undefined;
  const family = IP_FAMILIES.find((candidate) => String(candidate) === text.trim());
  if (family === undefined) usage(`--ip-family "${text}": expected ${IP_FAMILIES.join(', ')}`);
  return family;
}

export function parsePort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535 ? port : undefined;
}

export function positiveInteger(value: number, option: string, unit: string): number {
  return Number.isInteger(value) && value >= 1 ? value : usage(`${option} ${value}: expected a whole number of ${unit}, at least 1`);
}

/** --threads: 0 (none besides the main thread) up to MAX_PROBE_THREADS. */
export const MAX_PROBE_THREADS = 64;

export function threadCount(value: number): number {
  return Number.isInteger(value) && value >= 0 && value <= MAX_PROBE_THREADS ? value : usage(`--threads ${value}: expected a whole number from 0 to ${MAX_PROBE_THREADS}`);
}

function usage(message: string): never {
  throw new UsageError(message);
}
