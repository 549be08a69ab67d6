// The benchmark's lab network: one DNS server holding N names, each a CNAME chain of one or two hops ending at two
// addresses of a small pool, and a TLS server on every pool address at one shared port. It runs in a worker thread
// of its own (bench/lab-worker.ts), so that its handshakes never queue behind the bench's own work (the HTTP
// requests that drive blackbox_exporter, the in-process probe loop) on one event loop.
import { Worker } from 'node:worker_threads';
import type { ResolverAddress } from '../config/plan.js';
import { startLabDnsServer, type LabName } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { LabAuthority } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import { startTlsFixture } from '../lab/tls-servers.js';
import { withDeadline } from './deadline.js';

export interface BenchLabSpec {
  nameCount: number;
  poolSize: number;
}

export interface BenchEndpoint {
  name: string;
  /** The two addresses its chain ends at. */
  addresses: [string, string];
}

export interface BenchLab {
  resolver: ResolverAddress;
  /** The one port every pool address serves TLS on (what --port-map 443= points at). */
  tlsPort: number;
  endpoints: BenchEndpoint[];
  /** PEM of the root the servers' chains end at (for --ca-file and blackbox's ca_file). */
  caPem: string;
}

/** The bench's lab names live under this domain; the servers' certificate is for its wildcard. */
export const BENCH_DOMAIN = 'bench.lab.test';

// High lab address indices (see loopbackAddress), clear of the low ones the project's tests and `preflight lab` use.
const FIRST_ADDRESS_INDEX = 60_000;
/** The resolver and blackbox_exporter get fixed addresses of their own, before the pool. */
export const RESOLVER_ADDRESS = loopbackAddress(FIRST_ADDRESS_INDEX);
export const STARTUP_RESOLVER_ADDRESS = loopbackAddress(FIRST_ADDRESS_INDEX + 1);
export const BLACKBOX_ADDRESS = loopbackAddress(FIRST_ADDRESS_INDEX + 2);
const POOL_FIRST_INDEX = FIRST_ADDRESS_INDEX + 3;
/** The latency relay's resolver: clear of the pool (which ends well before). */
export const RELAY_RESOLVER_ADDRESS = loopbackAddress(FIRST_ADDRESS_INDEX + 1_000);
/** Two-hop chains meet at shared origin names, as many CDN names do; this many of them. */
const ORIGIN_SITES = 16;

function benchHostName(index: number): string {
  return `name${index}.${BENCH_DOMAIN}`;
}

/**
 * name{i} → name{i}.edge; even i: the edge name holds two A records (one hop); odd i: it points on to a shared
 * site{k}.origin that holds them (two hops). The resolver answers recursively, so each chain is one query per type.
 */
function benchZone(spec: BenchLabSpec): { zone: Record<string, LabName>; endpoints: BenchEndpoint[] } {
  const pool = Array.from({ length: spec.poolSize }, (_unused, i) => loopbackAddress(POOL_FIRST_INDEX + i));
  const pair = (slot: number): [string, string] => [poolAt(pool, slot), poolAt(pool, slot + 1)];
  const zone: Record<string, LabName> = {};
  const aRecords = (addresses: [string, string]): LabName => ({ records: addresses.map((value) => ({ type: 'A' as const, value })) });
  for (let site = 0; site < ORIGIN_SITES; site++) zone[originName(site)] = aRecords(pair(2 * site));
  const endpoints: BenchEndpoint[] = [];
  for (let i = 1; i <= spec.nameCount; i++) {
    const name = benchHostName(i);
    const edge = `name${i}.edge.${BENCH_DOMAIN}`;
    zone[name] = { records: [{ type: 'CNAME', value: edge }] };
    if (i % 2 === 0) {
      const addresses = pair(i);
      zone[edge] = aRecords(addresses);
      endpoints.push({ name, addresses });
    } else {
      const site = i % ORIGIN_SITES;
      zone[edge] = { records: [{ type: 'CNAME', value: originName(site) }] };
      endpoints.push({ name, addresses: pair(2 * site) });
    }
  }
  return { zone, endpoints };
}

function originName(site: number): string {
  return `site${site}.origin.${BENCH_DOMAIN}`;
}

function poolAt(pool: readonly string[], slot: number): string {
  const address = pool[slot % pool.length];
  if (address === undefined) throw new Error('the bench lab needs a pool of at least one address');
  return address;
}

/** Starts the servers in the calling thread; the worker's side. */
export async function startBenchLab(spec: BenchLabSpec): Promise<BenchLab & { close(): Promise<void> }> {
  const { zone, endpoints } = benchZone(spec);
  // ECDSA throughout: an RSA-2048 signature per handshake would make the lab's one thread, not the clients, the
  // bottleneck of 4,000 handshakes on two cores, and both tools would then measure the lab.
  const root = await LabAuthority.root({ name: [['O', 'egress-preflight bench'], ['CN', 'Bench Lab Root']], keyAlgorithm: 'ecdsa' });
  const issuing = await root.subordinate({ name: [['O', 'egress-preflight bench'], ['CN', 'Bench Lab Issuing CA']] });
  const identity = await issuing.issueLeaf({ hosts: [`*.${BENCH_DOMAIN}`] });
  const pool = [...new Set(endpoints.flatMap((endpoint) => endpoint.addresses))];
  const dns = await startLabDnsServer({ host: RESOLVER_ADDRESS, zone });
  const servers: Array<{ close(): Promise<void> }> = [dns];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.close()));
  };
  try {
    const tlsPort = await findSharedFreePort(pool);
    for (const address of pool) servers.push(await startTlsFixture(address, tlsPort, { kind: 'serve', identity }));
    return { resolver: { host: dns.host, port: dns.port }, tlsPort, endpoints, caPem: root.certificate.pem, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export type LabWorkerMessage = { kind: 'ready'; lab: BenchLab } | { kind: 'failed'; message: string } | { kind: 'closed' };

export interface RunningBenchLab extends BenchLab {
  stop(): Promise<void>;
}

// Certificates are made with WebCrypto before the servers listen: seconds on a slow machine.
const LAB_START_DEADLINE_MS = 60_000;
const LAB_STOP_DEADLINE_MS = 10_000;

/** Starts the lab in its worker thread; the main thread's side. */
export async function startLabInWorker(spec: BenchLabSpec): Promise<RunningBenchLab> {
  const worker = new Worker(new URL('./lab-worker.js', import.meta.url), { workerData: spec });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const next = (): Promise<LabWorkerMessage> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  let stopping: Promise<void> | undefined;
  // Asks the servers to close, and ends the thread regardless once that is done or its deadline passes.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      worker.postMessage('close');
      await withDeadline(Promise.race([next(), exited]), LAB_STOP_DEADLINE_MS, 'closing the bench lab').catch(() => undefined);
      await worker.terminate();
      await exited;
    })());
  try {
    const first = await withDeadline(next(), LAB_START_DEADLINE_MS, 'starting the bench lab');
    if (first.kind !== 'ready') throw new Error(`the bench lab did not start: ${first.kind === 'failed' ? first.message : first.kind}`);
    return { ...first.lab, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
