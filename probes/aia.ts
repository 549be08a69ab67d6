// The aia probe: fetch a CA certificate from an Authority Information Access caIssuers URL (RFC 5280 4.2.2.1) over
// plain HTTP, as Windows does when a server leaves out its intermediate, and read what came: a DER certificate
// (application/pkix-cert), or a PKCS#7 "certs-only" bundle (.p7c, application/pkcs7-mime), which Microsoft and
// DigiCert serve. Whether a fetched certificate completes a chain is the caller's business; this only observes.
import { observeCertificate, type ObservedCertificate } from '../pki/certificate.js';
import { readCertificates } from '../pki/certificate-bundle.js';
import { fetchHttp } from '../http/fetch.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import type { HttpRouter } from '../http/routes.js';
import { describePage, type PageEvidence } from '../http/page.js';
import type { Probe } from './probe.js';

/** A CA certificate is a few kB, a PKCS#7 bundle of a few of them not much more: anything larger is not one. */
export const AIA_MAX_BYTES = 256 * 1024;

export interface AiaTarget {
  url: string;
  router: HttpRouter;
}

export type AiaEvidence = {
  url: string;
  fetch: FetchEvidence;
  /** What the final answer's body looked like, when it held no certificate (a page instead). */
  page: PageEvidence | null;
  /** 'der', 'pkcs7', or 'pem' when certificates were read; null when none were. */
  format: 'der' | 'pkcs7' | 'pem' | null;
  /** The certificates read, each with its DER (base64). */
  certificates: ObservedCertificate[];
  /** Why a complete 200 body holds no certificate. */
  parseError: string | null;
};

export const probeAia: Probe<AiaTarget, AiaEvidence> = async (target, ctx) => {
  const outcome = await fetchHttp({ url: target.url, method: 'GET', headers: { accept: 'application/pkix-cert, application/pkcs7-mime, */*' }, body: null, maxBodyBytes: AIA_MAX_BYTES }, target.router, ctx);
  const evidence = outcome.evidence;
  const base = { url: target.url, fetch: evidence, page: null, format: null, certificates: [], parseError: null };
  const status = evidence.hops[evidence.hops.length - 1]?.answer?.status;
  if (evidence.failure || !evidence.body || status !== 200) return { ...base, page: evidence.body ? describePage(outcome.headers, outcome.body) : null };
  if (!evidence.body.complete) return { ...base, page: describePage(outcome.headers, outcome.body), parseError: `the answer is larger than ${AIA_MAX_BYTES} bytes: not a CA certificate` };
  const read = readCertificates(outcome.body);
  if ('error' in read) return { ...base, page: describePage(outcome.headers, outcome.body), parseError: read.error };
  return { ...base, format: read.format, certificates: read.certificates.map(observeCertificate) };
};
