// The tls probe: one handshake with the endpoint's name as SNI, the presented chain captured whatever validation
// says, and, when a TLS 1.2+ handshake fails, a second one that asks with TLS 1.0–1.1 only: a server that
// accepts it speaks only old TLS. Validation (which code) is the tls check's business; this only observes.
import type net from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { DNS_CODES, PROXY_CODES, TCP_CODES, type TransportCode } from '../model/codes.js';
import type { ObservedCertificate } from './certificates.js';
import { ChainTrust } from './chain-trust.js';
import { classifyConnectError, openConnection } from './connect.js';
import { MAX_CHAIN_DEPTH } from './inspection.js';
import { describeError, elapsedSince, releaseDeadline, stepDeadline, type ProbeContext } from './probe.js';
import { HandshakeTimeout, handshakeFailureOf, speaksOnlyOlderThanTls10, type HandshakeFailure } from './tls-failures.js';

export type { HandshakeFailureCode } from './tls-failures.js';

/**
 * Opens the byte stream the handshake runs over: a direct TCP connection by default, a proxy's CONNECT tunnel
 * when one is in the way. It must settle by the signal's deadline, and reject with an error whose `code` is a
 * TransportCode (ConnectFailure, a proxy failure); any other error is classified as a socket error.
 */
export type Transport = (signal: AbortSignal) => Promise<net.Socket>;

export interface TlsTarget {
  /** The endpoint's name: sent as SNI (unless it is an IP literal) and checked against the certificate. */
  host: string;
  address: string;
  /** The port actually connected to (after the port map). */
  port: number;
  /** PEM texts trusted besides Node's bundled Mozilla roots (--ca-file, trust.caFiles). */
  caPems: readonly string[];
  /**
   * The run's judge of presented chains (built on the same caPems), shared by every handshake so that each distinct
   * chain is verified once. Default: one for this probe alone.
   */
  chainTrust?: ChainTrust;
  /** Default: a direct TCP connection to address:port. */
  transport?: Transport;
  /** The proxy (redacted) whose tunnel `transport` opens and where that setting came from; absent when direct. */
  via?: string;
  /** Deadline of opening the transport; the handshake has ctx.stepTimeoutMs. Default: ctx.stepTimeoutMs. */
  connectTimeoutMs?: number;
}

export type TlsEvidence = {
  host: string;
  /** The address connected to; for a proxy tunnel the host name (the proxy resolves it). */
  address: string;
  port: number;
  /** The proxy the handshake went through (redacted); null when direct. */
  via: string | null;
  /** When the handshake ended: the moment certificate validity is judged at (this machine's clock). */
  observedAt: string;
  connectMs: number | null;
  handshakeMs: number | null;
  /** No byte stream to handshake over: the connection (or the proxy tunnel) failed. */
  transportFailure: { code: TransportCode; detail: string } | null;
  /** The TLS 1.2+ handshake failed. `opensslCode` is Node's error code (ERR_SSL_…) when there is one. */
  handshakeFailure: HandshakeFailure | null;
  /**
   * Set when the TLS 1.2+ handshake failed other than by silence or non-TLS bytes and the probe asked again with
   * TLS 1.0–1.1: `protocol` is what that second handshake negotiated (the session fields below then come from it),
   * null when it failed too. `olderThanTls10`: both failures show a server that speaks only SSL 3.0 or older.
   */
  legacyRetry: { protocol: string | null; detail: string; olderThanTls10: boolean } | null;
  /** 'TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'; null when no session was established. */
  protocol: string | null;
  /** IANA cipher suite name. */
  cipher: string | null;
  /**
   * The ephemeral key exchange (getEphemeralKeyInfo): 'ECDH' with the curve or group name ('X25519', 'prime256v1'),
   * or 'DH' with the group's size in bits; null for RSA key transport or when no session was established.
   */
  keyExchange: { type: string; name: string | null; bits: number | null } | null;
  /**
   * The chain verdict against the bundled roots plus caPems, host name included, as Node's verifying handshake
   * gives it (reached once per chain in probes/verify-chain.ts: the handshake itself holds no CAs).
   */
  authorized: boolean;
  /** OpenSSL's verify error (CERT_HAS_EXPIRED, SELF_SIGNED_CERT_IN_CHAIN, …) or ERR_TLS_CERT_ALTNAME_INVALID. */
  authorizationError: string | null;
  /** tls.checkServerIdentity's complaint about the leaf for `host`, checked whatever the chain verdict. */
  hostnameError: string | null;
  /**
   * The chain leads, by signature, to one of Node's bundled roots or a caPems certificate. Needed besides
   * `authorizationError` because OpenSSL reports only its last verify error: a date error can hide an unknown root.
   */
  anchoredInTrustStore: boolean;
  /**
   * The chain as Node reports it: leaf first, presented certificates in issuing order, completed with the
   * trust store's root when the server did not send it. Each carries its DER for revocation checks.
   */
  chain: ObservedCertificate[];
};

export const MODERN_TLS_PROTOCOLS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];

const TRANSPORT_CODES: ReadonlySet<string> = new Set([...DNS_CODES, ...TCP_CODES, ...PROXY_CODES].filter((code) => !code.endsWith('_OK')));

export async function probeTls(target: TlsTarget, ctx: ProbeContext): Promise<TlsEvidence> {
  const base = { host: target.host, address: target.address, port: target.port, via: target.via ?? null };
  const modern = await attempt(target, ctx, 'modern');
  if (modern.outcome !== 'handshake-failed' || !worthAskingLegacy(modern.failure.code)) return evidenceFrom(base, modern, null);
  const legacy = await attempt(target, ctx, 'legacy');
  if (legacy.outcome === 'established') {
    return { ...evidenceFrom(base, legacy, null), handshakeFailure: modern.failure, legacyRetry: { protocol: legacy.session.protocol, detail: `the server accepted ${legacy.session.protocol}`, olderThanTls10: false } };
  }
  const olderThanTls10 = legacy.outcome === 'handshake-failed' && speaksOnlyOlderThanTls10(modern.failure, legacy.failure);
  return evidenceFrom(base, modern, { protocol: null, detail: `TLS 1.0–1.1 failed as well: ${legacy.failure.detail}`, olderThanTls10 });
}

