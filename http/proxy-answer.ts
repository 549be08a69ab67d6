// A hop a forward proxy relayed: was the answer the origin's, or the proxy's own (407, its refusal page, its 5xx)?
// What the proxy answered itself, and an exchange with it that broke, become the proxy's refusal: the connection
// that failed is the one to the proxy, whatever it was relaying.
import type { FetchRequest, HttpAnswer, ResponseHeaders } from './fetch-evidence.js';
import type { HopResult } from './exchange.js';
import { describePage } from './page.js';
import { refusalOf, type ProxyRefusal } from './proxy-refusal.js';
import type { ProxyRelay } from './routes.js';

/** Headers only a proxy's own error pages carry. */
const PROXY_ERROR_HEADERS = ['x-squid-error', 'x-zscaler-error', 'x-iwsaas-error'];

/**
 * A relayed hop's result, or the proxy's refusal when the proxy answered itself, or when the exchange with it
 * failed: the connection that broke is the one to the proxy, whatever it was relaying. A timeout stays a timeout.
 */
export function asRelayed(result: HopResult, answer: HttpAnswer | null, relay: ProxyRelay, method: FetchRequest['method']): HopResult {
  const request = `${method} ${relay.target}`;
  const refused = (refusal: ProxyRefusal): HopResult => ({ ...result, failure: { kind: 'proxy', detail: refusal.detail, refusal } });
  if (answer && isProxysOwnAnswer(answer, result.headers)) {
    const proxyAuthenticate = result.headers['proxy-authenticate'] ?? [];
    return refused(refusalOf(
      { status: answer.status, statusText: answer.statusText, pageTitle: describePage(result.headers, result.kept).title, proxyAuthenticate: typeof proxyAuthenticate === 'string' ? [proxyAuthenticate] : proxyAuthenticate },
      { proxy: relay.proxy, target: relay.target, request, failure: `could not fetch ${relay.target}`, credentialsSent: relay.credentialsSent },
    ));
  }
  const failure = result.failure;
  if (failure?.kind !== 'transport' && failure?.kind !== 'protocol') return result;
  return refused({
    code: 'PROXY_ERROR', proxy: relay.proxy, target: relay.target, statusText: '', credentialsSent: relay.credentialsSent,
    detail: `proxy ${relay.proxy} accepted the connection for ${request}, but ${failure.detail}`,
  });
}

/**
 * Whether a proxy answered a relayed request itself instead of relaying the origin's answer. A 407 is the proxy's.
 * An error status is when it carries a proxy's error header, when its Server is the product its Via names (squid's
 * own pages: "squid/5.7" in both), or, for 403 and 5xx, when it has no Via: a proxy adds Via to every answer it
 * forwards (RFC 9110 7.6.3). Some are set not to, so a missing Via alone must not make an origin's 404 a refusal.
 */
function isProxysOwnAnswer(answer: HttpAnswer, headers: ResponseHeaders): boolean {
  if (answer.status === 407) return true;
  if (answer.status < 400) return false;
  if (PROXY_ERROR_HEADERS.some((name) => headers[name] !== undefined)) return true;
  const server = answer.server?.toLowerCase();
  if (server && answer.via?.toLowerCase().includes(server)) return true;
  return answer.via === null && (answer.status === 403 || answer.status >= 500);
}
