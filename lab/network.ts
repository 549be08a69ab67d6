// The embedded lab network: one DNS server and, for every host of a plan, its own loopback address with
// services on the plan's ports (mapped to high ports): TLS with a look-alike Microsoft chain on TLS ports, HTTP
// on port 80 (serving the CRLs and OCSP answers the lab certificates point at), TCP elsewhere, some of them
// broken as lab/scenario.ts says.
import { createHash } from 'node:crypto';
import type { ResolverAddress } from '../config/plan.js';
import { startLabDnsServer, type LabDnsServer, type LabName } from './dns-server.js';
import { loopbackAddress } from './loopback.js';
import { labCrl, serialOf } from './crl.js';
import { blockPageHtml, labOcspResponder, startHttpFixtures, type HttpFixture } from './http-servers.js';
import { LAB_REVOCATION, labPki, type LabIdentity, type LabPki } from './pki.js';
import { LAB_FAULTS, type LabFault } from './scenario.js';
import { findSharedFreePort, startTcpListener } from './tcp-listeners.js';
import { startTlsFixture } from './tls-servers.js';

export interface LabHost {
  host: string;
  ports: readonly number[];
  tlsPorts: readonly number[];
}

export interface LabNetwork {
  resolver: ResolverAddress;
  /** "443" → the high port every fixture listens on instead. */
  portMap: Record<string, number>;
  /** Hosts the lab breaks on purpose, with the fault it gives them. */
  faults: Map<string, LabFault>;
  /** Roots the run must accept as expected anchors (--ca-file): the lab's look-alike public roots. */
  trustedRootsPem: string;
  dns: LabDnsServer;
  close(): Promise<void>;
}

interface Closeable {
  close(): Promise<void>;
}

/** The host that also answers on IPv6 (::1), so the lab shows a dual-stack endpoint. */
const DUAL_STACK_HOST = 'login.microsoftonline.com';

export async function startLabNetwork(hosts: readonly LabHost[]): Promise<LabNetwork> {
  const addresses = new Map(hosts.map((h, i) => [h.host, loopbackAddress(i + 1)] as const));
  const ports = [...new Set(hosts.flatMap((h) => h.ports))].sort((a, b) => a - b);
  const listening = [...addresses.values(), '::1'];
  const portMap: Record<string, number> = {};
  const opened: Closeable[] = [];
  const faults = new Map<string, LabFault>();
  const pki = await labPki();
  const services = await labServices(pki, hosts);
  try {
    for (const port of ports) portMap[String(port)] = await findSharedFreePort(listening);
    const zone: Record<string, LabName> = {};
    for (const { host, ports: hostPorts, tlsPorts } of hosts) {
      const fault = LAB_FAULTS[host]?.fault ?? null;
      if (fault) faults.set(host, fault);
      const address = addresses.get(host) ?? '';
      Object.assign(zone, zoneFor(host, address, fault));
      for (const port of hostPorts) {
        const mapped = portMap[String(port)] ?? port;
        const portFault = fault && 'port' in fault && fault.port === port ? fault : null;
        const service = portFault?.kind ?? (tlsPorts.includes(port) ? 'tls' : port === HTTP_PORT ? 'http' : 'tcp');
        for (const listenOn of host === DUAL_STACK_HOST ? [address, '::1'] : [address]) {
          const started = await startService(service, host, listenOn, mapped, services);
          if (started) opened.push(started);
        }
      }
    }
    const dns = await startLabDnsServer({ zone });
    opened.push(dns);
    return {
      resolver: { host: dns.host, port: dns.port },
      portMap,
      faults,
      trustedRootsPem: pki.trustedRootsPem,
      dns,
      close: async () => void (await Promise.all(opened.map((o) => o.close()))),
    };
  } catch (error) {
    await Promise.all(opened.map((o) => o.close()));
    throw error;
  }
}

const HTTP_PORT = 80;

type Service = 'tls' | 'http' | 'tcp' | Extract<LabFault, { port: number }>['kind'];

/** What the services share: the PKI, the revocation answers its certificates point at, revoked leaves. */
interface LabServices {
  pki: LabPki;
  /** Port-80 routes by host, from the CRL and OCSP URLs in the lab certificates. */
  revocationRoutes: Map<string, Record<string, HttpFixture>>;
  staleCrl: Buffer;
  /** Leaves of hosts with the tls-revoked fault: their OCSP responder says revoked. */
  revokedLeaves: Map<string, LabIdentity>;
}