/** Silence and non-TLS bytes will not change with the version offered; alerts and resets might. */
function worthAskingLegacy(code: HandshakeFailure['code']): boolean {
  return code === 'TLS_HANDSHAKE_FAILED';
}

type Mode = 'modern' | 'legacy';

type Session = Pick<TlsEvidence, 'protocol' | 'cipher' | 'keyExchange' | 'authorized' | 'authorizationError' | 'hostnameError' | 'anchoredInTrustStore' | 'chain'> & { protocol: string };

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
    const session = await handshake(socket, target, secureContextFor(mode), handshakeDeadline);
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

function handshake(socket: net.Socket, target: TlsTarget, secureContext: tls.SecureContext, signal: AbortSignal): Promise<Session> {
  return new Promise((resolve, reject) => {
    const tlsSocket = tls.connect({
      socket,
      secureContext,
      // SNI must be a name (RFC 6066): an IP literal endpoint sends none.
      ...(isIP(target.host) ? {} : { servername: target.host }),
      // Validation is judged from the evidence: the chain is wanted even when it fails.
      rejectUnauthorized: false,
      // Node's own floor for DH groups (1024) would end the handshake before a weaker group can be reported.
      minDHSize: 1,
    });
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      tlsSocket.destroy();
      settle();
    };
    const onAbort = (): void => finish(() => reject(new HandshakeTimeout()));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // `on`, not `once`: a second error from a dying socket must find a listener, or it would crash the process.
    tlsSocket.on('error', (error) => finish(() => reject(error)));
    tlsSocket.once('secureConnect', () => {
      // Read everything before destroying the socket: the peer certificate lives with the connection.
      try {
        const session = readSession(tlsSocket, target);
        finish(() => resolve(session));
      } catch (error) {
        finish(() => reject(new Error(`the server's certificate could not be read: ${describeError(error)}`)));
      }
    });
  });
}

function readSession(tlsSocket: tls.TLSSocket, target: TlsTarget): Session {
  // Not getPeerCertificate(true): it builds a detailed object per certificate, about 1 ms a handshake, the
  // largest cost of a big run. The X509Certificate form carries the DER and the presented issuers.
  const leaf = tlsSocket.getPeerX509Certificate();
  const session = { protocol: tlsSocket.getProtocol() ?? 'unknown', cipher: tlsSocket.getCipher()?.standardName ?? null, keyExchange: keyExchangeOf(tlsSocket) };
  // No certificate (an anonymous cipher suite): Node's own verdict, which says so, is all there is.
  if (!leaf) return { ...session, authorized: tlsSocket.authorized, authorizationError: tlsSocket.authorizationError ? String(tlsSocket.authorizationError) : null, hostnameError: null, anchoredInTrustStore: false, chain: [] };
  const chainTrust = target.chainTrust ?? new ChainTrust(target.caPems);
  return { ...session, ...chainTrust.judge(presentedChain(leaf), target.host, Date.now()) };
}

function keyExchangeOf(tlsSocket: tls.TLSSocket): TlsEvidence['keyExchange'] {
  const info = tlsSocket.getEphemeralKeyInfo() as Partial<tls.EphemeralKeyInfo> | null;
  if (!info?.type) return null;
  return { type: info.type, name: info.name ?? null, bits: info.size ?? null };
}

/** The certificates the server presented, leaf first, following issuers while the peer sent them. */
function presentedChain(leaf: X509Certificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let current: X509Certificate | undefined = leaf; current && chain.length < MAX_CHAIN_DEPTH; current = current.issuerCertificate) {
    // A self-signed certificate is its own issuer: stop rather than loop.
    if (seen.has(current.fingerprint256)) break;
    seen.add(current.fingerprint256);
    chain.push(current);
  }
  return chain;
}

function transportFailureOf(error: unknown): NonNullable<TlsEvidence['transportFailure']> {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === 'string' && TRANSPORT_CODES.has(code)) return { code: code as TransportCode, detail: error.message };
  const failure = classifyConnectError(error, false);
  return { code: failure.code, detail: failure.message };
}

// Contexts without CAs: OpenSSL then cannot verify, so Node skips its host name check (getPeerCertificate(true),
// about 1 ms a handshake) and trust is judged once per chain by the run's ChainTrust. One per mode per process.
const secureContexts = new Map<Mode, tls.SecureContext>();

function secureContextFor(mode: Mode): tls.SecureContext {
  let context = secureContexts.get(mode);
  if (!context) {
    // Explicit versions, so that Node's command-line TLS defaults cannot change what "modern" means.
    // Security level 0: OpenSSL's default level refuses SHA-1 certificate signatures (Node then says only
    // "UNSPECIFIED") and, at stricter builds, 1024-bit DH groups and keys, all of which the agent's Windows
    // (SChannel) still accepts. The probe observes them so the tls check can name them (TLS_WEAK_CRYPTO); names,
    // dates, signatures and trust are verified as usual, by ChainTrust.
    const versions: tls.SecureContextOptions = mode === 'modern'
      ? { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=0` }
      : { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };
    // `ca: []`, not no `ca`: without the option Node would load its bundled roots.
    context = tls.createSecureContext({ ca: [], ...versions });
    secureContexts.set(mode, context);
  }
  return context;
}
