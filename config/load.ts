// From a built-in profile, a config file and the command line to one RunPlan (config/plan.ts).
// Every bad input ends in a one-line UsageError; config errors name the file, the line and the key.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { isCalendarDate, type ExpectedFailure } from './expected-failures.js';
import { endpointTemplate, planEndpoint, refuseUnusedVars, type EndpointTemplate } from './endpoints.js';
import { type IpFamily, type Limits, type ResolverAddress, type RunPlan, type Timeouts } from './plan.js';
import { proxyUrlProblem, readAgentConfigFile, resolveProxy } from './proxy-settings.js';
import { machineProxy, type MachineProxyOptions } from './proxy-options.js';
import { parseConfig, type ConfigFile, type Locate } from './parse-config.js';
import { DEFAULT_PROFILE, profilePath } from './profiles.js';
import { systemHostsPath } from '../probes/hosts-file.js';
import { parseChecks, parseIpFamily, parsePortMap, parseVar, positiveInteger, threadCount } from './option-values.js';
import { parseResolver, systemResolversOrFail } from './resolvers.js';

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
  /** --threads: probe threads besides the main one (absent: by cores and plan size). */
  threads?: number;
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
    ...(options.threads === undefined ? {} : { probeThreads: threadCount(options.threads) }),
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
