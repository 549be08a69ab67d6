// Real components: Debian's squid between the tool and a lab TLS service. A plain forward proxy with a deny rule,
// one that demands Basic authentication, one that bumps TLS with its own CA, and one inside a network namespace
// whose firewall lets only squid reach the service. The tool, run as users run it, must say what squid did.
// Runs the built CLI (npm test builds first).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labCrl } from '../lab/crl.js';
import { startLabDnsServer } from '../lab/dns-server.js';
import { startHttpFixtures } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { cliPath, runPreflight } from './support/cli.js';
import { startProxiedLabInNamespace, type NamespacedLab } from './support/lab-process.js';
import { createNetNamespace, type NetNamespace } from './support/netns.js';
import { startSquid, type RunningSquid, type SquidOptions } from './support/services.js';
import { validateJunit } from './support/xsd.js';

// The same addresses serve the lab on this machine's loopback and on the namespace's own.
const serviceAddress = loopbackAddress(3101);
const proxyAddress = loopbackAddress(3102);
const dnsAddress = loopbackAddress(3103);
const ALLOWED_HOST = 'allowed.squid.lab.test';
const DENIED_HOST = 'denied.squid.lab.test';
const FIREWALLED_HOST = 'firewalled.squid.lab.test';
const DENY_POLICY = 'Contoso egress policy 12';
/** The CN of the lab's corporate CA (pki.corporateRoot), which the ssl-bump squid signs with. */
const BUMP_CA_NAME = 'Contoso Egress Inspection CA';
const PROXY_USER = 'user';
const PROXY_PASSWORD = 'secret';
// Short deadlines keep the dropped connections of the namespace test quick.
const STEP_TIMEOUT_MS = '1500';
// The checks a proxied TLS endpoint gets; nothing that would follow the certificates' URLs off this machine.
const CHECKS = 'dns,proxy,tcp,tls,inspection';

const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-squid-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Where the CLI finds the lab: its DNS server, the port the service listens on instead of 443, its roots. */
interface LabEndpoints {
  dnsPort: number;
  servicePort: number;
  rootsFile: string;
}

interface PreflightOutcome {
  exitCode: number | null;
  doc: RunDocument;
  /** stdout, stderr and both reports, as one text. */
  everything: string;
}

