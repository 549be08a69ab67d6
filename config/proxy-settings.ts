// Where the proxy comes from and which targets bypass it. In this order: --proxy; the config's `proxy`;
// --agent-config (the agent's own .NET <defaultProxy>, so the tool tests the path the agent takes); then
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, which --no-proxy ignores. Everything here is pure except
// readAgentConfigFile; the environment is passed in.
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { parseXml, XmlSyntaxError, type XmlElement } from './config-xml.js';
import { dotNetPatternToRegExp, MAX_SUBJECT_LENGTH, PatternError, translateDotNetPattern } from './dotnet-pattern.js';
import { UsageError } from './errors.js';
import type { ProxyPlan, ProxySource } from './plan.js';

export interface AgentConfigFile {
  path: string;
  text: string;
}

export interface ProxyInputs {
  /** --proxy URL. */
  option?: string | undefined;
  /** --no-proxy: ignore HTTPS_PROXY, HTTP_PROXY and NO_PROXY (explicit settings still apply). */
  ignoreEnvironment?: boolean | undefined;
  /** The config file's `proxy` key, with the file's name for messages. */
  config?: { file: string; proxy: string } | undefined;
  /** --agent-config, as read by readAgentConfigFile. */
  agentConfig?: AgentConfigFile | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** Where to connect to reach the proxy, and the Basic credentials its URL carries (decoded). */
export interface ProxyEndpoint {
  /** Name or IP literal, IPv6 without brackets. */
  host: string;
  port: number;
  username: string;
  password: string;
}

/** Bypass entry: names without a dot, localhost and loopback literals (.NET bypassonlocal, WinINet's "<local>"). */
const BYPASS_LOCAL = '<local>';
/** Prefix of a bypass entry that is a .NET regular expression from the agent config's <bypasslist>. */
const BYPASS_PATTERN_PREFIX = 'regex:';

const HTTP_DEFAULT_PORT = 80;
const EXPECTED_FORM = 'expected http://[user:pass@]host:port';

const SOURCE_NAMES: Record<ProxySource, string> = {
  option: '--proxy',
  config: 'the config file',
  'agent-config': "the agent's config file (--agent-config)",
  environment: 'HTTPS_PROXY/HTTP_PROXY',
};

/** Where the proxy setting came from, as a person would look for it. */
export function describeProxySource(proxy: ProxyPlan): string {
  return SOURCE_NAMES[proxy.source];
}

/** The proxy the run goes through, or null for direct connections. Throws UsageError for a bad setting. */
export function resolveProxy(inputs: ProxyInputs): ProxyPlan | null {
  // Settings the user named explicitly are all validated, even the ones a higher-ranked setting overrides:
  // a broken file or option is worth an error rather than silence.
  const fromOption = inputs.option === undefined ? null : planFor(inputs.option, 'option', '--proxy', []);
  const fromConfig = inputs.config ? planFor(inputs.config.proxy, 'config', `${inputs.config.file}: proxy`, []) : null;
  const fromAgent = inputs.agentConfig ? agentConfigPlan(inputs.agentConfig) : undefined;
  if (fromOption) return fromOption;
  if (fromConfig) return fromConfig;
  // An agent config that disables its proxy means the agent goes direct: that, not the environment, is its path.
  if (fromAgent !== undefined) return fromAgent;
  return inputs.ignoreEnvironment ? null : environmentPlan(inputs.env);
}

/** Reads an --agent-config file (UTF-8, or UTF-16LE with its BOM, as Windows editors may save it). */
export function readAgentConfigFile(path: string): AgentConfigFile {
  const MAX_BYTES = 1024 * 1024;
  const fail = (why: string) => new UsageError(`--agent-config ${path}: ${why}`);
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    // Refuse FIFOs and devices before reading: they could block or never end.
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > MAX_BYTES) throw fail(`larger than ${MAX_BYTES} bytes: not an agent config file`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw fail(`cannot read it (${describeFsError(error)})`);
  }
  try {
    const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe;
    return { path, text: new TextDecoder(utf16 ? 'utf-16le' : 'utf-8', { fatal: true }).decode(bytes) };
  } catch {
    throw fail('not UTF-8 or UTF-16LE text');
  }
}

