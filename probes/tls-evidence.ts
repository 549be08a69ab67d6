// What the tls probe observes (probes/tls.ts): its target, and the evidence of one endpoint's handshake, as the tls
// and inspection checks read it.
import type net from 'node:net';
import type { TransportCode } from '../model/codes.js';
import type { ObservedCertificate } from '../pki/certificate.js';
import type { ChainTrust } from '../pki/chain-trust.js';
import type { HandshakeFailure } from './tls-failures.js';
import type { PresentedChain } from '../pki/presented-chain.js';
import type { ProbeContext } from './probe.js';

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
  chainTrust?: ChainTrust | Promise<ChainTrust>;
  /** Default: a direct TCP connection to address:port. */
  transport?: Transport;
  /** Runs each attempt (connect and handshake): in a probe thread when the session has them. Default: in this thread. */
  attempt?: AttemptRunner;
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
   * gives it (reached once per chain in pki/verify-chain.ts: the handshake itself holds no CAs).
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

/** 'modern' offers TLS 1.2–1.3; 'legacy' asks again with TLS 1.0–1.1 only. */
export type Mode = 'modern' | 'legacy';

/** What an established session shows, before its chain is judged. Plain data: it crosses threads. */
export type Session = Pick<TlsEvidence, 'cipher' | 'keyExchange'> & {
  protocol: string;
  /** null for an anonymous cipher suite: no certificate at all. */
  presented: PresentedChain | null;
  /** Node's own verdict: what evidence says when there is no certificate to judge. */
  nodeAuthorized: boolean;
  nodeAuthorizationError: string | null;
};

export interface AttemptTarget {
  /** SNI (unless an IP literal). */
  host: string;
  address: string;
  /** The port actually connected to (after the port map). */
  port: number;
  /** Deadline of opening the transport; the handshake has ctx.stepTimeoutMs. Default: ctx.stepTimeoutMs. */
  connectTimeoutMs?: number;
  /** Default: a direct TCP connection to address:port. Never set for an attempt sent to a probe thread. */
  transport?: Transport;
}

export type Attempt =
  | { outcome: 'established'; connectMs: number; handshakeMs: number; session: Session }
  | { outcome: 'handshake-failed'; connectMs: number; handshakeMs: number; failure: NonNullable<TlsEvidence['handshakeFailure']> }
  | { outcome: 'transport-failed'; failure: NonNullable<TlsEvidence['transportFailure']> };

/** Runs one attempt; in-thread by default, in a probe thread when the session has them. */
export type AttemptRunner = (target: AttemptTarget, mode: Mode, ctx: ProbeContext) => Promise<Attempt>;

