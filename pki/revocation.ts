// Revocation of live certificates: which certificate of a chain issued which (so a CRL's signature and an OCSP
// CertID have their issuer), whether a CRL is signed by its issuer, which live certificates it lists, and the
// revocations the tls check reports as TLS_CERT_REVOKED. Like CryptoAPI, each certificate's distribution points are
// tried in order until one gives a CRL its issuer signed, then its OCSP responders until one answers for it.
// Nothing here imports a check module, so the tls check can call revocationsOf without an import cycle. What depends
// only on a chain (its issuer links, a CRL's signature by an issuer, a certificate's revocation) is reached once per
// run, in the observation session's memo: a run meets the same chain on thousands of handshakes.
import type { TrustPlan } from '../config/plan.js';
import { isIssuedBy, ParsedCertificate, withoutDer, type ObservedCertificate } from './certificate.js';
import { findRevoked, parsedCrlOf, verifyCrlSignature, type ParsedCrl } from './crl.js';
import { normalizeSerial } from './der.js';
import { trustAnchors } from './inspection.js';
import { certificateFields, nameText } from './pkix.js';
import type { TlsEvidence } from '../probes/tls.js';
import type { CheckRun } from '../specs/check-run.js';
import type { CertificateEvidence } from './certificate.js';

/** A certificate of the chain that its issuer revoked: what the crl and ocsp checks hand to judgeTls. */
export interface Revocation {
  certificate: CertificateEvidence;
  /** The CRL or OCSP URL that said so. */
  source: string;
  revokedAt: string | null;
  reason: string | null;
}

/** A certificate of a live chain, with the certificate that issued it when the chain or the trust store holds it. */
export interface ChainLink {
  certificate: ObservedCertificate;
  issuer: ObservedCertificate | null;
}

/** chainLinks, once per run for each distinct chain. */
export function chainLinksOnce(run: CheckRun, chain: readonly ObservedCertificate[]): ChainLink[] {
  return run.observe.derived.once('chain links', chain.map((certificate) => certificate.sha256).join(' '), () => chainLinks(chain, run.plan.trust));
}

export function chainLinks(chain: readonly ObservedCertificate[], trust: TrustPlan): ChainLink[] {
  const parsed = chain.map((certificate) => ParsedCertificate.fromDer(Buffer.from(certificate.der, 'base64')));
  return chain.map((certificate, index) => {
    const subject = parsed[index];
    if (!subject) return { certificate, issuer: null };
    // The next certificate is the usual issuer; then the rest of the chain; then the trust store by issuer name.
    const next = parsed[index + 1];
    const found = next && isIssuedBy(subject, next) ? index + 1 : parsed.findIndex((candidate) => isIssuedBy(subject, candidate));
    const inChain = found === -1 ? undefined : found;
    if (inChain !== undefined) return { certificate, issuer: chain[inChain] ?? null };
    const anchors = trustAnchors(trust).bySubject.get(subject.issuerText.toLowerCase()) ?? [];
    const anchor = anchors.find((link) => isIssuedBy(subject, link.certificate));
    return { certificate, issuer: anchor?.certificate.observed ?? null };
  });
}

