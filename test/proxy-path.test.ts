// Through a proxy, as the agent goes: CONNECT tunnels per host × port, TLS and the inspection verdict over them,
// and what the proxy did (407, 403, 502, bumped TLS, unreachable), from the lab forward proxy. Runs the built CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startForwardProxy, type ForwardProxyOptions, type LabForwardProxy } from '../lab/forward-proxy.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture, type LabTlsServer } from '../lab/tls-servers.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight } from './support/cli.js';

const serviceAddress = loopbackAddress(801);
const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-proxy-'));
const cleanups: Array<() => Promise<unknown>> = [];
let pki: LabPki;
let port: number;
let dns: LabDnsServer;
let nextProxyAddress = 810;

beforeAll(async () => {
  pki = await labPki();
  port = await findSharedFreePort([serviceAddress]);
  const service: LabTlsServer = await startTlsFixture(serviceAddress, port, { kind: 'intercept', authority: pki.publicIssuing });
  cleanups.push(() => service.close());
  dns = await startLabDnsServer({ zone: { 'ok.lab.test': { records: [{ type: 'A', value: serviceAddress }] } } });
  cleanups.push(() => dns.close());
  writeFileSync(path.join(work, 'roots.pem'), pki.trustedRootsPem);
  writeFileSync(path.join(work, 'targets.yaml'), 'endpoints:\n  - url: https://ok.lab.test/\n  - url: https://denied.lab.test/\n');
});
afterAll(() => Promise.all(cleanups.map((cleanup) => cleanup())));

