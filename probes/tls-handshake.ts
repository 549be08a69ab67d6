// One TLS handshake over an open byte stream, and what the session shows: protocol, cipher, key exchange, and the
// presented chain as plain data (the handshake itself holds no CAs: the run's ChainTrust judges each distinct chain
// once, in the main thread). Runs in a probe thread as well as in the main one.
import type net from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { readPresentedChain } from '../pki/presented-chain.js';
import { describeError } from './probe.js';
import type { Mode, Session, TlsEvidence } from './tls-evidence.js';
import { HandshakeTimeout } from './tls-failures.js';

/**
 * The handshake in `mode` over `socket` with `host` as SNI; rejects with Node's error, or HandshakeTimeout when
 * `signal` fires first. `known`: which certificates the judging thread already holds (their DER is not copied).
 */
export function handshake(socket: net.Socket, host: string, mode: Mode, signal: AbortSignal, known: (fingerprint: string) => boolean): Promise<Session> {
  const secureContext = secureContextFor(mode);
  return new Promise((resolve, reject) => {
    const tlsSocket = tls.connect({
      socket,
      secureContext,
      // SNI must be a name (RFC 6066): an IP literal endpoint sends none.
      ...(isIP(host) ? {} : { servername: host }),
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
        const session = readSession(tlsSocket, known);
        finish(() => resolve(session));
      } catch (error) {
        finish(() => reject(new Error(`the server's certificate could not be read: ${describeError(error)}`)));
      }
    });
  });
}

function readSession(tlsSocket: tls.TLSSocket, known: (fingerprint: string) => boolean): Session {
  // Not getPeerCertificate(true): it builds a detailed object per certificate, about 1 ms a handshake, the
  // largest cost of a big run. The X509Certificate form carries the DER and the presented issuers.
  const leaf = tlsSocket.getPeerX509Certificate();
  return {
    protocol: tlsSocket.getProtocol() ?? 'unknown',
    cipher: tlsSocket.getCipher()?.standardName ?? null,
    keyExchange: keyExchangeOf(tlsSocket),
    presented: leaf ? readPresentedChain(leaf, known) : null,
    nodeAuthorized: tlsSocket.authorized,
    nodeAuthorizationError: tlsSocket.authorizationError ? String(tlsSocket.authorizationError) : null,
  };
}

function keyExchangeOf(tlsSocket: tls.TLSSocket): TlsEvidence['keyExchange'] {
  const info = tlsSocket.getEphemeralKeyInfo() as Partial<tls.EphemeralKeyInfo> | null;
  if (!info?.type) return null;
  return { type: info.type, name: info.name ?? null, bits: info.size ?? null };
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
