// The ocsp probe: a real RFC 6960 request for one certificate (built by pki/ocsp.ts: a CertID with SHA-1 hashes of the
// issuer's name and public key, and the serial), POSTed as application/ocsp-request, and the OCSPResponse read. No
// nonce is sent: CryptoAPI sends none, and responders that pre-sign their answers (Microsoft's and DigiCert's CDNs)
// ignore it.
import { fetchHttp } from '../http/fetch.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import { describePage, type PageEvidence } from '../http/page.js';
import type { HttpRouter } from '../http/routes.js';
import type { ObservedCertificate } from '../pki/certificate.js';
import { DerError } from '../pki/der.js';
import { ocspRequest, readOcspResponse, type OcspResponseSummary } from '../pki/ocsp.js';
import { certificateFields } from '../pki/pkix.js';
import type { Probe } from './probe.js';

/** OCSP responses are a few kB (more with the responder's certificate): anything far larger is not one. */
export const OCSP_MAX_BYTES = 256 * 1024;

export interface OcspTarget {
  url: string;
  router: HttpRouter;
  certificate: ObservedCertificate;
  /** The certificate that issued `certificate`: its name and key go into the CertID and check the signature. */
  issuer: ObservedCertificate;
}

export type OcspRequestEvidence = {
  subject: string;
  serialNumber: string;
  issuer: string;
  hashAlgorithm: 'SHA-1';
};

export type OcspEvidence = {
  url: string;
  request: OcspRequestEvidence;
  fetch: FetchEvidence;
  /** What the final answer's body looked like, when it was not an OCSP response. */
  page: PageEvidence | null;
  response: OcspResponseSummary | null;
  /** Why a complete body is not an OCSPResponse. */
  parseError: string | null;
};

export const probeOcsp: Probe<OcspTarget, OcspEvidence> = async (target, ctx) => {
  const certificateDer = Buffer.from(target.certificate.der, 'base64');
  const issuerDer = Buffer.from(target.issuer.der, 'base64');
  const request: OcspRequestEvidence = {
    subject: target.certificate.subject, serialNumber: target.certificate.serialNumber, issuer: target.issuer.subject, hashAlgorithm: 'SHA-1',
  };
  const outcome = await fetchHttp({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
    body: ocspRequest(certificateDer, issuerDer),
    maxBodyBytes: OCSP_MAX_BYTES,
  }, target.router, ctx);
  const base = { url: target.url, request, fetch: outcome.evidence, page: null, response: null, parseError: null };
  const body = outcome.evidence.body;
  if (!body) return base;
  if (!body.complete) return { ...base, page: describePage(outcome.headers, outcome.body) };
  try {
    return { ...base, response: readOcspResponse(outcome.body, certificateFields(certificateDer), issuerDer) };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    return { ...base, page: describePage(outcome.headers, outcome.body), parseError: error.message };
  }
};
