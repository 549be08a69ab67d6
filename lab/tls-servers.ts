// What can answer on a lab TLS port: a server presenting a given chain (TLS 1.2+ or only TLS 1.0–1.1), a re-signing
// interceptor that forges a leaf for whatever name the client asks for, plain HTTP, a tarpit, and a device that
// resets the connection as soon as the ClientHello arrives. Loopback only.
import http from 'node:http';
import net, { type Server } from 'node:net';
import tls from 'node:tls';
import { listenTracked } from './loopback.js';
import { chainPem, type ChainToSend, type LabAuthority, type LabIdentity } from './pki.js';
import { startTcpListener } from './tcp-listeners.js';

export type TlsFixture =
  /**
   * Presents `identity`; `send` defaults to leaf + intermediates, as a well-configured server does. `tuning` sets
   * what weak servers are configured with (dhparam, ciphers with @SECLEVEL=0, versions).
   */
  | { kind: 'serve'; identity: LabIdentity; send?: ChainToSend; legacyOnly?: boolean; tuning?: tls.SecureContextOptions }
  /** Answers every SNI name with a leaf made on the fly and signed by `authority`, like an inspecting proxy. */
  | { kind: 'intercept'; authority: LabAuthority; send?: ChainToSend }
  /** An HTTP server on the TLS port: it answers a ClientHello with "400 Bad Request". */
  | { kind: 'plain-http' }
  /** Accepts and never speaks. */
  | { kind: 'tarpit' }
  /** Accepts, then resets the connection when the ClientHello arrives (an IPS dropping the session). */
  | { kind: 'reset-on-hello' }
  /** A TLS server with no certificate to offer: it answers every ClientHello with a handshake_failure alert. */
  | { kind: 'handshake-alert' }
  /**
   * A server that speaks only SSL 3.0 (OpenSSL can no longer serve it): it answers every ClientHello with an SSL 3.0
   * ServerHello, or, as some refuse what they do not speak, with a protocol_version alert.
   */
  | { kind: 'sslv3-only'; answer: 'server-hello' | 'protocol-version-alert' };

export interface LabTlsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const SERVER_SENDS: ChainToSend = { intermediates: true, root: false };
/** What old servers are limited to; SECLEVEL=0 lets OpenSSL 3 still speak it. */
const LEGACY_ONLY: tls.SecureContextOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };

export async function startTlsFixture(host: string, port: number, fixture: TlsFixture): Promise<LabTlsServer> {
  switch (fixture.kind) {
    case 'tarpit':
      return startTcpListener(host, port, 'tarpit');
    case 'serve':
      return startServer(host, port, tls.createServer({
        key: fixture.identity.keyPem,
        cert: chainPem(fixture.identity, fixture.send ?? SERVER_SENDS),
        ...(fixture.legacyOnly ? LEGACY_ONLY : {}),
        ...fixture.tuning,
      }));
    case 'intercept':
      return startServer(host, port, await interceptor(host, fixture.authority, fixture.send ?? SERVER_SENDS));
    case 'plain-http':
      return startServer(host, port, http.createServer((_request, response) => response.end('plain HTTP on a TLS port\n')));
    case 'reset-on-hello':
      return startServer(host, port, net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy())));
    case 'handshake-alert':
      return startServer(host, port, tls.createServer({}));
    case 'sslv3-only': {
      const answer = fixture.answer === 'server-hello' ? SSL3_SERVER_HELLO : SSL3_PROTOCOL_VERSION_ALERT;
      return startServer(host, port, net.createServer((socket) => socket.once('data', () => socket.end(answer))));
    }
  }
}

/** A handshake record (type 22) of version 3.0 around one handshake message. */
function ssl3HandshakeRecord(type: number, body: Buffer): Buffer {
  const message = Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 3, 0, message.length >> 8, message.length & 0xff]), message]);
}

/** ServerHello (type 2): version 3.0, a random, no session id, TLS_RSA_WITH_AES_128_CBC_SHA (0x002F), no compression. */
const SSL3_SERVER_HELLO = ssl3HandshakeRecord(2, Buffer.concat([Buffer.from([3, 0]), Buffer.alloc(32, 0x5a), Buffer.from([0, 0x00, 0x2f, 0])]));
/** An alert record (type 21) of version 3.0: fatal (2), protocol_version (70). */
const SSL3_PROTOCOL_VERSION_ALERT = Buffer.from([21, 3, 0, 0, 2, 2, 70]);

async function interceptor(listenHost: string, authority: LabAuthority, send: ChainToSend): Promise<tls.Server> {
  const contexts = new Map<string, Promise<tls.SecureContext>>();
  const contextFor = (name: string): Promise<tls.SecureContext> => {
    let pending = contexts.get(name);
    if (!pending) {
      pending = authority.issueLeaf({ hosts: [name] }).then((identity) => tls.createSecureContext({ key: identity.keyPem, cert: chainPem(identity, send) }));
      contexts.set(name, pending);
    }
    return pending;
  };
  // Clients that send no SNI (IP literals) get a leaf for the address they connected to.
  const fallback = await authority.issueLeaf({ hosts: [listenHost] });
  return tls.createServer({
    key: fallback.keyPem,
    cert: chainPem(fallback, send),
    SNICallback: (name, done) => void contextFor(name).then((context) => done(null, context), (error: Error) => done(error)),
  });
}

/** Clients that give up mid-handshake (the probe's deadlines) must not crash the lab: listenTracked sees to it. */
function startServer(host: string, port: number, server: Server): Promise<LabTlsServer> {
  return listenTracked(server, host, port);
}
