// One request over one hop's connection, with undici: each phase under its own deadline (the headers, then the body),
// the body streamed and kept only up to a cap (reading stops there), and how the exchange failed named as the tcp
// code (a reset) or as not HTTP. A redirect's body is never read.
import type { Dispatcher } from 'undici';
import { describeError, toOneLine } from '../model/evidence-text.js';
import { elapsedSince, stepDeadline, type StepContext } from '../net/deadline.js';
import { MAX_HEADER_SHOWN, type BodyEvidence, type FetchFailure, type FetchRequest, type HopEvidence, type HttpAnswer, type ResponseHeaders } from './fetch-evidence.js';
import { PAGE_PREFIX_BYTES } from './page.js';
import { REDIRECT_STATUSES } from './redirects.js';
import type { HopConnection } from './routes.js';

const USER_AGENT = 'egress-preflight';

export interface HopResult {
  headers: ResponseHeaders;
  kept: Buffer;
  body: BodyEvidence | null;
  failure: Exclude<FetchFailure, { kind: 'redirects' | 'redirect-refused' }> | null;
}

/**
 * One request over one connection, under one controller: each phase's deadline (which also fires when the run is
 * cancelled) aborts it, and the phase that was running names the timeout.
 */
export async function exchange(connection: HopConnection, url: URL, request: FetchRequest, hop: HopEvidence, ctx: StepContext): Promise<HopResult> {
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
