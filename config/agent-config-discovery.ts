// --agent-config auto: each agent's .exe.config at its documented default path, then machine.config, as .NET
// Framework resolves <system.net><defaultProxy>: the service's own file first; a file that names no proxy defers
// to machine.config; one that defers there too means the system default proxy (the service account's Internet
// Options). Paths, from Microsoft's documentation:
//   provisioning agent  C:\Program Files\Microsoft Azure AD Connect Provisioning Agent\AADConnectProvisioningAgent.exe.config
//                       (the cloud sync troubleshooting article, shared/reference/000_*.txt)
//   connector           C:\Program Files\Microsoft Entra private network connector\MicrosoftEntraPrivateNetworkConnectorService.exe.config,
//                       before the rename C:\Program Files\Microsoft AAD App Proxy Connector\ApplicationProxyConnectorService.exe.config
//   connector updater   ...\Microsoft Entra private network connector Updater\MicrosoftEntraPrivateNetworkConnectorUpdaterService.exe.config,
//                       before the rename ...\Microsoft AAD App Proxy Connector Updater\ApplicationProxyConnectorUpdaterService.exe.config
//                       (entra-docs, private network connector version history: the table of renamed files)
//   machine.config      %WINDIR%\Microsoft.NET\Framework64\v4.0.30319\Config\machine.config
// `root` (--agent-config-root, for tests and for a copied tree) stands for the system drive.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { agentProxySetting, readAgentConfigFile, type AgentProxySetting } from './agent-config.js';
import { UsageError } from './errors.js';
import type { ProxyPlan, RoutingFinding } from './plan.js';

export interface AgentService {
  name: string;
  /** Windows paths relative to Program Files, the current name first. */
  files: string[];
}

export const AGENT_SERVICES: readonly AgentService[] = [
  { name: 'provisioning agent', files: ['Microsoft Azure AD Connect Provisioning Agent\\AADConnectProvisioningAgent.exe.config'] },
  {
    name: 'private network connector',
    files: ['Microsoft Entra private network connector\\MicrosoftEntraPrivateNetworkConnectorService.exe.config', 'Microsoft AAD App Proxy Connector\\ApplicationProxyConnectorService.exe.config'],
  },
  {
    name: 'connector updater',
    files: ['Microsoft Entra private network connector Updater\\MicrosoftEntraPrivateNetworkConnectorUpdaterService.exe.config', 'Microsoft AAD App Proxy Connector Updater\\ApplicationProxyConnectorUpdaterService.exe.config'],
  },
];

const MACHINE_CONFIG = 'Microsoft.NET\\Framework64\\v4.0.30319\\Config\\machine.config';

export interface DiscoveryEnvironment {
  /** A directory standing for C:\ (tests, a copied tree); undefined on Windows: the real paths. */
  root?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

export interface ServiceProxy {
  service: string;
  /** The file that decided: the service's own, or machine.config. */
  decidedBy: string;
  setting: AgentProxySetting;
}

export interface AgentConfigDiscovery {
  /** The proxy the run takes: the first installed service's (agent, connector, updater), or null: direct. */
  proxy: ProxyPlan | null;
  services: ServiceProxy[];
  findings: RoutingFinding[];
}

export function discoverAgentConfigs(where: DiscoveryEnvironment): AgentConfigDiscovery {
  const programFiles = where.env['ProgramFiles'] ?? 'C:\\Program Files';
  const windir = where.env['WINDIR'] ?? where.env['SystemRoot'] ?? 'C:\\Windows';
  const local = (windowsPath: string) => localPath(windowsPath, where.root);
  const machinePath = local(path.win32.join(windir, MACHINE_CONFIG));
  const machine = existsSync(machinePath) ? agentProxySetting(readAgentConfigFile(machinePath, '--agent-config auto:')) : null;
  const looked: string[] = [];
  const services: ServiceProxy[] = [];
  for (const service of AGENT_SERVICES) {
    const candidates = service.files.map((file) => local(path.win32.join(programFiles, file)));
    looked.push(...candidates);
    const file = candidates.find((candidate) => existsSync(candidate));
    if (file === undefined) continue;
    const own = agentProxySetting(readAgentConfigFile(file, '--agent-config auto:'));
    // A service file that names no proxy leaves <defaultProxy> to machine.config, which may name one.
    const deferred = own.kind === 'system-default' && machine !== null && machine.kind !== 'system-default';
    services.push({ service: service.name, decidedBy: deferred ? machinePath : file, setting: deferred ? (machine as AgentProxySetting) : own });
  }
  if (services.length === 0) {
    throw new UsageError(`--agent-config auto: no agent config file at the default paths (looked at ${looked.join(', ')}): pass --agent-config FILE`);
  }
  const first = services[0] as ServiceProxy;
  const runProxy = first.setting.kind === 'proxy' ? { ...first.setting.plan, origin: first.decidedBy } : null;
  return { proxy: runProxy, services, findings: services.map((service) => serviceFinding(service, first, machinePath)) };
}

/** A Windows path as a path under `root` (C:\X\Y → root/X/Y); itself when there is no root. */
export function localPath(windowsPath: string, root: string | undefined): string {
  if (root === undefined) return windowsPath;
  const parts = windowsPath.replace(/^[a-z]:\\?/i, '').split('\\').filter((part) => part !== '');
  return path.join(root, ...parts);
}

function serviceFinding(service: ServiceProxy, first: ServiceProxy, machinePath: string): RoutingFinding {
  const { setting } = service;
  const uses = setting.kind === 'proxy' ? `proxy ${setting.plan.display}` : setting.kind === 'direct' ? 'no proxy (direct)' : 'the system default proxy';
  const because = setting.kind === 'proxy' ? '' : ` (${setting.why})`;
  const tested = service === first
    ? 'this run takes that path'
    : first.setting.kind === setting.kind && (setting.kind !== 'proxy' || (first.setting.kind === 'proxy' && first.setting.plan.url === setting.plan.url))
      ? `the same path as the ${first.service}, which this run takes`
      : `a different path from the ${first.service}'s, which this run takes: run again with --agent-config ${service.decidedBy}`;
  const systemDefault = setting.kind === 'system-default'
    ? `; machine.config (${machinePath}) names none either, so the service uses its account's Internet Options (WinINet), which preflight does not read: test that proxy with --proxy, --pac or --wpad`
    : '';
  return {
    id: `proxy:agent-config:${service.service}`,
    status: setting.kind === 'system-default' || tested.startsWith('a different') ? 'warn' : 'pass',
    code: 'PROXY_OK',
    host: 'agent-config',
    message: `${service.service}: ${service.decidedBy} decides: ${uses}${because}${systemDefault}; ${tested}`,
    remediation: setting.kind === 'system-default' ? 'Name the proxy in the service\'s .exe.config (<system.net><defaultProxy>), or test the system proxy with --proxy/--pac/--wpad.' : '',
    evidence: { service: service.service, decidedBy: service.decidedBy, proxy: setting.kind === 'proxy' ? setting.plan.display : null, setting: setting.kind },
  };
}
