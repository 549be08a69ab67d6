// The certificates in a body served as a CA certificate (an AIA caIssuers URL): a DER certificate
// (application/pkix-cert), a PKCS#7 "certs-only" bundle (.p7c, application/pkcs7-mime, DER or PEM), which Microsoft
// and DigiCert serve, or PEM certificates. The bytes are hostile: what does not parse is left out, never thrown.
import 'reflect-metadata';
import { X509Certificate as PeculiarCertificate, X509Certificates } from '@peculiar/x509';
import { toOneLine } from '../model/evidence-text.js';
import { ParsedCertificate } from './certificate.js';

/** A DER certificate, a PKCS#7 certs-only bundle (DER or PEM), or PEM certificates; the bytes are hostile. */
export function readCertificates(body: Buffer): { format: 'der' | 'pkcs7' | 'pem'; certificates: ParsedCertificate[] } | { error: string } {
  if (body.length === 0) return { error: 'the answer is empty' };
  const text = body.subarray(0, 64).toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const pems = body.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    const certificates = pems.flatMap((pem) => attempt(() => ParsedCertificate.fromDer(Buffer.from(new PeculiarCertificate(pem).rawData))) ?? []);
    return certificates.length > 0 ? { format: 'pem', certificates } : { error: 'the PEM text holds no readable certificate' };
  }
  const single = attempt(() => ParsedCertificate.fromDer(body));
  if (single) return { format: 'der', certificates: [single] };
  const bundle = attempt(() => new X509Certificates(text.includes('-----BEGIN PKCS7-----') ? body.toString('latin1') : body));
  if (bundle && bundle.length > 0) {
    const certificates = [...bundle].flatMap((certificate) => attempt(() => ParsedCertificate.fromDer(Buffer.from(certificate.rawData))) ?? []);
    if (certificates.length > 0) return { format: 'pkcs7', certificates };
  }
  return { error: `the answer is neither a DER certificate nor a PKCS#7 bundle (${body.length} bytes starting ${toOneLine(body.subarray(0, 8).toString('hex'), 16)})` };
}

function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}
