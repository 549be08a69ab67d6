// --pac and --wpad against the lab: a PAC routing one endpoint DIRECT and another through the lab proxy after a
// dead first proxy (WinHTTP's failover), hostile PACs that end as PROXY_ERROR within their deadline, a PAC URL,
// and WPAD found through the lab's DNS and port 80. Runs the built CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startForwardProxy, type LabForwardProxy } from '../lab/forward-proxy.js';
import { startHttpFixtures, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight } from './support/cli.js';

const serviceAddress = loopbackAddress(851);
const wpadAddress = loopbackAddress(852);
const deadAddress = loopbackAddress(853);
const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-pac-'));
const cleanups: Array<() => Promise<unknown>> = [];
let pki: LabPki;
let port: number;
let httpPort: number;
let dns: LabDnsServer;
let proxy: LabForwardProxy;
let wpadServer: LabHttpServer;

/** DIRECT for direct.lab.test (decided on the address the run's DNS gives), the dead proxy then the live one for the rest. */
const routingPac = (live: string) => `function FindProxyForURL(url, host) {
  if (host == "direct.lab.test" && isInNet(dnsResolve(host), "127.0.0.0", "255.0.0.0")) return "DIRECT";
  return "PROXY ${deadAddress}:${port}; PROXY ${live}; DIRECT";
}`;

beforeAll(async () => {
  pki = await labPki();
  port = await findSharedFreePort([serviceAddress, deadAddress]);
  httpPort = await findSharedFreePort([wpadAddress]);
  const service = await startTlsFixture(serviceAddress, port, { kind: 'intercept', authority: pki.publicIssuing });
  cleanups.push(() => service.close());
  dns = await startLabDnsServer({
    zone: {
      'ok.lab.test': { records: [{ type: 'A', value: serviceAddress }] },
      'direct.lab.test': { records: [{ type: 'A', value: serviceAddress }] },
      'wpad.corp.lab.test': { records: [{ type: 'A', value: wpadAddress }] },
    },
  });
  cleanups.push(() => dns.close());
  proxy = await startForwardProxy({ host: loopbackAddress(854), resolve: (host) => (host.endsWith('.lab.test') ? serviceAddress : null) });
  cleanups.push(() => proxy.close());
  wpadServer = await startHttpFixtures(wpadAddress, httpPort, {
    '/wpad.dat': { kind: 'body', contentType: 'application/x-ns-proxy-autoconfig', body: routingPac(`${proxy.host}:${proxy.port}`) },
  });
  cleanups.push(() => wpadServer.close());
  writeFileSync(path.join(work, 'roots.pem'), pki.trustedRootsPem);
  writeFileSync(path.join(work, 'targets.yaml'), 'endpoints:\n  - url: https://ok.lab.test/\n  - url: https://direct.lab.test/\n');
  writeFileSync(path.join(work, 'routing.pac'), routingPac(`${proxy.host}:${proxy.port}`));
  writeFileSync(path.join(work, 'loop.pac'), 'function FindProxyForURL(url, host) { for (;;) {} }');
  writeFileSync(path.join(work, 'huge.pac'), 'function FindProxyForURL(url, host) { var s = "PROXY a:1;"; while (true) s = s + s; }');
  writeFileSync(path.join(work, 'long.pac'), 'function FindProxyForURL(url, host) { return new Array(5000).join("PROXY a:1; "); }');
  writeFileSync(path.join(work, 'throws.pac'), 'function FindProxyForURL(url, host) { throw new Error("no rule for " + host); }');
});
afterAll(() => Promise.all(cleanups.map((cleanup) => cleanup())));

async function run(extra: string[]): Promise<{ code: number | null; doc: RunDocument; stderr: string }> {
  const json = path.join(work, `run-${Math.random().toString(36).slice(2)}.json`);
  const result = await runPreflight([
    '-c', 'targets.yaml', '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port},80=${httpPort}`, '--ca-file', 'roots.pem',
    '--only', 'tcp,proxy', '--timeout', '1500', '--json', json, ...extra,
  ], { cwd: work });
  return { code: result.code, doc: JSON.parse(readFileSync(json, 'utf8')) as RunDocument, stderr: result.stderr };
}

const byId = (doc: RunDocument, id: string): CheckResult | undefined => doc.results.find((r) => r.id === id);
const route = (result: CheckResult | undefined) => result?.evidence['route'] as Record<string, unknown> | undefined;

