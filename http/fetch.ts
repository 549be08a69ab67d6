// Plain-HTTP fetches for the port-80 checks (http, crl, ocsp), with undici 7. Each hop connects to the addresses the
// run's own dns check found (the answer the report shows, never the OS resolver), on the mapped port, trying each
// address in turn; every phase has its deadline (connect per address, then headers, then body); redirects are
// followed as http/redirects.ts allows (at most MAX_REDIRECTS hops, never inwards: the address each hop resolves
// to is judged before any connection), each hop's host resolved the same way; the body is streamed and kept only up
// to a cap, and reading stops there. What answered, and when by the server's Date header, is evidence.
// Each hop's connection comes from a router (http/routes.ts). Through a forward proxy a hop is an absolute-form
// request to the proxy, never CONNECT: proxies often refuse CONNECT to port 80, and the agent sends plain HTTP this
// way. The proxy resolves the name. What the proxy answered itself (407, its refusal page, its 5xx) is told apart
// from the origin's answer here.
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { AddressRefused, hostOf, RouteFailure, type AddressAdmission, type ConnectAttempt, type HopConnection, type HttpRouter, type ProxyRelay, type RouteFailureCode } from './routes.js';
import { describePage, PAGE_PREFIX_BYTES } from './page.js';
import { MAX_REDIRECTS, REDIRECT_STATUSES, redirectTarget, refusedAddress, refusedScheme } from './redirects.js';
import { describeError, elapsedSince, stepDeadline, type ProbeContext } from '../probes/probe.js';
import { ProxyRefusalError, refusalOf, toOneLine, type ProxyRefusal } from './connect-tunnel.js';

/** Header values in evidence are one line of at most this many characters: they come from whoever answered. */
const MAX_HEADER_SHOWN = 200;
const USER_AGENT = 'egress-preflight';

export interface FetchRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Readonly<Record<string, string>>;
  body: Buffer | null;
  /** The final answer's body is kept up to this many bytes; reading stops there and `overCap` is set. */
  maxBodyBytes: number;
}


/** What a server said, as evidence: selected headers, each one line and capped. */
export type HttpAnswer = {
  status: number;
  statusText: string;
  /** From the request to the response headers. */
  headersMs: number;
  /** This machine's clock when the headers arrived: what the server's Date is compared with. */
  receivedAt: string;
  date: string | null;
  contentType: string | null;
  contentLength: number | null;
  location: string | null;
  server: string | null;
  via: string | null;
};

export type HopEvidence = {
  url: string;
  method: 'GET' | 'POST';
  /** The proxy that relayed the request (its URL without the password); null when it went direct. */
  proxy: string | null;
  /** null through a proxy: the proxy resolves the name and connects. */
  address: string | null;
  /** The port connected to (after the port map). */
  port: number | null;
  connectMs: number | null;
  failedAttempts: ConnectAttempt[];
  /** null when no answer came on this hop. */
  answer: HttpAnswer | null;
};

export type BodyEvidence = {
  /** Bytes read (the chunk that crossed the cap included). */
  receivedBytes: number;
  /** The whole body was read. */
  complete: boolean;
  /** The body is larger than the cap: by Content-Length before reading, or while reading. */
  overCap: boolean;
  readMs: number;
};

export type FetchFailure =
  /** No connection, or one reset before the answer: the code of the dns or tcp check. */
  | { kind: 'transport'; code: RouteFailureCode; detail: string }
  | { kind: 'timeout'; phase: 'headers' | 'body'; detail: string }
  /** Something answered that is not HTTP, or closed the connection without an answer. */
  | { kind: 'protocol'; detail: string }
  | { kind: 'redirects'; detail: string }
  /** A redirect the fetch refused (http/redirects.ts): another scheme, or an address further inwards. */
  | { kind: 'redirect-refused'; target: string; detail: string }
  /** The proxy answered itself (407, a refusal page, its own 5xx), failed the exchange, or could not be reached. */
  | { kind: 'proxy'; detail: string; refusal: ProxyRefusal };

export type FetchEvidence = {
  /** The URL asked for first. */
  url: string;
  /** Every request made, redirects included, in order. */
  hops: HopEvidence[];
  /** The final answer's body; null when there was no final answer. */
  body: BodyEvidence | null;
  /** A redirect to https the fetch did not follow, with the answer that asked for it as the final one. */
  unfollowedRedirect: string | null;
  failure: FetchFailure | null;
  totalMs: number;
};

/** The final answer's headers as undici gives them. */
export type ResponseHeaders = Dispatcher.ResponseData['headers'];

/**
 * The evidence, and what the probes built on it read: the final answer's headers and its body, whole when it was
 * read completely (at most maxBodyBytes), else its first PAGE_PREFIX_BYTES.
 */
export interface FetchOutcome {
  evidence: FetchEvidence;
  headers: ResponseHeaders;
  body: Buffer;
}

