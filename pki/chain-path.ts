// Where a presented chain leads by signature: depth-first from the leaf through every certificate that signed the
// one before it (presented ones and the trust store's), to an expected anchor, another trusted root, a self-signed
// root no store holds, or a certificate whose issuer nothing known matches. Pure; hostile chains are bounded.
import { isIssuedBy, isSelfSigned, type ParsedCertificate } from './certificate.js';
import type { PathLink, TrustAnchors } from './trust-anchors.js';

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

import { MAX_CHAIN_DEPTH } from './presented-chain.js';

export { MAX_CHAIN_DEPTH };
/** How many partial paths one search may visit. */
const MAX_PATHS_EXPLORED = 256;

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

export function lastOf(links: readonly PathLink[]): PathLink {
  const last = links[links.length - 1];
  if (!last) throw new Error('a chain path always holds the leaf');
  return last;
}

/** A presented root that is also in a trust store is one candidate, not two. */
function uniqueByFingerprint(links: readonly PathLink[]): PathLink[] {
  const seen = new Set<string>();
  return links.filter((link) => !seen.has(link.certificate.sha256) && seen.add(link.certificate.sha256));
}