/** The proxy URL as reports show it: scheme, user name and host:port, the password replaced by ***. */
export function redactUrl(url: string): string {
  const parsed = url.includes('://') ? parseUrl(url) : null;
  if (!parsed) {
    // Not a URL: hide everything up to the last "@", where a password could be.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, (_match, scheme: string | undefined) => `${scheme ?? ''}***@`);
  }
  return formatUrl(parsed, '***');
}

/** Host, port and decoded credentials of a proxy URL as resolveProxy returns it. */
export function proxyEndpoint(url: string): ProxyEndpoint {
  const parsed = toProxyUrl(url, 'proxy');
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? HTTP_DEFAULT_PORT : Number(parsed.port),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * Whether a connection to host:port goes direct rather than through the proxy. `address`, the address the
 * tool resolved for a host name, lets NO_PROXY address and CIDR entries match names too (curl and Go match
 * them against IP-literal hosts only; a user who writes 10.0.0.0/8 means "internal addresses go direct").
 * Agent-config patterns see only the host, as .NET does.
 */
export function bypassesProxy(plan: ProxyPlan, host: string, port: number, address?: string): boolean {
  const subject = { host: normalizeHost(host), port, address };
  return plan.bypass.some((entry) => {
    const rule = cachedBypassRule(entry);
    return rule !== null && ruleMatches(rule, subject);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Proxy URLs

function planFor(text: string, source: ProxySource, origin: string, bypass: string[]): ProxyPlan {
  const url = formatUrl(toProxyUrl(text, origin), null);
  return { url, display: redactUrl(url), source, bypass };
}

/** Parses and validates a proxy URL; a bare host:port is taken as http://, as curl does. */
function toProxyUrl(text: string, origin: string): URL {
  const problem = proxyUrlProblem(text);
  if (problem !== null) throw new UsageError(`${origin}: ${problem}`);
  return parseUrl(withScheme(text)) as URL;
}

/** Why `text` is not a usable proxy URL, or null. The text itself is never repeated unredacted. */
export function proxyUrlProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return `the proxy URL is empty (${EXPECTED_FORM})`;
  const parsed = parseUrl(withScheme(trimmed));
  // An unparseable URL cannot be redacted reliably: it is not repeated.
  if (!parsed || parsed.hostname === '') return `not a valid proxy URL (${EXPECTED_FORM})`;
  if (parsed.protocol !== 'http:') {
    return `${redactUrl(trimmed)} uses ${parsed.protocol}//, but the agents speak plain HTTP to their proxy: use http://`;
  }
  return null;
}

function withScheme(text: string): string {
  const trimmed = text.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** scheme://[user[:password]@]host[:port]; a path, query or fragment means nothing for a proxy and is dropped. */
function formatUrl(url: URL, passwordMask: string | null): string {
  const password = url.password === '' ? '' : `:${passwordMask ?? url.password}`;
  const userinfo = url.username === '' && password === '' ? '' : `${url.username}${password}@`;
  return `${url.protocol}//${userinfo}${url.host}`;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(error);
}

// ---------------------------------------------------------------------------------------------------------
// The environment

function environmentPlan(env: ProxyInputs['env']): ProxyPlan | null {
  // One proxy serves every target (the agents use one too): HTTPS_PROXY, else HTTP_PROXY. Lower case first, as curl does.
  const proxy = firstSet(env, ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']);
  if (!proxy) return null;
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY']);
  return planFor(proxy.value, 'environment', proxy.name, noProxy ? parseNoProxy(noProxy.value) : []);
}

function firstSet(env: ProxyInputs['env'], names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

/** NO_PROXY entries the matcher understands; others (shell leftovers, typos) are ignored, as curl does. */
function parseNoProxy(list: string): string[] {
  return list
    .split(/[\s,]+/)
    .map((entry) => entry.toLowerCase())
    .filter((entry) => entry !== '' && !entry.startsWith(BYPASS_PATTERN_PREFIX) && parseBypassEntry(entry) !== null);
}

// ---------------------------------------------------------------------------------------------------------
// Bypass rules. ProxyPlan.bypass holds them as strings (the plan is plain JSON); they are parsed on use.

type BypassRule =
  | { kind: 'all' }
  | { kind: 'local' }
  | { kind: 'pattern'; regex: RegExp }
  | { kind: 'domain'; domain: string; port: number | null }
  | { kind: 'addresses'; list: net.BlockList; port: number | null };

interface BypassSubject {
  host: string;
  port: number;
  address: string | undefined;
}

const bypassRules = new Map<string, BypassRule | null>();

function cachedBypassRule(entry: string): BypassRule | null {
  if (!bypassRules.has(entry)) bypassRules.set(entry, parseBypassEntry(entry));
  return bypassRules.get(entry) ?? null;
}

/** A rule for one bypass entry, or null when it is no form NO_PROXY knows. Throws for a bad agent pattern. */
function parseBypassEntry(entry: string): BypassRule | null {
  if (entry === '*') return { kind: 'all' };
  if (entry === BYPASS_LOCAL) return { kind: 'local' };
  if (entry.startsWith(BYPASS_PATTERN_PREFIX)) return { kind: 'pattern', regex: dotNetPatternToRegExp(entry.slice(BYPASS_PATTERN_PREFIX.length)) };
  const { hostPart, port } = splitPort(entry);
  if (port === undefined) return null;
  const list = addressList(hostPart);
  if (list) return { kind: 'addresses', list, port };
  const domain = normalizeHost(hostPart.replace(/^\*?\./, ''));
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain) ? { kind: 'domain', domain, port } : null;
}

/** "host", "host:port", "[v6]", "[v6]:port", "v6" or "cidr"; port undefined when it is not a valid port. */
function splitPort(entry: string): { hostPart: string; port: number | null | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) return { hostPart: bracketed[1] ?? '', port: bracketed[2] === undefined ? null : parsePort(bracketed[2]) };
  const colons = entry.split(':').length - 1;
  if (colons !== 1) return { hostPart: entry, port: null }; // a bare IPv6 literal or CIDR has several
  const [hostPart = '', portText = ''] = entry.split(':');
  return { hostPart, port: parsePort(portText) };
}

function parsePort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** An IP literal or CIDR as a BlockList, or null when the text is neither. */
function addressList(text: string): net.BlockList | null {
  const [address = '', prefixText, ...extra] = text.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra.length > 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new net.BlockList();
  if (prefixText === undefined) {
    list.addAddress(address, type);
    return list;
  }
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) return null;
  list.addSubnet(address, prefix, type);
  return list;
}

function ruleMatches(rule: BypassRule, subject: BypassSubject): boolean {
  const { host, port, address } = subject;
  switch (rule.kind) {
    case 'all':
      return true;
    case 'local':
      // .NET's IsLocal: IP literals count when they are loopback, names when they have no dot.
      return net.isIP(host) === 0 ? host === 'localhost' || !host.includes('.') : isLoopbackLiteral(host);
    case 'pattern': {
      // Longer subjects are not DNS names; the pattern checks' backtracking bound assumes this length.
      const uri = dotNetMatchUri(host, port);
      return uri.length <= MAX_SUBJECT_LENGTH && rule.regex.test(uri);
    }
    case 'domain':
      return (rule.port === null || rule.port === port) && (host === rule.domain || host.endsWith(`.${rule.domain}`));
    case 'addresses': {
      if (rule.port !== null && rule.port !== port) return false;
      const candidate = net.isIP(host) !== 0 ? host : address;
      if (candidate === undefined) return false;
      const family = net.isIP(candidate);
      return family !== 0 && rule.list.check(candidate, family === 4 ? 'ipv4' : 'ipv6');
    }
  }
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function isLoopbackLiteral(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

/** What .NET Framework matches a bypass pattern against: scheme://host, plus :port when not the scheme's default. */
function dotNetMatchUri(host: string, port: number): string {
  const scheme = port === HTTP_DEFAULT_PORT ? 'http' : 'https';
  const hostPart = net.isIPv6(host) ? `[${host}]` : host;
  return port === HTTP_DEFAULT_PORT || port === 443 ? `${scheme}://${hostPart}` : `${scheme}://${hostPart}:${port}`;
}

// ---------------------------------------------------------------------------------------------------------
// The agent config file: <configuration><system.net><defaultProxy enabled= useDefaultCredentials=>
//   <proxy proxyaddress= bypassonlocal= usesystemdefault=/><bypasslist><add address=/></bypasslist>

function agentConfigPlan(file: AgentConfigFile): ProxyPlan | null {
  const where = file.path;
  let root: XmlElement;
  try {
    root = parseXml(file.text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new UsageError(`${where}: line ${error.line}: ${error.message}`);
    throw error;
  }
  if (root.name !== 'configuration') throw new UsageError(`${where}: the root element is <${root.name}>, not <configuration>: not a .NET config file`);
  const systemProxy = `the agent then uses the Windows system proxy settings, which preflight cannot read: pass that proxy with --proxy`;
  const defaultProxy = childNamed(childNamed(root, 'system.net'), 'defaultProxy');
  if (!defaultProxy) throw new UsageError(`${where}: no <system.net><defaultProxy> element: ${systemProxy}`);
  if (booleanAttribute(defaultProxy, 'enabled', where) === false) return null;
  const proxy = childNamed(defaultProxy, 'proxy');
  const address = proxy?.attributes.get('proxyaddress')?.trim();
  if (!proxy || !address) {
    const useSystemDefault = proxy ? booleanAttribute(proxy, 'usesystemdefault', where) : undefined;
    if (useSystemDefault === false) return null;
    const because = useSystemDefault === true ? ' and sets usesystemdefault="true"' : '';
    throw new UsageError(`${where}: <defaultProxy> names no proxyaddress${because}: ${systemProxy}`);
  }
  const local = booleanAttribute(proxy, 'bypassonlocal', where) === true ? [BYPASS_LOCAL] : [];
  return planFor(address, 'agent-config', `${where}: proxyaddress`, [...local, ...bypassPatterns(defaultProxy, where)]);
}

/** The <bypasslist> after its <add>, <remove> and <clear> entries, each checked as a pattern. */
function bypassPatterns(defaultProxy: XmlElement, where: string): string[] {
  let patterns: string[] = [];
  for (const entry of childNamed(defaultProxy, 'bypasslist')?.children ?? []) {
    const address = entry.attributes.get('address')?.trim() ?? '';
    if (entry.name === 'clear') patterns = [];
    else if (entry.name === 'remove') patterns = patterns.filter((pattern) => pattern !== address);
    else if (entry.name === 'add' && address !== '') {
      try {
        translateDotNetPattern(address);
      } catch (error) {
        if (!(error instanceof PatternError)) throw error;
        throw new UsageError(`${where}: line ${entry.line}: bypasslist entry ${JSON.stringify(address.slice(0, 80))} ${error.message}`);
      }
      patterns.push(address);
    }
  }
  return patterns.map((pattern) => `${BYPASS_PATTERN_PREFIX}${pattern}`);
}

function childNamed(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name);
}

/** .NET config booleans: true or false in any case; absent is undefined. */
function booleanAttribute(element: XmlElement, name: string, where: string): boolean | undefined {
  const value = element.attributes.get(name)?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new UsageError(`${where}: line ${element.line}: <${element.name} ${name}=${JSON.stringify(value.slice(0, 40))}> is neither true nor false`);
}
