// Who answered on a TLS port: does the presented chain lead, by signature, to a CA that Microsoft's chains anchor
// at, or to something else (an inspecting device)? Pure: certificates and the trust plan in, a decision out.
// Facts from shared/reference/endpoints.md: "Certificate authorities that Microsoft's chains anchor at" and
// "How inspection shows itself".
import tls from 'node:tls';
import type { InspectionVendor } from '../model/codes.js';
import { displayName, isIssuedBy, isSelfSigned, oneLineName, parsePemCertificates, type NameAttribute, type ParsedCertificate } from './certificate.js';
import { VENDOR_NAME_PATTERNS } from './inspection-vendors.js';

export { vendorFromProxyIdentity } from './inspection-vendors.js';

/** Where a certificate on a path came from. */
export type CertificateSource = 'presented' | 'bundled' | 'ca-file';

export interface PathLink {
  certificate: ParsedCertificate;
  source: CertificateSource;
}

export type PathEnd =
  /** The last certificate is an expected anchor (an expected bundled root or a --ca-file certificate). */
  | { kind: 'expected-anchor'; store: 'bundled' | 'ca-file' }
  /** The last certificate is one of Node's bundled roots, but not an expected one. */
  | { kind: 'trusted-anchor' }
  /** The last certificate signed itself and no trust store holds it. */
  | { kind: 'untrusted-root' }
  /**
   * Nothing known signed the last certificate. `namesakes` are known certificates that carry the issuer's name
   * but whose key did not sign it: a look-alike, not a missing intermediate.
   */
  | { kind: 'missing-issuer'; namesakes: PathLink[] };

/** The chain from the leaf up as far as signatures lead. */
export interface ChainPath {
  links: PathLink[];
  end: PathEnd;
}

/** A run's trust settings (RunPlan.trust): --ca-file PEM texts, trusted and expected, and the expected roots' names. */
export interface TrustSources {
  caPems: readonly string[];
  expectedIssuers: readonly string[];
}

export interface TrustAnchors {
  /** Node's bundled roots and the --ca-file certificates, indexed by subject (lower case) for issuer look-ups. */
  bySubject: ReadonlyMap<string, readonly PathLink[]>;
  byFingerprint: ReadonlyMap<string, PathLink>;
  /** SHA-256 fingerprints of the expected anchors. */
  expected: ReadonlySet<string>;
  /**
   * Lower-case names accepted when the server leaves out the certificate that would prove them by signature:
   * the expected issuers and the issuing CAs endpoints.md lists under them.
   */
  expectedByName: ReadonlySet<string>;
}

export interface InspectionAssessment {
  inspected: boolean;
  /** 'issuer-name' when a name decided: a vendor's CA name, or an expected issuing CA the server did not send. */
  decidedBy: 'signature' | 'issuer-name';
  path: ChainPath;
  /** Set when inspected: the product whose CA name is on the chain, or 'unknown'. */
  vendor: InspectionVendor | null;
  /** The CA a person should look for: the vendor-named one, else the leaf's issuer. */
  observedIssuer: string;
  /** How the decision was reached, in one sentence. */
  reason: string;
}

/** The issuing CAs under each root of Microsoft's chains (azure-docs azure-certificate-authority-details.md, 2025-11-17). */
const ISSUING_CAS_BY_ROOT: Readonly<Record<string, readonly string[]>> = {
  'DigiCert Global Root G2': [
    ...numbered('Microsoft Azure RSA TLS Issuing CA', [3, 4, 7, 8]),
    'Microsoft TLS RSA Root G2',
    ...numbered('Microsoft TLS G2 RSA CA OCSP', range(2, 16)),
    'DigiCert Global G2 TLS RSA SHA256 2020 CA1',
    'DigiCert Basic OV G2 TLS CN RSA4096 SHA256 2022 CA1',
  ],
  'DigiCert Global Root G3': [
    ...numbered('Microsoft Azure ECC TLS Issuing CA', [3, 4, 7, 8]),
    'Microsoft TLS ECC Root G2',
    ...numbered('Microsoft TLS G2 ECC CA OCSP', [2, 4, 6, 8]),
    'DigiCert Global G3 TLS ECC SHA384 2020 CA1',
  ],
  'Microsoft RSA Root Certificate Authority 2017': numbered('Microsoft Azure RSA TLS Issuing CA', [3, 4, 7, 8]),
  'Microsoft ECC Root Certificate Authority 2017': numbered('Microsoft Azure ECC TLS Issuing CA', [3, 4, 7, 8]),
  'DigiCert Global Root CA': [
    'DigiCert TLS RSA SHA256 2020 CA1', 'DigiCert TLS Hybrid ECC SHA384 2020 CA1', 'DigiCert Cloud Services CA-1',
    'DigiCert SHA2 Secure Server CA', 'GeoTrust Global TLS RSA4096 SHA256 2022 CA1',
  ],
};

