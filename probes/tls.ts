// The tls probe: one handshake with the endpoint's name as SNI, the presented chain captured whatever validation
// says, and, when a TLS 1.2+ handshake fails, a second one that asks with TLS 1.0–1.1 only: a server that
// accepts it speaks only old TLS. Validation (which code) is the tls check's business; this only observes.
import type net from 'node:net';
import { DNS_CODES, PROXY_CODES, TCP_CODES, type TransportCode } from '../model/codes.js';
import { classifyConnectError, openConnection } from '../net/connect.js';
import { elapsedSince, releaseDeadline, stepDeadline, type Probe, type ProbeContext } from './probe.js';
import type { TlsEvidence, TlsTarget } from './tls-evidence.js';
import { handshakeFailureOf, speaksOnlyOlderThanTls10, type HandshakeFailure } from './tls-failures.js';
import { handshake, type Mode, type Session } from './tls-handshake.js';

export type { HandshakeFailureCode } from './tls-failures.js';

const TRANSPORT_CODES: ReadonlySet<string> = new Set([...DNS_CODES, ...TCP_CODES, ...PROXY_CODES].filter((code) => !code.endsWith('_OK')));

export const probeTls: Probe<TlsTarget, TlsEvidence> = async (target, ctx) => {
  const base = { host: target.host, address: target.address, port: target.port, via: target.via ?? null };
  const modern = await attempt(target, ctx, 'modern');
  if (modern.outcome !== 'handshake-failed' || !worthAskingLegacy(modern.failure.code)) return evidenceFrom(base, modern, null);
  const legacy = await attempt(target, ctx, 'legacy');
  if (legacy.outcome === 'established') {
    return { ...evidenceFrom(base, legacy, null), handshakeFailure: modern.failure, legacyRetry: { protocol: legacy.session.protocol, detail: `the server accepted ${legacy.session.protocol}`, olderThanTls10: false } };
  }
  const olderThanTls10 = legacy.outcome === 'handshake-failed' && speaksOnlyOlderThanTls10(modern.failure, legacy.failure);
  return evidenceFrom(base, modern, { protocol: null, detail: `TLS 1.0–1.1 failed as well: ${legacy.failure.detail}`, olderThanTls10 });
};

/** Silence and non-TLS bytes will not change with the version offered; alerts and resets might. */
function worthAskingLegacy(code: HandshakeFailure['code']): boolean {
  return code === 'TLS_HANDSHAKE_FAILED';
}

type Attempt =
  | { outcome: 'established'; connectMs: number; handshakeMs: number; session: Session }
  | { outcome: 'handshake-failed'; connectMs: number; handshakeMs: number; failure: NonNullable<TlsEvidence['handshakeFailure']> }
  | { outcome: 'transport-failed'; failure: NonNullable<TlsEvidence['transportFailure']> };

async function attempt(target: TlsTarget, ctx: ProbeContext, mode: Mode): Promise<Attempt> {
  const started = performance.now();
  const transport = target.transport ?? ((signal: AbortSignal) => openConnection(target.address, target.port, signal));
  let socket: net.Socket;
  const connectDeadline = stepDeadline(ctx, target.connectTimeoutMs ?? ctx.stepTimeoutMs);
  try {
    socket = await transport(connectDeadline);
  } catch (error) {
    return { outcome: 'transport-failed', failure: transportFailureOf(error) };
  } finally {
    releaseDeadline(connectDeadline);
  }
  const connectMs = elapsedSince(started);
  // The TLS socket reports what goes wrong from here on; the raw socket must not crash the process meanwhile.
  socket.on('error', () => {});
  const handshakeStarted = performance.now();
  const handshakeDeadline = stepDeadline(ctx);
  try {
    const session = await handshake(socket, target, mode, handshakeDeadline);
    return { outcome: 'established', connectMs, handshakeMs: elapsedSince(handshakeStarted), session };
  } catch (error) {
    return { outcome: 'handshake-failed', connectMs, handshakeMs: elapsedSince(handshakeStarted), failure: handshakeFailureOf(error) };
  } finally {
    releaseDeadline(handshakeDeadline);
    // Already closed with the TLS socket, unless tls.connect itself threw.
    socket.destroy();
  }
}

function evidenceFrom(base: Pick<TlsEvidence, 'host' | 'address' | 'port' | 'via'>, result: Attempt, legacyRetry: TlsEvidence['legacyRetry']): TlsEvidence {
  const noSession = { protocol: null, cipher: null, keyExchange: null, authorized: false, authorizationError: null, hostnameError: null, anchoredInTrustStore: false, chain: [] };
  const observedAt = new Date().toISOString();
  switch (result.outcome) {
    case 'transport-failed':
      return { ...base, observedAt, connectMs: null, handshakeMs: null, transportFailure: result.failure, handshakeFailure: null, legacyRetry, ...noSession };
    case 'handshake-failed':
      return { ...base, observedAt, connectMs: result.connectMs, handshakeMs: result.handshakeMs, transportFailure: null, handshakeFailure: result.failure, legacyRetry, ...noSession };
    case 'established':
      return { ...base, observedAt, connectMs: result.connectMs, handshakeMs: result.handshakeMs, transportFailure: null, handshakeFailure: null, legacyRetry, ...result.session };
  }
}

function transportFailureOf(error: unknown): NonNullable<TlsEvidence['transportFailure']> {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === 'string' && TRANSPORT_CODES.has(code)) return { code: code as TransportCode, detail: error.message };
  const failure = classifyConnectError(error, false);
  return { code: failure.code, detail: failure.message };
}
