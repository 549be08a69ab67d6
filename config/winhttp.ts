// --winhttp: the machine's WinHTTP proxy, which `netsh winhttp set proxy` writes and which takes precedence for the
// connector. Read from the registry value HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\
// Connections\WinHttpSettings (REG_BINARY; the same bytes whatever the display language), with a parser of
// `netsh winhttp show proxy` text for output a user pastes. The binary layout, little-endian DWORDs:
//   0 struct version (0x18 or 0x28)   4 change counter   8 flags (bit 1, value 2: a proxy is set; 1: direct)
//   12 length of the proxy string, then its bytes (ANSI)   then the bypass list's length and bytes
// Everything here is pure but readWinHttpProxy, which takes the registry reader as a parameter.
import { UsageError } from './errors.js';
import type { ProxyPlan } from './plan.js';
import { BYPASS_LOCAL, BYPASS_WILDCARD_PREFIX } from './proxy-bypass.js';
import { planFor } from './proxy-url.js';
import type { RegistryReader } from '../probes/reg-query.js';

export const WINHTTP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections';
export const WINHTTP_VALUE = 'WinHttpSettings';

/** What WinHTTP is set to: direct, or a proxy string ("host:port" or "http=h:p;https=h:p") and bypass list. */
export type WinHttpSetting = { direct: true } | { direct: false; proxy: string; bypass: string[] };

const PROXY_FLAG = 0x2;

/** The WinHttpSettings blob as `reg query` prints REG_BINARY: hex digits, two per byte. */
export function parseWinHttpSettings(hex: string): WinHttpSetting {
  const text = hex.replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new Error('WinHttpSettings is not hex bytes');
  const bytes = Buffer.from(text, 'hex');
  let offset = 0;
  const dword = (what: string): number => {
    if (offset + 4 > bytes.length) throw new Error(`WinHttpSettings ends before its ${what} (${bytes.length} bytes)`);
    const value = bytes.readUInt32LE(offset);
    offset += 4;
    return value;
  };
  const string = (what: string): string => {
    const length = dword(`${what} length`);
    if (offset + length > bytes.length) throw new Error(`WinHttpSettings: the ${what} (${length} bytes) runs past its end`);
    const value = bytes.subarray(offset, offset + length).toString('latin1');
    offset += length;
    return value;
  };
  dword('version');
  dword('counter');
  const flags = dword('flags');
  const proxy = string('proxy string').trim();
  const bypass = string('bypass list');
  if ((flags & PROXY_FLAG) === 0 || proxy === '') return { direct: true };
  return { direct: false, proxy, bypass: splitBypass(bypass) };
}

/**
 * `netsh winhttp show proxy` in any display language: a setting is a "label :  value" line; the first is the
 * proxy server(s), the second the bypass list. No such line: direct access ("Direct access (no proxy server).",
 * "Direkter Zugriff (kein Proxyserver).", "Accès direct (pas de serveur proxy).").
 */
export function parseNetshShowProxy(text: string): WinHttpSetting {
  const values = text.replace(/^\uFEFF/, '').split(/\r?\n/)
    .map((line) => /^\s+[^:]+?\s+:\s+(.*)$/.exec(line)?.[1]?.trim())
    .filter((value): value is string => value !== undefined);
  const [proxy, bypass] = values;
  if (proxy === undefined || proxy === '') return { direct: true };
  // "(none)", "(keine)", "(aucun)": a parenthesised word is the language's "none".
  return { direct: false, proxy, bypass: bypass === undefined || /^\(.*\)$/.test(bypass) ? [] : splitBypass(bypass) };
}

/** The proxy for HTTPS from a WinHTTP proxy string: "h:p", or the https= entry of "http=h:p;https=h2:p2". */
export function httpsProxyOf(proxy: string): string | null {
  const entries = proxy.split(/[;\s]+/).filter((entry) => entry !== '');
  const perScheme = entries.filter((entry) => entry.includes('='));
  if (perScheme.length === 0) return entries[0] ?? null;
  const https = perScheme.find((entry) => entry.toLowerCase().startsWith('https='));
  const http = perScheme.find((entry) => entry.toLowerCase().startsWith('http='));
  return (https ?? http)?.split('=')[1] ?? null;
}

/** The run's proxy plan for a WinHTTP setting; null for direct access. */
export function winHttpPlan(setting: WinHttpSetting, origin: string): ProxyPlan | null {
  if (setting.direct) return null;
  const proxy = httpsProxyOf(setting.proxy);
  if (proxy === null) throw new UsageError(`${origin}: the WinHTTP proxy "${setting.proxy.slice(0, 80)}" names no proxy for HTTPS`);
  const bypass = setting.bypass.map((entry) => (entry.toLowerCase() === BYPASS_LOCAL ? BYPASS_LOCAL : `${BYPASS_WILDCARD_PREFIX}${entry}`));
  return { ...planFor(proxy, 'winhttp', origin, bypass), origin };
}

/** --winhttp: the WinHTTP setting of this Windows machine, through `reader`. Throws UsageError off Windows. */
export async function readWinHttpProxy(platform: NodeJS.Platform, reader: () => RegistryReader): Promise<ProxyPlan | null> {
  if (platform !== 'win32') throw new UsageError(`--winhttp reads the Windows WinHTTP proxy setting; this machine is ${platform}`);
  const origin = `${WINHTTP_KEY}\\${WINHTTP_VALUE}`;
  let key;
  try {
    key = await reader()(WINHTTP_KEY);
  } catch (error) {
    throw new UsageError(`--winhttp: cannot read ${origin}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const value = key?.get(WINHTTP_VALUE.toLowerCase());
  // No value: `netsh winhttp reset proxy` state, direct access.
  if (!value) return null;
  try {
    return winHttpPlan(parseWinHttpSettings(value.data), origin);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--winhttp: ${origin}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function splitBypass(list: string): string[] {
  return list.split(/[;\s]+/).map((entry) => entry.trim()).filter((entry) => entry !== '');
}
