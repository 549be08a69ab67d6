// Starts every check the plan asks for, each as soon as its prerequisites are known. Specs then only await
// results that are already on their way.
import type { CheckRun } from './check-run.js';
import { dnsCheck } from './checks/dns.js';
import { httpCheck, httpUrlsOf } from './checks/http.js';
import { proxyCheck } from './checks/proxy.js';
import { addressTargets, tcpCheck, tcpPorts } from './checks/tcp.js';

export function startAllChecks(run: CheckRun): void {
  if (run.wants('proxy')) void proxyCheck(run);
  for (const host of run.hosts) {
    if (run.wants('dns') && !host.ipLiteral) void dnsCheck(run, host);
    if (run.wants('tcp')) void addressTargets(run, host, tcpPorts(run, host)).then((targets) => targets.map((t) => tcpCheck(run, t)));
  }
  if (run.wants('http')) for (const url of httpUrlsOf(run)) void httpCheck(run, url);
  if (run.wants('tls') || run.wants('inspection')) void startCertificateChecks(run);
  if (run.wants('crl') || run.wants('ocsp') || run.wants('clock')) void startRevocationChecks(run);
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

/**
 * The crl and ocsp checks read certificates too (the URLs come from live chains), and the clock check waits for
 * every port-80 answer: imported the same way.
 */
async function startRevocationChecks(run: CheckRun): Promise<void> {
  const [{ crlCheck, crlSources }, { ocspCheck, ocspSources }, { clockCheck }] = await Promise.all([
    import('./checks/crl.js'), import('./checks/ocsp.js'), import('./checks/clock.js'),
  ]);
  if (run.wants('crl')) void crlSources(run).then((sources) => sources.map((source) => crlCheck(run, source)));
  if (run.wants('ocsp')) void ocspSources(run).then((sources) => sources.map((source) => ocspCheck(run, source)));
  if (run.wants('clock')) void clockCheck(run);
}
