// Where the proxy comes from and which targets bypass it. In this order: --proxy; the config's `proxy`;
// --agent-config (the agent's own .NET <defaultProxy>, so the tool tests the path the agent takes); then
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, which --no-proxy ignores. Everything here is pure except
// readAgentConfigFile; the environment is passed in.
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
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
// .NET bypasslist patterns. .NET builds each entry as new Regex(entry, IgnoreCase | CultureInvariant) and
// matches it unanchored. Only a subset translates to JavaScript, and only patterns that cannot backtrack
// without end: a repeated group may not itself repeat or alternate, and few repeats may be open-ended.

const MAX_PATTERN_LENGTH = 256;
const MAX_REPEAT_BOUND = 1000;
/** The URIs matched are at most this long: a 253-character host name, a scheme and a port. */
const MAX_SUBJECT_LENGTH = 300;
/** Bound on the ways the repeats of one pattern can split a subject: beyond it, one match could take seconds. */
const MAX_REPEAT_CHOICES = 100_000;

class PatternError extends Error {}

function dotNetPatternToRegExp(pattern: string): RegExp {
  return new RegExp(translateDotNetPattern(pattern), 'i');
}

/** JavaScript source for a .NET pattern, or a PatternError naming what is not accepted. */
function translateDotNetPattern(pattern: string): string {
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

// ---------------------------------------------------------------------------------------------------------
// A reader for the XML of .NET config files: elements and attributes only. Comments, CDATA, processing
// instructions and text are skipped; a DOCTYPE is refused, so no entity can be defined, and only XML's five
// predefined entities and character references are decoded.

interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  line: number;
}

class XmlSyntaxError extends Error {
  constructor(readonly line: number, reason: string) {
    super(reason);
  }
}

const MAX_XML_DEPTH = 64;
const XML_NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function parseXml(source: string): XmlElement {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pos = 0;
  const fail: (reason: string, at?: number) => never = (reason, at = pos) => {
    throw new XmlSyntaxError(text.slice(0, at).split('\n').length, reason);
  };
  const skipPast = (terminator: string, what: string) => {
    const end = text.indexOf(terminator, pos);
    if (end === -1) fail(`${what} is never closed`);
    pos = end + terminator.length;
  };
  const readName = (): string => {
    XML_NAME.lastIndex = pos;
    const match = XML_NAME.exec(text);
    if (!match) return fail('expected an element or attribute name');
    pos += match[0].length;
    return match[0];
  };
  const skipSpace = () => {
    while (/\s/.test(text[pos] ?? '')) pos += 1;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const between = text.slice(pos, lt === -1 ? text.length : lt);
    if (open.length === 0 && between.trim() !== '') fail('text outside the root element');
    if (lt === -1) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) skipPast('-->', 'a comment');
    else if (text.startsWith('<![CDATA[', pos)) {
      if (open.length === 0) fail('CDATA outside the root element');
      skipPast(']]>', 'a CDATA section');
    } else if (text.startsWith('<?', pos)) skipPast('?>', 'a processing instruction');
    else if (text.startsWith('<!', pos)) fail('a DOCTYPE or other declaration: refused, since it could define entities');
    else if (text.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail(`</${name} is not closed with >`);
      pos += 1;
      const element = open.pop();
      if (!element) fail(`</${name}> closes nothing`);
      else if (element.name !== name) fail(`</${name}> closes <${element.name}>`);
    } else {
      pos += 1;
      const element: XmlElement = { name: readName(), attributes: new Map(), children: [], line: text.slice(0, lt).split('\n').length };
      let selfClosing = false;
      for (;;) {
        skipSpace();
        if (text.startsWith('/>', pos)) {
          selfClosing = true;
          pos += 2;
          break;
        }
        if (text[pos] === '>') {
          pos += 1;
          break;
        }
        if (pos >= text.length) fail(`<${element.name}> is never closed`);
        const attribute = readName();
        skipSpace();
        if (text[pos] !== '=') fail(`attribute ${attribute} has no value`);
        pos += 1;
        skipSpace();
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") fail(`the value of ${attribute} is not quoted`);
        const end = text.indexOf(quote!, pos + 1);
        if (end === -1) fail(`the value of ${attribute} is never closed`);
        const raw = text.slice(pos + 1, end);
        if (raw.includes('<')) fail(`the value of ${attribute} contains <`);
        if (element.attributes.has(attribute)) fail(`attribute ${attribute} appears twice`);
        element.attributes.set(attribute, decodeEntities(raw, () => fail(`the value of ${attribute} has a bad & reference`)));
        pos = end + 1;
      }
      const parent = open[open.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (!selfClosing) open.push(element);
      if (open.length > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed) fail(`<${unclosed.name}> is never closed`, text.length);
  if (!root) return fail('no root element');
  return root;
}

function decodeEntities(raw: string, onBad: () => never): string {
  return raw.replace(/&([^;]{0,10});?/g, (match, body: string) => {
    if (!match.endsWith(';')) return onBad();
    const predefined = PREDEFINED_ENTITIES[body];
    if (predefined) return predefined;
    const code = /^#x[0-9a-f]{1,6}$/i.test(body) ? parseInt(body.slice(2), 16) : /^#\d{1,7}$/.test(body) ? Number(body.slice(1)) : NaN;
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : onBad();
  });
}