/**
 * The longest chain followed, by the tls probe through the issuers Node reports and by the path builder here:
 * OpenSSL's default verify depth. Real chains have three or four certificates, but a shorter limit than OpenSSL's
 * made a valid 30-certificate chain pass tls (OpenSSL verified it) and look inspected here (the path ran out).
 */
export const MAX_CHAIN_DEPTH = 100;
/** How many partial paths one search may visit. */
const MAX_PATHS_EXPLORED = 256;

export function assessChain(presented: readonly ParsedCertificate[], anchors: TrustAnchors): InspectionAssessment {
  const [leaf] = presented;
  if (!leaf) throw new Error('assessChain needs the presented chain, leaf first');
  const path = buildPath(presented, anchors);
  const vendorName = findVendorName(presented, path);
  const leafIssuer = issuerDisplayName(leaf);
  if (vendorName) {
    const anchored = path.end.kind === 'expected-anchor' ? ` (the chain anchors by signature at ${quote(subjectDisplayName(lastLink(path).certificate))}, but a vendor-named CA on it re-signs)` : '';
    return {
      inspected: true, decidedBy: 'issuer-name', path, vendor: vendorName.vendor, observedIssuer: vendorName.name,
      reason: `${quote(vendorName.name)} is the name ${vendorName.vendor} gives its inspection CA${anchored}`,
    };
  }
  const top = lastLink(path).certificate;
  switch (path.end.kind) {
    case 'expected-anchor':
      return {
        inspected: false, decidedBy: 'signature', path, vendor: null, observedIssuer: leafIssuer,
        reason: `the chain anchors by signature at ${quote(subjectDisplayName(top))} (${path.end.store === 'bundled' ? "an expected root, Node's bundled copy" : 'a --ca-file certificate'})`,
      };
    case 'missing-issuer': {
      const missing = issuerDisplayName(top);
      if (path.end.namesakes.length === 0 && anchors.expectedByName.has(missing.toLowerCase())) {
        return {
          inspected: false, decidedBy: 'issuer-name', path, vendor: null, observedIssuer: leafIssuer,
          reason: `decided by name: the server did not send ${quote(missing)}, an issuing CA of an expected root, so its signature could not be checked`,
        };
      }
      const why = path.end.namesakes.length > 0
        ? `${quote(subjectDisplayName(top))} names ${quote(missing)} as its issuer, but the known ${quote(missing)} (${path.end.namesakes.map((n) => n.source).join(', ')}) did not sign it: a look-alike`
        : `the chain leads to ${quote(missing)}, which is neither in a trust store nor an issuing CA of an expected root`;
      return { inspected: true, decidedBy: 'signature', path, vendor: 'unknown', observedIssuer: leafIssuer, reason: why };
    }
    case 'trusted-anchor':
      return {
        inspected: true, decidedBy: 'signature', path, vendor: 'unknown', observedIssuer: leafIssuer,
        reason: `the chain anchors at ${quote(subjectDisplayName(top))}, a root in Node's store but not an expected one`,
      };
    case 'untrusted-root': {
      const lookAlike = anchors.expectedByName.has(subjectDisplayName(top).toLowerCase()) ? ', though it carries the name of an expected CA: a look-alike with another key' : '';
      const what = path.links.length === 1 ? 'the certificate is self-signed' : `the chain ends at ${quote(subjectDisplayName(top))}, a self-signed root in no trust store`;
      return { inspected: true, decidedBy: 'signature', path, vendor: 'unknown', observedIssuer: leafIssuer, reason: `${what}${lookAlike}` };
    }
  }
}