type CliInvocation = (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

let reportCount = 0;

/** Runs the CLI over `hosts` with JSON and JUnit reports; the JUnit file must validate against the Jenkins schema. */
async function preflight(invoke: CliInvocation, endpoints: LabEndpoints, hosts: readonly string[], extra: string[]): Promise<PreflightOutcome> {
  const basename = path.join(work, `run-${++reportCount}`);
  const config = `${basename}.yaml`;
  writeFileSync(config, `endpoints:\n${hosts.map((host) => `  - url: https://${host}/\n`).join('')}`);
  const json = `${basename}.json`;
  const junit = `${basename}.xml`;
  const run = await invoke([
    '-c', config, '--resolver', `${dnsAddress}:${endpoints.dnsPort}`, '--port-map', `443=${endpoints.servicePort}`, '--ca-file', endpoints.rootsFile,
    '--only', CHECKS, '--timeout', STEP_TIMEOUT_MS, '--json', json, '--junit', junit, ...extra,
  ]);
  expect(run.stderr).toBe('');
  expect(validateJunit(junit)).toBe('');
  const jsonText = readFileSync(json, 'utf8');
  return { exitCode: run.code, doc: JSON.parse(jsonText) as RunDocument, everything: [run.stdout, run.stderr, jsonText, readFileSync(junit, 'utf8')].join('\n') };
}

function resultOf(doc: RunDocument, id: string): CheckResult {
  const result = doc.results.find((r) => r.id === id);
  if (!result) throw new Error(`no result ${id} among ${doc.results.map((r) => r.id).join(', ')}`);
  return result;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The proxy URL to pass with --proxy; `userInfo` is "user:password@" or its redacted form. */
const proxyUrlOf = (proxy: { host: string; port: number }, userInfo = ''): string => `http://${userInfo}${proxy.host}:${proxy.port}`;

describe('squid on loopback', () => {
  let pki: LabPki;
  let endpoints: LabEndpoints;
  const closers: Array<() => Promise<void>> = [];
  const squids: RunningSquid[] = [];

  beforeAll(async () => {
    pki = await labPki();
    const service = await startTlsFixture(serviceAddress, await findSharedFreePort([serviceAddress]), { kind: 'intercept', authority: pki.publicIssuing });
    closers.push(() => service.close());
    const dns = await startLabDnsServer({
      host: dnsAddress,
      zone: Object.fromEntries([ALLOWED_HOST, DENIED_HOST].map((host) => [host, { records: [{ type: 'A', value: serviceAddress }] }])),
    });
    closers.push(() => dns.close());
    const rootsFile = path.join(work, 'lab-roots.pem');
    writeFileSync(rootsFile, pki.trustedRootsPem);
    endpoints = { dnsPort: dns.port, servicePort: service.port, rootsFile };
  });
  afterEach(() => Promise.all(squids.splice(0).map((squid) => squid.stop())));
  afterAll(() => Promise.all(closers.map((close) => close())));

  /** A squid that resolves both lab names to the service itself, as a proxy in front of the internet would. */
  async function squid(options: Partial<SquidOptions> = {}): Promise<RunningSquid> {
    const started = await startSquid({
      host: proxyAddress,
      port: await findSharedFreePort([proxyAddress]),
      hosts: { [ALLOWED_HOST]: serviceAddress, [DENIED_HOST]: serviceAddress },
      ...options,
    });
    squids.push(started);
    return started;
  }

  const onThisMachine: CliInvocation = (args) => runPreflight(args, { cwd: work });

  it('a forward proxy with a deny rule: the allowed host tunnels clean, the denied one is PROXY_DENIED with squid\'s page title', async () => {
    const proxy = await squid({ denyDomains: [DENIED_HOST], denyPolicyName: DENY_POLICY });
    const proxyUrl = proxyUrlOf(proxy);
    const { exitCode, doc } = await preflight(onThisMachine, endpoints, [ALLOWED_HOST, DENIED_HOST], ['--proxy', proxyUrl]);
    expect(exitCode).toBe(1);

    const through = `through proxy ${proxyUrl} (from --proxy)`;
    expect(resultOf(doc, `proxy:${proxyUrl}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    // Squid answers OPTIONS * itself, and names itself in Via.
    expect(resultOf(doc, `proxy:${proxyUrl}`).message).toMatch(new RegExp(`^proxy ${escapeRegExp(proxyUrl)} \\(from --proxy\\) answers: HTTP/1\\.1 \\d{3} .* via 1\\.1 egress-preflight-lab \\(squid/`));
    const tunnel = resultOf(doc, `tcp:${ALLOWED_HOST}:443`);
    expect(tunnel).toMatchObject({ status: 'pass', code: 'TCP_OK', address: null });
    expect(tunnel.message).toMatch(new RegExp(`^tunnel to ${escapeRegExp(`${ALLOWED_HOST}:${endpoints.servicePort}`)} opened ${escapeRegExp(through)} in [\\d.]+ ms$`));
    const handshake = resultOf(doc, `tls:${ALLOWED_HOST}:443`);
    expect(handshake).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(handshake.message).toContain(`${ALLOWED_HOST}:443 through proxy ${proxyUrl}`);
    const inspection = resultOf(doc, `inspection:${ALLOWED_HOST}:443`);
    expect(inspection).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    expect(inspection.message).toContain(`${ALLOWED_HOST}:443 through proxy ${proxyUrl} (from --proxy): not inspected:`);

    const denied = resultOf(doc, `tcp:${DENIED_HOST}:443`);
    expect(denied).toMatchObject({ status: 'fail', code: 'PROXY_DENIED' });
    expect(denied.message).toBe(`CONNECT to ${DENIED_HOST}:443 ${through}: proxy ${proxyUrl} refused CONNECT ${DENIED_HOST}:${endpoints.servicePort}: 403 Forbidden ("${proxy.denyPageTitle}")`);
    expect(denied.remediation).toContain(`The proxy's policy refuses CONNECT to ${DENIED_HOST}:443 ("${proxy.denyPageTitle}")`);
    expect(proxy.denyPageTitle).toContain(DENY_POLICY);
    expect(resultOf(doc, `tls:${DENIED_HOST}:443`)).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE' });
  });

  it('basic_ncsa_auth: without credentials PROXY_AUTH_REQUIRED naming Basic; with them the tunnel opens and the password shows nowhere', async () => {
    const proxy = await squid({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } });

    const anonymous = await preflight(onThisMachine, endpoints, [ALLOWED_HOST], ['--proxy', proxyUrlOf(proxy)]);
    expect(anonymous.exitCode).toBe(1);
    const refused = resultOf(anonymous.doc, `tcp:${ALLOWED_HOST}:443`);
    expect(refused).toMatchObject({ status: 'fail', code: 'PROXY_AUTH_REQUIRED' });
    const anonymousUrl = escapeRegExp(proxyUrlOf(proxy));
    expect(refused.message).toMatch(new RegExp(
      `^CONNECT to ${escapeRegExp(ALLOWED_HOST)}:443 through proxy ${anonymousUrl} \\(from --proxy\\): proxy ${anonymousUrl} demands authentication for CONNECT ${escapeRegExp(`${ALLOWED_HOST}:${endpoints.servicePort}`)}: 407 Proxy Authentication Required .*; it offers Basic$`,
    ));
    expect(refused.remediation).toContain('The proxy demands authentication (Basic), and the connector does not support proxy authentication');
    expect(resultOf(anonymous.doc, `tls:${ALLOWED_HOST}:443`)).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE' });

    const authenticated = await preflight(onThisMachine, endpoints, [ALLOWED_HOST], ['--proxy', proxyUrlOf(proxy, `${PROXY_USER}:${PROXY_PASSWORD}@`)]);
    expect(authenticated.exitCode).toBe(0);
    const redactedUrl = proxyUrlOf(proxy, `${PROXY_USER}:***@`);
    expect(resultOf(authenticated.doc, `proxy:${redactedUrl}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(resultOf(authenticated.doc, `tcp:${ALLOWED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(resultOf(authenticated.doc, `tcp:${ALLOWED_HOST}:443`).message).toContain(`opened through proxy ${redactedUrl} (from --proxy)`);
    expect(resultOf(authenticated.doc, `tls:${ALLOWED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(resultOf(authenticated.doc, `inspection:${ALLOWED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    expect(authenticated.everything).not.toContain(PROXY_PASSWORD);
  });

  it('port 80 through squid, absolute-form GETs: a CRL is CRL_OK; on a denied domain PROXY_DENIED with squid\'s page title', async () => {
    const crlServer = await startHttpFixtures(serviceAddress, await findSharedFreePort([serviceAddress]), {
      '/issuing.crl': { kind: 'body', contentType: 'application/pkix-crl', body: await labCrl(pki.publicIssuing) },
    });
    closers.push(() => crlServer.close());
    const proxy = await squid({ denyDomains: [DENIED_HOST], denyPolicyName: DENY_POLICY });
    const proxyUrl = proxyUrlOf(proxy);
    const [allowedCrl = '', deniedCrl = ''] = [ALLOWED_HOST, DENIED_HOST].map((host) => `http://${host}/issuing.crl`);
    const basename = path.join(work, `run-${++reportCount}`);
    writeFileSync(`${basename}.yaml`, `endpoints:\n  - url: ${allowedCrl}\n  - url: ${deniedCrl}\n`);
    const run = await onThisMachine([
      '-c', `${basename}.yaml`, '--resolver', `${dnsAddress}:${endpoints.dnsPort}`, '--port-map', `80=${crlServer.port}`,
      '--only', 'dns,proxy,crl', '--timeout', STEP_TIMEOUT_MS, '--proxy', proxyUrl, '--json', `${basename}.json`,
    ]);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(readFileSync(`${basename}.json`, 'utf8')) as RunDocument;
    const through = `; through proxy ${proxyUrl} (from --proxy)`;

    const fetched = resultOf(doc, `crl:${allowedCrl}`);
    expect(fetched).toMatchObject({ status: 'pass', code: 'CRL_OK' });
    expect(fetched.message.endsWith(through)).toBe(true);
    // Squid relayed the origin's answer and named itself in Via; it resolved the name, so no address is ours.
    expect(fetched.evidence['fetch']).toMatchObject({ hops: [{ proxy: proxyUrl, address: null, answer: { status: 200, via: expect.stringMatching(/\(squid\/[\d.]+\)$/) } }] });

    const denied = resultOf(doc, `crl:${deniedCrl}`);
    expect(denied).toMatchObject({ status: 'fail', code: 'PROXY_DENIED' });
    expect(denied.message).toBe(`${deniedCrl}: proxy ${proxyUrl} refused GET http://${DENIED_HOST}:${crlServer.port}/issuing.crl: 403 Forbidden ("${proxy.denyPageTitle}")${through}`);
    expect(denied.remediation).toContain(`The proxy's policy refuses plain-HTTP requests to ${DENIED_HOST} (port 80) ("${proxy.denyPageTitle}")`);
  });

  it('ssl-bump with its own CA: TLS_UNTRUSTED, and TLS_INSPECTED naming squid\'s CA', async () => {
    // A corporate CA of the lab PKI: the administrator's name for squid's bumping CA.
    const bumpCa = pki.corporateRoot;
    const proxy = await squid({ sslBump: { caCertPem: bumpCa.certificate.pem, caKeyPem: await bumpCa.keyPem() } });
    const proxyUrl = proxyUrlOf(proxy);
    const { exitCode, doc } = await preflight(onThisMachine, endpoints, [ALLOWED_HOST], ['--proxy', proxyUrl]);
    expect(exitCode).toBe(1);

    expect(resultOf(doc, `tcp:${ALLOWED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    const handshake = resultOf(doc, `tls:${ALLOWED_HOST}:443`);
    expect(handshake).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(handshake.message).toContain(`${ALLOWED_HOST}:443 through proxy ${proxyUrl} (from --proxy): the chain ends at "${BUMP_CA_NAME}"`);
    const inspection = resultOf(doc, `inspection:${ALLOWED_HOST}:443`);
    expect(inspection).toMatchObject({ status: 'fail', code: 'TLS_INSPECTED' });
    expect(inspection.message).toContain(`${ALLOWED_HOST}:443 through proxy ${proxyUrl} (from --proxy): TLS is inspected: the certificate comes from "${BUMP_CA_NAME}" (squid), not from an expected CA`);
    // An administrator names squid's CA, so the certificate names no product; squid's own Via header does.
    expect(inspection.message).toMatch(/the proxy that tunnels it names itself "squid\/[\d.]+"$/);
    expect(inspection.evidence['vendor']).toBe('squid');
    expect(inspection.remediation).toContain(`Exempt ${ALLOWED_HOST} from TLS inspection on Squid (ssl-bump)`);
  });
});

describe('in a namespace whose firewall lets only squid reach the service', () => {
  let ns: NetNamespace | undefined;
  let namespacedLab: NamespacedLab | undefined;
  let endpoints: LabEndpoints;
  let proxyUrl: string;

  beforeAll(async () => {
    // Squid drops root for the user "proxy": its sockets are the only ones allowed to the service's address.
    ns = createNetNamespace(`table inet egress {
      chain output {
        type filter hook output priority 0;
        ip daddr ${serviceAddress} meta l4proto tcp meta skuid != "proxy" drop
      }
    }`);
    namespacedLab = await startProxiedLabInNamespace(ns, { serviceName: FIREWALLED_HOST, serviceAddress, dnsAddress, proxyAddress });
    const rootsFile = path.join(work, 'namespace-roots.pem');
    writeFileSync(rootsFile, namespacedLab.trustedRootsPem);
    endpoints = { dnsPort: namespacedLab.dnsPort, servicePort: namespacedLab.servicePort, rootsFile };
    proxyUrl = proxyUrlOf({ host: proxyAddress, port: namespacedLab.proxyPort });
  });
  afterAll(async () => {
    await namespacedLab?.stop();
    ns?.remove();
  });

  // Only PATH from this machine's environment: none of its proxy settings.
  const inNamespace: CliInvocation = (args) => {
    if (!ns) throw new Error('the namespace was not created');
    return ns.node([cliPath, ...args], { env: { PATH: process.env['PATH'], NO_COLOR: '1' }, timeoutMs: 30_000 });
  };

  it('through squid the service answers: tunnel, TLS and inspection pass', async () => {
    const { exitCode, doc } = await preflight(inNamespace, endpoints, [FIREWALLED_HOST], ['--proxy', proxyUrl]);
    expect(exitCode).toBe(0);
    expect(resultOf(doc, `proxy:${proxyUrl}`)).toMatchObject({ status: 'pass', code: 'PROXY_OK' });
    expect(resultOf(doc, `tcp:${FIREWALLED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(resultOf(doc, `tcp:${FIREWALLED_HOST}:443`).message).toContain(`tunnel to ${FIREWALLED_HOST}:${endpoints.servicePort} opened through proxy ${proxyUrl} (from --proxy)`);
    expect(resultOf(doc, `tls:${FIREWALLED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(resultOf(doc, `inspection:${FIREWALLED_HOST}:443`)).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
  });

  it('direct (--no-proxy), the firewall drops the connection: TCP_TIMEOUT, and TLS is skipped', async () => {
    const { exitCode, doc } = await preflight(inNamespace, endpoints, [FIREWALLED_HOST], ['--no-proxy']);
    expect(exitCode).toBe(1);
    expect(resultOf(doc, `dns:${FIREWALLED_HOST}`)).toMatchObject({ status: 'pass', code: 'DNS_OK' });
    const dropped = resultOf(doc, `tcp:${FIREWALLED_HOST}@${serviceAddress}:443`);
    expect(dropped).toMatchObject({ status: 'fail', code: 'TCP_TIMEOUT', address: serviceAddress });
    expect(dropped.message).toBe(`${serviceAddress}:${endpoints.servicePort} (port 443 mapped): no answer to the connection attempt before the deadline (filtered?)`);
    expect(dropped.remediation).toBe(`Packets are dropped silently: allow outbound TCP 443 from this machine to ${serviceAddress} (${FIREWALLED_HOST}) on the firewall.`);
    expect(resultOf(doc, `tls:${FIREWALLED_HOST}@${serviceAddress}:443`)).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE' });
    expect(doc.results.some((r) => r.check === 'proxy')).toBe(false);
  });
});
