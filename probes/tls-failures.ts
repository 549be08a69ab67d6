// What a failed handshake says, in words a person can act on: silence, bytes that are not TLS, a TLS alert, a reset,
// or OpenSSL's own refusal. Pure: the error Node raised in, a classified failure out.
import { describeError } from './probe.js';

export type HandshakeFailureCode = 'TLS_TIMEOUT' | 'TLS_NOT_TLS' | 'TLS_HANDSHAKE_FAILED';

export interface HandshakeFailure {
  code: HandshakeFailureCode;
  detail: string;
  /** Node's error code (ERR_SSL_…) when there is one. */
  opensslCode: string | null;
}

/** Raised by the probe's own deadline: no answer to the ClientHello in time. */
export class HandshakeTimeout extends Error {}

/** OpenSSL's ways of saying "these bytes are not a TLS record": plain HTTP, SSH banners, proxies' error pages. */
const NOT_TLS_ERRORS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_RECORD_LAYER_FAILURE',
]);

/** OpenSSL's refusal of the version the server chose: outside the range the client offered. */
const UNSUPPORTED_PROTOCOL = 'ERR_SSL_UNSUPPORTED_PROTOCOL';
const PROTOCOL_VERSION_ALERT = 70;

const TLS_ALERTS: Readonly<Record<number, string>> = {
  10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 40: 'handshake_failure', 42: 'bad_certificate',
  43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown',
  47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error',
  70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback',
  90: 'user_canceled', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name',
  116: 'certificate_required', 120: 'no_application_protocol',
};

export function handshakeFailureOf(error: unknown): HandshakeFailure {
  if (error instanceof HandshakeTimeout) {
    return { code: 'TLS_TIMEOUT', detail: 'the connection opened but no handshake answer came before the deadline', opensslCode: null };
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? null;
  const message = describeError(error);
  if (errno && NOT_TLS_ERRORS.has(errno)) {
    return { code: 'TLS_NOT_TLS', detail: `the server answered with bytes that are not TLS (${opensslReason(errno)})`, opensslCode: errno };
  }
  const alertNumber = alertOf(message);
  if (alertNumber !== null) {
    const alert = TLS_ALERTS[alertNumber] ?? 'unknown alert';
    return { code: 'TLS_HANDSHAKE_FAILED', detail: `the server sent TLS alert ${alertNumber} (${alert})`, opensslCode: errno };
  }
  if (errno === 'ECONNRESET' || errno === 'EPIPE') {
    // Node reports a clean close before the handshake as ECONNRESET too; its message tells them apart.
    const closed = message.includes('disconnected before secure TLS connection');
    return { code: 'TLS_HANDSHAKE_FAILED', detail: closed ? 'the server closed the connection during the handshake' : 'the connection was reset during the handshake', opensslCode: null };
  }
  if (errno === UNSUPPORTED_PROTOCOL) {
    return { code: 'TLS_HANDSHAKE_FAILED', detail: 'the server chose a protocol version that was not offered (unsupported protocol)', opensslCode: errno };
  }
  return { code: 'TLS_HANDSHAKE_FAILED', detail: errno?.startsWith('ERR_SSL_') ? opensslReason(errno) : message, opensslCode: errno };
}

/**
 * True when both attempts together show a server older than TLS 1.0: offered TLS 1.2–1.3 and then TLS 1.0–1.1,
 * it either chose a version below both ranges (an SSL 3.0 ServerHello: OpenSSL, built without SSL 3.0, calls it
 * "unsupported protocol") or refused every one of them with a protocol_version alert. No version above TLS 1.3
 * exists for a server to want instead.
 */
export function speaksOnlyOlderThanTls10(modern: HandshakeFailure, legacy: HandshakeFailure): boolean {
  const belowOffered = (failure: HandshakeFailure) => failure.opensslCode === UNSUPPORTED_PROTOCOL || failure.detail.startsWith(`the server sent TLS alert ${PROTOCOL_VERSION_ALERT} `);
  return belowOffered(modern) && belowOffered(legacy);
}

function alertOf(message: string): number | null {
  const alertNumber = /alert number (\d+)/.exec(message)?.[1];
  return alertNumber === undefined ? null : Number(alertNumber);
}

/** "ERR_SSL_WRONG_VERSION_NUMBER" → "wrong version number". */
function opensslReason(errno: string): string {
  return errno.replace(/^ERR_SSL_/, '').toLowerCase().replace(/_/g, ' ');
}
