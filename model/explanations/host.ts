// Prerequisites of this machine (check kind `host`, Windows): what the agents' installers and services need of it.
import type { HOST_CODES } from '../codes.js';

type HostCode = (typeof HOST_CODES)[number];
import type { CodeExplanation } from './explanation.js';
import { REQUIREMENT } from './requirements.js';

export const HOST_EXPLANATIONS: Readonly<Record<HostCode, CodeExplanation>> = {
  HOST_OK: {
    title: 'this machine meets the prerequisite',
    meaning: 'The registry says this machine meets the prerequisite the check reads (execution policy, TLS 1.2 for SChannel or .NET, .NET Framework release).',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.host,
  },
  HOST_EXECUTION_POLICY: {
    title: 'PowerShell policy blocks the agent scripts',
    meaning: 'The PowerShell execution policy at machine or user scope is neither Undefined nor RemoteSigned. The cloud sync agent runs PowerShell registration scripts during installation; Microsoft names Unrestricted as a cause of "Agent registration fails with security error".',
    causes: ['a hardening baseline or Group Policy set the policy', 'an administrator set Unrestricted or AllSigned'],
    change: 'Set the machine and user policies to RemoteSigned or Undefined (Set-ExecutionPolicy RemoteSigned -Scope LocalMachine, and -Scope CurrentUser for the installing account); a Group Policy setting overrides both.',
    requirement: REQUIREMENT.host,
  },
  HOST_TLS12_DISABLED: {
    title: 'TLS 1.2 is not enabled for SChannel or .NET',
    meaning: 'TLS 1.2 is disabled for SChannel clients, or the .NET Framework is not told to use the system\'s strong protocols (SchUseStrongCrypto, SystemDefaultTlsVersions), so the agent may offer only older protocols the service refuses.',
    causes: ['an old or hardened server image', 'a registry baseline that predates TLS 1.2 by default'],
    change: 'Under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client set Enabled=1 and DisabledByDefault=0; under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and its Wow6432Node twin set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1; restart the agent\'s services.',
    requirement: REQUIREMENT.tls12,
  },
  HOST_DOTNET_TOO_OLD: {
    title: 'the .NET Framework is older than 4.7.2',
    meaning: 'The .NET Framework 4 release number in the registry is below 461808 (4.7.2), which the agents require.',
    causes: ['a server that was never updated past an older .NET Framework'],
    change: 'Install .NET Framework 4.7.2 or newer (4.8 is current), then restart.',
    requirement: REQUIREMENT.host,
  },
};
