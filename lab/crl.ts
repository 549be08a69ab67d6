// CRLs for the lab, made with @peculiar/x509's X509CrlGenerator and kept as DER (what CDP URLs serve: its PEM
// form, -----BEGIN CRL-----, is one OpenSSL refuses). Each is issued under a lab authority's own name, signed with
// its key, or with another authority's key for a signature that must not verify.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { LabAuthority, LabCertificate } from './pki.js';

x509.cryptoProvider.set(webcrypto);

/** RFC 5280 reason codes, for revoked entries. */
export const CrlReason = x509.X509CrlReason;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface LabRevokedEntry {
  /** Hex, as Node's X509Certificate.serialNumber gives it. */
  serialNumber: string;
  /** Default: a day ago. */
  revokedAt?: Date;
  reason?: x509.X509CrlReason;
}

export interface LabCrlOptions {
  /** Default: an hour ago. */
  thisUpdate?: Date;
  /** Default: seven days from now (a common CA's publishing period); null leaves nextUpdate out. */
  nextUpdate?: Date | null;
  revoked?: readonly LabRevokedEntry[];
  /** Signs with this authority's key, still under `issuer`'s name: a signature that does not verify. */
  signedBy?: LabAuthority;
}

/** A DER CRL issued by `issuer`. */
export async function labCrl(issuer: LabAuthority, options: LabCrlOptions = {}): Promise<Buffer> {
  const signer = options.signedBy ?? issuer;
  const now = Date.now();
  const nextUpdate = options.nextUpdate === undefined ? new Date(now + 7 * DAY_MS) : options.nextUpdate;
  const crl = await x509.X509CrlGenerator.create({
    // The issuer certificate's own encoding of its name, so that names match byte for byte.
    issuer: new x509.X509Certificate(issuer.certificate.der).subjectName,
    thisUpdate: options.thisUpdate ?? new Date(now - HOUR_MS),
    ...(nextUpdate ? { nextUpdate } : {}),
    entries: (options.revoked ?? []).map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.revokedAt ?? new Date(now - DAY_MS),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    })),
    signingKey: await signingKey(signer),
    signingAlgorithm: signer.keyAlgorithm === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' },
  });
  return Buffer.from(crl.rawData);
}

/** The serial number of a lab certificate, as CRLs and the tls evidence write it. */
export function serialOf(certificate: LabCertificate): string {
  return new X509Certificate(certificate.der).serialNumber;
}

const signingKeys = new WeakMap<LabAuthority, Promise<webcrypto.CryptoKey>>();

function signingKey(authority: LabAuthority): Promise<webcrypto.CryptoKey> {
  let pending = signingKeys.get(authority);
  if (!pending) {
    pending = authority.keyPem().then((pem) => {
      const pkcs8 = Buffer.from(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''), 'base64');
      const algorithm = authority.keyAlgorithm === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
      return webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    });
    signingKeys.set(authority, pending);
  }
  return pending;
}
