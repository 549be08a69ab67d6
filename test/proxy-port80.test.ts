// Port-80 checks through a forward proxy: absolute-form requests (never CONNECT) that the proxy resolves, and what
// the proxy answered itself (407, its refusal page, its own 502, no answer at all) told apart from the origin's
// answers it relays. The lab forward proxy in front of lab HTTP fixtures; the local DNS knows none of the names.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyPlan } from '../config/plan.js';
import { resolveProxy } from '../config/proxy-settings.js';
import { labCrl } from '../lab/crl.js';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startForwardProxy, type ForwardProxyOptions, type LabForwardProxy } from '../lab/forward-proxy.js';
import { blockPageHtml, labOcspResponder, startHttpFixtures, type HttpFixture } from '../lab/http-servers.js';
import { listen, loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { observeCertificate, ParsedCertificate } from '../pki/certificate.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import { proxyRouter } from '../http/routes.js';
import { probeOcsp } from '../probes/ocsp.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { crlCheck, crlSources } from '../specs/checks/crl.js';
import { dnsCheck } from '../specs/checks/dns.js';
import { httpCheck } from '../specs/checks/http.js';
import { tcpPorts } from '../specs/checks/tcp.js';
import { judgeHttp } from '../specs/checks/http.js';
import { judgeOcsp } from '../specs/checks/ocsp.js';
import { runPreflight } from './support/cli.js';
import { probeContext, testPlan, urlEndpoint } from './support/port80.js';

const ORIGIN = loopbackAddress(4601);
const DIRECT = loopbackAddress(4602);
const DNS = loopbackAddress(4603);
const FIRST_PROXY_ADDRESS = 4610;
const ISSUER = 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04';
const PASSWORD = 'hunter2-port80-secret';

/** Names only the proxy can resolve; the local DNS knows just the host that bypasses the proxy. */
const PROXY_NAMES: Readonly<Record<string, string>> = { 'origin.lab.test': ORIGIN, 'crl.lab.test': ORIGIN, 'ocsp.lab.test': ORIGIN };

const at = (path: string, host = 'origin.lab.test') => `http://${host}${path}`;
const HTTP_URLS = { ok: at('/ok'), forbidden: at('/forbidden'), gateway: at('/gateway'), elsewhere: at('/elsewhere') };
const CRL_URL = at('/fresh.crl', 'crl.lab.test');

let pki: LabPki;
let port: number;
let dns: LabDnsServer;
let nextProxyAddress = FIRST_PROXY_ADDRESS;
const closers: Array<{ close(): Promise<void> }> = [];
const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-proxy-port80-'));

beforeAll(async () => {
  pki = await labPki();
  const routes: Record<string, HttpFixture> = {
    '/ok': { kind: 'body', contentType: 'text/plain', body: 'hello\n', headers: { server: 'lab-origin' } },
    '/fresh.crl': { kind: 'body', contentType: 'application/pkix-crl', body: await labCrl(pki.publicIssuing, { revoked: [{ serialNumber: '0ABC' }] }) },
    '/good': { kind: 'ocsp', responder: await labOcspResponder({ authority: pki.publicIssuing }) },
    // The origin's own refusal and gateway failure, relayed: the origin's answers, not the proxy's.
    '/forbidden': { kind: 'body', status: 403, contentType: 'text/html', body: blockPageHtml('Origin Forbidden', 'Zscaler') },
    '/gateway': { kind: 'body', status: 502, contentType: 'text/plain', body: 'bad gateway\n' },
    '/elsewhere': { kind: 'redirect', status: 302, location: 'http://direct.lab.test/landing' },
    '/to-metadata': { kind: 'redirect', status: 302, location: 'http://169.254.169.254/latest/meta-data/' },
    '/issuing.crt': { kind: 'body', contentType: 'application/pkix-cert', body: pki.publicIssuing.certificate.der },
  };
  port = await findSharedFreePort([ORIGIN, DIRECT]);
  closers.push(await startHttpFixtures(ORIGIN, port, routes));
  closers.push(await startHttpFixtures(DIRECT, port, { '/landing': { kind: 'body', contentType: 'text/plain', body: 'landed\n' } }));
  dns = await startLabDnsServer({ host: DNS, zone: { 'direct.lab.test': { records: [{ type: 'A', value: DIRECT }] } } });
  closers.push(dns);
  writeFileSync(path.join(work, 'targets.yaml'), `endpoints:\n  - url: ${HTTP_URLS.ok}\n    expect: http\n  - url: ${CRL_URL}\n`);
});
afterAll(async () => {
  await Promise.all(closers.map((closer) => closer.close()));
  rmSync(work, { recursive: true, force: true });
});

async function labProxy(options: Partial<ForwardProxyOptions> = {}): Promise<LabForwardProxy> {
  const proxy = await startForwardProxy({ host: loopbackAddress(nextProxyAddress++), resolve: (host) => PROXY_NAMES[host] ?? null, ...options });
  closers.push(proxy);
  return proxy;
}

/** A run of the http and crl checks over the configured URLs, through the proxy of `--proxy proxyUrl` or of `env`. */
function runThrough(proxyUrl: string | null, env: Record<string, string> = {}): CheckRun {
  const proxy: ProxyPlan | null = resolveProxy({ option: proxyUrl ?? undefined, env });
  const endpoints = [...Object.values(HTTP_URLS).map((url) => urlEndpoint(url, 'http')), urlEndpoint(CRL_URL, 'crl')];
  const caPems = [pki.trustedRootsPem, pki.publicIssuing.certificate.pem];
  const plan = { ...testPlan({ checks: ['dns', 'http', 'crl'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: port }, caPems }), proxy };
  return new CheckRun(plan, new ObservationSession(plan));
}

async function crlResult(run: CheckRun): Promise<CheckResult> {
  const source = (await crlSources(run)).find((candidate) => candidate.url === CRL_URL);
  if (!source) throw new Error(`no crl source ${CRL_URL}`);
  return crlCheck(run, source);
}

const fetchOf = (result: CheckResult) => result.evidence['fetch'] as FetchEvidence;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const through = (proxy: LabForwardProxy) => `; through proxy ${proxy.url} (from --proxy)`;

describe('port-80 checks through the proxy', () => {
  it('fetches an AIA caIssuers URL through the proxy, as the agent\'s Windows does', async () => {
    const proxy = await labProxy();
    const run = runThrough(proxy.url);
    const aia = await run.observe.aiaIssuer(at('/issuing.crt'));
    expect(aia).toMatchObject({ format: 'der', parseError: null, certificates: [expect.objectContaining({ commonName: 'Microsoft Azure RSA TLS Issuing CA 04' })] });
    expect(aia.fetch.hops).toEqual([expect.objectContaining({ proxy: proxy.url, address: null })]);
    expect(proxy.requests.map((request) => [request.method, request.target])).toEqual([['GET', `http://origin.lab.test:${port}/issuing.crt`]]);
  });

  it('refuses a redirect to a link-local literal by the URL alone, saying the proxy resolves names', async () => {
    const proxy = await labProxy();
    const run = runThrough(proxy.url);
    const url = at('/to-metadata');
    const verdict = judgeHttp(await run.observe.http(url), 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    expect(verdict.message).toBe(`${url}: the server redirects to http://169.254.169.254/latest/meta-data/ (302), which is not followed: 169.254.169.254 is a link-local address (where cloud metadata services answer) (through proxy ${proxy.url}, which resolves names itself, only an address written in the URL can be judged)`);
    // Only the first request reached the proxy: the refused one was never asked of it.
    expect(proxy.requests.map((request) => request.target)).toEqual([`http://origin.lab.test:${port}/to-metadata`]);
  });

  it('tcp covers only the ports the agent tunnels: through the proxy, port 80 gets no CONNECT', async () => {
    const origin = (run: CheckRun) => run.hosts.find((host) => host.host === 'origin.lab.test');
    const proxied = runThrough((await labProxy()).url);
    const direct = runThrough(null);
    expect(tcpPorts(proxied, origin(proxied)!)).toEqual([]);
    expect(tcpPorts(direct, origin(direct)!)).toEqual([80]);
  });

  it('http: an absolute-form GET, never CONNECT; the proxy resolves the name, so a local DNS failure skips nothing', async () => {
    const proxy = await labProxy();
    const run = runThrough(proxy.url);
    const result = await httpCheck(run, HTTP_URLS.ok);
    expect(result).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(result.message).toMatch(new RegExp(`^${escapeRegExp(HTTP_URLS.ok)}: the server answered 200 OK in [\\d.]+ ms${escapeRegExp(through(proxy))}$`));
    expect(fetchOf(result).hops).toEqual([expect.objectContaining({ proxy: proxy.url, address: null, port, answer: expect.objectContaining({ via: '1.1 lab-forward-proxy', server: 'lab-origin' }) })]);
    expect(proxy.requests).toEqual([{ method: 'GET', target: `http://origin.lab.test:${port}/ok`, hadCredentials: false, status: 200 }]);
    const origin = run.hosts.find((host) => host.host === 'origin.lab.test');
    expect(origin && (await dnsCheck(run, origin))).toMatchObject({ status: 'warn', code: 'DNS_NXDOMAIN' });
  });

  it('crl: CRL_OK through the proxy', async () => {
    const proxy = await labProxy();
    const result = await crlResult(runThrough(proxy.url));
    expect(result).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(result.message).toMatch(new RegExp(`^${escapeRegExp(CRL_URL)}: the CRL of "${escapeRegExp(ISSUER)}" .*; valid until \\S+${escapeRegExp(through(proxy))}$`));
    expect(proxy.requests).toEqual([expect.objectContaining({ method: 'GET', target: `http://crl.lab.test:${port}/fresh.crl`, status: 200 })]);
  });

  it('ocsp: OCSP_OK for a request POSTed through the proxy', async () => {
    const proxy = await labProxy();
    const leaf = await pki.publicIssuing.issueLeaf({ hosts: ['leaf.lab.test'] });
    const router = proxyRouter({ proxyUrl: proxy.url, connectPort: (named) => (named === 80 ? port : named), connectTimeoutMs: 1000, runStep: (operation) => operation() });
    const evidence = await probeOcsp({
      url: at('/good', 'ocsp.lab.test'), router,
      certificate: observeCertificate(new ParsedCertificate(leaf.leaf.der)), issuer: observeCertificate(new ParsedCertificate(pki.publicIssuing.certificate.der)),
    }, probeContext());
    expect(judgeOcsp(evidence, 80)).toMatchObject({ status: 'pass', code: 'OCSP_OK' });
    expect(evidence.fetch.hops[0]).toMatchObject({ method: 'POST', proxy: proxy.url, address: null });
    expect(proxy.requests).toEqual([expect.objectContaining({ method: 'POST', target: `http://ocsp.lab.test:${port}/good`, status: 200 })]);
  });

  it("relays the origin's own answers as the origin's: its 403 page is HTTP_BLOCK_PAGE, its 502 HTTP_STATUS", async () => {
    const proxy = await labProxy();
    const run = runThrough(proxy.url);
    const forbidden = await httpCheck(run, HTTP_URLS.forbidden);
    expect(forbidden).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(forbidden.message).toContain('titled "Origin Forbidden" with status 403 Forbidden');
    const gateway = await httpCheck(run, HTTP_URLS.gateway);
    expect(gateway).toMatchObject({ status: 'fail', code: 'HTTP_STATUS' });
    expect(gateway.message).toBe(`${HTTP_URLS.gateway}: a gateway answered 502 Bad Gateway: it could not reach the server${through(proxy)}`);
  });

  it('decides per hop: a redirect to a host NO_PROXY lists goes direct, to the address the local DNS gives', async () => {
    const proxy = await labProxy();
    const result = await httpCheck(runThrough(null, { HTTP_PROXY: proxy.url, NO_PROXY: 'direct.lab.test' }), HTTP_URLS.elsewhere);
    expect(result).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(result.message).toContain(`after 1 redirect in`);
    expect(result.message).toMatch(new RegExp(`; through proxy ${escapeRegExp(proxy.url)} \\(from HTTPS_PROXY/HTTP_PROXY\\)$`));
    expect(fetchOf(result).hops).toEqual([
      expect.objectContaining({ url: HTTP_URLS.elsewhere, proxy: proxy.url, address: null }),
      expect.objectContaining({ url: 'http://direct.lab.test/landing', proxy: null, address: DIRECT, answer: expect.objectContaining({ status: 200 }) }),
    ]);
    expect(proxy.requests.map((request) => request.target)).toEqual([`http://origin.lab.test:${port}/elsewhere`]);
  });
});

describe('what the proxy answered itself', () => {
  it('407: PROXY_AUTH_REQUIRED on the http and crl checks, naming the schemes; the connector cannot authenticate', async () => {
    const proxy = await labProxy({ auth: { username: 'svc', password: PASSWORD, alsoOffer: ['NTLM', 'Negotiate'] } });
    const run = runThrough(proxy.url);
    for (const [result, url] of [[await httpCheck(run, HTTP_URLS.ok), HTTP_URLS.ok], [await crlResult(run), CRL_URL]] as const) {
      expect(result).toMatchObject({ status: 'fail', code: 'PROXY_AUTH_REQUIRED' });
      const target = url.replace('.lab.test/', `.lab.test:${port}/`);
      expect(result.message).toBe(`${url}: proxy ${proxy.url} demands authentication for GET ${target}: 407 Proxy Authentication Required ("Proxy Authentication Required"); it offers Basic, NTLM, Negotiate${through(proxy)}`);
      expect(result.remediation).toContain('The proxy demands authentication (Basic, NTLM, Negotiate), and the connector does not support proxy authentication');
    }
    expect(proxy.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it("a policy refusal: PROXY_DENIED with the proxy's page title", async () => {
    const proxy = await labProxy({ deny: ['*.lab.test'], denyPolicy: 'Corp egress policy 80' });
    const run = runThrough(proxy.url);
    const result = await httpCheck(run, HTTP_URLS.ok);
    expect(result).toMatchObject({ status: 'fail', code: 'PROXY_DENIED' });
    expect(result.message).toBe(`${HTTP_URLS.ok}: proxy ${proxy.url} refused GET http://origin.lab.test:${port}/ok: 403 Forbidden ("Access Denied by policy Corp egress policy 80")${through(proxy)}`);
    expect(result.remediation).toBe('The proxy\'s policy refuses plain-HTTP requests to origin.lab.test (port 80) ("Access Denied by policy Corp egress policy 80"): allow http://origin.lab.test/ in the proxy\'s URL filtering or web policy.');
    expect(await crlResult(run)).toMatchObject({ status: 'fail', code: 'PROXY_DENIED' });
  });

  it('a proxy whose upstream fails: PROXY_ERROR with its status', async () => {
    const proxy = await labProxy({ upstreamError: 502 });
    const result = await httpCheck(runThrough(proxy.url), HTTP_URLS.ok);
    expect(result).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(result.message).toBe(`${HTTP_URLS.ok}: proxy ${proxy.url} could not fetch http://origin.lab.test:${port}/ok: 502 Bad Gateway ("Bad Gateway (lab upstream error)")${through(proxy)}`);
    expect(result.remediation).toContain("check the proxy's own DNS and its egress to origin.lab.test on port 80");
  });

  it('a proxy that cannot resolve the name: PROXY_ERROR', async () => {
    const proxy = await labProxy({ resolve: () => null });
    const result = await crlResult(runThrough(proxy.url));
    expect(result).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(result.message).toContain('502 Bad Gateway ("Cannot resolve crl.lab.test")');
  });

  it('a proxy that resets the connection instead of answering: PROXY_ERROR', async () => {
    const address = loopbackAddress(nextProxyAddress++);
    // Accepts, reads the request, and resets.
    const resetting = net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await listen(resetting, address, port);
    closers.push({ close: () => new Promise<void>((resolve) => resetting.close(() => resolve())) });
    const result = await httpCheck(runThrough(`http://${address}:${port}`), HTTP_URLS.ok);
    expect(result).toMatchObject({ status: 'fail', code: 'PROXY_ERROR' });
    expect(result.message).toBe(`${HTTP_URLS.ok}: proxy http://${address}:${port} accepted the connection for GET http://origin.lab.test:${port}/ok, but the connection was reset before the answer was complete; through proxy http://${address}:${port} (from --proxy)`);
  });

  it('an unreachable proxy: PROXY_UNREACHABLE on the http and crl checks', async () => {
    const nowhere = `http://${loopbackAddress(nextProxyAddress++)}:${port}`;
    const run = runThrough(nowhere);
    const result = await httpCheck(run, HTTP_URLS.ok);
    expect(result).toMatchObject({ status: 'fail', code: 'PROXY_UNREACHABLE', remediation: 'This machine cannot reach the proxy: see the proxy check.' });
    expect(result.message).toMatch(new RegExp(`^${escapeRegExp(HTTP_URLS.ok)}: proxy ${escapeRegExp(nowhere)} is unreachable: connection refused .*; through proxy ${escapeRegExp(nowhere)} \\(from --proxy\\)$`));
    expect(fetchOf(result).failure).toMatchObject({ kind: 'proxy', refusal: { code: 'PROXY_UNREACHABLE', connectFailure: { code: 'TCP_REFUSED' } } });
    expect(await crlResult(run)).toMatchObject({ status: 'fail', code: 'PROXY_UNREACHABLE' });
  });
});

describe('proxy credentials', () => {
  async function preflight(proxyUrl: string): Promise<{ doc: RunDocument; everything: string }> {
    const json = path.join(work, `run-${nextProxyAddress}-${Math.random().toString(36).slice(2)}.json`);
    const junit = json.replace(/\.json$/, '.xml');
    const run = await runPreflight([
      '-c', 'targets.yaml', '--resolver', `${dns.host}:${dns.port}`, '--port-map', `80=${port}`, '--ca-file', 'roots.pem',
      '--only', 'dns,proxy,http,crl', '--timeout', '2000', '--proxy', proxyUrl, '--json', json, '--junit', junit,
    ], { cwd: work });
    const jsonText = readFileSync(json, 'utf8');
    return { doc: JSON.parse(jsonText) as RunDocument, everything: [run.stdout, run.stderr, jsonText, readFileSync(junit, 'utf8')].join('\n') };
  }

  beforeAll(() => writeFileSync(path.join(work, 'roots.pem'), [pki.trustedRootsPem, pki.publicIssuing.certificate.pem].join('\n')));

  it('go as Proxy-Authorization: accepted, the fetches pass; refused, PROXY_AUTH_REQUIRED; the password shows in neither', async () => {
    const proxy = await labProxy({ auth: { username: 'svc', password: PASSWORD } });
    const redacted = `http://svc:***@${proxy.host}:${proxy.port}`;

    const accepted = await preflight(`http://svc:${PASSWORD}@${proxy.host}:${proxy.port}`);
    expect(accepted.doc.results.find((r) => r.id === `http:${HTTP_URLS.ok}`)).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(accepted.doc.results.find((r) => r.id === `crl:${CRL_URL}`)).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(accepted.doc.results.find((r) => r.id === `http:${HTTP_URLS.ok}`)?.message).toContain(`; through proxy ${redacted} (from --proxy)`);
    expect(proxy.requests.filter((request) => request.method === 'GET').every((request) => request.hadCredentials)).toBe(true);
    expect(accepted.everything).not.toContain(PASSWORD);

    const refused = await preflight(`http://svc:wrong-${PASSWORD}@${proxy.host}:${proxy.port}`);
    const http = refused.doc.results.find((r) => r.id === `http:${HTTP_URLS.ok}`);
    expect(http).toMatchObject({ status: 'fail', code: 'PROXY_AUTH_REQUIRED' });
    expect(http?.message).toContain('the user name and password in the proxy URL were not accepted');
    expect(refused.everything).not.toContain(PASSWORD);
  });
});
