// The proxy options that look at this machine the way the agent does: --pac, --wpad (with --wpad-suffix),
// --winhttp and --agent-config auto, checked and read before any probe (bad input exits 2). What needs the
// network (fetching a PAC URL, WPAD's lookups) happens later, in proxy/discover.ts.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeFsError } from './agent-config.js';
import { discoverAgentConfigs } from './agent-config-discovery.js';
import { UsageError } from './errors.js';
import type { ProxyDiscovery, ProxyPlan, RoutingFinding } from './plan.js';
import { readWinHttpProxy } from './winhttp.js';
import { systemRegistryReader, type RegistryReader } from '../probes/reg-query.js';
import { systemSearchSuffixes } from '../proxy/search-suffixes.js';

export interface MachineProxyOptions {
  pac?: string | undefined;
  wpad?: boolean | undefined;
  wpadSuffix?: string[] | undefined;
  winhttp?: boolean | undefined;
  /** --agent-config; only `auto` is handled here. */
  agentConfig?: string | undefined;
  /** --agent-config-root: a directory standing for C:\ (tests, a copied tree). */
  agentConfigRoot?: string | undefined;
  proxy?: string | undefined;
  /** Tests: the platform and registry this machine stands for. */
  platform?: NodeJS.Platform | undefined;
  registryReader?: RegistryReader | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

export interface MachineProxy {
  /** --winhttp's or --agent-config auto's proxy (null: direct); undefined when neither option was given. */
  plan?: ProxyPlan | null;
  discovery: ProxyDiscovery | null;
  findings: RoutingFinding[];
}

const MAX_PAC_FILE_BYTES = 1024 * 1024;
const REGISTRY_DEADLINE_MS = 5000;
const SUFFIX = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i;

export async function machineProxy(options: MachineProxyOptions, cwd: string): Promise<MachineProxy> {
  const chosen = [
    options.pac !== undefined && '--pac', options.wpad === true && '--wpad', options.winhttp === true && '--winhttp',
    options.proxy !== undefined && '--proxy', options.agentConfig !== undefined && '--agent-config',
  ].filter((name): name is string => name !== false);
  if (chosen.length > 1 && chosen.some((name) => name === '--pac' || name === '--wpad' || name === '--winhttp')) {
    throw new UsageError(`${chosen.join(' and ')} each decide the proxy: use one of them`);
  }
  if (options.wpadSuffix !== undefined && options.wpad !== true) throw new UsageError('--wpad-suffix only applies with --wpad');
  const platform = options.platform ?? process.platform;
  const reader = () => options.registryReader ?? systemRegistryReader(REGISTRY_DEADLINE_MS);
  if (options.pac !== undefined) return { discovery: pacDiscovery(options.pac, cwd), findings: [] };
  if (options.wpad === true) {
    const given = options.wpadSuffix?.flatMap((text) => text.split(',')).map((text) => text.trim()).filter((text) => text !== '');
    const bad = given?.find((suffix) => !SUFFIX.test(suffix));
    if (bad !== undefined) throw new UsageError(`--wpad-suffix "${bad}": expected a DNS suffix like corp.contoso.com`);
    const suffixes = given ?? (await systemSearchSuffixes(platform, reader).catch((error: unknown) => {
      throw new UsageError(`--wpad: cannot read this machine's DNS search suffixes: ${error instanceof Error ? error.message : String(error)}: pass --wpad-suffix`);
    }));
    const suffixOrigin = given ? '--wpad-suffix' : platform === 'win32' ? 'the Tcpip parameters in the registry' : '/etc/resolv.conf';
    return { discovery: { kind: 'wpad', suffixes, suffixOrigin }, findings: [] };
  }
  if (options.winhttp === true) return { plan: await readWinHttpProxy(platform, reader), discovery: null, findings: [] };
  if (options.agentConfig === 'auto') {
    const root = options.agentConfigRoot === undefined ? undefined : resolve(cwd, options.agentConfigRoot);
    if (root === undefined && platform !== 'win32') {
      throw new UsageError(`--agent-config auto looks at the agents' Windows paths; this machine is ${platform}: pass --agent-config FILE, or --agent-config-root DIR for a copied tree`);
    }
    const found = discoverAgentConfigs({ root, env: root === undefined ? options.env : {} });
    return { plan: found.proxy, discovery: null, findings: found.findings };
  }
  if (options.agentConfigRoot !== undefined) throw new UsageError('--agent-config-root only applies with --agent-config auto');
  return { discovery: null, findings: [] };
}

/** --pac URL is fetched later; --pac FILE is read now: a file that cannot be read is bad input. */
function pacDiscovery(location: string, cwd: string): ProxyDiscovery {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new UsageError(`--pac ${location}: not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--pac ${location}: a PAC URL is http:// or https:// (or pass a file)`);
    return { kind: 'pac', location: url.href, script: null };
  }
  const path = resolve(cwd, location);
  const fail = (why: string) => new UsageError(`--pac ${location}: ${why}`);
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > MAX_PAC_FILE_BYTES) throw fail(`larger than ${MAX_PAC_FILE_BYTES} bytes: not a PAC file`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw fail(`cannot read it (${describeFsError(error)})`);
  }
  let script: string;
  try {
    script = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail('not UTF-8 text');
  }
  if (!/FindProxyForURL/.test(script)) throw fail('defines no FindProxyForURL function: not a PAC file');
  return { kind: 'pac', location: path, script };
}