/**
 * The expected anchors of a trust plan: Node's bundled roots whose names the plan lists (then known by SHA-256
 * fingerprint, so a look-alike with the same name is not one of them) and every --ca-file certificate.
 */
export function trustAnchors(trust: TrustSources): TrustAnchors {
  // Memoized on the plan's arrays: a run asks once per handshake with the same ones.
  let byIssuers = anchorsByCaPems.get(trust.caPems);
  if (!byIssuers) {
    byIssuers = new Map();
    anchorsByCaPems.set(trust.caPems, byIssuers);
  }
  const key = JSON.stringify(trust.expectedIssuers);
  let anchors = byIssuers.get(key);
  if (!anchors) {
    anchors = buildTrustAnchors(trust);
    byIssuers.set(key, anchors);
  }
  return anchors;
}

const anchorsByCaPems = new WeakMap<readonly string[], Map<string, TrustAnchors>>();
let bundledRoots: PathLink[] | undefined;

function buildTrustAnchors(trust: TrustSources): TrustAnchors {
  bundledRoots ??= parsePemCertificates(tls.rootCertificates).map((certificate) => ({ certificate, source: 'bundled' }));
  const caFileCertificates: PathLink[] = parsePemCertificates(trust.caPems).map((certificate) => ({ certificate, source: 'ca-file' }));
  const wanted = new Set(trust.expectedIssuers.map((name) => name.toLowerCase()));
  // Node's text, not the attribute reading: that would parse all 144 roots again, slowly.
  const expectedBundled = bundledRoots.filter(({ certificate }) => {
    const lines = certificate.subjectText.split('\n');
    const commonName = lines.find((line) => line.startsWith('CN='))?.slice('CN='.length) ?? '';
    return wanted.has(commonName.toLowerCase()) || wanted.has(lines.join(', ').toLowerCase());
  });
  const bySubject = new Map<string, PathLink[]>();
  const byFingerprint = new Map<string, PathLink>();
  for (const link of [...caFileCertificates, ...bundledRoots]) {
    const key = link.certificate.subjectText.toLowerCase();
    bySubject.set(key, [...(bySubject.get(key) ?? []), link]);
    if (!byFingerprint.has(link.certificate.sha256)) byFingerprint.set(link.certificate.sha256, link);
  }
  return {
    bySubject,
    byFingerprint,
    expected: new Set([...expectedBundled, ...caFileCertificates].map((link) => link.certificate.sha256)),
    expectedByName: new Set([
      ...wanted,
      ...Object.entries(ISSUING_CAS_BY_ROOT).filter(([root]) => wanted.has(root.toLowerCase())).flatMap(([, issuingCas]) => issuingCas.map((name) => name.toLowerCase())),
    ]),
  };
}

/**
 * Depth-first from the leaf through every certificate that signed the one before it (presented ones and the
 * trust store's), keeping the best path: one that reaches an expected anchor ends the search.
 */
