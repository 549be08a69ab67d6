// The PKIX pieces that CRL and OCSP checking share: the certificate fields a revocation lookup keys on (serial,
// issuer and subject names as DER, the public key) and signature verification over DER-signed data with Node's
// crypto. Names are compared as DER bytes, as CAs write them identically in a certificate and in its CRL.
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { childrenOf, DerError, expectTag, FieldReader, readIntegerHex, readOid, readSmallInteger, contextTag, decodeDer, explicitContent, TAG, type DerNode } from './der.js';
import { describeError } from './probe.js';

export interface CertificateFields {
  /** Upper-case hex, no leading zeros (normalizeSerial). */
  serial: string;
  issuerName: Buffer;
  subjectName: Buffer;
  /** The subjectPublicKey BIT STRING's content without its unused-bits byte: what OCSP's issuerKeyHash hashes. */
  publicKeyBits: Buffer;
  publicKey: KeyObject;
}

/** Throws DerError when the DER is not a certificate (callers hold DER that Node already parsed). */
export function certificateFields(der: Buffer): CertificateFields {
  const certificate = new FieldReader(decodeDer(der), 'certificate');
  const tbs = new FieldReader(certificate.require(TAG.SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  tbs.take(contextTag(0));
  const serial = readIntegerHex(tbs.require(TAG.INTEGER, 'serialNumber'));
  tbs.require(TAG.SEQUENCE, 'signature');
  const issuerName = tbs.require(TAG.SEQUENCE, 'issuer').encoded;
  tbs.require(TAG.SEQUENCE, 'validity');
  const subjectName = tbs.require(TAG.SEQUENCE, 'subject').encoded;
  const keyInfo = tbs.require(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const keyBits = new FieldReader(keyInfo, 'subjectPublicKeyInfo');
  keyBits.require(TAG.SEQUENCE, 'algorithm');
  const bitString = keyBits.require(TAG.BIT_STRING, 'subjectPublicKey');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: keyInfo.encoded, format: 'der', type: 'spki' });
  } catch (error) {
    throw new DerError(`unreadable public key: ${describeError(error)}`);
  }
  return { serial, issuerName, subjectName, publicKeyBits: bitString.content.subarray(1), publicKey };
}

/** Signature algorithms by OID: the digest Node's verify takes (null for EdDSA, which has its own). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; digest: string | null }>> = {
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', digest: 'sha1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', digest: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', digest: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', digest: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', digest: 'sha512' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', digest: 'sha1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', digest: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', digest: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', digest: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', digest: 'sha512' },
  '1.3.101.112': { name: 'Ed25519', digest: null },
  '1.3.101.113': { name: 'Ed448', digest: null },
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const DIGESTS_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The digest an AlgorithmIdentifier names (CertID's hashAlgorithm); null when Node has no name for it. */
export function digestOf(algorithm: DerNode): string | null {
  const [oid] = childrenOf(algorithm);
  return oid ? DIGESTS_BY_OID[readOid(oid)] ?? null : null;
}

export type SignatureOutcome = 'valid' | 'invalid' | 'unsupported';

/** A readable name for a signature AlgorithmIdentifier. */
export function signatureAlgorithmName(algorithm: DerNode): string {
  const [oid] = childrenOf(algorithm);
  const text = oid ? readOid(oid) : '';
  return text === RSASSA_PSS ? 'RSASSA-PSS' : SIGNATURE_ALGORITHMS[text]?.name ?? text;
}

/** Verifies `signature` over `signed` with `publicKey`, as the AlgorithmIdentifier says; a key of the wrong type is invalid. */
export function verifySignature(algorithm: DerNode, signed: Buffer, signature: Buffer, publicKey: KeyObject): SignatureOutcome {
  const fields = [...childrenOf(algorithm)];
  const [oidNode, parameters] = fields;
  if (!oidNode) throw new DerError('signature algorithm without an identifier');
  const oid = readOid(oidNode);
  const scheme = oid === RSASSA_PSS ? pssScheme(parameters) : SIGNATURE_ALGORITHMS[oid];
  if (!scheme) return 'unsupported';
  try {
    const key = 'saltLength' in scheme ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength } : publicKey;
    return verify(scheme.digest, signed, key, signature) ? 'valid' : 'invalid';
  } catch {
    // Node refuses a key that does not fit the algorithm (an EC key for an RSA signature): not signed by it.
    return 'invalid';
  }
}

/** RSASSA-PSS-params (RFC 4055): hash [0] (default SHA-1), MGF1 with the same hash, salt length [2] (default 20). */
function pssScheme(parameters: DerNode | undefined): { digest: string; saltLength: number } | undefined {
  let digest = 'sha1';
  let saltLength = 20;
  if (parameters) {
    for (const field of childrenOf(expectTag(parameters, TAG.SEQUENCE, 'RSASSA-PSS parameters'))) {
      if (field.tag === contextTag(0)) {
        const named = digestOf(explicitContent(field, 'hashAlgorithm'));
        if (!named) return undefined;
        digest = named;
      } else if (field.tag === contextTag(2)) {
        saltLength = readSmallInteger(explicitContent(field, 'saltLength'));
      }
    }
  }
  return { digest, saltLength };
}
