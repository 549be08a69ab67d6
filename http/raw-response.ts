// Reading an HTTP response from a raw socket, for the CONNECT tunnel and for the proxy probe: the head (status line
// and headers) and, for a refusal, its page. What a proxy sends is data, not trusted: every read is capped, and
// every text that reaches evidence is one sanitised line.
import type net from 'node:net';
import { toOneLine } from '../model/evidence-text.js';

/** Caps on what a proxy may send before the tool stops reading: its answers are data, not trusted. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADERS = 100;
const MAX_PAGE_BYTES = 64 * 1024;
/** Status lines are shown: one line, capped. */
const MAX_STATUS_LINE_LENGTH = 160;

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
export function readPage(socket: net.Socket, head: ResponseHead, signal: AbortSignal): Promise<Buffer> {
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
