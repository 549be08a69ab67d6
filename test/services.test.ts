// Smoke tests of the launchers in support/services.ts: each real component starts on loopback and does the one
// thing the lab needs from it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import {
  startMitmdumpReverse,
  startNginx,
  startSquid,
  startUnbound,
  waitForPort,
  type RunningService,
} from './support/services.js';

// Addresses of their own, away from the ones other test files use.
const ORIGIN_HOST = loopbackAddress(3001);
const MITM_HOST = loopbackAddress(3002);
const PROXY_HOST = loopbackAddress(3003);
const DNS_HOST = loopbackAddress(3004);
const AUTHORITATIVE_DNS_HOST = loopbackAddress(3005);
const DNS_NAME = 'resolved.lab.test';
const ORIGIN_NAME = 'origin.lab.test';
const CRL_BYTES = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);

const running: RunningService[] = [];
const dnsServers: LabDnsServer[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all([...running.splice(0).map((service) => service.stop()), ...dnsServers.splice(0).map((server) => server.close())]);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function started<T extends RunningService>(service: Promise<T>): Promise<T> {
  const value = await service;
  running.push(value);
  return value;
}

async function labDns(port: number): Promise<LabDnsServer> {
  const server = await startLabDnsServer({ host: AUTHORITATIVE_DNS_HOST, port, zone: { [DNS_NAME]: { records: [{ type: 'A', value: ORIGIN_HOST }] } } });
  dnsServers.push(server);
  return server;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'egress-preflight-services-test-'));
  tempDirs.push(dir);
  return dir;
}

interface KeyPair {
  certPem: string;
  keyPem: string;
}

