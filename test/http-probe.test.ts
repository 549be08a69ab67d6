// The port-80 fetch and the http check against lab HTTP fixtures: one fixture per outcome, asserting code and message.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { blockPageHtml, startHttpFixtures, type HttpFixture, type LabHttpServer } from '../lab/http-servers.js';
import { listen, loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import { probeCrl } from '../probes/crl.js';
import { probeHttp, type HttpEvidence } from '../probes/http.js';
import { PAGE_PREFIX_BYTES } from '../http/page.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { judgeCrl } from '../specs/checks/crl.js';
import { httpCheck, judgeHttp } from '../specs/checks/http.js';
import { loopbackOnlyRouter, probeContext, routerFor, testPlan, urlEndpoint } from './support/port80.js';

const ORIGIN = loopbackAddress(4001);
const OTHER = loopbackAddress(4002);
const CLOSED = loopbackAddress(4003);
const RESETTING = loopbackAddress(4004);
const NOT_HTTP = loopbackAddress(4005);

const HOSTILE_TITLE = `\u0007Blocked\u001b[31m by ]]> <policy> &amp; ${'x'.repeat(300)}`;
const routes: Record<string, HttpFixture> = {
  '/ok': { kind: 'body', contentType: 'text/plain', body: 'hello\n', headers: { server: 'lab-origin' } },
  '/block-200': { kind: 'body', contentType: 'text/html', body: blockPageHtml('Web Page Blocked', 'Zscaler Internet Access') },
  '/forbidden': { kind: 'body', status: 403, contentType: 'text/html', body: '<html><head><title>403 Forbidden</title></head><body>Forbidden</body></html>' },
  '/forbidden-json': { kind: 'body', status: 403, contentType: 'application/json', body: '{"error":"AuthenticationFailed"}' },
  '/legal': { kind: 'body', status: 451, contentType: 'text/html', body: blockPageHtml('Unavailable For Legal Reasons', 'Forcepoint') },
  '/proxy-auth': { kind: 'body', status: 407, contentType: 'text/html', body: '<html><head><title>Authentication required</title></head></html>', headers: { 'proxy-authenticate': 'Basic realm="corp"' } },
  '/loop': { kind: 'redirect', status: 302, location: '/loop' },
  '/to-https': { kind: 'redirect', status: 301, location: 'https://secure.lab.test/' },
  '/to-file': { kind: 'redirect', status: 302, location: 'file:///etc/passwd' },
  '/to-metadata': { kind: 'redirect', status: 302, location: 'http://169.254.169.254/latest/meta-data/' },
  '/crl-to-metadata': { kind: 'redirect', status: 301, location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
  '/gateway': { kind: 'body', status: 502, contentType: 'text/plain', body: 'bad gateway\n' },
  '/hang': { kind: 'hang' },
  '/endless': { kind: 'stream', contentType: 'text/plain', totalBytes: 'endless', declareLength: false },
  '/hostile': { kind: 'body', status: 403, contentType: 'text/html', body: `<html><head><title>${HOSTILE_TITLE}</title></head></html>` },
};

let origin: LabHttpServer;
let other: LabHttpServer;
let port: number;
const closers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  port = await findSharedFreePort([ORIGIN, OTHER, CLOSED, RESETTING, NOT_HTTP]);
  other = await startHttpFixtures(OTHER, port, { '/landing': { kind: 'body', contentType: 'text/plain', body: 'landed\n' } });
  routes['/elsewhere'] = { kind: 'redirect', status: 301, location: `http://other.lab.test:${port}/landing` };
  routes['/to-metadata-name'] = { kind: 'redirect', status: 302, location: `http://metadata.lab.test:${port}/latest/meta-data/` };
  routes['/to-loopback-literal'] = { kind: 'redirect', status: 302, location: `http://${OTHER}:${port}/landing` };
  origin = await startHttpFixtures(ORIGIN, port, routes);
  const reset: LabTcpListener = await startTcpListener(RESETTING, port, 'reset');
  // An SSH server on the port: bytes that are not HTTP.
  const sshSockets = new Set<net.Socket>();
  const ssh = net.createServer((socket) => {
    sshSockets.add(socket);
    socket.on('error', () => {}).end('SSH-2.0-OpenSSH_9.2p1\r\n');
  });
  await listen(ssh, NOT_HTTP, port);
  const closeSsh = () => new Promise<void>((resolve) => {
    for (const socket of sshSockets) socket.destroy();
    ssh.close(() => resolve());
  });
  closers.push(origin, other, reset, { close: closeSsh });
});
afterAll(() => Promise.all(closers.map((closer) => closer.close())));

