// The check kinds, written once, as blackbox_exporter's Probers map holds its probers: for each kind, what it
// checks in a run (its targets), how (the check function) and under which id. Starting every check, the spec
// that declares a test per check, and the runner's order all derive from this map; the compiler holds its keys to
// the CheckKind union of model/codes.ts, which --only and the reports read.
import { hostname } from 'node:os';
import type { CheckKind } from '../model/codes.js';
import type { CheckResult } from '../model/result.js';
import type { CheckRun } from './check-run.js';
import { dnsCheck } from './checks/dns.js';
import { httpCheck, httpUrlsOf } from './checks/http.js';
import { urlSubject } from './checks/port80.js';
import { proxyTargetCheck, proxyTargetHost, proxyTargetId, proxyTargets } from './checks/proxy.js';
import { addressTargets, tcpCheck, tcpPorts, type AddressTarget } from './checks/tcp.js';

export interface Prober<T> {
  /**
   * The kind's targets in `run`, in groups, each group as soon as it is known: a host's addresses once its DNS
   * answers, so that no connection waits for another host's name.
   */
  targets(run: CheckRun): Array<readonly T[] | Promise<readonly T[]>>;
  /** The check's result on `target`, judged once per run (CheckRun.once), however often it is asked for. */
  check(run: CheckRun, target: T): Promise<CheckResult>;
  /** The result's id: stable across runs. */
  id(target: T): string;
  /** The host the check is about (a URL's host for the port-80 kinds): the spec has one test per host. */
  endpoint(target: T): string;
}

/** One check of a run: its id, and its result (the same promise however often asked). */
export interface PlannedCheck {
  id: string;
  endpoint: string;
  result(): Promise<CheckResult>;
}

/** A prober as the runner and the spec use it, whatever its target type. */
interface AnyProber {
  planned(run: CheckRun): Array<Promise<PlannedCheck[]>>;
}

function prober<T>(definition: Prober<T>): AnyProber {
  return {
    planned: (run) => definition.targets(run).map(async (group) => (await group).map((target) => ({
      id: definition.id(target),
      endpoint: definition.endpoint(target),
      result: () => definition.check(run, target),
    }))),
  };
}

/**
 * Kinds that parse certificates load @peculiar/x509 (about half a second): their modules are imported on first
 * use, once DNS and TCP are in flight, so that the first probe does not wait for them.
 */
function later(load: () => Promise<AnyProber>): () => Promise<AnyProber> {
  let loaded: Promise<AnyProber> | undefined;
  return () => (loaded ??= load());
}

const now = (definition: AnyProber) => () => Promise.resolve(definition);

const byAddress = (kind: 'tcp' | 'tls' | 'inspection') => (target: AddressTarget) => target.subject(kind).id;
const addressHost = (target: AddressTarget) => target.host.host;
const urlHost = (kind: 'http' | 'crl' | 'ocsp') => (url: string) => urlSubject(kind, url).host;

const tlsTargets = (run: CheckRun) => run.hosts.map((host) => addressTargets(run, host, host.tlsPorts));

/** Every kind, in the order reports list them within a host. */
export const PROBERS: { readonly [K in CheckKind]: () => Promise<AnyProber> } = {
  dns: now(prober({
    targets: (run) => [run.hosts.filter((host) => !host.ipLiteral)],
    check: dnsCheck,
    id: (host) => `dns:${host.host}`,
    endpoint: (host) => host.host,
  })),
  tcp: now(prober({
    targets: (run) => run.hosts.map((host) => addressTargets(run, host, tcpPorts(run, host))),
    check: tcpCheck,
    id: byAddress('tcp'),
    endpoint: addressHost,
  })),
  tls: later(async () => {
    const { tlsCheck } = await import('./checks/tls.js');
    return prober({ targets: tlsTargets, check: tlsCheck, id: byAddress('tls'), endpoint: addressHost });
  }),
  inspection: later(async () => {
    const { inspectionCheck } = await import('./checks/inspection.js');
    return prober({ targets: tlsTargets, check: inspectionCheck, id: byAddress('inspection'), endpoint: addressHost });
  }),
  http: now(prober({
    targets: (run) => [httpUrlsOf(run)],
    check: httpCheck,
    id: (url) => `http:${url}`,
    endpoint: urlHost('http'),
  })),
  // The crl and ocsp checks read certificates too (the URLs come from live chains).
  crl: later(async () => {
    const { crlCheck, crlSources } = await import('./checks/crl.js');
    return prober({ targets: (run) => [crlSources(run)], check: crlCheck, id: (source) => `crl:${source.url}`, endpoint: (source) => urlHost('crl')(source.url) });
  }),
  ocsp: later(async () => {
    const { ocspCheck, ocspSources } = await import('./checks/ocsp.js');
    return prober({ targets: (run) => [ocspSources(run)], check: ocspCheck, id: (source) => `ocsp:${source.url}`, endpoint: (source) => urlHost('ocsp')(source.url) });
  }),
  // Each proxy the run goes through (one, or one per PAC decision), and what --pac / --wpad found.
  proxy: now(prober({
    targets: (run) => [proxyTargets(run)],
    check: proxyTargetCheck,
    id: proxyTargetId,
    endpoint: proxyTargetHost,
  })),
  // The clock check waits for every port-80 answer of the run.
  clock: later(async () => {
    const { clockCheck } = await import('./checks/clock.js');
    return prober({ targets: () => [[null]], check: (run) => clockCheck(run), id: () => 'clock', endpoint: () => hostname() });
  }),
  // This machine's own prerequisites (Windows; elsewhere a skip each).
  host: later(async () => {
    const { hostCheck, HOST_PREREQUISITES } = await import('./checks/host.js');
    return prober({ targets: () => [HOST_PREREQUISITES], check: (run, prerequisite) => hostCheck(run, prerequisite), id: (prerequisite) => `host:${prerequisite}`, endpoint: () => hostname() });
  }),
};

/** The plan's check kinds in registry order: reports, the spec and the start of the run follow it. */
export function kindsOf(run: CheckRun): CheckKind[] {
  return (Object.keys(PROBERS) as CheckKind[]).filter((kind) => run.wants(kind));
}

/** The checks of `kind` in `run`, in groups as their targets become known. */
export async function plannedGroups(run: CheckRun, kind: CheckKind): Promise<Array<Promise<PlannedCheck[]>>> {
  return (await PROBERS[kind]()).planned(run);
}

/** Every check of `kind` in `run`, once all its targets are known. */
export async function plannedChecks(run: CheckRun, kind: CheckKind): Promise<PlannedCheck[]> {
  return (await Promise.all(await plannedGroups(run, kind))).flat();
}
