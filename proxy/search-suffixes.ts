// The DNS search suffixes of this machine, where WPAD looks for wpad.<suffix>. Linux and macOS: /etc/resolv.conf
// (`search`, else `domain`; the last such line wins, as the resolver reads it). Windows has no Node API for them:
// they are read from the registry with reg.exe (HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters:
// SearchList, a comma list, else the primary suffix Domain / NV Domain, else the DHCP-assigned DhcpDomain), not
// by parsing `ipconfig /all`, whose text is localised. The WPAD names to ask devolve from each suffix towards its
// registrable domain and never above it (wpad.com must never be asked), as Windows' DNS devolution does.
import { readFile } from 'node:fs/promises';
import { parse } from 'tldts';
import { regString, type RegistryReader } from '../probes/reg-query.js';

export const TCPIP_PARAMETERS = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters';

/** `search` or `domain` of a resolv.conf text; the last line of either kind decides, as in glibc. */
export function resolvConfSuffixes(text: string): string[] {
  let suffixes: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [keyword, ...values] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') suffixes = keyword === 'domain' ? values.slice(0, 1) : values;
  }
  return normalised(suffixes);
}

/** The suffixes in the Tcpip parameters: SearchList, else Domain / NV Domain, else DhcpDomain. */
export function registrySuffixes(key: ReadonlyMap<string, { type: string; data: string }> | null): string[] {
  const list = regString(key, 'SearchList');
  if (list && list.trim() !== '') return normalised(list.split(/[,\s]+/));
  const primary = regString(key, 'NV Domain') || regString(key, 'Domain') || regString(key, 'DhcpDomain');
  return normalised(primary ? [primary] : []);
}

/** This machine's suffixes; [] when it has none. */
export async function systemSearchSuffixes(platform: NodeJS.Platform, reader: () => RegistryReader): Promise<string[]> {
  if (platform === 'win32') return registrySuffixes(await reader()(TCPIP_PARAMETERS));
  return resolvConfSuffixes(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
}

/** wpad.<suffix> for each suffix and its parents down to its registrable domain, each once, in order. */
export function wpadNames(suffixes: readonly string[]): string[] {
  const names: string[] = [];
  for (const suffix of suffixes) {
    const parsed = parse(suffix, { allowPrivateDomains: true });
    // A public suffix itself (com, co.uk) is never asked: wpad.com is anyone's. An unknown single label (an AD
    // domain like "corp") has no registrable domain either, and Windows does ask wpad.corp.
    if (parsed.domain === null && parsed.isIcann === true) continue;
    const registrable = parsed.domain ?? suffix;
    let current = suffix;
    for (;;) {
      if (!names.includes(`wpad.${current}`)) names.push(`wpad.${current}`);
      if (current === registrable || !current.includes('.')) break;
      const parent = current.slice(current.indexOf('.') + 1);
      // A suffix that is not under its registrable domain (a bare public suffix): ask only itself.
      if (!parent.endsWith(registrable)) break;
      current = parent;
    }
  }
  return names;
}

function normalised(suffixes: readonly string[]): string[] {
  return [...new Set(suffixes.map((suffix) => suffix.trim().toLowerCase().replace(/^\.+|\.+$/g, '')).filter((suffix) => /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(suffix)))];
}
