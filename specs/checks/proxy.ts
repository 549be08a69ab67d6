// proxy: the configured proxy itself is reachable and speaks HTTP. What it does for each target (407, 403,
// a re-signed chain) is reported on that target's own checks.
import type { ProxyPlan, RoutingFinding } from '../../config/plan.js';
import { describeProxySource, proxyEndpoint } from '../../config/proxy-settings.js';
import type { CheckResult } from '../../model/result.js';
import type { ProxyEvidence } from '../../probes/proxy.js';
import { makeResult, type CheckRun, type ResultSubject, type Verdict } from '../check-run.js';


/** What the proxy kind checks: each proxy the run goes through, and what --pac / --wpad found on the way. */
export type ProxyTarget = { kind: 'proxy'; proxy: ProxyPlan } | { kind: 'finding'; finding: RoutingFinding };

export function proxyTargets(run: CheckRun): ProxyTarget[] {
  const findings = [...(run.plan.proxyFindings ?? []), ...(run.plan.proxyRouting?.findings ?? [])];
  return [
    ...findings.map((finding): ProxyTarget => ({ kind: 'finding', finding })),
    ...run.observe.proxies().map((proxy): ProxyTarget => ({ kind: 'proxy', proxy })),
  ];
}

export function proxyTargetId(target: ProxyTarget): string {
  return target.kind === 'proxy' ? `proxy:${target.proxy.display}` : target.finding.id;
}

export function proxyTargetHost(target: ProxyTarget): string {
  return target.kind === 'proxy' ? proxyEndpoint(target.proxy.url).host : target.finding.host;
}

export function proxyTargetCheck(run: CheckRun, target: ProxyTarget): Promise<CheckResult> {
  if (target.kind === 'finding') return routingFindingCheck(run, target.finding);
  return proxyCheck(run, target.proxy) ?? Promise.reject(new Error('no proxy is configured for this run'));
}

/** A finding of proxy discovery (a PAC that failed, what WPAD found), made before the first probe. */
function routingFindingCheck(run: CheckRun, finding: RoutingFinding): Promise<CheckResult> {
  const subject: ResultSubject = { id: finding.id, check: 'proxy', host: finding.host, address: null, port: null, url: null };
  return run.once(subject, async () => makeResult(subject, { status: finding.status, code: finding.code, message: finding.message, remediation: finding.remediation }, 0, { ...finding.evidence }));
}

/** The proxy check of `proxy` (default: the plan's one proxy), or null when there is none. */
export function proxyCheck(run: CheckRun, proxy: ProxyPlan | null = run.plan.proxy): Promise<CheckResult> | null {
  const observation = run.observe.proxy(proxy);
  if (!proxy || !observation) return null;
  const { host, port } = proxyEndpoint(proxy.url);
  const subject: ResultSubject = { id: `proxy:${proxy.display}`, check: 'proxy', host, address: null, port, url: proxy.display };
  return run.once(subject, async () => {
    const evidence = await observation;
    return makeResult({ ...subject, address: evidence.address }, judgeProxy(proxy, evidence), evidence.connectMs ?? 0, {
      ...evidence,
      failure: evidence.failure ? { ...evidence.failure } : null,
      source: proxy.source,
    });
  });
}

export function judgeProxy(proxy: ProxyPlan, evidence: ProxyEvidence): Verdict {
  const named = `proxy ${proxy.display} (from ${describeProxySource(proxy)})`;
  if (!evidence.failure) {
    return { status: 'pass', code: 'PROXY_OK', message: `${named} answers: ${evidence.answer ?? 'HTTP'}${evidence.via ? ` via ${evidence.via}` : ''}` };
  }
  return {
    status: 'fail',
    code: 'PROXY_UNREACHABLE',
    message: `${named}: ${evidence.failure.detail}`,
    remediation: `Check the proxy's address and port in ${describeProxySource(proxy)}, and allow this machine to reach it on TCP ${evidence.port}.`,
  };
}
