// What the endpoints behind a check change about a run, through the built CLI against loopback fixtures:
// optional endpoints warn instead of failing, unfilled placeholders are skipped (never sent to a proxy) and name the
// --var that would test them, vars nothing uses are refused, IP literals skip DNS, and internationalised names
// are checked as punycode and shown in Unicode.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startForwardProxy } from '../lab/forward-proxy.js';
import { listenTracked, loopbackAddress } from '../lab/loopback.js';
import { labPki } from '../lab/pki.js';
import { findSharedFreePort, startTcpListener } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight, type CliRun } from './support/cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-endpoints-'));
const up = loopbackAddress(5101);
const literal = loopbackAddress(5102);
const proxyAddress = loopbackAddress(5103);
const cleanups: Array<() => Promise<unknown>> = [];
let dns: LabDnsServer;
/** Where `up` and `literal` accept TCP (and `literal` speaks TLS): 443 is mapped here. */
let port: number;
/** Where nothing listens on `up`: 8080 is mapped here, so the optional endpoint is refused. */
let closedPort: number;
/** An HTTP server on `literal`: 80 is mapped here. */
let httpPort: number;
const httpRequests: string[] = [];

beforeAll(async () => {
  const pki = await labPki();
  writeFileSync(path.join(work, 'roots.pem'), pki.trustedRootsPem);
  port = await findSharedFreePort([up, literal]);
  const listener = await startTcpListener(up, port, 'accept');
  cleanups.push(() => listener.close());
  // The interceptor answers a client without SNI with a leaf for the address it listens on.
  const tls = await startTlsFixture(literal, port, { kind: 'intercept', authority: pki.publicIssuing });
  cleanups.push(() => tls.close());
  closedPort = await findSharedFreePort([up]);
  const server = http.createServer((request, response) => {
    httpRequests.push(`${request.headers.host ?? ''} ${request.url ?? ''}`);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
  const served = await listenTracked(server, literal, 0);
  httpPort = served.port;
  cleanups.push(() => served.close());
  dns = await startLabDnsServer({
    zone: {
      'sync.lab.test': { records: [{ type: 'A', value: up }] },
      'xn--bcher-kva.lab.test': { records: [{ type: 'A', value: up }] },
    },
  });
  cleanups.push(() => dns.close());
});
afterAll(() => Promise.all(cleanups.map((cleanup) => cleanup())));

function file(name: string, lines: string[]): string {
  writeFileSync(path.join(work, name), `${lines.join('\n')}\n`);
  return name;
}

async function run(args: string[]): Promise<{ cli: CliRun; doc: RunDocument }> {
  const json = path.join(work, `run-${Math.random().toString(36).slice(2)}.json`);
  const cli = await runPreflight([...args, '--resolver', `127.0.0.1:${dns.port}`, '--timeout', '2000', '--json', json], { cwd: work });
  return { cli, doc: JSON.parse(readFileSync(json, 'utf8')) as RunDocument };
}

function byId(doc: RunDocument, id: string): CheckResult | undefined {
  return doc.results.find((result) => result.id === id);
}

/** A usage error: exit 2, exactly this one line on stderr, before any probe. */
function expectUsageError(cli: CliRun, line: string): void {
  expect(cli.stderr).toBe(`preflight: ${line}\n`);
  expect(cli.code).toBe(2);
}

describe('optional endpoints', () => {
  it('a refused optional port is a warning with its purpose; the run exits 0', async () => {
    const config = file('optional.yaml', [
      'endpoints:',
      '  - host: sync.lab.test',
      '    ports: [443]',
      '    purpose: agent to the cloud service',
      '  - host: sync.lab.test',
      '    ports: [8080]',
      '    optional: true',
      '    purpose: agent status over port 8080 when 443 is unavailable',
    ]);
    const { cli, doc } = await run(['-c', config, '--port-map', `443=${port},8080=${closedPort}`, '--only', 'dns,tcp']);
    expect(cli.code).toBe(0);
    expect(byId(doc, `tcp:sync.lab.test@${up}:8080`)).toMatchObject({
      status: 'warn',
      code: 'TCP_REFUSED',
      message: `${up}:${closedPort} (port 8080 mapped): connection refused (RST): nothing listens, or a firewall rejects; optional: agent status over port 8080 when 443 is unavailable`,
      evidence: expect.objectContaining({ optional: true }) as unknown,
    });
    expect(byId(doc, `tcp:sync.lab.test@${up}:443`)).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(byId(doc, `tcp:sync.lab.test@${up}:443`)?.evidence['optional']).toBeUndefined();
    // The name is needed by the required 443 endpoint too: its dns check is not optional.
    expect(byId(doc, 'dns:sync.lab.test')).toMatchObject({ status: 'pass', code: 'DNS_OK' });
    expect(byId(doc, 'dns:sync.lab.test')?.evidence['optional']).toBeUndefined();
    expect(doc.summary).toEqual({ total: 3, passed: 2, failed: 0, warned: 1, skipped: 0 });
  });

  it('the same refusal on a required port fails the run', async () => {
    const config = file('required.yaml', ['endpoints:', '  - host: sync.lab.test', '    ports: [8080]']);
    const { cli, doc } = await run(['-c', config, '--port-map', `8080=${closedPort}`, '--only', 'dns,tcp']);
    expect(cli.code).toBe(1);
    expect(byId(doc, `tcp:sync.lab.test@${up}:8080`)).toMatchObject({
      status: 'fail', code: 'TCP_REFUSED', message: `${up}:${closedPort} (port 8080 mapped): connection refused (RST): nothing listens, or a firewall rejects`,
    });
  });
});

describe('unfilled placeholders', () => {
  const placeholderConfig = (name: string): string => file(name, [
    'endpoints:',
    '  - url: https://sync.lab.test/',
    '  - host: "{tenant}.msappproxy.net"',
    '    ports: [443]',
    '    wildcard: "*.msappproxy.net"',
    '  - url: http://{tenant}.msappproxy.net/status',
    '  - url: http://crl.{region}.lab.test/root.crl',
  ]);
  const notTested = 'not tested: {tenant}.msappproxy.net needs --var tenant=<value> (it stands for *.msappproxy.net)';

  it('through a proxy: skipped with the --var that would test them, never sent to the proxy', async () => {
    // sync.lab.test, through the proxy, reaches the TLS fixture: the run has a working path beside the skips.
    const proxy = await startForwardProxy({ host: proxyAddress, resolve: (host) => (host === 'sync.lab.test' ? literal : null) });
    cleanups.push(() => proxy.close());
    const { cli, doc } = await run(['-c', placeholderConfig('placeholders-proxy.yaml'), '--proxy', proxy.url, '--port-map', `443=${port}`, '--ca-file', 'roots.pem', '--only', 'dns,tcp,tls,inspection,http,crl,proxy']);
    const skipped = doc.results.filter((result) => result.host.includes('{'));
    expect(skipped.map((result) => [result.id, result.status, result.code, result.message])).toEqual([
      ['dns:{tenant}.msappproxy.net', 'skip', 'SKIPPED_PREREQUISITE', notTested],
      ['tcp:{tenant}.msappproxy.net:443', 'skip', 'SKIPPED_PREREQUISITE', notTested],
      ['tls:{tenant}.msappproxy.net:443', 'skip', 'SKIPPED_PREREQUISITE', notTested],
      ['inspection:{tenant}.msappproxy.net:443', 'skip', 'SKIPPED_PREREQUISITE', notTested],
      ['http:http://{tenant}.msappproxy.net/status', 'skip', 'SKIPPED_PREREQUISITE', notTested],
      ['dns:crl.{region}.lab.test', 'skip', 'SKIPPED_PREREQUISITE', 'not tested: crl.{region}.lab.test needs --var region=<value>'],
      ['crl:http://crl.{region}.lab.test/root.crl', 'skip', 'SKIPPED_PREREQUISITE', 'not tested: crl.{region}.lab.test needs --var region=<value>'],
    ]);
    for (const result of skipped.slice(0, 5)) expect(result.evidence).toEqual({ missingVars: ['tenant'], wildcard: '*.msappproxy.net' });
    // No wildcard stands behind crl.{region}: the file leaves out the null field (reporters/json.ts).
    for (const result of skipped.slice(5)) expect(result.evidence).toEqual({ missingVars: ['region'] });
    expect(byId(doc, `proxy:${proxy.url}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(proxy.requests.filter((request) => request.target.includes('{'))).toEqual([]);
    expect(doc.results.filter((result) => result.host === 'sync.lab.test').map((result) => [result.id, result.code])).toEqual([
      ['dns:sync.lab.test', 'DNS_OK'],
      ['tcp:sync.lab.test:443', 'TCP_OK'],
      ['tls:sync.lab.test:443', 'TLS_OK'],
      ['inspection:sync.lab.test:443', 'INSPECTION_NONE'],
    ]);
    // The CRLs and OCSP responders the lab chain names are outside the lab: the proxy cannot resolve them (502).
    expect(cli.code).toBe(1);
  });

  it('direct: the same skips, and no DNS query for the placeholder', async () => {
    const { doc } = await run(['-c', placeholderConfig('placeholders-direct.yaml'), '--port-map', `443=${port}`, '--only', 'dns,tcp,http,crl']);
    expect(byId(doc, 'tcp:{tenant}.msappproxy.net:443')).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: notTested });
    expect(byId(doc, 'http:http://{tenant}.msappproxy.net/status')?.evidence).toEqual({ missingVars: ['tenant'], wildcard: '*.msappproxy.net' });
    expect(dns.queries.filter((query) => query.name.includes('{'))).toEqual([]);
  });
});

describe('vars nothing uses', () => {
  it('an unknown --var: exit 2 naming the placeholders that exist', async () => {
    const cli = await runPreflight(['--var', 'tenantt=x', '--resolver', '127.0.0.1'], { cwd: work });
    expectUsageError(cli, '--var tenantt=x: no endpoint has {tenantt}; placeholders in this plan: tenant, namespace, microsoftonline, microsoft, msappproxy-com, windowsazure, cloudwebappproxy');
  });

  it('a typo in a config placeholder leaves the --var unused: exit 2', async () => {
    const config = file('typo.yaml', ['endpoints:', '  - host: "{tenatn}.msappproxy.net"', '    ports: [443]']);
    const cli = await runPreflight(['-c', config, '--var', 'tenant=contoso', '--resolver', '127.0.0.1'], { cwd: work });
    expectUsageError(cli, '--var tenant=contoso: no endpoint has {tenant}; placeholders in this plan: tenatn');
  });

  it('a vars: key no endpoint uses: exit 2 at its line', async () => {
    const config = file('vars.yaml', ['extends: entra-connect-health', 'vars:', '  namespace: corpbus', '  acount: corpstore']);
    const cli = await runPreflight(['-c', config, '--resolver', '127.0.0.1'], { cwd: work });
    expectUsageError(cli, 'vars.yaml:4: vars.acount: no endpoint has {acount}; placeholders in this plan: account, aadconnecthealth, namespace, adhybridhealth');
  });

  it('the lab refuses it too, before starting its network', async () => {
    const cli = await runPreflight(['lab', '--var', 'tenantt=x'], { cwd: work });
    expectUsageError(cli, '--var tenantt=x: no endpoint has {tenantt}; placeholders in this plan: tenant, namespace, microsoftonline, microsoft, msappproxy-com, windowsazure, cloudwebappproxy');
  });
});

describe('IP literal hosts', () => {
  it('no dns check and no query; tcp, tls and http connect to the literal directly, TLS without SNI', async () => {
    const config = file('literal.yaml', [
      'endpoints:',
      `  - host: ${literal}`,
      '    ports: [443]',
      `  - url: http://${literal}/health`,
    ]);
    const queriesBefore = dns.queries.length;
    const { cli, doc } = await run(['-c', config, '--port-map', `443=${port},80=${httpPort}`, '--ca-file', 'roots.pem', '--only', 'dns,tcp,tls,http']);
    expect(doc.results.map((result) => [result.id, result.code])).toEqual([
      [`tcp:${literal}@${literal}:443`, 'TCP_OK'],
      [`tcp:${literal}@${literal}:80`, 'TCP_OK'],
      [`tls:${literal}@${literal}:443`, 'TLS_OK'],
      [`http:http://${literal}/health`, 'HTTP_OK'],
    ]);
    expect(byId(doc, `tcp:${literal}@${literal}:443`)?.message).toMatch(new RegExp(`^connected to ${literal.replace(/\./g, '\\.')}:${port} \\(port 443 mapped\\) in [\\d.]+ ms$`));
    expect(byId(doc, `tls:${literal}@${literal}:443`)?.message).toContain(`${literal} at ${literal}:${port} (port 443 mapped): TLSv1.3`);
    expect(httpRequests).toContain(`${literal} /health`);
    expect(dns.queries.length).toBe(queriesBefore);
    expect(cli.code).toBe(0);
    // Node warns when a servername is an IP address: none was set.
    expect(cli.stderr).not.toContain('ServerName');
  });

  it('an IPv6 literal URL: bracketed in the id, connected to directly', async () => {
    const v6 = await startTcpListener('::1', 0, 'accept');
    cleanups.push(() => v6.close());
    const config = file('literal-v6.yaml', ['endpoints:', '  - url: https://[::1]:8443/']);
    const { doc } = await run(['-c', config, '--port-map', `8443=${v6.port}`, '--only', 'dns,tcp']);
    expect(doc.results.map((result) => [result.id, result.status, result.code, result.address])).toEqual([
      ['tcp:[::1]@[::1]:8443', 'pass', 'TCP_OK', '::1'],
    ]);
  });
});

describe('internationalised host names', () => {
  it('checked as punycode (ids, DNS query), shown in Unicode in evidence and once in the dns message', async () => {
    const config = file('idn.yaml', ['endpoints:', '  - host: bücher.lab.test', '    ports: [443]']);
    const { cli, doc } = await run(['-c', config, '--port-map', `443=${port}`, '--only', 'dns,tcp']);
    expect(cli.code).toBe(0);
    expect(doc.results.map((result) => [result.id, result.host, result.code, result.evidence['unicodeHost']])).toEqual([
      ['dns:xn--bcher-kva.lab.test', 'xn--bcher-kva.lab.test', 'DNS_OK', 'bücher.lab.test'],
      [`tcp:xn--bcher-kva.lab.test@${up}:443`, 'xn--bcher-kva.lab.test', 'TCP_OK', 'bücher.lab.test'],
    ]);
    expect(byId(doc, 'dns:xn--bcher-kva.lab.test')?.message).toBe(
      `xn--bcher-kva.lab.test resolves through 0 CNAME hops to ${up} (xn--bcher-kva.lab.test is bücher.lab.test)`);
    expect(byId(doc, `tcp:xn--bcher-kva.lab.test@${up}:443`)?.message).not.toContain('bücher');
    expect(dns.queries.some((query) => query.name === 'xn--bcher-kva.lab.test')).toBe(true);
  });

  it('a name with no IDNA form: exit 2 naming the file, line and key', async () => {
    const config = file('idn-bad.yaml', ['endpoints:', '  - url: "https://xn--ü.lab.test/"']);
    const cli = await runPreflight(['-c', config, '--resolver', '127.0.0.1'], { cwd: work });
    expectUsageError(cli, 'idn-bad.yaml:2: endpoints[0].url: "xn--ü.lab.test" is not a valid internationalised host name ("xn--ü" has no IDNA form)');
  });
});
