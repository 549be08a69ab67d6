// The system hosts file: the agent's resolver (Windows, like glibc's "files" before "dns") reads it before asking
// DNS, so an entry there pins a name past every DNS server. Read once per run; a system file that is missing is
// simply none.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';

export interface HostsFile {
  path: string;
  /** Lower-case name without trailing dot → addresses in file order. */
  entries: ReadonlyMap<string, readonly string[]>;
}

/** An entry for a checked name: the addresses the agent uses instead of DNS's. */
export interface HostsPin {
  path: string;
  addresses: string[];
}

/** /etc/hosts; on Windows %SystemRoot%\System32\drivers\etc\hosts. */
export function systemHostsPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform !== 'win32') return '/etc/hosts';
  return path.win32.join(env['SystemRoot'] ?? env['windir'] ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts');
}

/**
 * "ADDRESS NAME [ALIAS…]" lines; '#' starts a comment anywhere; names compare case-insensitively and without a
 * trailing dot. A line whose first field is not an IP address is skipped, as resolvers skip it. IPv6 scope ids
 * (fe80::1%eth0) stay on the address.
 */
export function parseHostsFile(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)) {
    const [address, ...names] = (line.split('#')[0] ?? '').trim().split(/\s+/);
    if (address === undefined || names.length === 0 || isIP(address.replace(/%.*$/, '')) === 0) continue;
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/\.$/, '');
      if (name === '') continue;
      const addresses = entries.get(name) ?? [];
      if (!addresses.includes(address)) addresses.push(address);
      entries.set(name, addresses);
    }
  }
  return entries;
}

/** The hosts file at `file`; null when there is none to read (no path, missing, unreadable). */
export async function readHostsFile(file: string | null): Promise<HostsFile | null> {
  if (file === null) return null;
  try {
    return { path: file, entries: parseHostsFile(await readFile(file, 'utf8')) };
  } catch {
    return null;
  }
}

export function hostsPinFor(file: HostsFile | null, name: string): HostsPin | null {
  const addresses = file?.entries.get(name.toLowerCase().replace(/\.$/, ''));
  return file && addresses && addresses.length > 0 ? { path: file.path, addresses: [...addresses] } : null;
}
