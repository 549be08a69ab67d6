// Starts every check the plan asks for, each as soon as its prerequisites are known. Specs then only await
// results that are already on their way.
import type { CheckRun } from './check-run.js';
import { dnsCheck } from './checks/dns.js';
import { proxyCheck } from './checks/proxy.js';
import { addressTargets, tcpCheck } from './checks/tcp.js';

export function startAllChecks(run: CheckRun): void {
  if (run.wants('proxy')) void proxyCheck(run);
  for (const host of run.hosts) {
    if (run.wants('dns')) void dnsCheck(run, host);
    if (run.wants('tcp')) void addressTargets(run, host, host.ports).then((targets) => targets.map((t) => tcpCheck(run, t)));
  }
  if (run.wants('tls') || run.wants('inspection')) void startCertificateChecks(run);
}

/**
 * Checks that parse certificates load @peculiar/x509 (about half a second): imported here, once DNS and TCP
 * are in flight, so that the first probe does not wait for them.
 */
async function startCertificateChecks(run: CheckRun): Promise<void> {
  const [{ tlsCheck }, { inspectionCheck }] = await Promise.all([import('./checks/tls.js'), import('./checks/inspection.js')]);
  for (const host of run.hosts) {
    const targets = addressTargets(run, host, host.tlsPorts);
    if (run.wants('tls')) void targets.then((all) => all.map((t) => tlsCheck(run, t)));
    if (run.wants('inspection')) void targets.then((all) => all.map((t) => inspectionCheck(run, t)));
  }
}
