// OCSP as RFC 6960 defines it, over DER (pki/der.ts; see there why not node-forge): the request for one certificate
// (a CertID with SHA-1 hashes of the issuer's name and public key, and the serial) and the OCSPResponse read back:
// responseStatus, then for a BasicOCSPResponse the status of our certificate, its thisUpdate/nextUpdate, and whether
// the signature verifies against the issuer or a responder certificate the issuer delegated OCSP signing to.
import { createHash } from 'node:crypto';
import { isIssuedBy, oneLineName, ParsedCertificate } from './certificate.js';
import {
  childrenOf, contextTag, decodeDer, DerError, derNull, derOctetString, derOid, derSequence, expectTag, explicitContent, FieldReader,
  readBitStringBytes, readIntegerHex, readOid, readSmallInteger, readTime, TAG, type DerNode,
} from './der.js';
import { certificateFields, digestOf, signatureAlgorithmName, verifySignature, type CertificateFields, type SignatureOutcome } from './pkix.js';

const SHA1_OID = '1.3.14.3.2.26';
const BASIC_RESPONSE_OID = '1.3.6.1.5.5.7.48.1.1';
const OCSP_SIGNING_OID = '1.3.6.1.5.5.7.3.9';

/** RFC 6960 4.2.1 OCSPResponseStatus (4 is unused). */
const RESPONSE_STATUSES: Readonly<Record<number, string>> = {
  0: 'successful', 1: 'malformedRequest', 2: 'internalError', 3: 'tryLater', 5: 'sigRequired', 6: 'unauthorized',
};
export type CertStatus = 'good' | 'revoked' | 'unknown';

export type OcspResponseSummary = {
  /** RESPONSE_STATUSES name, or "status N" for a value RFC 6960 does not define. */
  responseStatus: string;
  /** The rest is set for a successful response only. */
  producedAt: string | null;
  signatureAlgorithm: string | null;
  signature: SignatureOutcome | null;
  /** "the issuer", or the delegated responder certificate's name. */
  signedBy: string | null;
  /** SingleResponses in the answer. */
  answers: number;
  /** The status of the certificate asked about; null when no SingleResponse is about it. */
  certStatus: CertStatus | null;
  revokedAt: string | null;
  revocationReason: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
};
/** OCSPRequest { tbsRequest { requestList { Request { reqCert CertID } } } }, unsigned, without extensions. */
export function ocspRequest(certificateDer: Buffer, issuerDer: Buffer): Buffer {
  const certificate = certificateFields(certificateDer);
  const issuer = certificateFields(issuerDer);
  const certId = derSequence(
    derSequence(derOid(SHA1_OID), derNull()),
    derOctetString(digest('sha1', certificate.issuerName)),
    derOctetString(digest('sha1', issuer.publicKeyBits)),
    certificate.serialDer,
  );
  return derSequence(derSequence(derSequence(derSequence(certId))));
}

function digest(algorithm: string, data: Buffer): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** Reads an OCSPResponse; throws DerError when the bytes are not one. */
export function readOcspResponse(der: Buffer, certificate: CertificateFields, issuerDer: Buffer): OcspResponseSummary {
  const response = new FieldReader(expectTag(decodeDer(der), TAG.SEQUENCE, 'OCSPResponse'), 'OCSPResponse');
  const statusCode = readSmallInteger(response.require(TAG.ENUMERATED, 'responseStatus'));
  const responseStatus = RESPONSE_STATUSES[statusCode] ?? `status ${statusCode}`;
  const unanswered: OcspResponseSummary = {
    responseStatus, producedAt: null, signatureAlgorithm: null, signature: null, signedBy: null, answers: 0,
    certStatus: null, revokedAt: null, revocationReason: null, thisUpdate: null, nextUpdate: null,
  };
  if (statusCode !== 0) return unanswered;
  const bytes = new FieldReader(explicitContent(response.require(contextTag(0), 'responseBytes'), 'responseBytes'), 'ResponseBytes');
  const type = readOid(bytes.require(TAG.OID, 'responseType'));
  if (type !== BASIC_RESPONSE_OID) throw new DerError(`response type ${type} is not id-pkix-ocsp-basic`);
  const basic = new FieldReader(expectTag(decodeDer(bytes.require(TAG.OCTET_STRING, 'response').content), TAG.SEQUENCE, 'BasicOCSPResponse'), 'BasicOCSPResponse');
  const tbsNode = basic.require(TAG.SEQUENCE, 'tbsResponseData');
  const signatureAlgorithm = basic.require(TAG.SEQUENCE, 'signatureAlgorithm');
  const signatureValue = readBitStringBytes(basic.require(TAG.BIT_STRING, 'signature'));
  const certs = basic.take(contextTag(0));

  const data = new FieldReader(tbsNode, 'ResponseData');
  data.take(contextTag(0));
  data.requireOneOf([contextTag(1), contextTag(2)], 'responderID');
  const producedAt = readTime(data.require(TAG.GENERALIZED_TIME, 'producedAt'));
  const singles = [...childrenOf(data.require(TAG.SEQUENCE, 'responses'))].map(readSingleResponse);
  const ours = singles.find((single) => isAbout(single.certId, certificate, issuerDer));
  const signer = findSigner(signatureAlgorithm, tbsNode.encoded, signatureValue, issuerDer, certs);
  return {
    ...unanswered,
    producedAt: producedAt.toISOString(),
    signatureAlgorithm: signatureAlgorithmName(signatureAlgorithm),
    signature: signer.outcome,
    signedBy: signer.name,
    answers: singles.length,
    ...(ours ? ours.status : {}),
  };
}