async function labProxy(options: Partial<ForwardProxyOptions> = {}): Promise<LabForwardProxy> {
  const proxy = await startForwardProxy({
    host: loopbackAddress(nextProxyAddress++),
    resolve: (host) => (host.endsWith('.lab.test') ? serviceAddress : null),
    ...options,
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function run(extra: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; doc: RunDocument; output: string }> {
  const json = path.join(work, `run-${Math.random().toString(36).slice(2)}.json`);
  const result = await runPreflight([
    '-c', 'targets.yaml', '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--ca-file', 'roots.pem',
    '--timeout', '2000', '--json', json, ...extra,
  ], { cwd: work, env });
  return { code: result.code, doc: JSON.parse(readFileSync(json, 'utf8')) as RunDocument, output: result.stdout + result.stderr + readFileSync(json, 'utf8') };
}

const byId = (doc: RunDocument, id: string): CheckResult | undefined => doc.results.find((r) => r.id === id);

describe('through an explicit proxy', () => {
  it('opens a tunnel per host and port, and checks TLS and inspection over it', async () => {
    const proxy = await labProxy({ deny: ['denied.lab.test'], denyPolicy: 'Corp egress policy 7' });
    const { doc } = await run(['--proxy', proxy.url]);
    expect(byId(doc, `proxy:${proxy.url}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(byId(doc, 'tcp:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'TCP_OK', address: null });
    expect(byId(doc, 'tcp:ok.lab.test:443')?.message).toMatch(new RegExp(`^tunnel to ok\\.lab\\.test:${port} opened through proxy ${proxy.url} \\(from --proxy\\) in [\\d.]+ ms$`));
    expect(byId(doc, 'tls:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(byId(doc, 'tls:ok.lab.test:443')?.message).toContain(`ok.lab.test:443 through proxy ${proxy.url} (from --proxy): TLSv1.3`);
    expect(byId(doc, 'inspection:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    expect(proxy.requests.some((r) => r.method === 'CONNECT' && r.target === `ok.lab.test:${port}`)).toBe(true);
  });

  it('a policy refusal: PROXY_DENIED with the block page title, and TLS skipped', async () => {
    const proxy = await labProxy({ deny: ['denied.lab.test'], denyPolicy: 'Corp egress policy 7' });
    const { doc } = await run(['--proxy', proxy.url]);
    const denied = byId(doc, 'tcp:denied.lab.test:443');
    expect(denied).toMatchObject({ status: 'fail', code: 'PROXY_DENIED' });
    expect(denied?.message).toContain('403');
    expect(denied?.remediation).toContain('Corp egress policy 7');
    expect(byId(doc, 'tls:denied.lab.test:443')).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE' });
    // The local lookup fails, but the proxy resolves the name: a warning, not a failure.
    expect(byId(doc, 'dns:denied.lab.test')).toMatchObject({ status: 'warn', code: 'DNS_NXDOMAIN' });
    expect(byId(doc, 'dns:denied.lab.test')?.message).toContain('the proxy resolves this name itself');
  });

  it('407: PROXY_AUTH_REQUIRED naming the schemes, and the connector cannot authenticate', async () => {
    const proxy = await labProxy({ auth: { username: 'svc', password: 'pw', alsoOffer: ['NTLM'] } });
    const { doc } = await run(['--proxy', proxy.url]);
    const refused = byId(doc, 'tcp:ok.lab.test:443');
    expect(refused).toMatchObject({ status: 'fail', code: 'PROXY_AUTH_REQUIRED' });
    expect(refused?.message).toMatch(/Basic.*NTLM|NTLM.*Basic/);
    expect(refused?.remediation).toContain('the connector does not support proxy authentication');
    expect(byId(doc, 'tls:ok.lab.test:443')).toMatchObject({ status: 'skip' });
  });

  it('the right Basic credentials open the tunnel, and the password shows nowhere', async () => {
    const proxy = await labProxy({ auth: { username: 'svc', password: 'hunter2-secret' } });
    const { doc, output } = await run(['--proxy', `http://svc:hunter2-secret@${proxy.host}:${proxy.port}`]);
    expect(byId(doc, 'tls:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(output).not.toContain('hunter2-secret');
  });

  it('a proxy whose upstream fails: PROXY_ERROR with its status', async () => {
    const proxy = await labProxy({ upstreamError: 502 });
    const { doc } = await run(['--proxy', proxy.url]);
    expect(byId(doc, 'tcp:ok.lab.test:443')).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(byId(doc, 'tcp:ok.lab.test:443')?.message).toContain('502');
  });

  it('a proxy that re-signs TLS (bumped): TLS_INSPECTED through the tunnel', async () => {
    const proxy = await labProxy({ resignWith: pki.zscalerIntermediate });
    const { doc } = await run(['--proxy', proxy.url]);
    expect(byId(doc, 'inspection:ok.lab.test:443')).toMatchObject({ status: 'fail', code: 'TLS_INSPECTED' });
    expect(byId(doc, 'inspection:ok.lab.test:443')?.evidence['vendor']).toBe('zscaler');
  });

  it('an unreachable proxy: PROXY_UNREACHABLE on the proxy check and on each tunnel', async () => {
    const nowhere = loopbackAddress(nextProxyAddress++);
    const { doc } = await run(['--proxy', `http://${nowhere}:${port}`]);
    expect(doc.results.find((r) => r.check === 'proxy')).toMatchObject({ status: 'fail', code: 'PROXY_UNREACHABLE' });
    expect(byId(doc, 'tcp:ok.lab.test:443')).toMatchObject({ status: 'fail', code: 'PROXY_UNREACHABLE' });
  });
});

describe('where the proxy setting comes from', () => {
  it("--agent-config: the provisioning agent's <defaultProxy> is the path checked", async () => {
    const proxy = await labProxy();
    const agentConfig = path.join(work, 'AADConnectProvisioningAgent.exe.config');
    writeFileSync(agentConfig, `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <startup><supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.7.2" /></startup>
  <system.net>
    <defaultProxy enabled="true" useDefaultCredentials="true">
      <proxy usesystemdefault="false" proxyaddress="${proxy.url}" bypassonlocal="true" />
    </defaultProxy>
  </system.net>
</configuration>`);
    const { doc } = await run(['--agent-config', agentConfig]);
    expect(byId(doc, 'tls:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(doc.results.find((r) => r.check === 'proxy')?.message).toContain("(from the agent's config file (--agent-config))");
    expect(byId(doc, 'tls:ok.lab.test:443')?.message).toContain(`through proxy ${proxy.url} (from the agent's config file (--agent-config))`);
    expect(proxy.requests.some((r) => r.method === 'CONNECT' && r.target === `ok.lab.test:${port}`)).toBe(true);
  });

  it('HTTPS_PROXY with NO_PROXY: a bypassed host goes direct, to each of its addresses', async () => {
    const proxy = await labProxy();
    const { doc } = await run([], { HTTPS_PROXY: proxy.url, NO_PROXY: '.lab.test' });
    expect(byId(doc, `tls:ok.lab.test@${serviceAddress}:443`)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(proxy.requests.filter((r) => r.method === 'CONNECT')).toEqual([]);
  });
});