describe('--pac FILE', () => {
  it('routes one endpoint DIRECT and the other through the second proxy when the first is dead', async () => {
    const { doc } = await run(['--pac', 'routing.pac']);
    const direct = byId(doc, `tcp:direct.lab.test@${serviceAddress}:443`);
    expect(direct).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(direct?.message).toContain('; DIRECT by the PAC: FindProxyForURL returned "DIRECT"');
    expect(route(direct)).toMatchObject({ via: 'pac', decision: 'DIRECT', proxy: null });

    const proxied = byId(doc, 'tcp:ok.lab.test:443');
    expect(proxied).toMatchObject({ status: 'pass', code: 'TCP_OK', address: null });
    expect(proxied?.message).toContain(`through proxy ${proxy.url} (from the PAC file (--pac) ${path.join(work, 'routing.pac')}, whose FindProxyForURL returned "PROXY ${deadAddress}:${port}; PROXY ${proxy.host}:${proxy.port}; DIRECT")`);
    expect(route(proxied)?.['passedOver']).toEqual([expect.stringMatching(new RegExp(`^http://${deadAddress.replace(/\./g, '\\.')}:${port}: no connection opens`))]);
    expect(proxy.requests.some((r) => r.method === 'CONNECT' && r.target === `ok.lab.test:${port}`)).toBe(true);

    expect(byId(doc, `proxy:${proxy.url}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(byId(doc, `proxy:pac:unreachable:http://${deadAddress}:${port}`)).toMatchObject({ status: 'warn', code: 'PROXY_UNREACHABLE' });
    const summary = byId(doc, `proxy:pac:${path.join(work, 'routing.pac')}`);
    expect(summary).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(summary?.message).toContain('answered for all 2 endpoint URLs: 1 DIRECT, 1 through');
  });

  it.each([
    ['loop.pac', 'ran past its deadline'],
    ['huge.pac', /more memory than the sandbox allows|string too long/],
    ['long.pac', 'characters, more than any proxy list (4096)'],
    ['throws.pac', 'Error: no rule for'],
  ])('a hostile %s is a PROXY_ERROR finding, and the endpoints are checked DIRECT', async (file, reason) => {
    const { code, doc } = await run(['--pac', file]);
    expect(code).toBe(1);
    const finding = byId(doc, `proxy:pac:${path.join(work, file)}`);
    expect(finding).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(finding?.message).toMatch(reason);
    expect(finding?.message).toContain('checked DIRECT, as .NET connects when the script fails');
    const direct = byId(doc, `tcp:ok.lab.test@${serviceAddress}:443`);
    expect(direct).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(route(direct)).toMatchObject({ decision: null, proxy: null });
    expect(String(route(direct)?.['error'])).toMatch(reason);
  }, 30_000);

  it('a PAC file that cannot be read, or is no PAC, exits 2 before any probe', async () => {
    const missing = await runPreflight(['-c', 'targets.yaml', '--pac', 'nope.pac'], { cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('preflight: --pac nope.pac: cannot read it (no such file)');
    writeFileSync(path.join(work, 'not.pac'), 'hello');
    const notPac = await runPreflight(['-c', 'targets.yaml', '--pac', 'not.pac'], { cwd: work });
    expect(notPac.code).toBe(2);
    expect(notPac.stderr).toContain('--pac not.pac: defines no FindProxyForURL function: not a PAC file');
    const both = await runPreflight(['-c', 'targets.yaml', '--pac', 'routing.pac', '--proxy', 'http://p:1'], { cwd: work });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--pac and --proxy each decide the proxy: use one of them');
  });
});

describe('--pac URL and --wpad', () => {
  it('fetches the PAC from a URL through the run\'s DNS and routes by it', async () => {
    const { doc } = await run(['--pac', 'http://wpad.corp.lab.test/wpad.dat']);
    expect(byId(doc, 'tcp:ok.lab.test:443')).toMatchObject({ status: 'pass', code: 'TCP_OK', address: null });
    expect(byId(doc, 'proxy:pac:http://wpad.corp.lab.test/wpad.dat')).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
  });

  it('a PAC URL that does not resolve: PROXY_ERROR, endpoints DIRECT', async () => {
    const { doc } = await run(['--pac', 'http://nowhere.lab.test/proxy.pac']);
    const finding = byId(doc, 'proxy:pac:http://nowhere.lab.test/proxy.pac');
    expect(finding).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(finding?.message).toContain('could not be fetched: nowhere.lab.test does not resolve: DNS_NXDOMAIN');
    expect(byId(doc, `tcp:ok.lab.test@${serviceAddress}:443`)).toMatchObject({ status: 'pass' });
  });

  it('WPAD walks the suffix up to wpad.corp.lab.test, fetches wpad.dat from port 80, and warns about the attack', async () => {
    const { doc } = await run(['--wpad', '--wpad-suffix', 'eu.corp.lab.test']);
    const found = byId(doc, 'proxy:wpad');
    expect(found).toMatchObject({ status: 'warn', code: 'PROXY_OK', host: 'wpad.corp.lab.test' });
    expect(found?.message).toContain(`WPAD: http://wpad.corp.lab.test/wpad.dat answered from ${wpadAddress}`);
    expect(found?.message).toContain('a WPAD answer from a host you do not expect is a known attack');
    expect(found?.evidence['asked']).toEqual([
      expect.stringMatching(/^wpad\.eu\.corp\.lab\.test: not resolved \(DNS_NXDOMAIN/),
      expect.stringMatching(/^wpad\.corp\.lab\.test: PAC fetched from /),
    ]);
    expect(wpadServer.requests.some((r) => r.path === '/wpad.dat')).toBe(true);
    expect(byId(doc, 'tcp:ok.lab.test:443')).toMatchObject({ status: 'pass', address: null });
    expect(route(byId(doc, 'tcp:ok.lab.test:443'))).toMatchObject({ via: 'wpad', pac: 'http://wpad.corp.lab.test/wpad.dat' });
    expect(byId(doc, `tcp:direct.lab.test@${serviceAddress}:443`)?.message).toContain("DIRECT by WPAD's PAC");
  });

  it('WPAD that finds nothing says what it asked; the endpoints go DIRECT', async () => {
    const { doc } = await run(['--wpad', '--wpad-suffix', 'other.lab.test']);
    const none = byId(doc, 'proxy:wpad');
    expect(none).toMatchObject({ status: 'warn', code: 'PROXY_OK' });
    expect(none?.message).toMatch(/^WPAD: no PAC found \(wpad\.other\.lab\.test: not resolved .*wpad\.lab\.test: not resolved .*\); the agent connects DIRECT$/);
    expect(byId(doc, `tcp:ok.lab.test@${serviceAddress}:443`)).toMatchObject({ status: 'pass' });
  });
});
