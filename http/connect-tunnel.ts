// CONNECT tunnels through an HTTP proxy, and what the proxy said when it would not open one (refusalOf, which
// port-80 requests relayed by the proxy share: see http/fetch.ts).
// Raw net rather than undici's Client.connect: undici hands back the socket whatever the status, without the
// reason phrase, and leaves a refusal page unread on that socket. Reading the answer here gives the status
// line, every Proxy-Authenticate header and the page's <title>, each under the caller's deadline.
import type net from 'node:net';
import { proxyEndpoint, redactUrl, type ProxyEndpoint } from '../config/proxy-settings.js';
import type { ProxyCode } from '../model/codes.js';
import { classifyConnectError, formatHostPort, openConnection, type ConnectFailureCode } from '../probes/connect.js';
import { htmlTitle } from './page.js';
import { deadlineSignal, describeError, elapsedSince, stepDeadline, type ProbeContext } from '../probes/probe.js';

/** Opens a byte stream to host:port through a proxy; the proxy resolves the host itself. */
export type ProxyTransport = (host: string, port: number, signal: AbortSignal) => Promise<net.Socket>;

export type ProxyRefusalCode = Exclude<ProxyCode, 'PROXY_OK'>;

/** What the proxy did instead of opening the tunnel or relaying the request. Every text in it is one sanitised line. */
export type ProxyRefusal = {
  code: ProxyRefusalCode;
  /** The proxy URL without its password. */
  proxy: string;
  /** What the proxy was asked for: host:port for CONNECT, the absolute URL of a plain-HTTP request. */
  target: string;
  /** The proxy's status code, when it answered in HTTP. */
  status?: number;
  /** Its reason phrase; empty when it gave none or did not answer in HTTP. */
  statusText: string;
  /** Authentication schemes a 407 offers (Basic, NTLM, Negotiate…). */
  schemes?: string[];
  /** The <title> of the proxy's HTML page (a block page names its policy there). */
  pageTitle?: string;
  /** Whether credentials from the proxy URL went with the request. */
  credentialsSent: boolean;
  /** How the connection to the proxy failed (PROXY_UNREACHABLE). */
  connectFailure?: { code: ConnectFailureCode; detail: string };
  /** One line saying what happened, for a check's message. */
  detail: string;
};

/**
 * The rejection of a ProxyTransport (and of a proxied port-80 hop's connection). `code` and `message` make it a
 * transport failure as probes/tls.ts reads one.
 */
export class ProxyRefusalError extends Error {
  readonly code: ProxyRefusalCode;

  constructor(readonly refusal: ProxyRefusal) {
    super(refusal.detail);
    this.code = refusal.code;
  }
}

/** The Proxy-Authorization value for the Basic credentials of a proxy URL; null when it has none. */
export function proxyAuthorization(endpoint: ProxyEndpoint): string | null {
  if (endpoint.username === '' && endpoint.password === '') return null;
  return `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}`;
}

/** The head of a proxy's own answer, where it answered instead of doing what was asked. */
export interface ProxyAnswer {
  status: number;
  statusText: string;
  pageTitle: string | null;
  /** Every Proxy-Authenticate value, as sent. */
  proxyAuthenticate: readonly string[];
}

/** What a refusal is about: `request` is "CONNECT host:port" or "GET http://…"; `failure` completes "proxy … " for a 5xx. */
export interface RefusedRequest {
  proxy: string;
  target: string;
  request: string;
  failure: string;
  credentialsSent: boolean;
}

/** The refusal when no connection to the proxy opens, from the connection's error. */
export function unreachableRefusal(about: Pick<RefusedRequest, 'proxy' | 'target' | 'credentialsSent'>, error: unknown): ProxyRefusal {
  const failure = classifyConnectError(error, false);
  return {
    code: 'PROXY_UNREACHABLE', ...about, statusText: '',
    connectFailure: { code: failure.code, detail: failure.message }, detail: `proxy ${about.proxy} is unreachable: ${failure.message}`,
  };
}

