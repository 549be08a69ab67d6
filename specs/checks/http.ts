// http: every plain-HTTP endpoint of the config answers, and the answer is the server's, not a block page.
// Any genuine answer passes: a 404 still proves the path is open. HTTP_BLOCK_PAGE when a proxy or firewall answered
// in the server's place (407, 451, 403 with a page, a page with a product's or a block page's marks);
// HTTP_STATUS for what is not an answer from the server (not HTTP, a redirect loop, a gateway's 502/503/504);
// HTTP_TIMEOUT when no answer came in time; connection failures carry their tcp (or dns) code, and what the proxy
// answered itself (407, its refusal page, its 5xx) its PROXY_* code.
import type { CheckResult, Evidence } from '../../model/result.js';
import { finalAnswer } from '../../http/fetch-evidence.js';
import type { HttpEvidence } from '../../probes/http.js';
import { makeResult, type CheckRun, type Verdict } from '../check-run.js';
import { dnsPrerequisite, foreignPage, foreignPageRemediation, notingProxy, unansweredVerdict, urlSubject } from './port80.js';

/** Statuses with which a gateway says it could not reach the server: not the server's own answer. */
const GATEWAY_FAILURES = new Set([502, 503, 504]);

/** The configured URLs that get the http check, each once. */
export function httpUrlsOf(run: CheckRun): string[] {
  return [...new Set(run.plan.endpoints.flatMap((endpoint) => (endpoint.expect === 'http' && endpoint.url !== null ? [endpoint.url] : [])))];
}

export function httpCheck(run: CheckRun, url: string): Promise<CheckResult> {
  const subject = urlSubject('http', url);
  return run.once(subject, async () => {
    const skipped = await dnsPrerequisite(run, subject);
    if (skipped) return skipped;
    const evidence = await run.observe.http(url);
    return makeResult(subject, notingProxy(judgeHttp(evidence, subject.port ?? 80), evidence.fetch, run.observe.proxyFor(subject.host, subject.port ?? 80)), evidence.fetch.totalMs, httpReportEvidence(evidence));
  });
}

export function judgeHttp(evidence: HttpEvidence, port: number): Verdict {
  const { url, fetch } = evidence;
  const host = new URL(url).hostname;
  const failure = fetch.failure;
  const unanswered = unansweredVerdict(fetch, port, 'from it');
  if (unanswered) return unanswered;
  if (failure?.kind === 'timeout' && failure.phase === 'headers') {
    return {
      status: 'fail', code: 'HTTP_TIMEOUT', message: `${url}: ${failure.detail}`,
      remediation: `Something accepts TCP ${port} to ${host} but never answers the HTTP request: check transparent proxies or IPS devices that hold port-${port} connections, and that the port map points at an HTTP service.`,
    };
  }
  if (failure?.kind === 'protocol' || failure?.kind === 'redirects') {
    return {
      status: 'fail', code: 'HTTP_STATUS', message: `${url}: ${failure.detail}`,
      remediation: `What answers for ${host} on port ${port} is not the HTTP server the agent expects: check for devices intercepting port ${port}, and redirect rules on a proxy.`,
    };
  }
  const answer = finalAnswer(fetch);
  if (!answer) return { status: 'fail', code: 'HTTP_STATUS', message: `${url}: no answer`, remediation: `Check what answers for ${host} on port ${port}.` };
  const foreign = foreignPage(answer, evidence.page, false);
  if (foreign) return { status: 'fail', code: 'HTTP_BLOCK_PAGE', message: `${url}: ${foreign}`, remediation: foreignPageRemediation(url, 'what it needs from this host') };
  const status = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  if (GATEWAY_FAILURES.has(answer.status)) {
    return {
      status: 'fail', code: 'HTTP_STATUS', message: `${url}: a gateway answered ${status}${answer.server ? ` (server "${answer.server}")` : ''}: it could not reach the server`,
      remediation: `A proxy or load balancer between this machine and ${host} cannot reach it: check that device's own egress to ${host} on port ${port}.`,
    };
  }
  const redirects = fetch.hops.length - 1;
  const via = redirects > 0 ? ` after ${redirects} redirect${redirects === 1 ? '' : 's'}` : '';
  const onward = fetch.unfollowedRedirect ? `, redirecting to ${fetch.unfollowedRedirect}` : '';
  const slowBody = failure?.kind === 'timeout' ? ' (its body did not finish before the deadline)' : '';
  const open = answer.status >= 400 ? '; any answer from the server shows the path is open' : '';
  return { status: 'pass', code: 'HTTP_OK', message: `${url}: the server answered ${status}${via}${onward} in ${fetch.totalMs} ms${slowBody}${open}` };
}

function httpReportEvidence(evidence: HttpEvidence): Evidence {
  return { fetch: evidence.fetch, page: evidence.page };
}
