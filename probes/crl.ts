// The crl probe: fetch a CRL over plain HTTP with a size cap, and read it as a DER X.509 CertificateList (pki/crl.ts).
// Whose signature it should carry, and which certificates it covers, the crl check knows.
import { fetchHttp } from '../http/fetch.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import { describePage, type PageEvidence } from '../http/page.js';
import type { HttpRouter } from '../http/routes.js';
import { DerError } from '../pki/der.js';
import { parseCrl, type CrlSummary } from '../pki/crl.js';
import type { Probe } from './probe.js';

export interface CrlTarget {
  url: string;
  router: HttpRouter;
  maxBytes: number;
}

export type CrlEvidence = {
  url: string;
  fetch: FetchEvidence;
  /** What the final answer's body looked like, when it was not a CRL (a page instead of DER). */
  page: PageEvidence | null;
  /** Set when the body parsed as a CRL. */
  crl: CrlSummary | null;
  /** Why a complete body is not a DER CRL. */
  parseError: string | null;
  /** The CRL's DER (base64) for signature and serial checks; null unless it parsed. Reports never carry it. */
  der: string | null;
};

export const probeCrl: Probe<CrlTarget, CrlEvidence> = async (target, ctx) => {
  const outcome = await fetchHttp({ url: target.url, method: 'GET', headers: { accept: 'application/pkix-crl, */*' }, body: null, maxBodyBytes: target.maxBytes }, target.router, ctx);
  const base = { url: target.url, fetch: outcome.evidence, page: null, crl: null, parseError: null, der: null };
  const body = outcome.evidence.body;
  if (!body) return base;
  if (!body.complete) return { ...base, page: describePage(outcome.headers, outcome.body) };
  try {
    const parsed = parseCrl(outcome.body);
    return { ...base, crl: parsed.summary, der: outcome.body.toString('base64') };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    return { ...base, page: describePage(outcome.headers, outcome.body), parseError: error.message };
  }
};
