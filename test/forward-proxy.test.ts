// The lab forward proxy as clients see it: undici's ProxyAgent (absolute-form GET) and Client.connect (CONNECT),
// policy, authentication, upstream errors, its loopback-only rule, and a prompt close().
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { Client, ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxyOptions, type LabForwardProxy } from '../lab/forward-proxy.js';
import { listen, loopbackAddress } from '../lab/loopback.js';
import { chainPem, LabAuthority } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';

const webAddress = loopbackAddress(521);
const echoAddress = loopbackAddress(522);
const closedAddress = loopbackAddress(523);
const tlsAddress = loopbackAddress(524);
const names: Record<string, string> = { 'web.lab.test': webAddress, 'echo.lab.test': echoAddress, 'closed.lab.test': closedAddress, 'offsite.lab.test': '192.0.2.10', 'tls.lab.test': tlsAddress };
const resolve = (host: string) => names[host] ?? null;

let webPort: number;
let echoPort: number;
let closedPort: number;
let serverRoot: LabAuthority;
let inspectionRoot: LabAuthority;
let tlsPort: number;
/** Greets every TLS client, so tests see that a re-signed session still reaches the target. */
let tlsServer: tls.Server;
const web = http.createServer((req, res) => {
  // What reached the origin, so tests can see what the proxy forwarded.
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, host: req.headers.host, proxyAuthorization: req.headers['proxy-authorization'] ?? null }));
});
const echo = net.createServer((socket) => socket.pipe(socket));
const proxies: LabForwardProxy[] = [];

beforeAll(async () => {
  webPort = await listen(web, webAddress, 0);
  echoPort = await listen(echo, echoAddress, 0);
  closedPort = await findSharedFreePort([closedAddress]);
  [serverRoot, inspectionRoot] = await Promise.all([
    LabAuthority.root({ name: [['O', 'Lab Services'], ['CN', 'Lab Services Root']] }),
    LabAuthority.root({ name: [['O', 'Contoso Corporation'], ['CN', 'Contoso Egress Inspection CA']] }),
  ]);
  const identity = await serverRoot.issueLeaf({ hosts: ['tls.lab.test'] });
  tlsServer = tls.createServer({ key: identity.keyPem, cert: chainPem(identity, { intermediates: true, root: false }) }, (session) => session.end('served by tls.lab.test'));
  tlsPort = await listen(tlsServer, tlsAddress, 0);
});
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  web.closeAllConnections();
  await Promise.all([web, echo, tlsServer].map((server) => new Promise((r) => server.close(r))));
});

let nextProxyAddress = 530;
async function labProxy(options: Partial<ForwardProxyOptions> = {}): Promise<LabForwardProxy> {
  const proxy = await startForwardProxy({ host: loopbackAddress(nextProxyAddress++), resolve, ...options });
  proxies.push(proxy);
  return proxy;
}

/**
 * A GET through the proxy in absolute form, as port-80 checks will send it. Plain node:http rather than
 * undici's ProxyAgent, which turns a 407 into an error and drops its Proxy-Authenticate headers.
 */