/**
 * A proxy's own answer as a refusal: 407 demands credentials (naming the schemes it offers); 3xx (a captive portal's
 * redirect) and 4xx refuse the target; 5xx and anything else is the proxy failing.
 */
export function refusalOf(answer: ProxyAnswer, about: RefusedRequest): ProxyRefusal {
  const { proxy, target, request, credentialsSent } = about;
  const { status, statusText, pageTitle } = answer;
  const said = `${status}${statusText ? ` ${statusText}` : ''}${pageTitle ? ` ("${pageTitle}")` : ''}`;
  const common = { proxy, target, status, statusText, credentialsSent, ...(pageTitle ? { pageTitle } : {}) };
  if (status === 407) {
    const schemes = authSchemes(answer.proxyAuthenticate);
    const offered = schemes.length > 0 ? `; it offers ${schemes.join(', ')}` : '; it names no scheme';
    const rejected = credentialsSent ? '; the user name and password in the proxy URL were not accepted' : '';
    return { code: 'PROXY_AUTH_REQUIRED', schemes, ...common, detail: `proxy ${proxy} demands authentication for ${request}: ${said}${offered}${rejected}` };
  }
  if (status >= 300 && status < 500) return { code: 'PROXY_DENIED', ...common, detail: `proxy ${proxy} refused ${request}: ${said}` };
  return { code: 'PROXY_ERROR', ...common, detail: `proxy ${proxy} ${about.failure}: ${said}` };
}

/** Caps on what a proxy may send before the tool stops reading: its answers are data, not trusted. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;
const MAX_PAGE_BYTES = 64 * 1024;
/** Status lines are shown: one line, capped. */
const MAX_STATUS_LINE_LENGTH = 160;
const MAX_SCHEMES = 8;
/**
 * How long a refusal page may take after the status line. It only adds a title, so it must not stretch a
 * refusal to the whole deadline when a proxy keeps the connection open without saying how long its page is.
 */
const PAGE_GRACE_MS = 1000;

/**
 * A ProxyTransport that opens a CONNECT tunnel through the proxy at `proxyUrl` (http://[user:pass@]host:port) and
 * resolves with the tunnel's socket, paused and ready for tls.connect({ socket }); the caller owns it. Rejects
 * with a ProxyRefusalError. Basic credentials in the URL go in Proxy-Authorization and nowhere else.
 */