const router = () => routerFor({
  'origin.lab.test': [ORIGIN], 'other.lab.test': [OTHER], 'closed.lab.test': [CLOSED], 'reset.lab.test': [RESETTING],
  'ssh.lab.test': [NOT_HTTP], 'fallback.lab.test': [CLOSED, ORIGIN],
});
const at = (path: string, host = 'origin.lab.test') => `http://${host}:${port}${path}`;

async function fetched(url: string, stepTimeoutMs = 1000): Promise<HttpEvidence> {
  return probeHttp({ url, router: router() }, probeContext(stepTimeoutMs));
}

describe('http probe and verdict', () => {
  it('passes the origin\'s answer: HTTP_OK with status, server and timing', async () => {
    const evidence = await fetched(at('/ok'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(verdict.message).toBe(`${at('/ok')}: the server answered 200 OK in ${evidence.fetch.totalMs} ms`);
    expect(evidence.fetch.hops).toEqual([expect.objectContaining({ url: at('/ok'), method: 'GET', address: ORIGIN, port, failedAttempts: [] })]);
    expect(evidence.fetch.hops[0]?.answer).toMatchObject({ status: 200, server: 'lab-origin', contentType: 'text/plain' });
    expect(evidence.fetch.hops[0]?.answer?.date).toMatch(/GMT$/);
    expect(evidence.page).toEqual({ kind: 'text', title: null, markers: [], excerpt: 'hello' });
  });

  it('passes a 404 from the origin: the path is open', async () => {
    const evidence = await fetched(at('/missing'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(verdict.message).toBe(`${at('/missing')}: the server answered 404 Not Found in ${evidence.fetch.totalMs} ms; any answer from the server shows the path is open`);
  });

  it('passes a 403 without a page (an API refusing credentials), but not a 403 HTML page', async () => {
    expect(judgeHttp(await fetched(at('/forbidden-json')), 80)).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    const verdict = judgeHttp(await fetched(at('/forbidden')), 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(verdict.message).toBe(`${at('/forbidden')}: an HTML page titled "403 Forbidden" with status 403 Forbidden`);
  });

  it('reports a block page with status 200 by its marks: HTTP_BLOCK_PAGE with the title', async () => {
    const evidence = await fetched(at('/block-200'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(verdict.message).toBe(`${at('/block-200')}: an HTML page titled "Web Page Blocked" with status 200 OK; it mentions zscaler, text: web page blocked, text: has been blocked`);
    expect(verdict.remediation).toBe('A proxy or firewall answers for origin.lab.test instead of the server: allow http://origin.lab.test/ (TCP 80) in its URL filtering or web policy, without authentication. The agent fetches what it needs from this host over plain HTTP and cannot use a page in its place.');
    expect(evidence.page?.title).toBe('Web Page Blocked');
  });

  it('reports 451 and 407 as answers from something in the server\'s place', async () => {
    const legal = judgeHttp(await fetched(at('/legal')), 80);
    expect(legal).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(legal.message).toMatch(new RegExp(`^${at('/legal')}: the request was refused for legal reasons \\(451 Unavailable For Legal Reasons\\): an HTML page titled "Unavailable For Legal Reasons"`));
    const auth = judgeHttp(await fetched(at('/proxy-auth')), 80);
    expect(auth).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(auth.message).toBe(`${at('/proxy-auth')}: a proxy demands authentication (407 Proxy Authentication Required): an HTML page titled "Authentication required" with status 407 Proxy Authentication Required; it mentions header: proxy-authenticate`);
  });

  it('keeps a hostile title as one sanitised, capped line', async () => {
    const evidence = await fetched(at('/hostile'));
    const title = evidence.page?.title ?? '';
    expect(judgeHttp(evidence, 80).code).toBe('HTTP_BLOCK_PAGE');
    expect(title).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect([...title]).toHaveLength(160);
    expect(title.startsWith('Blocked [31m by ]]> <policy> & xxx')).toBe(true);
  });

  it('follows at most 3 redirects: a loop is HTTP_STATUS', async () => {
    const evidence = await fetched(at('/loop'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_STATUS' });
    expect(evidence.fetch.hops).toHaveLength(4);
    expect(verdict.message).toBe(`${at('/loop')}: more than 3 redirects (a redirect loop): ${Array(5).fill(at('/loop')).join(' → ')}`);
  });

  it('resolves a redirect to another name through the run\'s resolution, not the OS', async () => {
    const evidence = await fetched(at('/elsewhere'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(verdict.message).toBe(`${at('/elsewhere')}: the server answered 200 OK after 1 redirect in ${evidence.fetch.totalMs} ms`);
    expect(evidence.fetch.hops.map((hop) => [hop.url, hop.address])).toEqual([[at('/elsewhere'), ORIGIN], [at('/landing', 'other.lab.test'), OTHER]]);
  });

  it('passes a redirect to https without following it', async () => {
    const evidence = await fetched(at('/to-https'));
    expect(judgeHttp(evidence, 80)).toMatchObject({ status: 'pass', code: 'HTTP_OK', message: `${at('/to-https')}: the server answered 301 Moved Permanently, redirecting to https://secure.lab.test/ in ${evidence.fetch.totalMs} ms` });
  });

  it('refuses a redirect to a file URL: HTTP_REDIRECT_REFUSED naming the target, not a pass', async () => {
    const evidence = await fetched(at('/to-file'));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    expect(verdict.message).toBe(`${at('/to-file')}: the server redirects to file:///etc/passwd (302), which is not followed: file is not http or https`);
    expect(verdict.remediation).toContain('sends the client to file:///etc/passwd');
    expect(evidence.fetch.hops.map((hop) => hop.url)).toEqual([at('/to-file')]);
    expect(evidence.fetch.failure).toMatchObject({ kind: 'redirect-refused', target: 'file:///etc/passwd' });
  });

  const lab = { 'origin.lab.test': [ORIGIN], 'other.lab.test': [OTHER], 'metadata.lab.test': ['169.254.169.254'] };

  it('refuses a redirect to the link-local metadata address before any connection is attempted', async () => {
    const { router: guarded, connected, wouldHaveLeftLoopback } = loopbackOnlyRouter(lab);
    const evidence = await probeHttp({ url: at('/to-metadata'), router: guarded }, probeContext(1000));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    expect(verdict.message).toBe(`${at('/to-metadata')}: the server redirects to http://169.254.169.254/latest/meta-data/ (302), which is not followed: 169.254.169.254 is a link-local address (where cloud metadata services answer)`);
    expect(connected).toEqual([at('/to-metadata')]);
    expect(wouldHaveLeftLoopback).toEqual([]);
  });

  it('judges the address a redirect\'s name resolves to by the run\'s DNS: a name for 169.254.169.254 is refused', async () => {
    const { router: guarded, connected, wouldHaveLeftLoopback } = loopbackOnlyRouter(lab);
    const evidence = await probeHttp({ url: at('/to-metadata-name'), router: guarded }, probeContext(1000));
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    const target = at('/latest/meta-data/', 'metadata.lab.test');
    expect(verdict.message).toBe(`${at('/to-metadata-name')}: the server redirects to ${target} (302), which is not followed: metadata.lab.test resolves (by this run's DNS) to 169.254.169.254: 169.254.169.254 is a link-local address (where cloud metadata services answer)`);
    expect(connected).toEqual([at('/to-metadata-name')]);
    expect(wouldHaveLeftLoopback).toEqual([]);
  });

  it('follows a redirect from loopback to loopback: a lab stays usable', async () => {
    const { router: guarded, connected } = loopbackOnlyRouter(lab);
    const evidence = await probeHttp({ url: at('/to-loopback-literal'), router: guarded }, probeContext(1000));
    expect(judgeHttp(evidence, 80)).toMatchObject({ status: 'pass', code: 'HTTP_OK' });
    expect(connected).toEqual([at('/to-loopback-literal'), `http://${OTHER}:${port}/landing`]);
  });

  it('a CRL URL redirecting to the metadata address carries HTTP_REDIRECT_REFUSED on its crl result', async () => {
    const { router: guarded, connected, wouldHaveLeftLoopback } = loopbackOnlyRouter(lab);
    const evidence = await probeCrl({ url: at('/crl-to-metadata'), router: guarded, maxBytes: 1024 * 1024 }, probeContext(1000));
    const verdict = judgeCrl(evidence, { signature: null, covered: [] }, 80, 1024 * 1024);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    expect(verdict.message).toBe(`${at('/crl-to-metadata')}: the server redirects to http://169.254.169.254/latest/meta-data/iam/security-credentials/ (301), which is not followed: 169.254.169.254 is a link-local address (where cloud metadata services answer)`);
    expect(connected).toEqual([at('/crl-to-metadata')]);
    expect(wouldHaveLeftLoopback).toEqual([]);
  });

  it('reports a gateway\'s 502 as HTTP_STATUS', async () => {
    const verdict = judgeHttp(await fetched(at('/gateway')), 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_STATUS', message: `${at('/gateway')}: a gateway answered 502 Bad Gateway: it could not reach the server` });
  });

  it('reports a server that never answers: HTTP_TIMEOUT after the headers deadline', async () => {
    const evidence = await fetched(at('/hang'), 300);
    const verdict = judgeHttp(evidence, 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HTTP_TIMEOUT', message: `${at('/hang')}: no answer within 300 ms of the request` });
    expect(evidence.fetch.totalMs).toBeGreaterThanOrEqual(295);
    expect(evidence.fetch.totalMs).toBeLessThan(1500);
  });

  it('carries the tcp code when the connection is refused or reset', async () => {
    const refused = judgeHttp(await fetched(at('/ok', 'closed.lab.test')), 80);
    expect(refused).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(refused.message).toBe(`${at('/ok', 'closed.lab.test')}: ${CLOSED}:${port} (port 80 mapped): connection refused (RST): nothing listens, or a firewall rejects`);
    expect(refused.remediation).toContain(`allow outbound TCP 80 from this machine to ${CLOSED} (closed.lab.test)`);
    const reset = judgeHttp(await fetched(at('/ok', 'reset.lab.test')), 80);
    expect(reset.code).toBe('TCP_RESET');
  });

  it('tries each resolved address in turn', async () => {
    const evidence = await fetched(at('/ok', 'fallback.lab.test'));
    expect(judgeHttp(evidence, 80).code).toBe('HTTP_OK');
    expect(evidence.fetch.hops[0]).toMatchObject({ address: ORIGIN, failedAttempts: [{ address: CLOSED, port, code: 'TCP_REFUSED' }] });
  });

  it('carries the DNS code of a name the run cannot resolve', async () => {
    const verdict = judgeHttp(await fetched(at('/ok', 'nowhere.lab.test')), 80);
    expect(verdict).toMatchObject({ status: 'fail', code: 'DNS_NXDOMAIN', message: `${at('/ok', 'nowhere.lab.test')}: nowhere.lab.test does not exist (NXDOMAIN)` });
  });

  it('reports bytes that are not HTTP as HTTP_STATUS', async () => {
    const verdict = judgeHttp(await fetched(at('/', 'ssh.lab.test')), 80);
    expect(verdict.code).toBe('HTTP_STATUS');
    expect(verdict.message).toMatch(new RegExp(`^${at('/', 'ssh.lab.test')}: the answer is not HTTP \\(`));
  });

  it('reads only the start of an endless body', async () => {
    const evidence = await fetched(at('/endless'));
    expect(judgeHttp(evidence, 80).code).toBe('HTTP_OK');
    expect(evidence.fetch.body).toMatchObject({ complete: false, overCap: true });
    expect(evidence.fetch.body?.receivedBytes).toBeLessThan(PAGE_PREFIX_BYTES + 128 * 1024);
  });
});

describe('http check in a run', () => {
  let dns: LabDnsServer;
  let run: CheckRun;

  beforeAll(async () => {
    const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });
    dns = await startLabDnsServer({ zone: { 'origin.lab.test': a(ORIGIN), 'other.lab.test': a(OTHER), 'sinkholed.lab.test': a('0.0.0.0') } });
    const endpoints = ['http://origin.lab.test/ok', 'http://origin.lab.test/block-200', 'http://origin.lab.test/to-file', 'http://missing.lab.test/', 'http://sinkholed.lab.test/'].map((url) => urlEndpoint(url, 'http'));
    const plan = testPlan({ checks: ['dns', 'http'], resolver: { host: dns.host, port: dns.port }, endpoints, portMap: { 80: port } });
    run = new CheckRun(plan, new ObservationSession(plan));
  });
  afterAll(() => dns.close());

  it('fetches each URL once through the port map and places results by URL and host', async () => {
    const before = origin.requests.filter((request) => request.path === '/ok').length;
    const [first, again] = await Promise.all([httpCheck(run, 'http://origin.lab.test/ok'), httpCheck(run, 'http://origin.lab.test/ok')]);
    expect(again).toBe(first);
    expect(first).toMatchObject({ id: 'http:http://origin.lab.test/ok', check: 'http', host: 'origin.lab.test', address: null, port: 80, url: 'http://origin.lab.test/ok', status: 'pass', code: 'HTTP_OK' });
    expect(await run.observe.http('http://origin.lab.test/ok')).toBeDefined();
    expect(origin.requests.filter((request) => request.path === '/ok').length - before).toBe(1);
    const blocked = await httpCheck(run, 'http://origin.lab.test/block-200');
    expect(blocked).toMatchObject({ status: 'fail', code: 'HTTP_BLOCK_PAGE' });
    expect(blocked.evidence['page']).toMatchObject({ title: 'Web Page Blocked' });
  });

  it('fails an endpoint whose server redirects to a file URL: HTTP_REDIRECT_REFUSED, where it used to pass', async () => {
    const result = await httpCheck(run, 'http://origin.lab.test/to-file');
    expect(result).toMatchObject({ status: 'fail', code: 'HTTP_REDIRECT_REFUSED' });
    expect(result.message).toBe('http://origin.lab.test/to-file: the server redirects to file:///etc/passwd (302), which is not followed: file is not http or https');
    expect(result.remediation).toBe('The answer for origin.lab.test on port 80 sends the client to file:///etc/passwd, where no client should be sent (the agent must not follow it either): a server, proxy or firewall that redirects there is misconfigured or hostile. Check what answers for origin.lab.test on port 80.');
  });

  it('skips when the dns check of a configured host failed, sinkholes included', async () => {
    expect(await httpCheck(run, 'http://missing.lab.test/')).toMatchObject({
      status: 'skip', code: 'SKIPPED_PREREQUISITE',
      message: expect.stringMatching(/^not run: dns failed: missing\.lab\.test does not exist \(NXDOMAIN\) \(resolver 127\.0\.0\.1:\d+\)$/),
      evidence: { prerequisite: 'dns:missing.lab.test', prerequisiteCode: 'DNS_NXDOMAIN' },
    });
    expect(await httpCheck(run, 'http://sinkholed.lab.test/')).toMatchObject({
      status: 'skip', message: expect.stringMatching(/^not run: dns failed: sinkholed\.lab\.test resolves to \S+: blocked by DNS policy$/),
      evidence: { prerequisiteCode: 'DNS_SINKHOLE' },
    });
  });
});
