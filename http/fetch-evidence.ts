// What a plain-HTTP fetch observed, hop by hop, as evidence: the requests made, what answered each (selected headers,
// one capped line each), the final body's size and completeness, and the failure. Types and one reader; the fetch
// itself is http/fetch.ts.
import type { Dispatcher } from 'undici';
import type { ConnectAttempt, RouteFailureCode } from './routes.js';
import type { ProxyRefusal } from './proxy-refusal.js';

/** Header values in evidence are one line of at most this many characters: they come from whoever answered. */
export const MAX_HEADER_SHOWN = 200;

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

/** The last answer of a fetch, if any hop got one. */
export function finalAnswer(evidence: FetchEvidence): HttpAnswer | null {
  return evidence.hops[evidence.hops.length - 1]?.answer ?? null;
}