async function labServices(pki: LabPki, hosts: readonly LabHost[]): Promise<LabServices> {
  const revokedLeaves = new Map<string, LabIdentity>();
  for (const { host } of hosts) {
    if (LAB_FAULTS[host]?.fault.kind === 'tls-revoked') revokedLeaves.set(host, await pki.publicIssuing.issueLeaf({ hosts: [host] }));
  }
  const revokedSerials = [...revokedLeaves.values()].map((identity) => [serialOf(identity.leaf), { status: 'revoked', revokedAt: new Date(Date.now() - DAY_MS), reason: 1 }] as const);
  const crl = (body: Buffer): HttpFixture => ({ kind: 'body', contentType: 'application/pkix-crl', body });
  const [rootCrl, issuingCrl, rootResponder, issuingResponder] = await Promise.all([
    labCrl(pki.publicRoot),
    labCrl(pki.publicIssuing),
    labOcspResponder({ authority: pki.publicRoot }),
    labOcspResponder({ authority: pki.publicIssuing, statuses: new Map(revokedSerials) }),
  ]);
  const byUrl: Array<[string, HttpFixture]> = [
    ...LAB_REVOCATION.issuingCa.crl.map((url): [string, HttpFixture] => [url, crl(rootCrl)]),
    ...LAB_REVOCATION.leaf.crl.map((url): [string, HttpFixture] => [url, crl(issuingCrl)]),
    ...LAB_REVOCATION.issuingCa.ocsp.map((url): [string, HttpFixture] => [url, { kind: 'ocsp', responder: rootResponder }]),
    ...LAB_REVOCATION.leaf.ocsp.map((url): [string, HttpFixture] => [url, { kind: 'ocsp', responder: issuingResponder }]),
  ];
  const revocationRoutes = new Map<string, Record<string, HttpFixture>>();
  for (const [url, fixture] of byUrl) {
    const { hostname, pathname } = new URL(url);
    revocationRoutes.set(hostname, { ...revocationRoutes.get(hostname), [pathname]: fixture });
  }
  const staleCrl = await labCrl(pki.publicRoot, { thisUpdate: new Date(Date.now() - 10 * DAY_MS), nextUpdate: new Date(Date.now() - 3 * DAY_MS) });
  return { pki, revocationRoutes, staleCrl, revokedLeaves };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** One listener for one service; null where the fault is that nothing listens. */
async function startService(service: Service, host: string, address: string, port: number, { pki, revocationRoutes, staleCrl, revokedLeaves }: LabServices): Promise<Closeable | null> {
  switch (service) {
    case 'http':
      // Other paths answer 404: still a genuine answer from the origin, as the http check wants.
      return startHttpFixtures(address, port, revocationRoutes.get(host) ?? {});
    case 'http-block-page':
      return startHttpFixtures(address, port, { '/': { kind: 'body', contentType: 'text/html', body: blockPageHtml('Web Page Blocked', 'Lab Web Filter') } });
    case 'crl-stale':
      return startHttpFixtures(address, port, Object.fromEntries(Object.keys(revocationRoutes.get(host) ?? {}).map((path) => [path, { kind: 'body', contentType: 'application/pkix-crl', body: staleCrl }])));
    case 'tls-revoked': {
      const identity = revokedLeaves.get(host);
      return identity ? startTlsFixture(address, port, { kind: 'serve', identity }) : null;
    }
    case 'tcp':
      return startTcpListener(address, port, 'accept');
    case 'tcp-reset':
      return startTcpListener(address, port, 'reset');
    case 'tcp-refused':
      return null;
    case 'tls':
      // A valid look-alike Microsoft leaf for whatever name the client asks for (SNI).
      return startTlsFixture(address, port, { kind: 'intercept', authority: pki.publicIssuing });
    case 'tls-inspected':
      return startTlsFixture(address, port, { kind: 'intercept', authority: pki.zscalerIntermediate });
    case 'tls-expired':
      return startTlsFixture(address, port, { kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [host], validity: 'expired' }) });
  }
}

/**
 * Names for one host: a CNAME chain through other suffixes (as Microsoft's chained records do), ending at the
 * host's loopback address, unless a DNS fault says otherwise.
 */
function zoneFor(host: string, address: string, fault: LabFault | null): Record<string, LabName> {
  const slug = createHash('sha256').update(host).digest('hex').slice(0, 8);
  const edge = `${slug}.privatelink.lab-identity.net`;
  const pool = `${slug}.tm.lab-edge.trafficmanager.net`;
  const cname = (value: string) => ({ records: [{ type: 'CNAME' as const, value }] });
  switch (fault?.kind) {
    case 'dns-sinkhole':
      // As DNS security filters do, with an Extended DNS Error naming the category (RFC 8914).
      return { [host]: { records: [{ type: 'A', value: '0.0.0.0' }], ede: [{ code: 17, text: 'lab DNS security policy, category uncategorised' }] } };
    case 'dns-nxdomain-mid-chain':
      return { [host]: cname(edge), [edge]: cname(pool) }; // pool is missing from the zone
    case 'dns-servfail':
      return { [host]: { respond: 'servfail' } };
    default: {
      const records: LabName['records'] = [{ type: 'A', value: address }];
      if (host === DUAL_STACK_HOST) records.push({ type: 'AAAA', value: '::1' });
      return { [host]: cname(edge), [edge]: cname(pool), [pool]: { records } };
    }
  }
}