/** Plain http:// URLs that parse: the agent fetches revocation data over HTTP (ldap:// points are not for it). */
export function httpUrls(urls: readonly string[]): string[] {
  return urls.filter((url) => /^http:\/\//i.test(url) && URL.canParse(url));
}

export type CrlSignatureCheck =
  | { outcome: 'valid'; issuer: string }
  | { outcome: 'invalid'; detail: string }
  /** No certificate with the CRL issuer's name is known, or its algorithm is one Node cannot check. */
  | { outcome: 'unverified'; detail: string };

/**
 * Whether the CRL is signed by one of `issuers` (the issuers of the certificates naming its URL), or, when none is
 * known, by any certificate of `others` or the trust store that carries the CRL issuer's name.
 */
export function checkCrlSignature(crl: ParsedCrl, issuers: readonly ObservedCertificate[], others: readonly ObservedCertificate[], trust: TrustPlan): CrlSignatureCheck {
  const crlIssuer = nameText(crl.issuerName);
  const named = (certificates: readonly { der: Buffer; display: string }[]) => certificates.filter((candidate) => subjectNameOf(candidate.der).equals(crl.issuerName));
  if (issuers.length > 0) {
    const expected = issuers.map(asCandidate);
    const matching = named(expected);
    if (matching.length === 0) return { outcome: 'invalid', detail: `the CRL is issued by "${crlIssuer}", not by "${expected.map((c) => c.display).join('" or "')}", the issuer of the certificates that name this URL` };
    return verifyWith(crl, matching, crlIssuer);
  }
  const anchors = [...trustAnchors(trust).byFingerprint.values()].map((link) => ({ der: link.certificate.der, display: nameText(subjectNameOf(link.certificate.der)) }));
  const candidates = named([...others.map(asCandidate), ...anchors]);
  if (candidates.length === 0) return { outcome: 'unverified', detail: `no certificate of "${crlIssuer}" is known here (not in a live chain, --ca-file or the bundled roots)` };
  return verifyWith(crl, candidates, crlIssuer);
}

function verifyWith(crl: ParsedCrl, candidates: readonly { der: Buffer; display: string }[], crlIssuer: string): CrlSignatureCheck {
  const outcomes = candidates.map((candidate) => ({ candidate, outcome: verifyCrlSignature(crl, certificateFields(candidate.der).publicKey) }));
  const valid = outcomes.find((entry) => entry.outcome === 'valid');
  if (valid) return { outcome: 'valid', issuer: valid.candidate.display };
  if (outcomes.every((entry) => entry.outcome === 'unsupported')) return { outcome: 'unverified', detail: `its signature algorithm (${crl.summary.signatureAlgorithm}) cannot be checked here` };
  const keys = candidates.length === 1 ? 'the key of' : `any of the ${candidates.length} certificates named`;
  return { outcome: 'invalid', detail: `the CRL's signature does not verify with ${keys} "${crlIssuer}"` };
}

/**
 * checkCrlSignature, once per run for the CRL at `url` and these candidate issuers: the session fetches each URL
 * once, and verifying its signature again for each of thousands of handshakes was the largest cost of a big run.
 */
export function crlSignatureOnce(run: CheckRun, url: string, crl: ParsedCrl, issuers: readonly ObservedCertificate[], others: readonly ObservedCertificate[]): CrlSignatureCheck {
  const key = `${url} ${issuers.map((issuer) => issuer.sha256).join(',')} ${others.map((other) => other.sha256).join(',')}`;
  return run.observe.derived.once('crl signature', key, () => checkCrlSignature(crl, issuers, others, run.plan.trust));
}

function asCandidate(certificate: ObservedCertificate): { der: Buffer; display: string } {
  return { der: Buffer.from(certificate.der, 'base64'), display: certificate.subject };
}

function subjectNameOf(der: Buffer): Buffer {
  return certificateFields(der).subjectName;
}

/** What a CRL says about one live certificate it covers. */
export type Coverage = {
  subject: string;
  serialNumber: string;
  revoked: boolean;
  revokedAt: string | null;
  reason: string | null;
};

/** The certificates among `links` that this CRL's issuer issued, each looked up in one pass over the CRL. */
export function coverage(crl: ParsedCrl, links: readonly ChainLink[]): Coverage[] {
  const covered = links.filter((link) => certificateFields(Buffer.from(link.certificate.der, 'base64')).issuerName.equals(crl.issuerName));
  const found = findRevoked(crl, new Set(covered.map((link) => normalizeSerial(link.certificate.serialNumber))));
  return covered.map(({ certificate }) => {
    const entry = found.get(normalizeSerial(certificate.serialNumber));
    return { subject: certificate.subject, serialNumber: certificate.serialNumber, revoked: entry !== undefined, revokedAt: entry?.revokedAt ?? null, reason: entry?.reason ?? null };
  });
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
      const crl = parsedCrlOf(await run.observe.crl(url));
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
