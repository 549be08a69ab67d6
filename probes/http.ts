// The http probe: GET a plain-HTTP URL and keep what answered (status, headers, the page's kind, title and block-page
// marks). Only the start of the body is read: whether a proxy answered shows there, and an endless body costs
// nothing more than PAGE_PREFIX_BYTES.
import { fetchHttp } from '../http/fetch.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import type { HttpRouter } from '../http/routes.js';
import { describePage, PAGE_PREFIX_BYTES, type PageEvidence } from '../http/page.js';
import type { Probe } from './probe.js';

export interface HttpTarget {
  url: string;
  router: HttpRouter;
}

export type HttpEvidence = {
  url: string;
  fetch: FetchEvidence;
  /** The final answer's page; null when no answer came. */
  page: PageEvidence | null;
};

export const probeHttp: Probe<HttpTarget, HttpEvidence> = async (target, ctx) => {
  const outcome = await fetchHttp({ url: target.url, method: 'GET', headers: {}, body: null, maxBodyBytes: PAGE_PREFIX_BYTES }, target.router, ctx);
  return { url: target.url, fetch: outcome.evidence, page: outcome.evidence.body ? describePage(outcome.headers, outcome.body) : null };
};