/** A self-signed certificate from the openssl command; a CA when `isCa`. */
function selfSigned(commonName: string, options: { subjectAltName?: string; isCa?: boolean } = {}): KeyPair {
  const dir = tempDir();
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const extensions = options.isCa
    ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']
    : ['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', `subjectAltName=${options.subjectAltName ?? `DNS:${commonName}`}`];
  const result = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${commonName}`, '-keyout', keyPath, '-out', certPath, ...extensions,
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

function filesToServe(): string {
  const root = tempDir();
  writeFileSync(path.join(root, 'hello.txt'), 'hello from the lab origin\n');
  writeFileSync(path.join(root, 'issuing.crl'), CRL_BYTES);
  return root;
}

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function collect(request: http.ClientRequest): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.once('error', reject);
    });
    request.once('error', reject);
    request.end();
  });
}

/** An absolute-form GET through the proxy, as a proxy-aware client sends it. */
function getViaProxy(proxy: RunningService, url: string, headers: http.OutgoingHttpHeaders = {}): Promise<HttpResult> {
  return collect(http.request({ host: proxy.host, port: proxy.port, path: url, headers: { host: new URL(url).host, ...headers } }));
}

function titleOf(html: string): string | undefined {
  return /<title>([^<]*)<\/title>/.exec(html)?.[1];
}

function tlsPeerCertificate(options: tls.ConnectionOptions): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...options, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** Opens a CONNECT tunnel through the proxy and resolves with the raw socket once the proxy answers 200. */
function connectTunnel(proxy: RunningService, target: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: proxy.host, port: proxy.port, method: 'CONNECT', path: target });
    request.once('connect', (response, socket) => {
      if (response.statusCode === 200) resolve(socket);
      else reject(new Error(`CONNECT ${target} answered ${response.statusCode}`));
    });
    request.once('error', reject);
    request.end();
  });
}

describe('nginx', () => {
  it('serves files over HTTP, CRLs as application/pkix-crl', async () => {
    const port = await findSharedFreePort([ORIGIN_HOST]);
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port, root: filesToServe() }));

    const text = await collect(http.request(`${nginx.url}/hello.txt`));
    expect(text.status).toBe(200);
    expect(text.body.toString()).toBe('hello from the lab origin\n');

    const crl = await collect(http.request(`${nginx.url}/issuing.crl`));
    expect(crl.status).toBe(200);
    expect(crl.headers['content-type']).toBe('application/pkix-crl');
    expect(crl.body).toEqual(CRL_BYTES);
  });

  it('serves HTTPS with the certificate it is given', async () => {
    const identity = selfSigned(ORIGIN_NAME, { subjectAltName: `DNS:${ORIGIN_NAME},IP:${ORIGIN_HOST}` });
    const port = await findSharedFreePort([ORIGIN_HOST]);
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port, tls: identity, root: filesToServe() }));

    const response = await collect(https.request(`${nginx.url}/hello.txt`, { ca: identity.certPem }));
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('hello from the lab origin\n');
  });

  it('fails with the output of the component when it cannot start', async () => {
    const port = await findSharedFreePort([ORIGIN_HOST]);
    const failure = startNginx({ host: ORIGIN_HOST, port, extraLocations: 'no_such_directive on;' });
    await expect(failure).rejects.toThrow(/nginx exited .*[\s\S]*unknown directive "no_such_directive"/);
  });
});

describe('mitmdump (reverse proxy)', () => {
  it('presents a certificate issued by its own mitmproxy CA for the SNI it receives, and forwards to the origin', async () => {
    const identity = selfSigned(ORIGIN_NAME, { subjectAltName: `IP:${ORIGIN_HOST}` });
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port: await findSharedFreePort([ORIGIN_HOST]), tls: identity, root: filesToServe() }));
    const mitm = await started(startMitmdumpReverse({ host: MITM_HOST, port: await findSharedFreePort([MITM_HOST]), upstream: nginx.url }));

    const certificate = await tlsPeerCertificate({ host: mitm.host, port: mitm.port, servername: 'login.lab.test' });
    expect(certificate.issuer.O ?? certificate.issuer.CN).toContain('mitmproxy');
    expect(certificate.subjectaltname).toContain('DNS:login.lab.test');

    const response = await collect(https.request({ host: mitm.host, port: mitm.port, path: '/hello.txt', servername: 'login.lab.test', ca: mitm.caCertPem }));
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('hello from the lab origin\n');
  });
});

describe('squid', () => {
  it('forwards an absolute-form GET to a lab host name, and denies a policy domain with its own page', async () => {
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port: await findSharedFreePort([ORIGIN_HOST]), root: filesToServe() }));
    const squid = await started(startSquid({
      host: PROXY_HOST,
      port: await findSharedFreePort([PROXY_HOST]),
      hosts: { [ORIGIN_NAME]: ORIGIN_HOST },
      denyDomains: ['.blocked.lab.test'],
      denyPolicyName: 'Contoso egress policy',
    }));

    const allowed = await getViaProxy(squid, `http://${ORIGIN_NAME}:${nginx.port}/hello.txt`);
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString()).toBe('hello from the lab origin\n');

    const denied = await getViaProxy(squid, 'http://www.blocked.lab.test/');
    expect(denied.status).toBe(403);
    expect(titleOf(denied.body.toString())).toBe(squid.denyPageTitle);
    expect(squid.denyPageTitle).toContain('Contoso egress policy');
  });

  // Squid 5 always asks port 53 (it rejects a port in dns_nameservers); binding it needs root, as CI has.
  it.skipIf(process.getuid?.() !== 0)('resolves other names through the loopback DNS server it is given', async () => {
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port: await findSharedFreePort([ORIGIN_HOST]), root: filesToServe() }));
    const dns = await labDns(53);
    const squid = await started(startSquid({ host: PROXY_HOST, port: await findSharedFreePort([PROXY_HOST]), dnsNameserver: dns.host }));

    const response = await getViaProxy(squid, `http://${DNS_NAME}:${nginx.port}/hello.txt`);
    expect(response.status).toBe(200);
    expect(dns.queries.map((query) => query.name)).toContain(DNS_NAME);
  });

  it('demands Basic proxy authentication and accepts the right credentials', async () => {
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port: await findSharedFreePort([ORIGIN_HOST]), root: filesToServe() }));
    const squid = await started(startSquid({ host: PROXY_HOST, port: await findSharedFreePort([PROXY_HOST]), basicAuth: { user: 'agent', password: 's3cret:pass' } }));
    const url = `http://${ORIGIN_HOST}:${nginx.port}/hello.txt`;
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    const anonymous = await getViaProxy(squid, url);
    expect(anonymous.status).toBe(407);
    expect(anonymous.headers['proxy-authenticate']).toMatch(/^Basic /);

    const wrong = await getViaProxy(squid, url, { 'proxy-authorization': basic('agent', 'wrong') });
    expect(wrong.status).toBe(407);

    const authenticated = await getViaProxy(squid, url, { 'proxy-authorization': basic('agent', 's3cret:pass') });
    expect(authenticated.status).toBe(200);
    expect(authenticated.body.toString()).toBe('hello from the lab origin\n');
  });

  it('bumps CONNECT tunnels with certificates signed by the given CA', async () => {
    const origin = selfSigned(ORIGIN_NAME);
    const bumpCa = selfSigned('Contoso TLS Inspection CA', { isCa: true });
    const nginx = await started(startNginx({ host: ORIGIN_HOST, port: await findSharedFreePort([ORIGIN_HOST]), tls: origin }));
    const squid = await started(startSquid({
      host: PROXY_HOST,
      port: await findSharedFreePort([PROXY_HOST]),
      hosts: { [ORIGIN_NAME]: ORIGIN_HOST },
      sslBump: { caCertPem: bumpCa.certPem, caKeyPem: bumpCa.keyPem },
    }));

    const tunnel = await connectTunnel(squid, `${ORIGIN_NAME}:${nginx.port}`);
    const certificate = await tlsPeerCertificate({ socket: tunnel, servername: ORIGIN_NAME });
    expect(certificate.issuer.CN).toBe('Contoso TLS Inspection CA');
    expect(certificate.subject.CN).toBe(ORIGIN_NAME);
  });
});

describe('unbound', () => {
  it('answers its local records and NXDOMAIN for everything else', async () => {
    const unbound = await started(startUnbound({
      host: DNS_HOST,
      port: await findSharedFreePort([DNS_HOST]),
      records: [`${ORIGIN_NAME}. 60 IN A ${ORIGIN_HOST}`],
    }));
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`${unbound.host}:${unbound.port}`]);

    expect(await resolver.resolve4(ORIGIN_NAME)).toEqual([ORIGIN_HOST]);
    await expect(resolver.resolve4('unknown.lab.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('forwards other names to the server it is given', async () => {
    const dns = await labDns(0);
    const unbound = await started(startUnbound({ host: DNS_HOST, port: await findSharedFreePort([DNS_HOST]), forwardTo: `${dns.host}@${dns.port}` }));
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`${unbound.host}:${unbound.port}`]);

    expect(await resolver.resolve4(DNS_NAME)).toEqual([ORIGIN_HOST]);
  });
});

describe('support tools', () => {
  it('has xmllint', () => {
    const result = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('libxml');
  });

  it('waitForPort resolves for a listening port and rejects after its deadline otherwise', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, ORIGIN_HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(waitForPort(ORIGIN_HOST, port, 1_000)).resolves.toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(waitForPort(ORIGIN_HOST, port, 300)).rejects.toThrow(/within 300 ms/);
  });
});
