// The proxy path: CONNECT tunnels and every refusal code from a lab fixture, the proxy probe (PROXY_OK,
// PROXY_UNREACHABLE), hostile proxy pages, and credentials that never show.
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxyOptions, type LabForwardProxy } from '../lab/forward-proxy.js';
import { listen, loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import { deadlineSignal } from '../net/deadline.js';
import { probeProxy } from '../probes/proxy.js';
import { createProxyTransport } from '../http/connect-tunnel.js';
import { ProxyRefusalError, type ProxyRefusal } from '../http/proxy-refusal.js';

const echoAddress = loopbackAddress(501);
const closedAddress = loopbackAddress(502);
const tarpitAddress = loopbackAddress(503);
const names: Record<string, string> = { 'echo.lab.test': echoAddress, 'closed.lab.test': closedAddress };
const resolve = (host: string) => names[host] ?? null;
const deadline = () => deadlineSignal(2000);

let echoPort: number;
let closedPort: number;
let tarpit: LabTcpListener;
const echo = net.createServer((socket) => socket.on('error', () => {}).pipe(socket));
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  echoPort = await listen(echo, echoAddress, 0);
  closedPort = await findSharedFreePort([closedAddress]);
  tarpit = await startTcpListener(tarpitAddress, 0, 'tarpit');
});
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  await tarpit.close();
  await new Promise((r) => echo.close(r));
});

let nextAddress = 560;
async function labProxy(options: Partial<ForwardProxyOptions> = {}): Promise<LabForwardProxy> {
  const proxy = await startForwardProxy({ host: loopbackAddress(nextAddress++), resolve, ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A fake proxy that sends `answer` once the request arrives (or at once) and keeps the connection open. */
async function scriptedProxy(answer: string | Buffer, when: 'on-request' | 'on-connect' | 'close-on-request' = 'on-request'): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (when === 'on-connect') socket.write(answer);
    else socket.once('data', () => (when === 'close-on-request' ? socket.destroy() : socket.write(answer)));
  });
  const host = loopbackAddress(nextAddress++);
  const port = await listen(server, host, 0);
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((r) => server.close(r));
  });
  return `http://${host}:${port}`;
}

/** The refusal a transport rejects with; fails the test if the tunnel opened. */
async function refusalOf(proxyUrl: string, host: string, port: number, signal = deadline()): Promise<ProxyRefusal> {
  try {
    const socket = await createProxyTransport(proxyUrl)(host, port, signal);
    socket.destroy();
  } catch (error) {
    if (error instanceof ProxyRefusalError) {
      expect([error.code, error.message]).toEqual([error.refusal.code, error.refusal.detail]);
      return error.refusal;
    }
    throw error;
  }
  throw new Error('expected the proxy to refuse');
}

/** The first bytes the socket delivers; the transport hands it over paused, as tls.connect wants it. */
async function firstData(socket: net.Socket): Promise<string> {
  const arrived = once(socket, 'data');
  socket.resume();
  const [data] = (await arrived) as [Buffer];
  return data.toString();
}

function echoThrough(socket: net.Socket, text: string): Promise<string> {
  socket.write(text);
  return firstData(socket);
}

const page = (title: string) => `<html><head><title>${title}</title></head><body>blocked</body></html>`;

