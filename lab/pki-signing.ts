// How a lab certificate is made: names written as given (hostile text stays as written), validity windows, the
// extensions of an authority and of a server leaf, and the signature by the issuing authority's keys.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { randomSerial, signingWith, type KeyAlgorithm, type SignatureHash } from './pki-keys.js';

/** A distinguished name as [attribute, value] pairs in certificate order: [['C', 'US'], ['CN', 'Lab Root']]. */
export type NameSpec = ReadonlyArray<readonly [attribute: string, value: string]>;

/** Where a certificate says its revocation information lives (served over plain HTTP, as the real ones are). */
export interface RevocationUrls {
  crl?: readonly string[];
  ocsp?: readonly string[];
  caIssuers?: readonly string[];
}

/** current: valid now; expired: ended 30 days ago; not-yet-valid: starts in 30 days. */
export type Validity = 'current' | 'expired' | 'not-yet-valid';

export interface LabCertificate {
  readonly der: Buffer;
  readonly pem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const DAY_MS = 86_400_000;

/** What signs a certificate: a name (encoded once, so issuer names match byte for byte) and its keys. */
export interface Signer {
  name: x509.Name;
  keys: webcrypto.CryptoKeyPair;
  keyAlgorithm: KeyAlgorithm;
}

export async function signCertificate(signer: Signer, subject: x509.Name, publicKey: webcrypto.CryptoKey, validity: Validity, role: 'authority' | 'leaf', extensions: x509.Extension[], signedWith: SignatureHash = 'SHA-256'): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    ...validityWindow(validity, role),
    serialNumber: randomSerial(),
    subject,
    // OpenSSL finds issuers by name (and key identifier) before it checks signatures.
    issuer: signer.name,
    publicKey,
    ...(await signingWith(signer.keys, signer.keyAlgorithm, signedWith)),
    extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey)],
  });
}

export async function authorityExtensions(publicKey: webcrypto.CryptoKey, revocation: RevocationUrls | undefined): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ...revocationExtensions(revocation),
  ];
}

export async function leafExtensions(hosts: readonly string[], algorithm: KeyAlgorithm, publicKey: webcrypto.CryptoKey, revocation: RevocationUrls | undefined, emptySubject = false): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (algorithm === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0), true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    // RFC 5280 4.2.1.6: with an empty subject the subjectAltName carries the identity and must be critical.
    new x509.SubjectAlternativeNameExtension(hosts.map((host) => ({ type: isIP(host) ? 'ip' as const : 'dns' as const, value: host })), emptySubject),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ...revocationExtensions(revocation),
  ];
}

function revocationExtensions(urls: RevocationUrls | undefined): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (urls?.crl?.length) extensions.push(new x509.CRLDistributionPointsExtension([...urls.crl]));
  if (urls?.ocsp?.length || urls?.caIssuers?.length) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [...(urls.ocsp ?? [])], caIssuers: [...(urls.caIssuers ?? [])] }));
  }
  return extensions;
}

function validityWindow(validity: Validity, role: 'authority' | 'leaf'): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  switch (validity) {
    case 'current':
      return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + (role === 'authority' ? 3650 : 90) * DAY_MS) };
    case 'expired':
      return { notBefore: new Date(now - 120 * DAY_MS), notAfter: new Date(now - 30 * DAY_MS) };
    case 'not-yet-valid':
      return { notBefore: new Date(now + 30 * DAY_MS), notAfter: new Date(now + 120 * DAY_MS) };
  }
}

/** Values as UTF8String (PrintableString for C, as X.520 requires), never re-parsed: hostile text stays as written. */
export function toName(name: NameSpec): x509.Name {
  return new x509.Name(name.map(([attribute, value]) => ({ [attribute]: [attribute === 'C' ? { printableString: value } : { utf8String: value }] })));
}

export function nameKey(name: NameSpec): string {
  return JSON.stringify(name);
}

export function labCertificate(issued: x509.X509Certificate): LabCertificate {
  const der = Buffer.from(issued.rawData);
  return {
    der,
    pem: issued.toString('pem') + '\n',
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}