export function createProxyTransport(proxyUrl: string): ProxyTransport {
  const endpoint = proxyEndpoint(proxyUrl);
  const proxy = redactUrl(proxyUrl);
  const authorization = proxyAuthorization(endpoint);

  return async (host, port, signal) => {
    const target = formatHostPort(host, port);
    // The target goes into the request line: nothing that could end it or start another header.
    if (!/^[A-Za-z0-9._:[\]-]+$/.test(target)) throw new TypeError(`not a host name or address: ${JSON.stringify(host)}`);
    const refuse = (fields: Omit<ProxyRefusal, 'proxy' | 'target' | 'credentialsSent' | 'statusText'> & { statusText?: string }) =>
      new ProxyRefusalError({ proxy, target, credentialsSent: authorization !== null, statusText: '', ...fields });

    let socket: net.Socket;
    try {
      socket = await openConnection(endpoint.host, endpoint.port, signal);
    } catch (error) {
      throw new ProxyRefusalError(unreachableRefusal({ proxy, target, credentialsSent: authorization !== null }, error));
    }

    const credentials = authorization === null ? '' : `Proxy-Authorization: ${authorization}\r\n`;
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${credentials}User-Agent: egress-preflight\r\n\r\n`);
    let head: ResponseHead;
    try {
      head = await readResponseHead(socket, signal);
    } catch (error) {
      socket.destroy();
      if (!(error instanceof ResponseHeadError)) throw error;
      throw refuse({ code: 'PROXY_ERROR', detail: `proxy ${proxy} accepted the connection for CONNECT ${target}, but ${error.message}` });
    }
    if (head.status >= 200 && head.status < 300) {
      // Bytes after the head already belong to the tunnel.
      if (head.rest.length > 0) socket.unshift(head.rest);
      return socket;
    }

    const page = await readPage(socket, head, deadlineSignal(PAGE_GRACE_MS, signal));
    socket.destroy();
    const answer = { status: head.status, statusText: head.statusText, pageTitle: htmlTitle(page.toString('utf8')), proxyAuthenticate: head.headers.get('proxy-authenticate') ?? [] };
    throw new ProxyRefusalError(refusalOf(answer, { proxy, target, request: `CONNECT ${target}`, failure: `could not open a tunnel to ${target}`, credentialsSent: authorization !== null }));
  };
}

// ---------------------------------------------------------------------------------------------------------
// Reading an HTTP response from a raw socket, for the tunnel and for the proxy probe.

export interface ResponseHead {
  /** "HTTP/1.1 403 Forbidden", sanitised. */
  statusLine: string;
  status: number;
  statusText: string;
  /** Lower-case names; values as sent, in order. */
  headers: Map<string, string[]>;
  /** Bytes that arrived after the head. */
  rest: Buffer;
}

/** Why no response head could be read; the message completes "the proxy accepted the connection, but …". */
export class ResponseHeadError extends Error {}

/**
 * The head of the next HTTP response on `socket`, before `signal` fires. On success the socket is paused
 * with no listeners of this function left on it.
 */
export function readResponseHead(socket: net.Socket, signal: AbortSignal): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: ResponseHead | ResponseHeadError) => {
      socket.pause();
      socket.off('data', onData).off('end', onClosed).off('close', onClosed).off('error', onClosed);
      signal.removeEventListener('abort', onAbort);
      if (outcome instanceof ResponseHeadError) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => finish(new ResponseHeadError('no answer came before the deadline'));
    const onClosed = () => finish(new ResponseHeadError('it closed the connection without answering'));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 5 && received.subarray(0, 5).toString('latin1') !== 'HTTP/') return finish(notHttp(received));
      const end = headEnd(received);
      if (end === null) {
        if (received.length > MAX_HEAD_BYTES) finish(new ResponseHeadError(`the answer's head exceeds ${MAX_HEAD_BYTES} bytes`));
        return;
      }
      finish(parseHead(received.subarray(0, end.headLength), received.subarray(end.restStart)));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData).once('end', onClosed).once('close', onClosed).once('error', onClosed);
    socket.resume();
  });
}

/** Where the head ends: the first empty line (CRLF CRLF, or bare LF LF from sloppy servers). */
function headEnd(buffer: Buffer): { headLength: number; restStart: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return null;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { headLength: crlf, restStart: crlf + 4 };
  return { headLength: lf, restStart: lf + 2 };
}

function parseHead(head: Buffer, rest: Buffer): ResponseHead | ResponseHeadError {
  const [statusLine = '', ...lines] = head.toString('latin1').split(/\r?\n/);
  const status = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) return notHttp(head);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(0, MAX_HEADERS)) {
    const field = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*?)\s*$/.exec(line);
    if (!field?.[1]) continue;
    const name = field[1].toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), field[2] ?? '']);
  }
  const statusText = toOneLine(status[4] ?? '', MAX_STATUS_LINE_LENGTH);
  return {
    statusLine: toOneLine(`HTTP/${status[1]}.${status[2]} ${status[3]}${statusText ? ` ${statusText}` : ''}`, MAX_STATUS_LINE_LENGTH),
    status: Number(status[3]),
    statusText,
    headers,
    rest,
  };
}

function notHttp(received: Buffer): ResponseHeadError {
  const firstLine = toOneLine(received.subarray(0, 200).toString('latin1').split('\n')[0] ?? '', 60);
  return new ResponseHeadError(`the answer is not HTTP: ${JSON.stringify(firstLine)}`);
}

/**
 * The body of a refusal, capped at MAX_PAGE_BYTES, as far as it arrives before `signal`: by Content-Length,
 * chunked, or until the proxy closes. A page cut short still yields what arrived.
 */
