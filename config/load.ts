// From a built-in profile, a config file and the command line to one RunPlan (config/plan.ts).
// Every bad input ends in a one-line UsageError; config errors name the file, the line and the key.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getServers } from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { CHECK_KINDS, type CheckKind } from '../model/codes.js';
import { UsageError } from './errors.js';
import { isCalendarDate, type ExpectedFailure } from './expected-failures.js';
import { endpointTemplate, HOST_NAME, planEndpoint, refuseUnusedVars, type EndpointTemplate } from './endpoints.js';
import { IP_FAMILIES, type IpFamily, type Limits, type ResolverAddress, type RunPlan, type Timeouts } from './plan.js';
import { proxyUrlProblem, readAgentConfigFile, resolveProxy } from './proxy-settings.js';
import { machineProxy, type MachineProxyOptions } from './proxy-options.js';
import { parseConfig, type ConfigFile, type Locate } from './parse-config.js';
import { DEFAULT_PROFILE, profilePath } from './profiles.js';
import { systemHostsPath } from '../probes/hosts-file.js';

export interface PlanOptions extends Partial<Omit<MachineProxyOptions, 'env' | 'proxy' | 'agentConfig'>> {
  profile?: string;
  config?: string;
  /** HOST[:PORT], IP literals only; IPv6 as [::1]:53 or bare. */
  resolvers?: string[];
  /** Each like "443=8443,80=8080". */
  portMap?: string[];
  /** Each like "tenant=contoso". */
  vars?: string[];
  /** Comma list of check kinds. */
  only?: string;
  timeout?: number;
  concurrency?: number;
  caFiles?: string[];
  /** --proxy URL. */
  proxy?: string;
  /** --no-proxy: ignore proxy settings from the environment. */
  noProxy?: boolean;
  /** --agent-config: the provisioning agent's .NET config file, whose <defaultProxy> names its proxy. */
  agentConfig?: string;
  /** --ip-family: auto, 4 or 6. */
  ipFamily?: string;
  /** Environment for HTTPS_PROXY / HTTP_PROXY / NO_PROXY (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** --hosts-file: the hosts file the agent's resolver reads first (default: the system's). */
  hostsFile?: string;
  /** Where relative --config and --ca-file paths start (default: the process's working directory). */
  cwd?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CONCURRENCY = 256;
/** The largest public CRLs are a few MB; 20 MB leaves room without letting an endless answer fill memory. */
const DEFAULT_CRL_MAX_BYTES = 20 * 1024 * 1024;
const RESOLV_CONF = '/etc/resolv.conf';

/** What one source (a profile, a config file, the command line) contributes; undefined: it says nothing. */
interface Settings {
  resolvers: ResolverAddress[] | undefined;
  /** A config file's proxy URL, validated, with the file it came from; resolveProxy decides what applies. */
  proxy: { text: string; file: string } | undefined;
  portMap: Map<string, number>;
  vars: Map<string, string>;
  /** Every var this source sets, with how to complain when no endpoint has its placeholder. */
  varOrigins: VarOrigin[];
  sinkholes: string[];
  timeouts: Partial<Timeouts>;
  caPems: string[];
  expectedIssuers: string[];
  concurrency: number | undefined;
  ipFamily: IpFamily | undefined;
  limits: Partial<Limits>;
  endpoints: EndpointTemplate[];
  expectedFailures: ExpectedFailure[];
}

interface Layer {
  /** The built-in profile's name; null for a user's config file. */
  profile: string | null;
  /** The file as the user named it, for messages. */
  label: string;
  extends: string | undefined;
  settings: Settings;
}

type Fail = (reason: string) => never;

interface VarOrigin {
  name: string;
  fail: Fail;
}

export async function loadPlan(options: PlanOptions): Promise<RunPlan> {
  const cwd = options.cwd ?? process.cwd();
  const checks = parseChecks(options.only);
  const layers = await readLayers(options, cwd);
  const merged = [...layers.map((layer) => layer.settings), await commandLineSettings(options, cwd)].reduce(mergeSettings);
  const top = layers[layers.length - 1];
  if (merged.endpoints.length === 0) {
    throw new UsageError(`${top?.label ?? 'config'}: no endpoints to check (add endpoints: or extends: a profile)`);
  }
  refuseUnusedVars(merged.endpoints, merged.varOrigins);
  const env = options.env ?? process.env;
  const machine = await machineProxy({ ...options, env }, cwd);
  const agentConfigFile = options.agentConfig === undefined || options.agentConfig === 'auto' ? undefined : options.agentConfig;
  return {
    profile: layers.find((layer) => layer.profile !== null)?.profile ?? basename(top?.label ?? 'config'),
    checks,
    resolvers: merged.resolvers ?? (await systemResolversOrFail()),
    hostsFile: await hostsFileFor(options.hostsFile, cwd),
    timeouts: { dns: DEFAULT_TIMEOUT_MS, connect: DEFAULT_TIMEOUT_MS, tls: DEFAULT_TIMEOUT_MS, http: DEFAULT_TIMEOUT_MS, ...merged.timeouts },
    portMap: Object.fromEntries(merged.portMap),
    sinkholes: merged.sinkholes,
    trust: { caPems: merged.caPems, expectedIssuers: merged.expectedIssuers },
    concurrency: merged.concurrency ?? DEFAULT_CONCURRENCY,
    concurrencyFixed: merged.concurrency !== undefined,
    limits: { crlMaxBytes: DEFAULT_CRL_MAX_BYTES, ...merged.limits },
    proxy: resolveProxy({
      option: options.proxy,
      // --pac and --wpad decide per endpoint; --winhttp is the machine's setting: the environment is not the agent's.
      ignoreEnvironment: options.noProxy === true || machine.discovery !== null || options.winhttp === true,
      // --pac, --wpad and --winhttp were asked for on the command line: they beat the config file's proxy.
      config: merged.proxy === undefined || machine.discovery !== null || options.winhttp === true ? undefined : { file: merged.proxy.file, proxy: merged.proxy.text },
      agentConfig: agentConfigFile === undefined ? undefined : readAgentConfigFile(resolve(cwd, agentConfigFile)),
      decided: machine.plan,
      env,
    }),
    proxyDiscovery: machine.discovery,
    proxyFindings: machine.findings,
    ipFamily: merged.ipFamily ?? 'auto',
    endpoints: merged.endpoints.map((endpoint) => planEndpoint(endpoint, merged.vars)),
    expectedFailures: merged.expectedFailures,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Layers: profile(s) first, then the config file; the command line is merged on top in loadPlan.

async function readLayers(options: PlanOptions, cwd: string): Promise<Layer[]> {
  if (options.config === undefined) return readProfileChain(options.profile ?? DEFAULT_PROFILE, []);
  const config = await readLayer(resolve(cwd, options.config), options.config, null);
  // --profile replaces the file's extends: (the command line beats the config).
  const base = options.profile ?? config.extends;
  return base === undefined ? [config] : [...(await readProfileChain(base, [])), config];
}

async function readProfileChain(name: string, seen: string[]): Promise<Layer[]> {
  if (seen.includes(name)) throw new UsageError(`profile "${name}" extends itself: ${[...seen, name].join(' -> ')}`);
  const layer = await readLayer(profilePath(name), `config/profiles/${name}.yaml`, name);
  return layer.extends === undefined ? [layer] : [...(await readProfileChain(layer.extends, [...seen, name])), layer];
}

async function readLayer(path: string, label: string, profile: string | null): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read config file ${label}: ${fileErrorText(error)}`);
  }
  const { file, at } = parseConfig(text, label);
  if (file.extends !== undefined) profilePath(file.extends, (reason) => at(['extends'], reason));
  return { profile, label, extends: file.extends, settings: await fileSettings(file, at, dirname(path), label) };
}

async function fileSettings(file: ConfigFile, at: Locate, dir: string, label: string): Promise<Settings> {
  const caFiles = file.trust?.caFiles ?? [];
  const caPems = await Promise.all(caFiles.map((name, index) =>
    readCertificates(resolve(dir, name), (reason) => at(['trust', 'caFiles', index], `${name}: ${reason}`))));
  return {
    resolvers: file.resolvers?.map((text, index) => parseResolver(text, (reason) => at(['resolvers', index], reason))),
    proxy: file.proxy === undefined ? undefined : { text: file.proxy, file: label, ...checkedProxy(file.proxy, at) },
    portMap: new Map(Object.entries(file.portMap ?? {})),
    vars: new Map(Object.entries(file.vars ?? {})),
    varOrigins: Object.keys(file.vars ?? {}).map((name) => ({ name, fail: (reason: string) => at(['vars', name], reason) })),
    sinkholes: (file.sinkholes ?? []).map((address, index) =>
      isIP(address) !== 0 ? address : at(['sinkholes', index], `"${address}" is not an IP address`)),
    timeouts: file.timeouts ?? {},
    caPems: unique(caPems.flat()),
    expectedIssuers: unique(file.trust?.expectedIssuers ?? []),
    concurrency: file.concurrency,
    ipFamily: file.ipFamily,
    limits: file.limits ?? {},
    endpoints: (file.endpoints ?? []).map((entry, index) =>
      endpointTemplate(entry, (reason, key) => at(key === undefined ? ['endpoints', index] : ['endpoints', index, key], reason))),
    expectedFailures: (file.expectedFailures ?? []).map((entry, index): ExpectedFailure => {
      if (!isCalendarDate(entry.until)) at(['expectedFailures', index, 'until'], `"${entry.until}" is not a date`);
      const key = entry.id === undefined ? 'match' : 'id';
      return { pattern: entry[key] ?? '', key, reason: entry.reason, until: entry.until, source: `${label} expectedFailures[${index}]` };
    }),
  };
}

async function commandLineSettings(options: PlanOptions, cwd: string): Promise<Settings> {
  const caPems = await Promise.all((options.caFiles ?? []).map((name) =>
    readCertificates(resolve(cwd, name), (reason) => usage(`--ca-file ${name}: ${reason}`))));
  const timeout = options.timeout === undefined ? undefined : positiveInteger(options.timeout, '--timeout', 'milliseconds');
  return {
    resolvers: nonEmpty(options.resolvers)?.map((text) => parseResolver(text, (reason) => usage(`--resolver "${text}": ${reason}`))),
    proxy: undefined, // --proxy goes straight to resolveProxy, which ranks it first
    portMap: new Map((options.portMap ?? []).flatMap(parsePortMap)),
    vars: new Map((options.vars ?? []).map(parseVar)),
    varOrigins: (options.vars ?? []).map((text) => ({ name: parseVar(text)[0], fail: (reason: string) => usage(`--var ${text}: ${reason}`) })),
    sinkholes: [],
    timeouts: timeout === undefined ? {} : { dns: timeout, connect: timeout, tls: timeout, http: timeout },
    caPems: unique(caPems.flat()),
    expectedIssuers: [],
    concurrency: options.concurrency === undefined ? undefined : positiveInteger(options.concurrency, '--concurrency', 'operations'),
    ipFamily: parseIpFamily(options.ipFamily),
    limits: {},
    endpoints: [],
    expectedFailures: [],
  };
}

// How a later source (config over profile, command line over config) combines with an earlier one:
// scalars replace, and so do resolvers (they belong to the site, a profile's would only get in the way);
// portMap, vars, timeouts and limits merge key by key; sinkholes, CA certificates and expected issuers add up;
// endpoints are appended.
function mergeSettings(earlier: Settings, later: Settings): Settings {
  return {
    resolvers: later.resolvers ?? earlier.resolvers,
    proxy: later.proxy ?? earlier.proxy,
    portMap: new Map([...earlier.portMap, ...later.portMap]),
    vars: new Map([...earlier.vars, ...later.vars]),
    varOrigins: [...earlier.varOrigins, ...later.varOrigins],
    sinkholes: unique([...earlier.sinkholes, ...later.sinkholes]),
    timeouts: { ...earlier.timeouts, ...later.timeouts },
    caPems: unique([...earlier.caPems, ...later.caPems]),
    expectedIssuers: unique([...earlier.expectedIssuers, ...later.expectedIssuers]),
    concurrency: later.concurrency ?? earlier.concurrency,
    ipFamily: later.ipFamily ?? earlier.ipFamily,
    limits: { ...earlier.limits, ...later.limits },
    endpoints: [...earlier.endpoints, ...later.endpoints],
    expectedFailures: [...earlier.expectedFailures, ...later.expectedFailures],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Values from the command line and the config

function parseResolver(text: string, fail: Fail): ResolverAddress {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  const colons = text.split(':').length - 1;
  const [host = '', portText] = bracketed !== null ? [bracketed[1], bracketed[2]] : colons > 1 ? [text] : text.split(':');
  const validHost = bracketed !== null || colons > 1 ? isIPv6(host) : isIPv4(host);
  if (!validHost) {
    fail(isIP(host) === 0 && HOST_NAME.test(host)
      ? 'a resolver must be an IP address (a name would need a resolver itself)'
      : 'expected IP[:PORT], IPv6 as [::1]:53');
  }
  const port = portText === undefined ? 53 : parsePort(portText);
  return port === undefined ? fail('port must be 1-65535') : { host, port };
}

/**
 * The nameservers of a resolv.conf text. Scope ids (fe80::1%eth0) are dropped: the plan holds bare IP literals.
 */
export function systemResolvers(resolvConf: string): ResolverAddress[] {
  const resolvers: ResolverAddress[] = [];
  for (const line of resolvConf.split('\n')) {
    const [keyword, address] = line.trim().split(/\s+/);
    const host = address?.replace(/%.*$/, '');
    if (keyword === 'nameserver' && host !== undefined && isIP(host) !== 0) resolvers.push({ host, port: 53 });
  }
  return resolvers;
}

/** resolv.conf where there is one; elsewhere (Windows) the servers Node's own resolver was configured with. */
async function systemResolversOrFail(): Promise<ResolverAddress[]> {
  // Windows has no resolv.conf (C:\etc\resolv.conf would be someone's file): Node's resolver has the servers.
  const text = process.platform === 'win32' ? '' : await readFile(RESOLV_CONF, 'utf8').catch(() => '');
  const fromFile = systemResolvers(text);
  const resolvers = fromFile.length > 0 ? fromFile : getServers().flatMap((server) => parseNodeServer(server));
  if (resolvers.length === 0) throw new UsageError(`no DNS server found in ${RESOLV_CONF} or the system settings: pass --resolver HOST[:PORT]`);
  return resolvers;
}

/** dns.getServers() gives "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353". */
function parseNodeServer(server: string): ResolverAddress[] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed?.[1]) return [{ host: bracketed[1], port: Number(bracketed[2] ?? 53) }];
  if (isIP(server) !== 0) return [{ host: server, port: 53 }];
  const [host, port] = server.split(':');
  return host && isIPv4(host) ? [{ host, port: Number(port ?? 53) }] : [];
}

/**
 * The hosts file to read: one named with --hosts-file must be readable (exit 2 before any probe); the system's
 * may be missing (then there is none), and is read during the run.
 */
async function hostsFileFor(option: string | undefined, cwd: string): Promise<string> {
  if (option === undefined) return systemHostsPath();
  const path = resolve(cwd, option);
  try {
    await readFile(path, 'utf8');
  } catch (error) {
    usage(`--hosts-file ${option}: cannot read: ${fileErrorText(error)}`);
  }
  return path;
}

/** A config file's proxy URL must be usable; the error names its line. Returns nothing to merge in. */
function checkedProxy(text: string, at: Locate): Record<string, never> {
  const problem = proxyUrlProblem(text);
  return problem === null ? {} : at(['proxy'], problem);
}

function parsePortMap(text: string): [string, number][] {
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

function parseVar(text: string): [string, string] {
  const equals = text.indexOf('=');
  const name = text.slice(0, equals);
  const value = text.slice(equals + 1);
  if (equals < 0 || !VAR_NAME.test(name) || !VAR_VALUE.test(value)) {
    return usage(`--var "${text}": expected KEY=VALUE, the value part of a host name (letters, digits, '-', '.', '_')`);
  }
  return [name, value];
}

function parseChecks(only: string | undefined): CheckKind[] {
  // host checks this Windows machine; elsewhere they would only add skips, so they run when --only names them.
  if (only === undefined) return CHECK_KINDS.filter((kind) => kind !== 'host' || process.platform === 'win32');
  const known = `known: ${CHECK_KINDS.join(', ')}`;
  const names = only.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.find((name) => !(CHECK_KINDS as readonly string[]).includes(name));
  if (unknown !== undefined) usage(`--only "${only}": unknown check kind "${unknown}" (${known})`);
  if (names.length === 0) usage(`--only "${only}": name at least one check kind (${known})`);
  return CHECK_KINDS.filter((kind) => names.includes(kind));
}

function parseIpFamily(text: string | undefined): IpFamily | undefined {
  if (text === undefined) return undefined;
  const family = IP_FAMILIES.find((candidate) => String(candidate) === text.trim());
  if (family === undefined) usage(`--ip-family "${text}": expected ${IP_FAMILIES.join(', ')}`);
  return family;
}

async function readCertificates(path: string, fail: Fail): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return fail(`cannot read: ${fileErrorText(error)}`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) fail('no PEM certificate in it');
  if (!pems.every(parsesAsCertificate)) fail('a PEM certificate in it does not parse');
  return pems;
}

function parsesAsCertificate(pem: string): boolean {
  try {
    return new X509Certificate(pem).subject !== undefined;
  } catch {
    return false;
  }
}

function parsePort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535 ? port : undefined;
}

function positiveInteger(value: number, option: string, unit: string): number {
  return Number.isInteger(value) && value >= 1 ? value : usage(`${option} ${value}: expected a whole number of ${unit}, at least 1`);
}

function fileErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

function usage(message: string): never {
  throw new UsageError(message);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function nonEmpty<T>(values: T[] | undefined): T[] | undefined {
  return values === undefined || values.length === 0 ? undefined : values;
}
