// What the specs share in one run: the plan, the observations, the hosts to check, and every check's result
// memoized by id so that a check another check depends on (tcp on dns) is judged once.
import { isIP } from 'node:net';
import type { PlannedEndpoint, RunPlan } from '../config/plan.js';
import type { CheckKind, Code, Status } from '../model/codes.js';
import type { CheckResult, Evidence } from '../model/result.js';
import { ObservationSession } from '../runner/session.js';
import { CertificateRegistry } from './certificate-registry.js';
import { endpointsOf, qualifiedResult, unfilledResult } from './subject-endpoints.js';
import { routedResult } from './routed-result.js';

/** One host as the checks see it: the union of every endpoint that names it. */
export interface HostPlan {
  host: string;
  ports: number[];
  tlsPorts: number[];
  endpoints: PlannedEndpoint[];
  /** Placeholders no --var filled: nothing about this host can be probed. */
  missingVars: string[];
  /** The host is an IP literal: connected to as it is, never sent to DNS (no dns check). */
  ipLiteral: boolean;
}

export class CheckRun {
  readonly hosts: HostPlan[];
  /** Every certificate the results refer to, described once per run (evidence names them by fingerprint). */
  readonly certificates = new CertificateRegistry();
  /** Each host's endpoints: a result's owners are looked up here, not in the whole plan (2,000 × 14,000 at scale). */
  private readonly endpointsByHost: ReadonlyMap<string, PlannedEndpoint[]>;
  private readonly results = new Map<string, Promise<CheckResult>>();
  private readonly finishedListeners: Array<(result: CheckResult) => void> = [];
  private readonly startedListeners: Array<(subject: ResultSubject) => void> = [];

  constructor(readonly plan: RunPlan, readonly observe: ObservationSession) {
    this.hosts = groupByHost(plan.endpoints);
    this.endpointsByHost = new Map(this.hosts.map((host) => [host.host, host.endpoints]));
  }

  wants(kind: CheckKind): boolean {
    return this.plan.checks.includes(kind);
  }

  /**
   * The result of the check on `subject`, judged once per run. Every result is made here, so what the endpoints
   * behind a subject change about it (unfilled placeholders, optional endpoints, Unicode names) applies to every
   * kind alike, and an unfilled placeholder is never probed.
   */
  once(subject: ResultSubject, judge: () => Promise<CheckResult>): Promise<CheckResult> {
    let pending = this.results.get(subject.id);
    if (!pending) {
      // Owners by host or port share the subject's host; by URL they are searched among all (URLs are few).
      const byUrl = subject.check === 'http' || subject.check === 'crl' || subject.check === 'ocsp';
      const owners = endpointsOf(subject, byUrl ? this.plan.endpoints : this.endpointsByHost.get(subject.host) ?? []);
      const unfilled = unfilledResult(subject, owners, this.plan.endpoints);
      pending = (unfilled !== null ? Promise.resolve(unfilled) : judge()).then((result) => routedResult(qualifiedResult(result, owners), this.observe));
      this.results.set(subject.id, pending);
      this.startedListeners.forEach((listener) => listener(subject));
      pending.then((result) => this.finishedListeners.forEach((listener) => listener(result)), () => {});
    }
    return pending;
  }

  /**
   * Tells `listener` of every result the moment it is judged: a check may finish long before its spec file's test
   * runs (spec files run one after another), and Ctrl-C must not lose it.
   */
  onFinished(listener: (result: CheckResult) => void): void {
    this.finishedListeners.push(listener);
  }

  /** Tells `listener` of every check the moment it starts (live progress: what is still pending, and since when). */
  onStarted(listener: (subject: ResultSubject) => void): void {
    this.startedListeners.push(listener);
  }
}

function groupByHost(endpoints: readonly PlannedEndpoint[]): HostPlan[] {
  const byHost = new Map<string, HostPlan>();
  for (const endpoint of endpoints) {
    const entry = byHost.get(endpoint.host)
      ?? { host: endpoint.host, ports: [], tlsPorts: [], endpoints: [], missingVars: [], ipLiteral: isIP(endpoint.host) !== 0 };
    entry.endpoints.push(endpoint);
    entry.ports = union(entry.ports, endpoint.ports);
    entry.tlsPorts = union(entry.tlsPorts, endpoint.tlsPorts);
    entry.missingVars = [...new Set([...entry.missingVars, ...endpoint.missingVars])];
    byHost.set(endpoint.host, entry);
  }
  return [...byHost.values()];
}

function union(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** The fields that place a result: which check, on what. */
export type ResultSubject = Pick<CheckResult, 'id' | 'check' | 'host' | 'address' | 'port' | 'url'>;

export interface Verdict {
  status: Status;
  code: Code;
  message: string;
  remediation?: string;
}

/**
 * `durationMs` to a tenth of a millisecond, as each step's own figure is (net/deadline.ts elapsedSince): a duration
 * summed from steps (connect + handshake) would otherwise carry float noise such as 2600.8999999999996 into reports.
 */
export function makeResult(subject: ResultSubject, verdict: Verdict, durationMs: number, evidence: Evidence): CheckResult {
  return { ...subject, ...verdict, remediation: verdict.remediation ?? '', durationMs: Math.round(durationMs * 10) / 10, evidence };
}

/**
 * A check that did not run because `prerequisite` did not pass: never shown as passed. Its message carries the
 * prerequisite's own message, because under `--only` the prerequisite's result is not in the report to read.
 */
export function skippedFor(subject: ResultSubject, prerequisite: CheckResult | string): CheckResult {
  if (typeof prerequisite === 'string') return skipped(subject, prerequisite, { prerequisite });
  const outcome = { skip: 'was skipped', warn: 'did not pass', fail: 'failed', pass: 'passed' }[prerequisite.status];
  // A skipped prerequisite's message starts "not run: " itself: said once is enough.
  const its = prerequisite.message.replace(/^not run: /, '');
  return skipped(subject, `${prerequisite.check} ${outcome}: ${its}`, { prerequisite: prerequisite.id, prerequisiteCode: prerequisite.code });
}

function skipped(subject: ResultSubject, why: string, evidence: Evidence): CheckResult {
  // One line: a prerequisite's message may quote server text.
  const message = `not run: ${why}`.replace(/\s+/g, ' ').trim();
  return makeResult(subject, { status: 'skip', code: 'SKIPPED_PREREQUISITE', message }, 0, evidence);
}

/** "203.0.113.7:443", noting a port-map redirection so the report never hides where it connected. */
export function describeTarget(address: string, port: number, connectedPort: number): string {
  const where = address.includes(':') ? `[${address}]` : address;
  return connectedPort === port ? `${where}:${port}` : `${where}:${connectedPort} (port ${port} mapped)`;
}

/** "[::1]" style for ids. */
export function addressInId(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