function readPage(socket: net.Socket, head: ResponseHead, signal: AbortSignal): Promise<Buffer> {
  const chunked = (head.headers.get('transfer-encoding') ?? []).some((value) => /chunked/i.test(value));
  const declared = Number(head.headers.get('content-length')?.[0] ?? NaN);
  const wanted = Math.min(Number.isInteger(declared) && declared >= 0 ? declared : Infinity, MAX_PAGE_BYTES);
  return new Promise((resolve) => {
    let raw = head.rest;
    const decoded = () => (chunked ? decodeChunked(raw) : { body: raw.subarray(0, wanted), complete: raw.length >= wanted });
    const finish = () => {
      socket.off('data', onData).off('end', finish).off('close', finish).off('error', finish);
      signal.removeEventListener('abort', finish);
      resolve(decoded().body.subarray(0, MAX_PAGE_BYTES));
    };
    const onData = (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      if (decoded().complete || raw.length >= MAX_PAGE_BYTES) finish();
    };
    if (decoded().complete || signal.aborted) return finish();
    signal.addEventListener('abort', finish, { once: true });
    socket.on('data', onData).once('end', finish).once('close', finish).once('error', finish);
    socket.resume();
  });
}

/** A chunked body as far as it goes; complete once the last (zero-length) chunk has arrived. */
function decodeChunked(raw: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', pos);
    if (lineEnd === -1) break;
    const size = parseInt(raw.subarray(pos, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size < 0) break;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const data = raw.subarray(lineEnd + 2, lineEnd + 2 + size);
    parts.push(data);
    if (data.length < size) break;
    pos = lineEnd + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), complete: false };
}

/** The scheme of each challenge in Proxy-Authenticate values; auth-params (realm="…, …") are skipped. */
function authSchemes(values: readonly string[]): string[] {
  const known = new Map(['Basic', 'Digest', 'NTLM', 'Negotiate', 'Kerberos', 'Bearer'].map((name) => [name.toLowerCase(), name]));
  const schemes = new Set<string>();
  for (const value of values) {
    for (const part of splitOutsideQuotes(value)) {
      // A challenge starts with a token not followed by "="; "name=value" is a parameter of the one before.
      const challenge = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32})\s*(=)?/.exec(part);
      if (challenge?.[1] && !challenge[2]) schemes.add(known.get(challenge[1].toLowerCase()) ?? challenge[1]);
    }
  }
  return [...schemes].slice(0, MAX_SCHEMES);
}

function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    if (char === '\\' && quoted) {
      current += char + (value[i + 1] ?? '');
      i += 1;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  return [...parts, current];
}

/**
 * Text from the network as one printable line: control characters, line and paragraph separators and
 * bidirectional overrides become spaces, runs of space collapse, and the result is capped at `maxLength`.
 */
export function toOneLine(text: string, maxLength: number): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const characters = [...flat];
  return characters.length <= maxLength ? flat : `${characters.slice(0, maxLength - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------------------
// The tunnel probe: the tcp check's observation when a proxy is in the way (host × port, the proxy resolves).

export interface TunnelTarget {
  host: string;
  /** The port asked for in CONNECT (after the port map). */
  port: number;
  transport: ProxyTransport;
}

export interface TunnelEvidence {
  /** host:port asked for in CONNECT. */
  target: string;
  /** Time until the proxy answered 2xx; null when it refused. */
  connectMs: number | null;
  refusal: ProxyRefusal | null;
}

export async function probeTunnel(target: TunnelTarget, ctx: ProbeContext): Promise<TunnelEvidence> {
  const started = performance.now();
  const where = formatHostPort(target.host, target.port);
  try {
    const socket = await target.transport(target.host, target.port, stepDeadline(ctx));
    const connectMs = elapsedSince(started);
    socket.destroy();
    return { target: where, connectMs, refusal: null };
  } catch (error) {
    if (error instanceof ProxyRefusalError) return { target: where, connectMs: null, refusal: error.refusal };
    const detail = `CONNECT ${where} failed: ${describeError(error)}`;
    return { target: where, connectMs: null, refusal: { code: 'PROXY_ERROR', proxy: '', target: where, statusText: '', credentialsSent: false, detail } };
  }
}