/** Fetches `request.url`, following redirects; ctx.stepTimeoutMs is the deadline of the headers and of the body. */
export async function fetchHttp(request: FetchRequest, router: HttpRouter, ctx: ProbeContext): Promise<FetchOutcome> {
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

interface HopResult {
  headers: ResponseHeaders;
  kept: Buffer;
  body: BodyEvidence | null;
  failure: Exclude<FetchFailure, { kind: 'redirects' | 'redirect-refused' }> | null;
}

/**
 * One request over one connection, under one controller: each phase's deadline (which also fires when the run is
 * cancelled) aborts it, and the phase that was running names the timeout.
 */
async function exchange(connection: HopConnection, url: URL, request: FetchRequest, hop: HopEvidence, ctx: ProbeContext): Promise<HopResult> {
  const abort = new AbortController();
  let phase: 'headers' | 'body' = 'headers';
  let deadline = stepDeadline(ctx);
  const onDeadline = () => abort.abort(deadline.reason);
  deadline.addEventListener('abort', onDeadline, { once: true });
  const timeout = (): HopResult['failure'] => ({ kind: 'timeout', phase, detail: phase === 'headers' ? `no answer within ${ctx.stepTimeoutMs} ms of the request` : `the body did not arrive within ${ctx.stepTimeoutMs} ms of the headers` });
  const requested = performance.now();
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await connection.dispatcher.request({
        origin: url.origin,
        path: connection.relay?.target ?? `${url.pathname}${url.search}`,
        method: request.method,
        headers: { 'user-agent': USER_AGENT, accept: '*/*', ...request.headers, ...connection.relay?.headers },
        body: request.body,
        signal: abort.signal,
      });
    } catch (error) {
      return { headers: {}, kept: Buffer.alloc(0), body: null, failure: abort.signal.aborted ? timeout() : requestFailure(error) };
    }
    hop.answer = describeAnswer(response, elapsedSince(requested));
    const isRedirect = REDIRECT_STATUSES.has(response.statusCode) && typeof response.headers.location === 'string';
    if (isRedirect) {
      // A redirect's body is never read: the next hop is what matters.
      discard(response.body);
      return { headers: response.headers, kept: Buffer.alloc(0), body: null, failure: null };
    }
    // The body gets a deadline of its own, from now.
    deadline.removeEventListener('abort', onDeadline);
    phase = 'body';
    deadline = stepDeadline(ctx);
    deadline.addEventListener('abort', onDeadline, { once: true });
    return await readBody(response, request.maxBodyBytes, () => (abort.signal.aborted ? timeout() : null));
  } finally {
    deadline.removeEventListener('abort', onDeadline);
  }
}

/** Streams the body into at most `cap` bytes; a Content-Length beyond the cap stops before reading. */
async function readBody(response: Dispatcher.ResponseData, cap: number, timedOut: () => HopResult['failure']): Promise<HopResult> {
  const started = performance.now();
  const declared = contentLengthOf(response.headers);
  const chunks: Buffer[] = [];
  let kept = 0;
  let receivedBytes = 0;
  let overCap = declared !== null && declared > cap;
  let complete = false;
  let failure: HopResult['failure'] = null;
  // Stopping early (the cap, a deadline) destroys the body, which then emits an abort error nobody needs.
  response.body.on('error', () => {});
  if (overCap) {
    response.body.destroy();
  } else {
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        receivedBytes += chunk.length;
        const room = cap - kept;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        kept += Math.min(chunk.length, room);
        if (chunk.length > room) {
          overCap = true;
          break; // leaving the loop destroys the stream: nothing more is read
        }
      }
      complete = !overCap;
    } catch (error) {
      failure = timedOut() ?? requestFailure(error);
    }
  }
  return {
    headers: response.headers,
    // An incomplete body is only looked at for what it is (a page?): its start is all that outlives the read.
    kept: Buffer.concat(chunks, complete ? kept : Math.min(kept, PAGE_PREFIX_BYTES)),
    body: { receivedBytes, complete, overCap, readMs: elapsedSince(started) },
    failure,
  };
}

/** Headers only a proxy's own error pages carry. */
const PROXY_ERROR_HEADERS = ['x-squid-error', 'x-zscaler-error', 'x-iwsaas-error'];

/**
 * A relayed hop's result, or the proxy's refusal when the proxy answered itself, or when the exchange with it
 * failed: the connection that broke is the one to the proxy, whatever it was relaying. A timeout stays a timeout.
 */
function asRelayed(result: HopResult, answer: HttpAnswer | null, relay: ProxyRelay, method: FetchRequest['method']): HopResult {
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

function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function contentLengthOf(headers: ResponseHeaders): number | null {
  const value = headers['content-length'];
  return typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : null;
}

const RESET_ERRNOS = new Set(['ECONNRESET', 'EPIPE']);

/** How a request failed other than by our deadline: a reset is the tcp code, anything else is not HTTP. */
function requestFailure(error: unknown): NonNullable<HopResult['failure']> {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const causeErrno = ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause)?.code;
  if ((errno && RESET_ERRNOS.has(errno)) || (causeErrno && RESET_ERRNOS.has(causeErrno))) {
    return { kind: 'transport', code: 'TCP_RESET', detail: 'the connection was reset before the answer was complete' };
  }
  if (errno === 'UND_ERR_SOCKET') return { kind: 'protocol', detail: 'the server closed the connection before the answer was complete' };
  if (error instanceof Error && error.name === 'HTTPParserError') return { kind: 'protocol', detail: `the answer is not HTTP (${toOneLine(error.message, 120)})` };
  return { kind: 'protocol', detail: toOneLine(describeError(error), 200) };
}

function describeAnswer(response: Dispatcher.ResponseData, headersMs: number): HttpAnswer {
  const header = (name: string): string | null => {
    const value = response.headers[name];
    const text = Array.isArray(value) ? value.join(', ') : value;
    return text === undefined ? null : toOneLine(text, MAX_HEADER_SHOWN);
  };
  return {
    status: response.statusCode,
    statusText: toOneLine(response.statusText ?? '', MAX_HEADER_SHOWN),
    headersMs,
    receivedAt: new Date().toISOString(),
    date: header('date'),
    contentType: header('content-type'),
    contentLength: contentLengthOf(response.headers),
    location: header('location'),
    server: header('server'),
    via: header('via'),
  };
}

/** The last answer of a fetch, if any hop got one. */
export function finalAnswer(evidence: FetchEvidence): HttpAnswer | null {
  return evidence.hops[evidence.hops.length - 1]?.answer ?? null;
}
