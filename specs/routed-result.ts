// Under --pac or --wpad each connection's proxy is the PAC's decision for its host and port: every result on a
// connection says which decision routed it (evidence `route`), and a DIRECT one says so in its message too, since
// a proxied result already names the proxy and the PAC's answer.
import type { CheckResult } from '../model/result.js';
import type { ObservationSession } from '../runner/session.js';

const ROUTED_CHECKS: ReadonlySet<CheckResult['check']> = new Set(['tcp', 'tls', 'inspection', 'http', 'crl', 'ocsp']);

export function routedResult(result: CheckResult, observe: ObservationSession): CheckResult {
  if (!observe.plan.proxyRouting || !ROUTED_CHECKS.has(result.check) || result.port === null) return result;
  const route = observe.routeFor(result.host, result.port);
  if (!route) return result;
  const routing = observe.plan.proxyRouting;
  const evidence = {
    via: routing.kind,
    pac: routing.location,
    url: route.url,
    decision: route.decision,
    proxy: route.proxy?.display ?? null,
    passedOver: route.passedOver.map((entry) => `${entry.proxy}: ${entry.reason}`),
    error: route.error,
  };
  const why = route.decision !== null ? `FindProxyForURL returned ${JSON.stringify(route.decision)}` : `the PAC gave no answer (${route.error ?? 'none'})`;
  const direct = route.proxy === null && result.status !== 'skip' ? `; DIRECT by ${routing.kind === 'wpad' ? 'WPAD\'s PAC' : 'the PAC'}: ${why}` : '';
  return { ...result, message: `${result.message}${direct}`, evidence: { ...result.evidence, route: evidence } };
}
