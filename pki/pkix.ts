// The PKIX pieces that CRL and OCSP checking share: the certificate fields a revocation lookup keys on (serial,
// issuer and subject names as DER, the public key) and signature verification over DER-signed data with Node's
// crypto. Names are compared as DER bytes, as CAs write them identically in a certificate and in its CRL.
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { childrenOf, contextTag, decodeDer, DerError, expectTag, explicitContent, FieldReader, readIntegerHex, readOid, readSmallInteger, TAG, type DerNode } from './der.js';
import { describeError, toOneLine } from '../model/evidence-text.js';

export interface CertificateFields {
  /** Upper-case hex, no leading zeros (normalizeSerial). */
  serial: string;
  /** The serialNumber INTEGER as encoded: what an OCSP CertID repeats. */
  serialDer: Buffer;
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
  const serialNode = tbs.require(TAG.INTEGER, 'serialNumber');
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
  return { serial: readIntegerHex(serialNode), serialDer: serialNode.encoded, issuerName, subjectName, publicKeyBits: bitString.content.subarray(1), publicKey };
}

/** Short names of the attributes CA names use; others show as their OID. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.5': 'serialNumber',
  '2.5.4.97': 'organizationIdentifier', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress',
};
const MAX_NAME_LENGTH = 400;

/**
 * A DER Name as one line, attributes in encoded order ("C=US, O=…, CN=…"), for reports; names are compared by
 * their bytes, never by this text. Hostile values end up as one sanitised, capped line.
 */
export function nameText(nameDer: Buffer): string {
  try {
    const attributes: string[] = [];
    for (const rdn of childrenOf(expectTag(decodeDer(nameDer), TAG.SEQUENCE, 'Name'))) {
      for (const attribute of childrenOf(expectTag(rdn, TAG.SET, 'RelativeDistinguishedName'))) {
        const [type, value] = childrenOf(expectTag(attribute, TAG.SEQUENCE, 'AttributeTypeAndValue'));
        if (!type || !value) throw new DerError('an attribute without type or value');
        const oid = readOid(type);
        attributes.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${stringValue(value)}`);
      }
    }
    return toOneLine(attributes.join(', '), MAX_NAME_LENGTH);
  } catch (error) {
    return `(unreadable name: ${describeError(error)})`;
  }
}

const UTF8_STRING = 0x0c;
const BMP_STRING = 0x1e;

/** DirectoryString and friends: UTF8String, BMPString (UTF-16BE), the rest as Latin-1 (Printable, IA5, Teletex). */
function stringValue(node: DerNode): string {
  if (node.tag === UTF8_STRING) return node.content.toString('utf8');
  if (node.tag === BMP_STRING) return Buffer.from(node.content).swap16().toString('utf16le');
  return node.content.toString('latin1');
}

/** Signature algorithms by OID: the digest Node's verify takes (null for EdDSA, which has its own). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; digest: string | null }>> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', digest: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', digest: 'sha1' },
  '1.2.840.10040.4.3': { name: 'dsa-with-sha1', digest: 'sha1' },
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

/**
 * The algorithm a certificate is signed with (its outer signatureAlgorithm): the name, and the digest it signs over
 * ('sha1', 'md5', …; null for EdDSA and for algorithms without a known digest). Throws DerError on bad DER.
 */
export function certificateSignatureAlgorithm(der: Buffer): { name: string; digest: string | null } {
  const certificate = new FieldReader(decodeDer(der), 'certificate');
  certificate.require(TAG.SEQUENCE, 'tbsCertificate');
  const algorithm = certificate.require(TAG.SEQUENCE, 'signatureAlgorithm');
  const [oid, parameters] = childrenOf(algorithm);
  const text = oid ? readOid(oid) : '';
  if (text === RSASSA_PSS) return { name: 'RSASSA-PSS', digest: pssScheme(parameters)?.digest ?? null };
  return SIGNATURE_ALGORITHMS[text] ?? { name: text, digest: null };
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
