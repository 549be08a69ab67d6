// Revocation facts about live certificates, pure: which certificate of a chain issued which (so a CRL's signature and
// an OCSP CertID have their issuer), whether a CRL is signed by its issuer, and which live certificates it lists.
// What a run asks of them, once per run, is specs/checks/revocation.ts. Names are compared as DER bytes, read once
// per certificate (ParsedCertificate.fields).
import { isIssuedBy, ParsedCertificate, type ObservedCertificate } from './certificate.js';
import { findRevoked, verifyCrlSignature, type ParsedCrl } from './crl.js';
import { normalizeSerial } from './der.js';
import { nameText } from './pkix.js';
import type { TrustAnchors } from './trust-anchors.js';

/** A certificate of a live chain, with the certificate that issued it when the chain or the trust store holds it. */
export interface ChainLink {
  certificate: ObservedCertificate;
  issuer: ObservedCertificate | null;
}

export function chainLinks(chain: readonly ObservedCertificate[], anchors: TrustAnchors): ChainLink[] {
  const parsed = chain.map(parsedOf);
  return chain.map((certificate, index) => {
    const subject = parsed[index];
    if (!subject) return { certificate, issuer: null };
    // The next certificate is the usual issuer; then the rest of the chain; then the trust store by issuer name.
    const next = parsed[index + 1];
    const found = next && isIssuedBy(subject, next) ? index + 1 : parsed.findIndex((candidate) => isIssuedBy(subject, candidate));
    const inChain = found === -1 ? undefined : found;
    if (inChain !== undefined) return { certificate, issuer: chain[inChain] ?? null };
    const stored = anchors.bySubject.get(subject.issuerText.toLowerCase()) ?? [];
    const anchor = stored.find((link) => isIssuedBy(subject, link.certificate));
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

interface Candidate {
  certificate: ParsedCertificate;
  display: string;
}

/**
 * Whether the CRL is signed by one of `issuers` (the issuers of the certificates naming its URL), or, when none is
 * known, by any certificate of `others` or the trust store that carries the CRL issuer's name.
 */
export function checkCrlSignature(crl: ParsedCrl, issuers: readonly ObservedCertificate[], others: readonly ObservedCertificate[], anchors: TrustAnchors): CrlSignatureCheck {
  const crlIssuer = nameText(crl.issuerName);
  const named = (certificates: readonly Candidate[]) => certificates.filter((candidate) => candidate.certificate.fields.subjectName.equals(crl.issuerName));
  if (issuers.length > 0) {
    const expected = issuers.map(asCandidate);
    const matching = named(expected);
    if (matching.length === 0) return { outcome: 'invalid', detail: `the CRL is issued by "${crlIssuer}", not by "${expected.map((c) => c.display).join('" or "')}", the issuer of the certificates that name this URL` };
    return verifyWith(crl, matching, crlIssuer);
  }
  const stored = [...anchors.byFingerprint.values()].map((link) => ({ certificate: link.certificate, display: nameText(link.certificate.fields.subjectName) }));
  const candidates = named([...others.map(asCandidate), ...stored]);
  if (candidates.length === 0) return { outcome: 'unverified', detail: `no certificate of "${crlIssuer}" is known here (not in a live chain, --ca-file or the bundled roots)` };
  return verifyWith(crl, candidates, crlIssuer);
}

function verifyWith(crl: ParsedCrl, candidates: readonly Candidate[], crlIssuer: string): CrlSignatureCheck {
  const outcomes = candidates.map((candidate) => ({ candidate, outcome: verifyCrlSignature(crl, candidate.certificate.fields.publicKey) }));
  const valid = outcomes.find((entry) => entry.outcome === 'valid');
  if (valid) return { outcome: 'valid', issuer: valid.candidate.display };
  if (outcomes.every((entry) => entry.outcome === 'unsupported')) return { outcome: 'unverified', detail: `its signature algorithm (${crl.summary.signatureAlgorithm}) cannot be checked here` };
  const keys = candidates.length === 1 ? 'the key of' : `any of the ${candidates.length} certificates named`;
  return { outcome: 'invalid', detail: `the CRL's signature does not verify with ${keys} "${crlIssuer}"` };
}

function asCandidate(certificate: ObservedCertificate): Candidate {
  return { certificate: parsedOf(certificate), display: certificate.subject };
}

function parsedOf(certificate: ObservedCertificate): ParsedCertificate {
  return ParsedCertificate.fromDer(Buffer.from(certificate.der, 'base64'));
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
  const covered = links.filter((link) => parsedOf(link.certificate).fields.issuerName.equals(crl.issuerName));
  const found = findRevoked(crl, new Set(covered.map((link) => normalizeSerial(link.certificate.serialNumber))));
  return covered.map(({ certificate }) => {
    const entry = found.get(normalizeSerial(certificate.serialNumber));
    return { subject: certificate.subject, serialNumber: certificate.serialNumber, revoked: entry !== undefined, revokedAt: entry?.revokedAt ?? null, reason: entry?.reason ?? null };
  });
}
