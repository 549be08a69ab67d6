// Plain-HTTP fetches for the port-80 checks (http, crl, ocsp), with undici 7. Each hop connects to the addresses the
// run's own dns check found (the answer the report shows, never the OS resolver), on the mapped port, trying each
// address in turn; every phase has its deadline (connect per address, then headers, then body); redirects are
// followed as http/redirects.ts allows (at most MAX_REDIRECTS hops, never inwards: the address each hop resolves
// to is judged before any connection), each hop's host resolved the same way; each hop's exchange (http/exchange.ts)
// keeps the body only up to a cap. What answered, and when by the server's Date header, is evidence.
// Each hop's connection comes from a router (http/routes.ts). Through a forward proxy a hop is an absolute-form
// request to the proxy, never CONNECT: proxies often refuse CONNECT to port 80, and the agent sends plain HTTP this
// way. The proxy resolves the name. What the proxy answered itself (407, its refusal page, its 5xx) is told apart
// from the origin's answer by http/proxy-answer.ts.
import { isIP } from 'node:net';
import { toOneLine } from '../model/evidence-text.js';
import { elapsedSince, type StepContext } from '../net/deadline.js';
import { exchange, type HopResult } from './exchange.js';
import { MAX_HEADER_SHOWN, type FetchEvidence, type FetchFailure, type FetchOutcome, type FetchRequest, type HopEvidence, type ResponseHeaders } from './fetch-evidence.js';
import { asRelayed } from './proxy-answer.js';
import { ProxyRefusalError } from './proxy-refusal.js';
import { MAX_REDIRECTS, REDIRECT_STATUSES, redirectTarget, refusedAddress, refusedScheme } from './redirects.js';
import { AddressRefused, hostOf, RouteFailure, type AddressAdmission, type HttpRouter } from './routes.js';

/** Fetches `request.url`, following redirects; ctx.stepTimeoutMs is the deadline of the headers and of the body. */
export async function fetchHttp(request: FetchRequest, router: HttpRouter, ctx: StepContext): Promise<FetchOutcome> {
  const started = performance.now();
  const hops: HopEvidence[] = [];
  const finish = (outcome: Omit<FetchEvidence, 'url' | 'hops' | 'totalMs'>, headers: ResponseHeaders = {}, body: Buffer = Buffer.alloc(0)): FetchOutcome =>
    ({ evidence: { url: request.url, hops, ...outcome, totalMs: elapsedSince(started) }, headers, body });
  const none = { body: null, unfollowedRedirect: null };
  let current: FetchRequest = request;
  let admit: AddressAdmission | undefined;
  for (;;) {
    const url = new URL(current.url);
    const hop: HopEvidence = { url: current.url, method: current.method, proxy: null, address: null, port: null, connectMs: null, failedAttempts: [], answer: null };
    hops.push(hop);
    let result: HopResult;
    try {
      result = await router.withConnection(url, ctx.signal, async (connection) => {
        const { address, port, connectMs, failedAttempts, relay } = connection;
        Object.assign(hop, { proxy: relay?.proxy ?? null, address, port, connectMs, failedAttempts });
        const exchanged = await exchange(connection, url, current, hop, ctx);
        return relay ? asRelayed(exchanged, hop.answer, relay, current.method) : exchanged;
      }, admit);
    } catch (error) {
      if (error instanceof ProxyRefusalError) {
        hop.proxy = error.refusal.proxy;
        return finish({ ...none, failure: { kind: 'proxy', detail: redirected(hops, error.message), refusal: error.refusal } });
      }
      if (error instanceof AddressRefused) {
        // Nothing was sent to it: the refused hop is no hop, and the redirect that asked for it the final answer.
        hops.pop();
        return finish({ ...none, failure: refusal(hops, current.url, error.message) });
      }
      if (!(error instanceof RouteFailure)) throw error;
      hop.failedAttempts = [...error.attempts];
      return finish({ ...none, failure: { kind: 'transport', code: error.code, detail: redirected(hops, error.message) } });
    }
    if (result.failure) return finish({ body: result.body, unfollowedRedirect: null, failure: { ...result.failure, detail: redirected(hops, result.failure.detail) } }, result.headers, result.kept);
    const answer = hop.answer;
    const location = answer && REDIRECT_STATUSES.has(answer.status) ? result.headers.location : undefined;
    const target = typeof location === 'string' ? redirectTarget(location, url) : null;
    if (!target) return finish({ body: result.body, unfollowedRedirect: null, failure: null }, result.headers, result.kept);
    const badScheme = refusedScheme(target);
    if (badScheme) return finish({ ...none, failure: refusal(hops, target.href, badScheme) });
    if (target.protocol !== 'http:') return finish({ body: result.body, unfollowedRedirect: toOneLine(target.href, MAX_HEADER_SHOWN), failure: null }, result.headers, result.kept);
    if (hops.length > MAX_REDIRECTS) {
      const loop = hops.some((earlier) => earlier.url === target.href) ? ' (a redirect loop)' : '';
      return finish({ ...none, failure: { kind: 'redirects', detail: `more than ${MAX_REDIRECTS} redirects${loop}: ${[...hops.map((h) => h.url), target.href].map((u) => toOneLine(u, 120)).join(' → ')}` } });
    }
    const source = redirectSource(hop, url);
    const literal = hostOf(target);
    const literalRefused = isIP(literal) ? refusedAddress(source, literal) : null;
    if (literalRefused) {
      const byProxy = hop.proxy !== null ? ` (through proxy ${hop.proxy}, which resolves names itself, only an address written in the URL can be judged)` : '';
      return finish({ ...none, failure: refusal(hops, target.href, `${literalRefused}${byProxy}`) });
    }
    admit = (address) => refusedAddress(source, address);
    // 307 and 308 repeat the request as it was; the others continue with a GET (RFC 9110 15.4, as clients do).
    const keepsMethod = answer?.status === 307 || answer?.status === 308;
    current = { ...current, url: target.href, ...(keepsMethod ? {} : { method: 'GET', body: null }) };
  }
}

/**
 * Where a redirect came from, for the policy: the address its answer came from; through a proxy the origin's address
 * is the proxy's secret, so the URL's literal, else the proxy's own address (what this machine connected to).
 */
function redirectSource(hop: HopEvidence, url: URL): string | null {
  if (hop.address !== null) return hop.address;
  if (isIP(hostOf(url))) return hostOf(url);
  if (hop.proxy === null || !URL.canParse(hop.proxy)) return null;
  const proxyHost = hostOf(new URL(hop.proxy));
  return isIP(proxyHost) ? proxyHost : null;
}

/** The failure of a redirect not followed: the answer that asked for it is the last hop. */
function refusal(hops: readonly HopEvidence[], target: string, reason: string): FetchFailure {
  const last = hops[hops.length - 1];
  const shown = toOneLine(target, 200);
  const asked = last?.answer ? ` (${last.answer.status})` : '';
  return { kind: 'redirect-refused', target: shown, detail: redirected(hops, `the server redirects to ${shown}${asked}, which is not followed: ${reason}`) };
}

function redirected(hops: readonly HopEvidence[], detail: string): string {
  const last = hops[hops.length - 1];
  return hops.length > 1 && last ? `after redirects, at ${toOneLine(last.url, 120)}: ${detail}` : detail;
}
