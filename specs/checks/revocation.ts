// Revocation as a run asks for it: the issuer links of each distinct chain, a CRL's signature by an issuer, each CRL
// parsed, and the revocations the tls check reports as TLS_CERT_REVOKED. Like CryptoAPI, each certificate's
// distribution points are tried in order until one gives a CRL its issuer signed, then its OCSP responders until one
// answers for it. What depends only on a chain is reached once per run, in the observation session's memo: a run
// meets the same chain on thousands of handshakes. The PKI itself (links, signatures, coverage) is pki/revocation.ts.
// Nothing here imports a check module, so the tls check can call revocationsOf without an import cycle.
import { withoutDer, type CertificateEvidence, type ObservedCertificate } from '../../pki/certificate.js';
import { findRevoked, parseCrl, type ParsedCrl } from '../../pki/crl.js';
import { normalizeSerial } from '../../pki/der.js';
import { chainLinks, checkCrlSignature, httpUrls, type ChainLink, type CrlSignatureCheck } from '../../pki/revocation.js';
import type { CrlEvidence } from '../../probes/crl.js';
import type { TlsEvidence } from '../../probes/tls-evidence.js';
import type { CheckRun } from '../check-run.js';
import { runTrustAnchors } from './trust.js';

/** A certificate of the chain that its issuer revoked: what the crl and ocsp checks hand to judgeTls. */
export interface Revocation {
  certificate: CertificateEvidence;
  /** The CRL or OCSP URL that said so. */
  source: string;
  revokedAt: string | null;
  reason: string | null;
}

/** chainLinks, once per run for each distinct chain. */
export function chainLinksOnce(run: CheckRun, chain: readonly ObservedCertificate[]): ChainLink[] {
  return run.observe.derived.once('chain links', chain.map((certificate) => certificate.sha256).join(' '), () => chainLinks(chain, runTrustAnchors(run)));
}

/**
 * checkCrlSignature, once per run for the CRL at `url` and these candidate issuers: the session fetches each URL
 * once, and verifying its signature again for each of thousands of handshakes was the largest cost of a big run.
 */
export function crlSignatureOnce(run: CheckRun, url: string, crl: ParsedCrl, issuers: readonly ObservedCertificate[], others: readonly ObservedCertificate[]): CrlSignatureCheck {
  const key = `${url} ${issuers.map((issuer) => issuer.sha256).join(',')} ${others.map((other) => other.sha256).join(',')}`;
  return run.observe.derived.once('crl signature', key, () => checkCrlSignature(crl, issuers, others, runTrustAnchors(run)));
}

/**
 * The parsed CRL of this run's fetch of `evidence.url`, once per run (checks ask for it repeatedly); null unless the
 * body parsed. The session fetches each URL once, so the URL names the evidence.
 */
export function parsedCrlOf(run: CheckRun, evidence: CrlEvidence): ParsedCrl | null {
  return run.observe.derived.once('parsed crl', evidence.url, () => (evidence.der === null ? null : parseCrl(Buffer.from(evidence.der, 'base64'))));
}

/** The revoked certificates of a live chain, for the tls check: from the first usable CRL, else the first OCSP answer. */
export async function revocationsOf(run: CheckRun, evidence: TlsEvidence): Promise<Revocation[]> {
  if (!run.wants('crl') && !run.wants('ocsp')) return [];
  const links = chainLinksOnce(run, evidence.chain);
  // The same certificate under the same issuer has one status per run, whichever chain carried it.
  const found = await Promise.all(links.map((link) => run.observe.derived.once('revocation', `${link.certificate.sha256} ${link.issuer?.sha256 ?? '-'}`, () => revocationOf(run, link))));
  return found.filter((revocation): revocation is Revocation => revocation !== null);
}

async function revocationOf(run: CheckRun, { certificate, issuer }: ChainLink): Promise<Revocation | null> {
  // A root vouches for itself: no CRL or responder speaks for it.
  if (!issuer || issuer.sha256 === certificate.sha256) return null;
  const serial = normalizeSerial(certificate.serialNumber);
  const revoked = (source: string, revokedAt: string | null, reason: string | null): Revocation => ({ certificate: withoutDer(certificate), source, revokedAt, reason });
  if (run.wants('crl')) {
    for (const url of httpUrls(certificate.crlUrls)) {
      const crl = parsedCrlOf(run, await run.observe.crl(url));
      if (!crl || crlSignatureOnce(run, url, crl, [issuer], []).outcome !== 'valid') continue;
      const entry = findRevoked(crl, new Set([serial])).get(serial);
      return entry ? revoked(url, entry.revokedAt, entry.reason) : null;
    }
  }
  if (run.wants('ocsp')) {
    for (const url of httpUrls(certificate.ocspUrls)) {
      const response = (await run.observe.ocsp(url, certificate, issuer)).response;
      if (response?.signature !== 'valid' || response.certStatus === null) continue;
      return response.certStatus === 'revoked' ? revoked(url, response.revokedAt, response.revocationReason) : null;
    }
  }
  return null;
}
