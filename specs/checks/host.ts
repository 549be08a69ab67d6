// host: this machine's prerequisites for the agents (Windows only). Each judge is pure over the registry values;
// elsewhere each prerequisite is a skip that says why, which is no verdict (a run of only these tested nothing).
import { hostname } from 'node:os';
import type { CheckResult } from '../../model/result.js';
import { HOST_KEYS, readHostPrerequisites, type HostEvidence, type HostKeyName, type HostKeyReading } from '../../probes/host-prerequisites.js';
import { regDword, regString, systemRegistryReader, type RegistryKey, type RegistryReader } from '../../probes/reg-query.js';
import { makeResult, type CheckRun, type ResultSubject, type Verdict } from '../check-run.js';

export const HOST_PREREQUISITES = ['execution-policy-machine', 'execution-policy-user', 'schannel-tls12', 'dotnet-tls12', 'dotnet-release'] as const;
export type HostPrerequisite = (typeof HOST_PREREQUISITES)[number];

/** .NET Framework 4.7.2's Release value (Microsoft's "determine which versions are installed" table). */
export const DOTNET_472_RELEASE = 461808;
const REG_DEADLINE_MS = 5000;

/** Which keys each prerequisite reads. */
const KEYS_OF: Record<HostPrerequisite, HostKeyName[]> = {
  'execution-policy-machine': ['machinePolicy'],
  'execution-policy-user': ['userPolicy'],
  'schannel-tls12': ['schannelTls12Client'],
  'dotnet-tls12': ['dotNet64', 'dotNet32'],
  'dotnet-release': ['dotNetSetup'],
};

export function hostCheck(run: CheckRun, prerequisite: HostPrerequisite, platform: NodeJS.Platform = process.platform, reader?: RegistryReader): Promise<CheckResult> {
  const subject: ResultSubject = { id: `host:${prerequisite}`, check: 'host', host: hostname(), address: null, port: null, url: null };
  return run.once(subject, async () => {
    if (platform !== 'win32') {
      return makeResult(subject, { status: 'skip', code: 'SKIPPED_PREREQUISITE', message: `not run: ${prerequisite} is a Windows prerequisite of the agents; this machine is ${platform}` }, 0, { platform });
    }
    const started = performance.now();
    const evidence = await run.observe.derived.once('host', 'registry', () => readHostPrerequisites(reader ?? systemRegistryReader(REG_DEADLINE_MS)));
    const unreadable = KEYS_OF[prerequisite].map((name) => evidence[name]).find((reading): reading is { error: string } => 'error' in reading);
    const verdict = unreadable
      ? { status: 'skip' as const, code: 'SKIPPED_PREREQUISITE' as const, message: `not run: the registry could not be read (${unreadable.error})` }
      : judgeHost(prerequisite, evidence);
    return makeResult(subject, verdict, Math.round(performance.now() - started), registryEvidence(evidence, KEYS_OF[prerequisite]));
  });
}

export function judgeHost(prerequisite: HostPrerequisite, evidence: HostEvidence): Verdict {
  const values = (name: HostKeyName) => ('values' in evidence[name] ? (evidence[name] as { values: RegistryKey | null }).values : null);
  switch (prerequisite) {
    case 'execution-policy-machine':
      return judgeExecutionPolicy('machine (LocalMachine)', HOST_KEYS.machinePolicy, regString(values('machinePolicy'), 'ExecutionPolicy'));
    case 'execution-policy-user':
      return judgeExecutionPolicy('user (CurrentUser)', HOST_KEYS.userPolicy, regString(values('userPolicy'), 'ExecutionPolicy'));
    case 'schannel-tls12':
      return judgeSchannelTls12(values('schannelTls12Client'));
    case 'dotnet-tls12':
      return judgeDotNetTls12(values('dotNet64'), values('dotNet32'));
    case 'dotnet-release':
      return judgeDotNetRelease(regDword(values('dotNetSetup'), 'Release'));
  }
}

/** Undefined (no value) or RemoteSigned; anything else (Unrestricted above all) breaks the registration scripts. */
export function judgeExecutionPolicy(scope: string, key: string, policy: string | null): Verdict {
  const shown = policy === null || policy.trim() === '' ? 'Undefined' : policy.trim();
  if (/^(undefined|remotesigned)$/i.test(shown)) {
    return { status: 'pass', code: 'HOST_OK', message: `PowerShell execution policy at ${scope} scope is ${shown}` };
  }
  const scopeName = scope.startsWith('machine') ? 'LocalMachine' : 'CurrentUser';
  return {
    status: 'fail', code: 'HOST_EXECUTION_POLICY',
    message: `PowerShell execution policy at ${scope} scope is ${shown.slice(0, 40)}: the agent's registration scripts need Undefined or RemoteSigned${/^unrestricted$/i.test(shown) ? ' (Unrestricted makes registration fail with a security error)' : ''}`,
    remediation: `Set-ExecutionPolicy -Scope ${scopeName} RemoteSigned (as the account that registers the agent), or clear ${key}\\ExecutionPolicy; a Group Policy setting overrides both.`,
  };
}

