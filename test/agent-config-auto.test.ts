// --agent-config auto against fixture trees of the agents' default paths (a directory standing for C:\): which
// file decided each service's proxy, machine.config as the fallback, "system default proxy" as a result, and the
// CLI taking the first service's proxy.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverAgentConfigs, localPath } from '../config/agent-config-discovery.js';
import { UsageError } from '../config/errors.js';
import type { RunDocument } from '../model/result.js';
import { runPreflight } from './support/cli.js';

const tree = (name: string) => path.join(import.meta.dirname, 'fixtures', 'agent-config-tree', name);
const programFiles = (root: string, ...parts: string[]) => path.join(root, 'Program Files', ...parts);

describe('--agent-config auto', () => {
  it('maps Windows paths under the root that stands for C:\\', () => {
    expect(localPath('C:\\Program Files\\A B\\x.config', '/tmp/root')).toBe('/tmp/root/Program Files/A B/x.config');
    expect(localPath('C:\\Program Files\\A B\\x.config', undefined)).toBe('C:\\Program Files\\A B\\x.config');
  });

  it('each service: its own file decides, or machine.config, or the system default proxy', () => {
    const root = tree('all-services');
    const found = discoverAgentConfigs({ root, env: {} });
    expect(found.proxy).toMatchObject({ url: 'http://127.0.0.1:9', source: 'agent-config', bypass: ['<local>'] });
    expect(found.services.map((service) => [service.service, service.setting.kind])).toEqual([
      ['provisioning agent', 'proxy'],
      ['private network connector', 'system-default'],
      ['connector updater', 'direct'],
    ]);
    const [agent, connector, updater] = found.findings;
    expect(agent).toMatchObject({ id: 'proxy:agent-config:provisioning agent', status: 'pass', code: 'PROXY_OK' });
    expect(agent?.message).toBe(`provisioning agent: ${programFiles(root, 'Microsoft Azure AD Connect Provisioning Agent', 'AADConnectProvisioningAgent.exe.config')} decides: proxy http://127.0.0.1:9; this run takes that path`);
    expect(connector).toMatchObject({ status: 'warn', code: 'PROXY_OK' });
    expect(connector?.message).toContain('private network connector: ');
    expect(connector?.message).toContain('MicrosoftEntraPrivateNetworkConnectorService.exe.config decides: the system default proxy (no <system.net><defaultProxy> element); machine.config');
    expect(connector?.message).toContain("names none either, so the service uses its account's Internet Options (WinINet), which preflight does not read");
    // The updater of a connector installed before the rename: the old path is found.
    expect(updater?.message).toContain(`${programFiles(root, 'Microsoft AAD App Proxy Connector Updater', 'ApplicationProxyConnectorUpdaterService.exe.config')} decides: no proxy (direct) (<defaultProxy enabled="false">); a different path from the provisioning agent's, which this run takes: run again with --agent-config`);
    expect(updater?.status).toBe('warn');
  });

  it('a service file without a proxy defers to machine.config when that names one', () => {
    const root = tree('machine-config-proxy');
    const found = discoverAgentConfigs({ root, env: {} });
    expect(found.services).toHaveLength(1);
    expect(found.services[0]?.decidedBy).toBe(path.join(root, 'Windows', 'Microsoft.NET', 'Framework64', 'v4.0.30319', 'Config', 'machine.config'));
    expect(found.proxy).toMatchObject({ url: 'http://machineproxy.contoso.com:3128' });
  });

  it('no config at any default path is a usage error listing where it looked', () => {
    expect(() => discoverAgentConfigs({ root: tree('empty'), env: {} })).toThrow(UsageError);
    expect(() => discoverAgentConfigs({ root: tree('empty'), env: {} })).toThrow(/^--agent-config auto: no agent config file at the default paths \(looked at .*AADConnectProvisioningAgent\.exe\.config, .*ApplicationProxyConnectorUpdaterService\.exe\.config\): pass --agent-config FILE$/);
  });

  it('the CLI reports each service as a proxy result and goes through the first service\'s proxy', async () => {
    const { code, stdout } = await runPreflight(['--agent-config', 'auto', '--agent-config-root', tree('all-services'), '--only', 'proxy', '--json', '-', '--resolver', '127.0.0.1:1', '--timeout', '500'], { cwd: os.tmpdir() });
    const doc = JSON.parse(stdout) as RunDocument;
    expect(doc.results.map((result) => result.id).sort()).toEqual([
      'proxy:agent-config:connector updater', 'proxy:agent-config:private network connector', 'proxy:agent-config:provisioning agent', 'proxy:http://127.0.0.1:9',
    ]);
    expect(code).toBe(1);
  });

  it('off Windows without a root it is a usage error', async () => {
    const { code, stderr } = await runPreflight(['--agent-config', 'auto', '--resolver', '127.0.0.1:1'], { cwd: os.tmpdir() });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`preflight: --agent-config auto looks at the agents' Windows paths; this machine is ${process.platform}: pass --agent-config FILE, or --agent-config-root DIR for a copied tree`);
  });
});