describe('CONNECT tunnel', () => {
  it('opens a tunnel to a name the proxy resolves, and hands over the socket', async () => {
    const proxy = await labProxy();
    const socket = await createProxyTransport(proxy.url)('echo.lab.test', echoPort, deadline());
    expect(await echoThrough(socket, 'hello through the proxy')).toBe('hello through the proxy');
    socket.destroy();
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: `echo.lab.test:${echoPort}`, hadCredentials: false, status: 200 }]);
  });

  it('keeps bytes that arrive with the 200 for the tunnel', async () => {
    const proxyUrl = await scriptedProxy('HTTP/1.1 200 Connection established\r\nProxy-Agent: fake\r\n\r\nEARLY');
    const socket = await createProxyTransport(proxyUrl)('echo.lab.test', 443, deadline());
    expect(await firstData(socket)).toBe('EARLY');
    socket.destroy();
  });

  it('PROXY_AUTH_REQUIRED: 407, naming the schemes offered', async () => {
    const proxy = await labProxy({ auth: { username: 'agent', password: 'right', realm: 'corp', alsoOffer: ['NTLM', 'Negotiate'] } });
    const refusal = await refusalOf(proxy.url, 'echo.lab.test', echoPort);
    expect(refusal).toEqual({
      code: 'PROXY_AUTH_REQUIRED',
      proxy: proxy.url,
      target: `echo.lab.test:${echoPort}`,
      status: 407,
      statusText: 'Proxy Authentication Required',
      schemes: ['Basic', 'NTLM', 'Negotiate'],
      pageTitle: 'Proxy Authentication Required',
      credentialsSent: false,
      detail: `proxy ${proxy.url} demands authentication for CONNECT echo.lab.test:${echoPort}: 407 Proxy Authentication Required ("Proxy Authentication Required"); it offers Basic, NTLM, Negotiate`,
    });
  });

  it('PROXY_AUTH_REQUIRED: says when the URL credentials were refused; right ones open the tunnel', async () => {
    const proxy = await labProxy({ auth: { username: 'agent', password: 'right' } });
    const base = `${proxy.host}:${proxy.port}`;
    const refusal = await refusalOf(`http://agent:wrong@${base}`, 'echo.lab.test', echoPort);
    expect(refusal).toMatchObject({ code: 'PROXY_AUTH_REQUIRED', credentialsSent: true, schemes: ['Basic'] });
    expect(refusal.detail).toBe(`proxy http://agent:***@${base} demands authentication for CONNECT echo.lab.test:${echoPort}: 407 Proxy Authentication Required ("Proxy Authentication Required"); it offers Basic; the user name and password in the proxy URL were not accepted`);
    const socket = await createProxyTransport(`http://agent:right@${base}`)('echo.lab.test', echoPort, deadline());
    expect(await echoThrough(socket, 'authenticated')).toBe('authenticated');
    socket.destroy();
    expect(proxy.requests.map((r) => [r.hadCredentials, r.status])).toEqual([[true, 407], [true, 200]]);
  });

  it('PROXY_DENIED: 403 with the block page title naming the policy', async () => {
    const proxy = await labProxy({ deny: ['*.msappproxy.net'], denyPolicy: 'corp-egress-v2' });
    const refusal = await refusalOf(proxy.url, 'contoso.msappproxy.net', 443);
    expect(refusal).toMatchObject({ code: 'PROXY_DENIED', status: 403, statusText: 'Forbidden', pageTitle: 'Access Denied by policy corp-egress-v2' });
    expect(refusal.detail).toBe(`proxy ${proxy.url} refused CONNECT contoso.msappproxy.net:443: 403 Forbidden ("Access Denied by policy corp-egress-v2")`);
  });

  it('PROXY_DENIED: a captive portal redirect is a refusal too', async () => {
    const proxyUrl = await scriptedProxy('HTTP/1.1 302 Found\r\nLocation: http://portal.corp/login\r\nContent-Length: 0\r\n\r\n');
    const refusal = await refusalOf(proxyUrl, 'login.microsoftonline.com', 443);
    expect(refusal).toMatchObject({ code: 'PROXY_DENIED', status: 302 });
    expect(refusal.detail).toBe(`proxy ${proxyUrl} refused CONNECT login.microsoftonline.com:443: 302 Found`);
  });

  it('reads a hostile block page as data: one line, no control characters, capped', async () => {
    const title = `Blocked\u0000 by\r\n\u001b[31mpolicy\u202e &amp; &#x41; ${'x'.repeat(5000)}`;
    const body = page(title);
    const proxyUrl = await scriptedProxy(`HTTP/1.1 403 Forbidden \u001b[2J\u0007gone\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const refusal = await refusalOf(proxyUrl, 'echo.lab.test', 443);
    expect(refusal.statusText).toBe('Forbidden [2J gone');
    expect(refusal.pageTitle).toMatch(/^Blocked by \[31mpolicy & A x+…$/);
    expect([...(refusal.pageTitle ?? '')]).toHaveLength(160);
    expect(refusal.detail).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });

  it('reads a chunked page on a kept-alive connection without waiting for the proxy to close', async () => {
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const proxyUrl = await scriptedProxy(`HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n${chunk('<html><head><ti')}${chunk('tle>Category: Gambling</title></head></html>')}0\r\n\r\n`);
    const started = performance.now();
    const refusal = await refusalOf(proxyUrl, 'echo.lab.test', 443);
    expect(refusal.pageTitle).toBe('Category: Gambling');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('PROXY_ERROR: 502 from a proxy whose upstream fails, with its status text', async () => {
    const proxy = await labProxy({ upstreamError: 502 });
    const refusal = await refusalOf(proxy.url, 'echo.lab.test', echoPort);
    expect(refusal).toMatchObject({ code: 'PROXY_ERROR', status: 502, statusText: 'Bad Gateway' });
    expect(refusal.detail).toBe(`proxy ${proxy.url} could not open a tunnel to echo.lab.test:${echoPort}: 502 Bad Gateway ("Bad Gateway (lab upstream error)")`);
  });

  it('PROXY_ERROR: 504, and 502 when the target refuses the proxy', async () => {
    const timingOut = await labProxy({ upstreamError: 504 });
    expect(await refusalOf(timingOut.url, 'echo.lab.test', echoPort)).toMatchObject({ code: 'PROXY_ERROR', status: 504, statusText: 'Gateway Timeout' });
    const proxy = await labProxy();
    const refusal = await refusalOf(proxy.url, 'closed.lab.test', closedPort);
    expect(refusal).toMatchObject({ code: 'PROXY_ERROR', status: 502 });
    expect(refusal.detail).toBe(`proxy ${proxy.url} could not open a tunnel to closed.lab.test:${closedPort}: 502 Bad Gateway ("Connection to closed.lab.test:${closedPort} failed: connection refused (RST): nothing listens, or a firewall rejects")`);
  });

  it('PROXY_ERROR: no answer before the deadline, an answer that is not HTTP, a close without answer', async () => {
    const silent = `http://${tarpitAddress}:${tarpit.port}`;
    const started = performance.now();
    expect((await refusalOf(silent, 'echo.lab.test', 443, deadlineSignal(300))).detail)
      .toBe(`proxy ${silent} accepted the connection for CONNECT echo.lab.test:443, but no answer came before the deadline`);
    expect(performance.now() - started).toBeLessThan(1000);
    const ssh = await scriptedProxy('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n', 'on-connect');
    expect(await refusalOf(ssh, 'echo.lab.test', 443)).toMatchObject({
      code: 'PROXY_ERROR',
      detail: `proxy ${ssh} accepted the connection for CONNECT echo.lab.test:443, but the answer is not HTTP: "SSH-2.0-OpenSSH_9.2p1 Debian-2"`,
    });
    const closing = await scriptedProxy('', 'close-on-request');
    expect((await refusalOf(closing, 'echo.lab.test', 443)).detail).toBe(`proxy ${closing} accepted the connection for CONNECT echo.lab.test:443, but it closed the connection without answering`);
  });

  it('PROXY_UNREACHABLE: the connection to the proxy fails, with the tcp detail', async () => {
    const proxyUrl = `http://${closedAddress}:${closedPort}`;
    expect(await refusalOf(proxyUrl, 'echo.lab.test', 443)).toEqual({
      code: 'PROXY_UNREACHABLE',
      proxy: proxyUrl,
      target: 'echo.lab.test:443',
      statusText: '',
      credentialsSent: false,
      connectFailure: { code: 'TCP_REFUSED', detail: 'connection refused (RST): nothing listens, or a firewall rejects' },
      detail: `proxy ${proxyUrl} is unreachable: connection refused (RST): nothing listens, or a firewall rejects`,
    });
  });

  it('asks for IPv6 targets in brackets', async () => {
    const proxy = await labProxy({ deny: ['::1'] });
    expect((await refusalOf(proxy.url, '::1', 443)).target).toBe('[::1]:443');
    expect(proxy.requests[0]?.target).toBe('[::1]:443');
  });
});

