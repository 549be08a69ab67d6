// proxy: the configured proxy itself is reachable and speaks HTTP. What it does for each target (407, 403,
// a re-signed chain) is reported on that target's own checks.
import type { ProxyPlan } from '../../config/plan.js';
import { describeProxySource, proxyEndpoint } from '../../config/proxy-settings.js';
import type { CheckResult } from '../../model/result.js';
import type { ProxyEvidence } from '../../probes/proxy.js';
import { makeResult, type CheckRun, type ResultSubject, type Verdict } from '../check-run.js';


/** The proxy check of the run, or null when it goes direct. */
export function proxyCheck(run: CheckRun): Promise<CheckResult> | null {
  const proxy = run.plan.proxy;
  const observation = run.observe.proxy();
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
