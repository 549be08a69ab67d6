// What the tls check finds wrong with a presented certificate, as a type: shared by the tls check and the chain
// completion that re-judges its findings (specs/checks/chain-completion.ts), without either importing the other.

export type CertificateFindingCode = 'TLS_UNTRUSTED' | 'TLS_CERT_REVOKED' | 'TLS_CERT_EXPIRED' | 'TLS_CERT_NOT_YET_VALID' | 'TLS_HOSTNAME_MISMATCH' | 'TLS_WEAK_CRYPTO';

export interface CertificateFinding {
  code: CertificateFindingCode;
  message: string;
  remediation: string;
}