interface SingleResponse {
  certId: { hashAlgorithm: DerNode; issuerNameHash: Buffer; issuerKeyHash: Buffer; serial: string };
  status: Pick<OcspResponseSummary, 'certStatus' | 'revokedAt' | 'revocationReason' | 'thisUpdate' | 'nextUpdate'>;
}

const REVOCATION_REASONS: Readonly<Record<number, string>> = {
  0: 'unspecified', 1: 'keyCompromise', 2: 'cACompromise', 3: 'affiliationChanged', 4: 'superseded', 5: 'cessationOfOperation',
  6: 'certificateHold', 8: 'removeFromCRL', 9: 'privilegeWithdrawn', 10: 'aACompromise',
};

function readSingleResponse(node: DerNode): SingleResponse {
  const single = new FieldReader(node, 'SingleResponse');
  const id = new FieldReader(single.require(TAG.SEQUENCE, 'certID'), 'CertID');
  const certId = {
    hashAlgorithm: id.require(TAG.SEQUENCE, 'hashAlgorithm'),
    issuerNameHash: id.require(TAG.OCTET_STRING, 'issuerNameHash').content,
    issuerKeyHash: id.require(TAG.OCTET_STRING, 'issuerKeyHash').content,
    serial: readIntegerHex(id.require(TAG.INTEGER, 'serialNumber')),
  };
  let certStatus: CertStatus;
  let revokedAt: string | null = null;
  let revocationReason: string | null = null;
  if (single.take(contextTag(0, false))) {
    certStatus = 'good';
  } else if (single.take(contextTag(2, false))) {
    certStatus = 'unknown';
  } else {
    const revoked = new FieldReader(single.require(contextTag(1), 'certStatus'), 'RevokedInfo');
    certStatus = 'revoked';
    revokedAt = readTime(revoked.require(TAG.GENERALIZED_TIME, 'revocationTime')).toISOString();
    const reason = revoked.take(contextTag(0));
    if (reason) {
      const code = readSmallInteger(expectTag(explicitContent(reason, 'revocationReason'), TAG.ENUMERATED, 'revocationReason'));
      revocationReason = REVOCATION_REASONS[code] ?? `reason ${code}`;
    }
  }
  const thisUpdate = readTime(single.require(TAG.GENERALIZED_TIME, 'thisUpdate')).toISOString();
  const next = single.take(contextTag(0));
  const nextUpdate = next ? readTime(expectTag(explicitContent(next, 'nextUpdate'), TAG.GENERALIZED_TIME, 'nextUpdate')).toISOString() : null;
  return { certId, status: { certStatus, revokedAt, revocationReason, thisUpdate, nextUpdate } };
}

/** Same serial, and the same issuer hashes under the hash algorithm the responder chose. */
function isAbout(certId: SingleResponse['certId'], certificate: CertificateFields, issuerDer: Buffer): boolean {
  if (certId.serial !== certificate.serial) return false;
  const algorithm = digestOf(certId.hashAlgorithm);
  if (!algorithm) return false;
  return digest(algorithm, certificate.issuerName).equals(certId.issuerNameHash)
    && digest(algorithm, certificateFields(issuerDer).publicKeyBits).equals(certId.issuerKeyHash);
}

/**
 * Who signed the response: the issuer itself, or a certificate in `certs` that the issuer signed for OCSP signing
 * (RFC 6960 4.2.2.2). 'invalid' when neither verifies.
 */
function findSigner(algorithm: DerNode, signed: Buffer, signature: Buffer, issuerDer: Buffer, certs: DerNode | undefined): { outcome: SignatureOutcome; name: string | null } {
  const byIssuer = verifySignature(algorithm, signed, signature, certificateFields(issuerDer).publicKey);
  if (byIssuer !== 'invalid') return { outcome: byIssuer, name: byIssuer === 'valid' ? 'the issuer' : null };
  const issuer = ParsedCertificate.fromDer(issuerDer);
  for (const candidate of certs ? childrenOf(expectTag(explicitContent(certs, 'certs'), TAG.SEQUENCE, 'certs')) : []) {
    let responder: ParsedCertificate;
    try {
      responder = ParsedCertificate.fromDer(candidate.encoded);
    } catch {
      continue; // a certificate OpenSSL cannot read signs nothing we can check
    }
    if (!isIssuedBy(responder, issuer) || !responder.x509.keyUsage?.includes(OCSP_SIGNING_OID)) continue;
    if (verifySignature(algorithm, signed, signature, responder.x509.publicKey) === 'valid') {
      return { outcome: 'valid', name: `responder certificate "${oneLineName(responder.x509.subject)}"` };
    }
  }
  return { outcome: 'invalid', name: null };
}