describe('proxy probe', () => {
  const ctx = (stepTimeoutMs = 2000) => ({ stepTimeoutMs, signal: new AbortController().signal });

  it('PROXY_OK: the proxy answers OPTIONS * itself, without credentials', async () => {
    const proxy = await labProxy({ auth: { username: 'agent', password: 'right' } });
    const evidence = await probeProxy({ url: `http://agent:right@${proxy.host}:${proxy.port}` }, ctx());
    expect(evidence).toMatchObject({
      proxy: `http://agent:***@${proxy.host}:${proxy.port}`,
      address: proxy.host,
      port: proxy.port,
      answer: 'HTTP/1.1 407 Proxy Authentication Required',
      server: 'lab-forward-proxy',
      via: null,
      failure: null,
    });
    expect(evidence.connectMs).toBeGreaterThanOrEqual(0);
    expect(proxy.requests).toEqual([{ method: 'OPTIONS', target: '*', hadCredentials: false, status: 407 }]);
  });

  it('PROXY_OK: records the Via and Server headers of the answer', async () => {
    const proxyUrl = await scriptedProxy('HTTP/1.1 501 Not Implemented\r\nServer: squid/5.7\r\nVia: 1.1 gw1 (squid/5.7)\r\nVia: 1.0 edge\r\nContent-Length: 0\r\n\r\n');
    expect(await probeProxy({ url: proxyUrl }, ctx())).toMatchObject({ answer: 'HTTP/1.1 501 Not Implemented', server: 'squid/5.7', via: '1.1 gw1 (squid/5.7), 1.0 edge', failure: null });
  });

  it('PROXY_UNREACHABLE: nothing listens', async () => {
    const proxyUrl = `http://${closedAddress}:${closedPort}`;
    expect(await probeProxy({ url: proxyUrl }, ctx())).toEqual({
      proxy: proxyUrl, address: null, port: closedPort, connectMs: null, answer: null, via: null, server: null,
      failure: { code: 'PROXY_UNREACHABLE', tcpCode: 'TCP_REFUSED', detail: `cannot connect to proxy ${proxyUrl}: connection refused (RST): nothing listens, or a firewall rejects` },
    });
  });

  it('PROXY_UNREACHABLE: it accepts but does not speak HTTP', async () => {
    const silent = `http://${tarpitAddress}:${tarpit.port}`;
    const quiet = await probeProxy({ url: silent }, ctx(300));
    expect(quiet.failure).toEqual({ code: 'PROXY_UNREACHABLE', tcpCode: null, detail: `proxy ${silent} accepted a connection at ${tarpitAddress}:${tarpit.port}, but no answer came before the deadline: it does not act as an HTTP proxy` });
    expect(quiet.connectMs).toBeGreaterThanOrEqual(0);
    const ssh = await scriptedProxy('SSH-2.0-OpenSSH_9.2p1\r\n', 'on-connect');
    expect((await probeProxy({ url: ssh }, ctx())).failure?.detail).toMatch(/, but the answer is not HTTP: "SSH-2\.0-OpenSSH_9\.2p1": it does not act as an HTTP proxy$/);
  });
});

describe('credentials in the proxy URL', () => {
  it('never show: not in refusals, messages or evidence, though they reach the proxy', async () => {
    const shown: unknown[] = [];
    const auth = await labProxy({ auth: { username: 'user', password: 'other' } });
    const deny = await labProxy({ deny: ['echo.lab.test'] });
    for (const proxy of [auth, deny]) {
      const url = `http://user:secret@${proxy.host}:${proxy.port}`;
      shown.push(await refusalOf(url, 'echo.lab.test', echoPort), await probeProxy({ url }, { stepTimeoutMs: 2000, signal: new AbortController().signal }));
    }
    const unreachable = `http://user:secret@${closedAddress}:${closedPort}`;
    shown.push(await refusalOf(unreachable, 'echo.lab.test', 443), await probeProxy({ url: unreachable }, { stepTimeoutMs: 2000, signal: new AbortController().signal }));
    const text = JSON.stringify(shown);
    expect(text).not.toContain('secret');
    expect(text).toContain('user:***@');
    expect([...auth.requests, ...deny.requests].filter((r) => r.method === 'CONNECT').every((r) => r.hadCredentials)).toBe(true);
  });
});
