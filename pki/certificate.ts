// Reading X.509 certificates for evidence (after blackbox_exporter's tls.go): who, issued by whom, valid when,
// which key, for which names, and where revocation information lives. Pure: DER in, plain JSON out.
// Node's X509Certificate reads what OpenSSL reads (RSA, EC, Ed25519 alike); @peculiar/x509 reads the extensions
// and the raw attribute values. Certificate text is data: nothing here throws on what a certificate contains.
import { X509Certificate } from 'node:crypto';
import type { CertificateDescription } from '../model/result.js';
import { noExtensions, readStructure, type ExtensionFields, type NameAttribute, type Structure } from './certificate-structure.js';
import { certificateFields, certificateSignatureAlgorithm, type CertificateFields } from './pkix.js';
import { describeError } from '../model/evidence-text.js';
import { compactFingerprint } from '../model/fingerprints.js';

/**
 * One certificate as reports show it: the fields of the document's `certificates` table (model/result.ts, where
 * each is explained), with the extensions as the probe reads them (`subjectAltNames`, which the table calls `sans`).
 */
export type CertificateEvidence = Omit<CertificateDescription, 'sans' | keyof ExtensionFields> & ExtensionFields;

/**
 * A certificate as a probe saw it: the report fields plus its DER (base64), kept in probe evidence (in memory, via
 * the observation session) so that later checks can build OCSP requests or verify CRL signatures. Check
 * results carry CertificateEvidence only: a DER blob helps no reader of a report.
 */
export type ObservedCertificate = CertificateEvidence & { der: string };

export type { NameAttribute } from './certificate-structure.js';

/**
 * A certificate parsed once, with what chain building and name matching need. The @peculiar/x509 reading (names,
 * extensions) costs milliseconds per certificate, so it waits until asked: Node's 144 bundled roots only need it
 * when one of them ends up on a path.
 */
export class ParsedCertificate {
  readonly x509: X509Certificate;
  readonly sha256: string;
  #structure: Structure | undefined;
  #observed: ObservedCertificate | undefined;
  #fields: CertificateFields | undefined;
  /** isIssuedBy verdicts by the candidate issuer's fingerprint: a signature is checked once per pair. */
  readonly issuedByVerdicts = new Map<string, boolean>();

  /** Throws only when OpenSSL cannot read the DER at all; everything past that is recorded, never thrown. */
  constructor(readonly der: Buffer) {
    this.x509 = new X509Certificate(der);
    this.sha256 = compactFingerprint(this.x509.fingerprint256);
  }

  /**
   * The one parsed instance of these bytes in this process. A run meets the same few chains thousands of times
   * (every address of every endpoint behind one CDN); parsing each again cost most of a large run's CPU.
   */
  static fromDer(der: Buffer): ParsedCertificate {
    const key = der.toString('base64');
    let parsed = parsedByDer.get(key);
    if (!parsed) {
      // A device that mints a leaf per connection must not grow this without bound.
      if (parsedByDer.size >= MAX_CACHED_CERTIFICATES) parsedByDer.clear();
      parsed = new ParsedCertificate(der);
      parsedByDer.set(key, parsed);
    }
    return parsed;
  }

