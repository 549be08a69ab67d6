// Starts every check the plan asks for, each as soon as its prerequisites are known. Specs then only await
// results that are already on their way.
import type { CheckRun } from './check-run.js';
import { dnsCheck } from './checks/dns.js';
import { inspectionCheck } from './checks/inspection.js';
import { proxyCheck } from './checks/proxy.js';
import { addressTargets, tcpCheck } from './checks/tcp.js';
import { tlsCheck } from './checks/tls.js';

export function startAllChecks(run: CheckRun): void {
  if (run.wants('proxy')) void proxyCheck(run);
  for (const host of run.hosts) {
    if (run.wants('dns')) void dnsCheck(run, host);
    if (run.wants('tcp')) void addressTargets(run, host, host.ports).then((targets) => targets.map((t) => tcpCheck(run, t)));
    if (run.wants('tls')) void addressTargets(run, host, host.tlsPorts).then((targets) => targets.map((t) => tlsCheck(run, t)));
    if (run.wants('inspection')) void addressTargets(run, host, host.tlsPorts).then((targets) => targets.map((t) => inspectionCheck(run, t)));
  }
}
