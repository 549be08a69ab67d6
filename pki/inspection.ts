// Who answered on a TLS port: does the presented chain lead, by signature, to a CA that Microsoft's chains anchor
// at, or to something else (an inspecting device)? Pure: certificates and the trust plan in, a decision out.
// Facts from shared/reference/endpoints.md: "Certificate authorities that Microsoft's chains anchor at" and
// "How inspection shows itself".
import type { InspectionVendor } from '../model/codes.js';
import { displayName, oneLineName, type NameAttribute, type ParsedCertificate } from './certificate.js';
import { buildPath, lastOf, type ChainPath } from './chain-path.js';
import { VENDOR_NAME_PATTERNS } from './inspection-vendors.js';
import type { PathLink, TrustAnchors } from './trust-anchors.js';

export { vendorFromProxyIdentity } from './inspection-vendors.js';

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

function quote(name: string): string {
  return `"${name}"`;
}