function getThrough(proxyUrl: string, url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const proxy = new URL(proxyUrl);
  const credentials = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}` } : {};
  return new Promise((resolveAnswer, reject) => {
    http.request({ host: proxy.hostname, port: proxy.port, path: url, headers: { host: new URL(url).host, ...credentials }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject).end();
  });
}

/** A request the proxy answers itself (origin form, or OPTIONS *). */
function askProxy(proxy: LabForwardProxy, method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolveAnswer, reject) => {
    http.request({ host: proxy.host, port: proxy.port, method, path, agent: false }, (res) => {
      res.resume();
      resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers });
    }).on('error', reject).end();
  });
}

const titleOf = (html: string) => /<title>(.*)<\/title>/.exec(html)?.[1];

describe('lab forward proxy', () => {
  it('forwards an absolute-form GET (undici ProxyAgent, proxyTunnel: false) to the address resolve() gives', async () => {
    const proxy = await labProxy();
    const target = `http://web.lab.test:${webPort}/pkiops/crl?x=1`;
    const dispatcher = new ProxyAgent({ uri: proxy.url, proxyTunnel: false });
    const answer = await request(target, { dispatcher });
    const body = await answer.body.text();
    await dispatcher.close();
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['via']).toBe('1.1 lab-forward-proxy');
    expect(JSON.parse(body)).toEqual({ url: '/pkiops/crl?x=1', host: `web.lab.test:${webPort}`, proxyAuthorization: null });
    expect(proxy.requests).toEqual([{ method: 'GET', target, hadCredentials: false, status: 200 }]);
  });

  it('opens a CONNECT tunnel to the target (undici Client.connect)', async () => {
    const proxy = await labProxy();
    const client = new Client(proxy.url);
    try {
      const { statusCode, socket } = await client.connect({ path: `echo.lab.test:${echoPort}` });
      expect(statusCode).toBe(200);
      socket.write('ping through the tunnel');
      const [data] = (await once(socket, 'data')) as [Buffer];
      expect(data.toString()).toBe('ping through the tunnel');
      socket.destroy();
    } finally {
      await client.close();
    }
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: `echo.lab.test:${echoPort}`, hadCredentials: false, status: 200 }]);
  });

  it('demands Basic credentials with 407, offering NTLM and Negotiate too, and strips them before forwarding', async () => {
    const proxy = await labProxy({ auth: { username: 'agent', password: 'secret', realm: 'corp proxy', alsoOffer: ['NTLM', 'Negotiate'] } });
    const target = `http://web.lab.test:${webPort}/`;
    const refused = await getThrough(proxy.url, target);
    expect(refused.status).toBe(407);
    expect(refused.headers['proxy-authenticate']).toBe('Basic realm="corp proxy", NTLM, Negotiate'); // node joins the three headers
    expect(titleOf(refused.body)).toBe('Proxy Authentication Required');
    const accepted = await getThrough(`http://agent:secret@${proxy.host}:${proxy.port}`, target);
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body).proxyAuthorization).toBeNull();
    expect(proxy.requests.map((r) => [r.hadCredentials, r.status])).toEqual([[false, 407], [true, 200]]);
  });

  it('denies targets on its deny list with 403 and a page naming the policy', async () => {
    const proxy = await labProxy({ deny: ['*.blocked.test', 'web.lab.test'], denyPolicy: 'corp-egress-v2' });
    const answer = await getThrough(proxy.url, `http://web.lab.test:${webPort}/`);
    expect(answer.status).toBe(403);
    expect(titleOf(answer.body)).toBe('Access Denied by policy corp-egress-v2');
  });

  it('denies every target its allow list does not name', async () => {
    const proxy = await labProxy({ allow: ['web.lab.test'] });
    expect((await getThrough(proxy.url, `http://web.lab.test:${webPort}/`)).status).toBe(200);
    expect((await getThrough(proxy.url, `http://echo.lab.test:${echoPort}/`)).status).toBe(403);
  });

  it('answers 502 in upstream-error mode, and 502 when the target refuses', async () => {
    const failing = await labProxy({ upstreamError: 502 });
    const answer = await getThrough(failing.url, `http://web.lab.test:${webPort}/`);
    expect(answer.status).toBe(502);
    expect(titleOf(answer.body)).toBe('Bad Gateway (lab upstream error)');
    const proxy = await labProxy();
    const refused = await getThrough(proxy.url, `http://closed.lab.test:${closedPort}/`);
    expect(refused.status).toBe(502);
    expect(titleOf(refused.body)).toBe(`Connection to http://closed.lab.test:${closedPort}/ failed: connection refused (RST): nothing listens, or a firewall rejects`);
  });

  it('reaches loopback only, and says which names it cannot resolve', async () => {
    const proxy = await labProxy();
    const offsite = await getThrough(proxy.url, 'http://offsite.lab.test/');
    expect(offsite.status).toBe(502);
    expect(titleOf(offsite.body)).toBe('The lab proxy reaches loopback addresses only, not 192.0.2.10');
    const unknown = await getThrough(proxy.url, 'http://unknown.lab.test/');
    expect(titleOf(unknown.body)).toBe('Cannot resolve unknown.lab.test');
  });

  it('answers OPTIONS * itself, and refuses origin-form requests', async () => {
    const proxy = await labProxy();
    const options = await askProxy(proxy, 'OPTIONS', '*');
    expect(options).toMatchObject({ status: 200, headers: { server: 'lab-forward-proxy', allow: 'OPTIONS, GET, HEAD, POST, CONNECT' } });
    expect((await askProxy(proxy, 'GET', '/')).status).toBe(400);
    expect(proxy.requests.map((r) => [r.method, r.target, r.status])).toEqual([['OPTIONS', '*', 200], ['GET', '/', 400]]);
  });

  it('re-signs TLS inside CONNECT with its own CA, and still reaches the target', async () => {
    /** The issuer the client is shown through `proxy`, and what the target said. */
    const throughProxy = async (proxy: LabForwardProxy, trusted: LabAuthority) => {
      const { socket } = await new Client(proxy.url).connect({ path: `tls.lab.test:${tlsPort}` });
      const session = tls.connect({ socket, servername: 'tls.lab.test', ca: trusted.certificate.pem });
      await once(session, 'secureConnect');
      const issuer = session.getPeerCertificate().issuer.CN;
      let said = '';
      for await (const chunk of session) said += String(chunk);
      return { issuer, said };
    };
    expect(await throughProxy(await labProxy({ resignWith: inspectionRoot }), inspectionRoot)).toEqual({ issuer: 'Contoso Egress Inspection CA', said: 'served by tls.lab.test' });
    expect(await throughProxy(await labProxy(), serverRoot)).toEqual({ issuer: 'Lab Services Root', said: 'served by tls.lab.test' });
  });

  it('passes tunnelled traffic that is not TLS untouched while re-signing', async () => {
    const proxy = await labProxy({ resignWith: inspectionRoot });
    const { socket } = await new Client(proxy.url).connect({ path: `echo.lab.test:${echoPort}` });
    socket.write('not a ClientHello');
    const [data] = (await once(socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('not a ClientHello');
    socket.destroy();
  });

  it('closes promptly with a tunnel and an idle connection open', async () => {
    const proxy = await startForwardProxy({ host: loopbackAddress(nextProxyAddress++), resolve });
    const tunnel = await new Client(proxy.url).connect({ path: `echo.lab.test:${echoPort}` });
    const idle = net.connect(proxy.port, proxy.host);
    await once(idle, 'connect');
    const tunnelClosed = once(tunnel.socket, 'close');
    const idleClosed = once(idle, 'close');
    const started = performance.now();
    await proxy.close();
    await Promise.all([tunnelClosed, idleClosed]);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
