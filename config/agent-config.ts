// The agent's .NET config file: <configuration><system.net><defaultProxy enabled= useDefaultCredentials=>
//   <proxy proxyaddress= bypassonlocal= usesystemdefault=/><bypasslist><add address=/></bypasslist>
// Reading it (size-capped, UTF-8 or UTF-16LE) and what it says about the proxy.
import { readFileSync, statSync } from 'node:fs';
import { parseXml, XmlSyntaxError, type XmlElement } from './config-xml.js';
import { PatternError, translateDotNetPattern } from './dotnet-pattern.js';
import { UsageError } from './errors.js';
import type { ProxyPlan } from './plan.js';
import { BYPASS_LOCAL, BYPASS_PATTERN_PREFIX } from './proxy-bypass.js';
import { planFor } from './proxy-url.js';

export interface AgentConfigFile {
  path: string;
  text: string;
}

/** Reads an --agent-config file (UTF-8, or UTF-16LE with its BOM, as Windows editors may save it). */
export function readAgentConfigFile(path: string, option = '--agent-config'): AgentConfigFile {
  const MAX_BYTES = 1024 * 1024;
  const fail = (why: string) => new UsageError(`${option} ${path}: ${why}`);
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

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(error);
}


/** What a config file says about its service's proxy. `system-default`: it names none, the system's applies. */
export type AgentProxySetting =
  | { kind: 'proxy'; plan: ProxyPlan }
  | { kind: 'direct'; why: string }
  | { kind: 'system-default'; why: string };

/** The proxy of an --agent-config FILE; one that defers to the system default is a usage error (say which). */
export function agentConfigPlan(file: AgentConfigFile): ProxyPlan | null {
  const setting = agentProxySetting(file);
  if (setting.kind === 'system-default') {
    throw new UsageError(`${file.path}: ${setting.why}: the agent then uses the Windows system proxy settings, which preflight cannot read: pass that proxy with --proxy`);
  }
  return setting.kind === 'proxy' ? setting.plan : null;
}

/** Reads <system.net><defaultProxy>; throws UsageError for a file that is not a well-formed .NET config. */
export function agentProxySetting(file: AgentConfigFile): AgentProxySetting {
  const where = file.path;
  let root: XmlElement;
  try {
    root = parseXml(file.text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new UsageError(`${where}: line ${error.line}: ${error.message}`);
    throw error;
  }
  if (root.name !== 'configuration') throw new UsageError(`${where}: the root element is <${root.name}>, not <configuration>: not a .NET config file`);
  const defaultProxy = childNamed(childNamed(root, 'system.net'), 'defaultProxy');
  if (!defaultProxy) return { kind: 'system-default', why: 'no <system.net><defaultProxy> element' };
  if (booleanAttribute(defaultProxy, 'enabled', where) === false) return { kind: 'direct', why: '<defaultProxy enabled="false">' };
  const proxy = childNamed(defaultProxy, 'proxy');
  const address = proxy?.attributes.get('proxyaddress')?.trim();
  if (!proxy || !address) {
    const useSystemDefault = proxy ? booleanAttribute(proxy, 'usesystemdefault', where) : undefined;
    if (useSystemDefault === false) return { kind: 'direct', why: '<proxy usesystemdefault="false"> without a proxyaddress' };
    const because = useSystemDefault === true ? ' and sets usesystemdefault="true"' : '';
    return { kind: 'system-default', why: `<defaultProxy> names no proxyaddress${because}` };
  }
  const local = booleanAttribute(proxy, 'bypassonlocal', where) === true ? [BYPASS_LOCAL] : [];
  return { kind: 'proxy', plan: planFor(address, 'agent-config', `${where}: proxyaddress`, [...local, ...bypassPatterns(defaultProxy, where)]) };
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