/** TLS 1.2 is on for SChannel clients unless Enabled=0 or DisabledByDefault=1 says otherwise. */
export function judgeSchannelTls12(key: RegistryKey | null): Verdict {
  const enabled = regDword(key, 'Enabled');
  const disabledByDefault = regDword(key, 'DisabledByDefault');
  const where = HOST_KEYS.schannelTls12Client;
  if (enabled === 0 || disabledByDefault === 1) {
    return {
      status: 'fail', code: 'HOST_TLS12_DISABLED',
      message: `TLS 1.2 is disabled for SChannel clients (${[enabled === 0 ? 'Enabled=0' : '', disabledByDefault === 1 ? 'DisabledByDefault=1' : ''].filter(Boolean).join(', ')} in ${where}): the agents connect with TLS 1.2 only`,
      remediation: `Set ${where} Enabled=1 and DisabledByDefault=0 (REG_DWORD), then restart the server.`,
    };
  }
  const how = key === null ? 'no override (the Windows default: enabled)' : `Enabled=${enabled ?? 'unset'}, DisabledByDefault=${disabledByDefault ?? 'unset'}`;
  return { status: 'pass', code: 'HOST_OK', message: `TLS 1.2 is enabled for SChannel clients: ${how}` };
}

/** SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 for 64-bit and 32-bit .NET Framework 4. */
export function judgeDotNetTls12(key64: RegistryKey | null, key32: RegistryKey | null): Verdict {
  const problems: string[] = [];
  let explicitOff = false;
  for (const [label, key] of [['64-bit', key64], ['32-bit (Wow6432Node)', key32]] as const) {
    for (const name of ['SchUseStrongCrypto', 'SystemDefaultTlsVersions']) {
      const value = regDword(key, name);
      if (value === 1) continue;
      if (value === 0) explicitOff = true;
      problems.push(`${label} ${name}=${value ?? 'unset'}`);
    }
  }
  if (problems.length === 0) return { status: 'pass', code: 'HOST_OK', message: '.NET Framework uses strong crypto and the system\'s TLS versions (SchUseStrongCrypto=1, SystemDefaultTlsVersions=1, 64- and 32-bit)' };
  return {
    // Unset: .NET 4.7+ applications already follow the system's TLS defaults; explicit 0 forces older protocols.
    status: explicitOff ? 'fail' : 'warn', code: 'HOST_TLS12_DISABLED',
    message: `.NET Framework may not offer TLS 1.2: ${problems.join(', ')}`,
    remediation: `Set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 (REG_DWORD) under ${HOST_KEYS.dotNet64} and ${HOST_KEYS.dotNet32}, then restart the agent's services.`,
  };
}

export function judgeDotNetRelease(release: number | null): Verdict {
  if (release !== null && release >= DOTNET_472_RELEASE) return { status: 'pass', code: 'HOST_OK', message: `.NET Framework 4 release ${release} (4.7.2 is ${DOTNET_472_RELEASE}): new enough` };
  return {
    status: 'fail', code: 'HOST_DOTNET_TOO_OLD',
    message: release === null ? `.NET Framework 4.5 or newer is not installed (no Release under ${HOST_KEYS.dotNetSetup})` : `.NET Framework 4 release ${release} is older than 4.7.2 (${DOTNET_472_RELEASE}), which the connector needs`,
    remediation: 'Install .NET Framework 4.7.2 or newer (4.8 recommended), then restart the server.',
  };
}

function registryEvidence(evidence: HostEvidence, names: readonly HostKeyName[]): Record<string, Record<string, string> | string | null> {
  return Object.fromEntries(names.map((name) => [HOST_KEYS[name], describeReading(evidence[name])]));
}

function describeReading(reading: HostKeyReading): Record<string, string> | string | null {
  if ('error' in reading) return `unreadable: ${reading.error}`;
  if (reading.values === null) return null;
  return Object.fromEntries([...reading.values].map(([name, value]) => [name, `${value.type} ${value.data}`.slice(0, 200)]));
}
