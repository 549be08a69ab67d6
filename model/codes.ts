// The check kinds, statuses and result codes of shared/interface.md, as types.
// The arrays are the single source: types are derived from them so a code cannot exist in one place only.

export const CHECK_KINDS = ['dns', 'tcp', 'tls', 'inspection', 'http', 'crl', 'ocsp', 'proxy', 'clock', 'host'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];
/**
 * What a result can be about: a built-in check kind; `spec`, a test of the user's own spec files (--specs); or
 * `config`, the run's own configuration (an expectedFailures entry that matched no failure), which --only does not
 * select and which appears in every report as a warning.
 */
export const RESULT_KINDS = [...CHECK_KINDS, 'spec', 'config'] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export const STATUSES = ['pass', 'fail', 'warn', 'skip'] as const;
export type Status = (typeof STATUSES)[number];

export const DNS_CODES = [
  'DNS_OK', 'DNS_NXDOMAIN', 'DNS_NODATA', 'DNS_SERVFAIL', 'DNS_REFUSED', 'DNS_TIMEOUT',
  'DNS_UNREACHABLE', 'DNS_CNAME_LOOP', 'DNS_CHAIN_TOO_LONG', 'DNS_SINKHOLE', 'DNS_MALFORMED',
] as const;
export const TCP_CODES = ['TCP_OK', 'TCP_REFUSED', 'TCP_TIMEOUT', 'TCP_RESET', 'TCP_UNREACHABLE'] as const;
export const TLS_CODES = [
  'TLS_OK', 'TLS_TIMEOUT', 'TLS_HANDSHAKE_FAILED', 'TLS_PROTOCOL_TOO_OLD', 'TLS_NOT_TLS', 'TLS_CERT_EXPIRED',
  'TLS_CERT_NOT_YET_VALID', 'TLS_HOSTNAME_MISMATCH', 'TLS_UNTRUSTED', 'TLS_CERT_REVOKED', 'TLS_WEAK_CRYPTO',
] as const;
export const INSPECTION_CODES = ['INSPECTION_NONE', 'TLS_INSPECTED'] as const;
export const HTTP_CODES = ['HTTP_OK', 'HTTP_BLOCK_PAGE', 'HTTP_STATUS', 'HTTP_TIMEOUT', 'HTTP_REDIRECT_REFUSED'] as const;
export const CRL_CODES = [
  'CRL_OK', 'CRL_BLOCK_PAGE', 'CRL_HTTP_STATUS', 'CRL_MALFORMED', 'CRL_STALE', 'CRL_SIGNATURE_INVALID',
  'CRL_TOO_LARGE', 'CRL_TIMEOUT',
] as const;
export const OCSP_CODES = ['OCSP_OK', 'OCSP_HTTP_STATUS', 'OCSP_MALFORMED', 'OCSP_UNSUCCESSFUL', 'OCSP_TIMEOUT'] as const;
export const PROXY_CODES = ['PROXY_OK', 'PROXY_AUTH_REQUIRED', 'PROXY_DENIED', 'PROXY_UNREACHABLE', 'PROXY_ERROR'] as const;
export const CLOCK_CODES = ['CLOCK_OK', 'CLOCK_SKEW'] as const;
export const HOST_CODES = ['HOST_OK', 'HOST_EXECUTION_POLICY', 'HOST_TLS12_DISABLED', 'HOST_DOTNET_TOO_OLD'] as const;
/** A test of the user's spec files: passed, failed (an assertion or any error, with its message), or skipped by the spec. */
export const SPEC_CODES = ['SPEC_OK', 'SPEC_FAILED', 'SPEC_SKIPPED'] as const;
export const ANY_CODES = ['SKIPPED_PREREQUISITE', 'EXPECTED_FAILURE', 'EXPECTED_FAILURE_UNUSED'] as const;

export type DnsCode = (typeof DNS_CODES)[number];
export type TcpCode = (typeof TCP_CODES)[number];
export type TlsCode = (typeof TLS_CODES)[number];
export type InspectionCode = (typeof INSPECTION_CODES)[number];
export type HttpCode = (typeof HTTP_CODES)[number];
export type CrlCode = (typeof CRL_CODES)[number];
export type OcspCode = (typeof OCSP_CODES)[number];
export type ProxyCode = (typeof PROXY_CODES)[number];
export type ClockCode = (typeof CLOCK_CODES)[number];

export const ALL_CODES = [
  ...DNS_CODES, ...TCP_CODES, ...TLS_CODES, ...INSPECTION_CODES, ...HTTP_CODES, ...CRL_CODES, ...OCSP_CODES,
  ...PROXY_CODES, ...CLOCK_CODES, ...HOST_CODES, ...SPEC_CODES, ...ANY_CODES,
] as const;
export type Code = (typeof ALL_CODES)[number];

/** A failure observed on the way to a check's own subject: what a transport step can end in. */
export type TransportCode = DnsCode | TcpCode | ProxyCode;

/** Vendors that TLS_INSPECTED evidence can name (shared/interface.md). */
export const INSPECTION_VENDORS = [
  'zscaler', 'netskope', 'paloalto', 'fortinet', 'bluecoat', 'cisco-umbrella', 'forcepoint', 'sophos',
  'checkpoint', 'skyhigh', 'barracuda', 'mitmproxy', 'squid', 'fiddler', 'burp', 'unknown',
] as const;
export type InspectionVendor = (typeof INSPECTION_VENDORS)[number];
