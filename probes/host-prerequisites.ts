// This Windows machine's own prerequisites for the agents, read from the registry with reg.exe (no PowerShell
// module needed): the PowerShell execution policy at machine and user scope (the registration scripts fail under
// Unrestricted, per the cloud sync troubleshooting article), TLS 1.2 for SChannel clients and for .NET Framework,
// and the .NET Framework release (the connector needs 4.7.2). HKCU is the account that runs preflight: run it as
// the agent's service account to see that account's user policy.
import type { RegistryKey, RegistryReader } from './reg-query.js';

export const HOST_KEYS = {
  machinePolicy: 'HKLM\\SOFTWARE\\Microsoft\\PowerShell\\1\\ShellIds\\Microsoft.PowerShell',
  userPolicy: 'HKCU\\SOFTWARE\\Microsoft\\PowerShell\\1\\ShellIds\\Microsoft.PowerShell',
  schannelTls12Client: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client',
  dotNet64: 'HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319',
  dotNet32: 'HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319',
  dotNetSetup: 'HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full',
} as const;

export type HostKeyName = keyof typeof HOST_KEYS;

/** Each key as read: its values, null when the key does not exist, or why it could not be read. */
export type HostKeyReading = { values: RegistryKey | null } | { error: string };

export type HostEvidence = Record<HostKeyName, HostKeyReading>;

export async function readHostPrerequisites(reader: RegistryReader): Promise<HostEvidence> {
  const names = Object.keys(HOST_KEYS) as HostKeyName[];
  const readings = await Promise.all(names.map(async (name): Promise<HostKeyReading> => {
    try {
      return { values: await reader(HOST_KEYS[name]) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }));
  return Object.fromEntries(names.map((name, index) => [name, readings[index]])) as HostEvidence;
}