  /** The evidence form, computed once. */
  get observed(): ObservedCertificate {
    return (this.#observed ??= { ...describeCertificate(this), der: this.der.toString('base64') });
  }

  /**
   * What revocation keys on (serial, issuer and subject names as DER, the public key), read once: a run asks for
   * them on every CRL signature check and coverage lookup. Throws DerError, as certificateFields does.
   */
  get fields(): CertificateFields {
    return (this.#fields ??= certificateFields(this.der));
  }

  /**
   * Node's multi-line subject text; '' for an empty subject, which RFC 5280 allows when a subjectAltName names the
   * holder (Node then reports `undefined`, whatever its typings say).
   */
  get subjectText(): string {
    return this.x509.subject ?? '';
  }

  get issuerText(): string {
    return this.x509.issuer ?? '';
  }

  get subjectAttributes(): readonly NameAttribute[] {
    return this.structure().subjectAttributes;
  }

  get issuerAttributes(): readonly NameAttribute[] {
    return this.structure().issuerAttributes;
  }

  get extensions(): ExtensionFields {
    return this.structure().extensions;
  }

  private structure(): Structure {
    return (this.#structure ??= readStructure(this.der));
  }
}

/**
 * Per process, not per run: keyed by the certificate's own bytes, so an entry is the same for every run that meets
 * those bytes and says nothing about any run (the bundled roots are parsed once per process this way), and bounded:
 * cleared when full, so it cannot grow across runs.
 */
const MAX_CACHED_CERTIFICATES = 10_000;
const parsedByDer = new Map<string, ParsedCertificate>();

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/** Parses each PEM block of each text (a PEM file may hold a bundle); blocks that do not parse are left out. */
export function parsePemCertificates(pemTexts: readonly string[]): ParsedCertificate[] {
  const parsed: ParsedCertificate[] = [];
  for (const text of pemTexts) {
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
      try {
        // The base64 between the lines is the DER: OpenSSL parses each certificate once (ParsedCertificate), not
        // twice. 144 bundled roots cost a third of a second more the other way, on every run's first handshake.
        parsed.push(ParsedCertificate.fromDer(Buffer.from(block.slice(PEM_BEGIN.length, -PEM_END.length), 'base64')));
      } catch {
        // A damaged block in a CA file: config loading reports unreadable files; here it anchors nothing.
      }
    }
  }
  return parsed;
}

/** Never throws: a certificate that cannot be described is described as unreadable, with the reason. */
export function describeCertificate(certificate: ParsedCertificate): CertificateEvidence {
  try {
    const { x509: cert } = certificate;
    return {
      subject: oneLineName(certificate.subjectText),
      issuer: oneLineName(certificate.issuerText),
      commonName: firstCommonName(certificate.subjectAttributes),
      issuerCommonName: firstCommonName(certificate.issuerAttributes),
      serialNumber: cert.serialNumber,
      notBefore: isoDate(cert.validFrom),
      notAfter: isoDate(cert.validTo),
      sha256: certificate.sha256,
      ...describeSignature(certificate.der),
      ...describeKey(cert),
      ...certificate.extensions,
      isCertificateAuthority: cert.ca,
      unreadable: null,
    };
  } catch (error) {
    return unreadableCertificate(certificate.sha256, describeError(error));
  }
}

function unreadableCertificate(sha256: string, reason: string): CertificateEvidence {
  return {
    subject: '', issuer: '', commonName: null, issuerCommonName: null, serialNumber: '', notBefore: '', notAfter: '', sha256,
    signatureAlgorithm: null, signatureDigest: null, keyType: 'unknown', keyBits: null, curve: null, ...noExtensions(),
    isCertificateAuthority: false, unreadable: reason,
  };
}

/** An invalid date must not throw RangeError from toISOString: '' says it could not be read. */
function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? '' : new Date(time).toISOString();
}

function describeSignature(der: Buffer): Pick<CertificateEvidence, 'signatureAlgorithm' | 'signatureDigest'> {
  try {
    const { name, digest } = certificateSignatureAlgorithm(der);
    return { signatureAlgorithm: name, signatureDigest: digest };
  } catch {
    return { signatureAlgorithm: null, signatureDigest: null };
  }
}

export function observeCertificate(certificate: ParsedCertificate): ObservedCertificate {
  return certificate.observed;
}

/** The report form of an observed certificate: everything but the DER. */
export function withoutDer({ der: _der, ...evidence }: ObservedCertificate): CertificateEvidence {
  return evidence;
}

/** Node 20 prints a name as one attribute per line; reports want one line. Escaping already keeps newlines in values out. */
export function oneLineName(nodeName: string | undefined): string {
  return (nodeName ?? '').split('\n').join(', ');
}

/**
 * How a report names a certificate: its CN, else its subject, else (an empty subject, valid with a SAN) its first
 * subjectAltName, else its fingerprint.
 */
export function certificateLabel(certificate: Pick<CertificateEvidence, 'commonName' | 'subject' | 'subjectAltNames' | 'sha256'>): string {
  return certificate.commonName ?? (certificate.subject || certificate.subjectAltNames[0] || `SHA-256 ${certificate.sha256}`);
}

/** The name a person recognises: the CN when there is one, else the whole one-line name. */
export function displayName(attributes: readonly NameAttribute[], oneLine: string): string {
  return firstCommonName(attributes) ?? oneLine;
}

function firstCommonName(attributes: readonly NameAttribute[]): string | null {
  return attributes.find((a) => a.type === 'CN')?.value ?? null;
}

/** True when `issuer` signed `subject`: names match and the signature verifies with the issuer's key. */
export function isIssuedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  let verdict = subject.issuedByVerdicts.get(issuer.sha256);
  if (verdict === undefined) {
    try {
      verdict = subject.x509.checkIssued(issuer.x509) && subject.x509.verify(issuer.x509.publicKey);
    } catch {
      // A key type or signature algorithm OpenSSL cannot use: not provably issued.
      verdict = false;
    }
    subject.issuedByVerdicts.set(issuer.sha256, verdict);
  }
  return verdict;
}

/** Signed with its own key under its own name. Not isIssuedBy(c, c): OpenSSL also wants keyCertSign, which self-signed leaves lack. */
export function isSelfSigned(certificate: ParsedCertificate): boolean {
  try {
    return certificate.subjectText === certificate.issuerText && certificate.x509.verify(certificate.x509.publicKey);
  } catch {
    return false;
  }
}

const EC_CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };

function describeKey(cert: X509Certificate): Pick<CertificateEvidence, 'keyType' | 'keyBits' | 'curve'> {
  try {
    const key = cert.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    const curve = details.namedCurve ?? null;
    const keyBits = details.modulusLength ?? (curve ? EC_CURVE_BITS[curve] ?? null : null);
    return { keyType: key.asymmetricKeyType ?? 'unknown', keyBits, curve };
  } catch {
    return { keyType: 'unknown', keyBits: null, curve: null };
  }
}
