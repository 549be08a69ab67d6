// Shared by the port-80 tests (http, crl, ocsp, clock): a router that resolves from a fixed table, a probe context,
// and a run plan pointed at lab servers.
import type { PlannedEndpoint, RunPlan } from '../../config/plan.js';
import type { CheckKind } from '../../model/codes.js';
import { directRouter, type HttpRouter } from '../../http/routes.js';
import type { ProbeContext } from '../../probes/probe.js';
import { isIP } from 'node:net';

/** Resolves names from `table` (IP literals need none); any other name is NXDOMAIN. */
export function routerFor(table: Readonly<Record<string, readonly string[]>> = {}, connectTimeoutMs = 1000): HttpRouter {
  return directRouter({
    resolve: async (host) => {
      const addresses = table[host];
      return addresses ? { addresses } : { failure: { code: 'DNS_NXDOMAIN', detail: `${host} does not exist (NXDOMAIN)` } };
    },
    connectPort: (port) => port,
    connectTimeoutMs,
    runStep: (operation) => operation(),
  });
}

export function probeContext(stepTimeoutMs = 2000): ProbeContext {
  return { stepTimeoutMs, signal: new AbortController().signal };
}

export function urlEndpoint(url: string, expect: 'http' | 'crl' | 'ocsp' | 'tls'): PlannedEndpoint {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  return {
    host: parsed.hostname, ports: [port], tlsPorts: expect === 'tls' ? [port] : [], url, expect,
    purpose: null, source: null, tags: [], optional: false, wildcard: null, hostOrigin: 'literal', missingVars: [], unicodeHost: null,
  };
}

export interface TestPlanOptions {
  checks: CheckKind[];
  resolver: { host: string; port: number };
  endpoints: PlannedEndpoint[];
  portMap?: Record<string, number>;
  caPems?: string[];
  crlMaxBytes?: number;
  httpTimeoutMs?: number;
}

export function testPlan(options: TestPlanOptions): RunPlan {
  return {
    profile: 'port80-test',
    checks: options.checks,
    resolvers: [options.resolver],
    timeouts: { dns: 2000, connect: 1000, tls: 3000, http: options.httpTimeoutMs ?? 2000 },
    portMap: options.portMap ?? {},
    sinkholes: [], hostsFile: null,
    trust: { caPems: options.caPems ?? [], expectedIssuers: ['DigiCert Global Root G2'] },
    concurrency: 16,
    proxy: null,
    limits: { crlMaxBytes: options.crlMaxBytes ?? 20 * 1024 * 1024 },
    endpoints: options.endpoints,
  };
}

/**
 * A router like routerFor that records each hop that reached its connection step and, as a guard of the test itself,
 * never connects anywhere but loopback: a hop bound elsewhere is recorded in `wouldHaveLeftLoopback` and fails.
 */
export function loopbackOnlyRouter(table: Readonly<Record<string, readonly string[]>> = {}): { router: HttpRouter; connected: string[]; wouldHaveLeftLoopback: string[] } {
  const connected: string[] = [];
  const wouldHaveLeftLoopback: string[] = [];
  let hop: URL | null = null;
  const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';
  const inner = directRouter({
    resolve: async (host) => {
      const addresses = table[host];
      return addresses ? { addresses } : { failure: { code: 'DNS_NXDOMAIN', detail: `${host} does not exist (NXDOMAIN)` } };
    },
    connectPort: (port) => port,
    connectTimeoutMs: 1000,
    runStep: (operation) => {
      const host = hop?.hostname.replace(/^\[(.*)\]$/, '$1') ?? '';
      const addresses = isIP(host) ? [host] : table[host] ?? [];
      if (!addresses.every(isLoopback)) {
        wouldHaveLeftLoopback.push(hop?.href ?? '');
        return Promise.reject(new Error(`test guard: ${hop?.href} would connect to ${addresses.join(', ')}`));
      }
      connected.push(hop?.href ?? '');
      return operation();
    },
  });
  const router: HttpRouter = {
    withConnection: (url, signal, exchange, admit) => {
      hop = url;
      return inner.withConnection(url, signal, exchange, admit);
    },
  };
  return { router, connected, wouldHaveLeftLoopback };
}
