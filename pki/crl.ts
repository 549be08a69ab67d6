// A CRL read as a DER X.509 CertificateList (RFC 5280 5.1), its signature checked with an issuer's key, and serials
// looked up in it. Parsing is the small DER reader's (pki/der.ts): a linear pass that keeps the revoked list unread
// until a serial is looked up, so a 20 MB CRL costs one scan, not a tree of a million nodes.
import type { KeyObject } from 'node:crypto';
import { DerError, FieldReader, TAG, childrenOf, contextTag, decodeDer, explicitContent, readBitStringBytes, readIntegerHex, readOid, readSmallInteger, readTime, expectTag, type DerNode } from './der.js';
import { nameText, signatureAlgorithmName, verifySignature, type SignatureOutcome } from './pkix.js';

export type CrlSummary = {
  /** One line, attributes in CRL order. */
  issuer: string;
  thisUpdate: string;
  nextUpdate: string | null;
  /** Revoked certificates listed. */
  entries: number;
  crlNumber: string | null;
  signatureAlgorithm: string;
  sizeBytes: number;
};

export interface ParsedCrl {
  summary: CrlSummary;
  issuerName: Buffer;
  tbs: Buffer;
  signatureAlgorithm: DerNode;
  signature: Buffer;
  /** The revokedCertificates SEQUENCE, unread; null when the CRL lists none. */
  revoked: DerNode | null;
}

/** Throws DerError when `der` is not a CertificateList. Entries are counted (checking each is a SEQUENCE), not parsed. */
export function parseCrl(der: Buffer): ParsedCrl {
  const list = new FieldReader(expectTag(decodeDer(der), TAG.SEQUENCE, 'CertificateList'), 'CertificateList');
  const tbsNode = list.require(TAG.SEQUENCE, 'tbsCertList');
  const signatureAlgorithm = list.require(TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = readBitStringBytes(list.require(TAG.BIT_STRING, 'signatureValue'));
  const tbs = new FieldReader(tbsNode, 'tbsCertList');
  const version = tbs.take(TAG.INTEGER);
  if (version && readSmallInteger(version) !== 1) throw new DerError(`tbsCertList: version ${readSmallInteger(version) + 1} is not a CRL version`);
  tbs.require(TAG.SEQUENCE, 'signature');
  const issuer = tbs.require(TAG.SEQUENCE, 'issuer');
  const thisUpdate = readTime(tbs.requireOneOf([TAG.UTC_TIME, TAG.GENERALIZED_TIME], 'thisUpdate'));
  const nextUpdateNode = tbs.take(TAG.UTC_TIME) ?? tbs.take(TAG.GENERALIZED_TIME);
  const revoked = tbs.take(TAG.SEQUENCE) ?? null;
  const extensions = tbs.take(contextTag(0));
  let entries = 0;
  for (const entry of revoked ? childrenOf(revoked) : []) {
    expectTag(entry, TAG.SEQUENCE, 'revoked certificate');
    entries++;
  }
  return {
    summary: {
      issuer: nameText(issuer.encoded),
      thisUpdate: thisUpdate.toISOString(),
      nextUpdate: nextUpdateNode ? readTime(nextUpdateNode).toISOString() : null,
      entries,
      crlNumber: extensions ? crlNumberOf(extensions) : null,
      signatureAlgorithm: signatureAlgorithmName(signatureAlgorithm),
      sizeBytes: der.length,
    },
    issuerName: issuer.encoded,
    tbs: tbsNode.encoded,
    signatureAlgorithm,
    signature,
    revoked,
  };
}

export function verifyCrlSignature(crl: ParsedCrl, issuerPublicKey: KeyObject): SignatureOutcome {
  return verifySignature(crl.signatureAlgorithm, crl.tbs, crl.signature, issuerPublicKey);
}

export type RevokedEntry = {
  revokedAt: string;
  reason: string | null;
};

/** RFC 5280 5.3.1 CRLReason names. */
const CRL_REASONS: Readonly<Record<number, string>> = {
  0: 'unspecified', 1: 'keyCompromise', 2: 'cACompromise', 3: 'affiliationChanged', 4: 'superseded', 5: 'cessationOfOperation',
  6: 'certificateHold', 8: 'removeFromCRL', 9: 'privilegeWithdrawn', 10: 'aACompromise',
};
const REASON_CODE_OID = '2.5.29.21';
const CRL_NUMBER_OID = '2.5.29.20';

/** The entries for `serials` (normalizeSerial form), found in one pass over the list. removeFromCRL is no revocation. */
export function findRevoked(crl: ParsedCrl, serials: ReadonlySet<string>): Map<string, RevokedEntry> {
  const found = new Map<string, RevokedEntry>();
  if (!crl.revoked || serials.size === 0) return found;
  for (const entry of childrenOf(crl.revoked)) {
    const fields = new FieldReader(entry, 'revoked certificate');
    const serial = readIntegerHex(fields.require(TAG.INTEGER, 'userCertificate'));
    if (!serials.has(serial)) continue;
    const revokedAt = readTime(fields.requireOneOf([TAG.UTC_TIME, TAG.GENERALIZED_TIME], 'revocationDate')).toISOString();
    const extensions = fields.take(TAG.SEQUENCE);
    const reasonCode = extensions ? extensionValue(extensions, REASON_CODE_OID) : null;
    const reason = reasonCode ? CRL_REASONS[readSmallInteger(expectTag(decodeDer(reasonCode), TAG.ENUMERATED, 'reasonCode'))] ?? 'unknown reason' : null;
    if (reason !== 'removeFromCRL') found.set(serial, { revokedAt, reason });
    if (found.size === serials.size) break;
  }
  return found;
}

/** The extnValue (the OCTET STRING's content) of the extension `oid` in an Extensions SEQUENCE. */
function extensionValue(extensions: DerNode, oid: string): Buffer | null {
  for (const extension of childrenOf(expectTag(extensions, TAG.SEQUENCE, 'extensions'))) {
    const fields = new FieldReader(extension, 'extension');
    if (readOid(fields.require(TAG.OID, 'extnID')) !== oid) continue;
    fields.take(TAG.BOOLEAN);
    return fields.require(TAG.OCTET_STRING, 'extnValue').content;
  }
  return null;
}

function crlNumberOf(extensionsTag: DerNode): string | null {
  const value = extensionValue(explicitContent(extensionsTag, 'crlExtensions'), CRL_NUMBER_OID);
  return value ? readIntegerHex(expectTag(decodeDer(value), TAG.INTEGER, 'cRLNumber')) : null;
}
