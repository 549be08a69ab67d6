// One attempt of the tls probe: open the byte stream (a direct connection, or the transport a proxy tunnel gives),
// then the handshake in one mode, each step under its own deadline. Everything it returns is plain data, so an
// attempt runs in a probe thread as well as in the main one (runner/probe-threads.ts); judging the chain does not
// happen here.
import type net from 'node:net';
import { DNS_CODES, PROXY_CODES, TCP_CODES, type TransportCode } from '../model/codes.js';
import { classifyConnectError, openConnection } from '../net/connect.js';
import { elapsedSince, releaseDeadline, stepDeadline, type ProbeContext } from './probe.js';
import type { Attempt, AttemptTarget, Mode, TlsEvidence } from './tls-evidence.js';
import { handshakeFailureOf } from './tls-failures.js';
import { handshake } from './tls-handshake.js';

const TRANSPORT_CODES: ReadonlySet<string> = new Set([...DNS_CODES, ...TCP_CODES, ...PROXY_CODES].filter((code) => !code.endsWith('_OK')));

/** `known`: the certificates the judging thread already holds (see PresentedChain). */
export async function attemptTls(target: AttemptTarget, mode: Mode, ctx: ProbeContext, known: (fingerprint: string) => boolean = () => false): Promise<Attempt> {
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
    const session = await handshake(socket, target.host, mode, handshakeDeadline, known);
    return { outcome: 'established', connectMs, handshakeMs: elapsedSince(handshakeStarted), session };
  } catch (error) {
    return { outcome: 'handshake-failed', connectMs, handshakeMs: elapsedSince(handshakeStarted), failure: handshakeFailureOf(error) };
  } finally {
    releaseDeadline(handshakeDeadline);
    // Already closed with the TLS socket, unless tls.connect itself threw.
    socket.destroy();
  }
}

function transportFailureOf(error: unknown): NonNullable<TlsEvidence['transportFailure']> {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === 'string' && TRANSPORT_CODES.has(code)) return { code: code as TransportCode, detail: error.message };
  const failure = classifyConnectError(error, false);
  return { code: failure.code, detail: failure.message };
}
