// Starts every check the plan asks for, each as soon as its prerequisites are known. Specs then only await
// results that are already on their way.
import type { CheckRun } from './check-run.js';
import { dnsCheck } from './checks/dns.js';
import { addressTargets, tcpCheck } from './checks/tcp.js';

export function startAllChecks(run: CheckRun): void {
  for (const host of run.hosts) {
    void dnsCheck(run, host);
    if (run.wants('tcp')) void addressTargets(run, host, host.ports).then((targets) => targets.map((t) => tcpCheck(run, t)));
  }
}
