// SHA-256 certificate fingerprints as result documents write them. Since this version: 64 upper-case hex digits
// without separators, the form Windows shows as a certificate's thumbprint (certmgr, `Get-ChildItem Cert:`), and
// 31 bytes shorter than OpenSSL's colon form: a 2,000-endpoint run names certificates 28,000 times. Documents
// written before (schema version 1, and version 2 up to this change) used the colon form
// (`openssl x509 -fingerprint -sha256`); readers accept both, as written.

/** The colon form (`AB:CD:…`, 32 pairs) or the compact form (64 hex digits), either case. */
const FINGERPRINT = /^(?:[0-9A-F]{64}|[0-9A-F]{2}(?::[0-9A-F]{2}){31})$/i;

/** The form this version writes: from Node's `X509Certificate.fingerprint256` (colon form) or any accepted form. */
export function compactFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toUpperCase();
}

/** Whether `value` is a SHA-256 fingerprint in a form some version of the tool wrote. */
export function isFingerprint(value: unknown): value is string {
  return typeof value === 'string' && FINGERPRINT.test(value);
}