export function buildPath(presented: readonly ParsedCertificate[], anchors: TrustAnchors): ChainPath {
  const [leaf, ...others] = presented;
  if (!leaf) throw new Error('buildPath needs the presented chain, leaf first');
  const presentedLinks: PathLink[] = others.map((certificate) => ({ certificate, source: 'presented' }));
  let best: ChainPath | undefined;
  const consider = (candidate: ChainPath): boolean => {
    if (!best || PATH_END_RANK[candidate.end.kind] > PATH_END_RANK[best.end.kind]) best = candidate;
    return candidate.end.kind === 'expected-anchor';
  };
  let explored = 0;
  const explore = (links: PathLink[]): boolean => {
    // A hostile chain of many mutually signed look-alikes must not make the search explode; depth-first, the
    // first complete path is considered long before the budget runs out.
    if (++explored > MAX_PATHS_EXPLORED) return false;
    const last = lastOf(links).certificate;
    const anchor = anchors.byFingerprint.get(last.sha256);
    if (anchor) {
      const expected = anchors.expected.has(last.sha256);
      return consider({ links, end: expected ? { kind: 'expected-anchor', store: anchor.source === 'ca-file' ? 'ca-file' : 'bundled' } : { kind: 'trusted-anchor' } });
    }
    const onPath = new Set(links.map((link) => link.certificate.sha256));
    const issuerKey = last.issuerText.toLowerCase();
    const namesakes = uniqueByFingerprint([...(anchors.bySubject.get(issuerKey) ?? []), ...presentedLinks.filter((link) => link.certificate.subjectText.toLowerCase() === issuerKey)])
      .filter((link) => !onPath.has(link.certificate.sha256));
    const issuers = links.length < MAX_CHAIN_DEPTH ? namesakes.filter((link) => isIssuedBy(last, link.certificate)) : [];
    if (issuers.length === 0) return consider({ links, end: isSelfSigned(last) ? { kind: 'untrusted-root' } : { kind: 'missing-issuer', namesakes } });
    return issuers.some((issuer) => explore([...links, issuer]));
  };
  explore([{ certificate: leaf, source: 'presented' }]);
  // explore always considers at least the leaf's own path.
  return best as ChainPath;
}

const PATH_END_RANK: Readonly<Record<PathEnd['kind'], number>> = { 'expected-anchor': 3, 'trusted-anchor': 2, 'untrusted-root': 1, 'missing-issuer': 1 };

/** The first vendor CA name on the chain, nearest the leaf first: the leaf's issuer, then each CA's own name. */
function findVendorName(presented: readonly ParsedCertificate[], path: ChainPath): { vendor: InspectionVendor; name: string } | null {
  const [leaf, ...others] = presented;
  const names: Array<{ attributes: readonly NameAttribute[]; text: string }> = [];
  if (leaf) names.push(issuerName(leaf));
  for (const certificate of others) names.push(subjectName(certificate), issuerName(certificate));
  for (const link of path.links.slice(1)) names.push(subjectName(link.certificate));
  for (const name of names) {
    const pattern = VENDOR_NAME_PATTERNS.find((p) => p.all.every(([attribute, text]) => name.attributes.some((a) => (attribute === '*' || a.type === attribute) && a.value.toLowerCase().includes(text.toLowerCase()))));
    if (pattern) return { vendor: pattern.vendor, name: displayName(name.attributes, name.text) };
  }
  return null;
}

function subjectName(certificate: ParsedCertificate): { attributes: readonly NameAttribute[]; text: string } {
  return matchableName(certificate.subjectAttributes, oneLineName(certificate.subjectText));
}

function issuerName(certificate: ParsedCertificate): { attributes: readonly NameAttribute[]; text: string } {
  return matchableName(certificate.issuerAttributes, oneLineName(certificate.issuerText));
}

/** When @peculiar/x509 could not read the names, Node's text still matches the any-attribute patterns. */
function matchableName(attributes: readonly NameAttribute[], text: string): { attributes: readonly NameAttribute[]; text: string } {
  return { attributes: attributes.length > 0 ? attributes : [{ type: '', value: text }], text };
}

export function subjectDisplayName(certificate: ParsedCertificate): string {
  return displayName(certificate.subjectAttributes, oneLineName(certificate.subjectText));
}

export function issuerDisplayName(certificate: ParsedCertificate): string {
  return displayName(certificate.issuerAttributes, oneLineName(certificate.issuerText));
}

function lastLink(path: ChainPath): PathLink {
  return lastOf(path.links);
}

function lastOf(links: readonly PathLink[]): PathLink {
  const last = links[links.length - 1];
  if (!last) throw new Error('a chain path always holds the leaf');
  return last;
}

/** A presented root that is also in a trust store is one candidate, not two. */
function uniqueByFingerprint(links: readonly PathLink[]): PathLink[] {
  const seen = new Set<string>();
  return links.filter((link) => !seen.has(link.certificate.sha256) && seen.add(link.certificate.sha256));
}

function quote(name: string): string {
  return `"${name}"`;
}

function numbered(prefix: string, numbers: readonly number[]): string[] {
  return numbers.map((n) => `${prefix} ${String(n).padStart(2, '0')}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
