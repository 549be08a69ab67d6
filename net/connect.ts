// Opening a TCP connection with a deadline, and naming how it failed. Shared by every probe that connects and by the
// HTTP/CONNECT plumbing: a crl or tls check whose connection was refused carries TCP_REFUSED, like the tcp check.
import net from 'node:net';
import type { TcpCode } from '../model/codes.js';
import { describeError } from '../model/evidence-text.js';

export type ConnectFailureCode = Exclude<TcpCode, 'TCP_OK'>;

export class ConnectFailure extends Error {
  /** The socket error's code (ENETUNREACH…); null at the deadline. The --ip-family rule needs the exact cause. */
  constructor(readonly code: ConnectFailureCode, detail: string, readonly errno: string | null = null) {
    super(detail);
  }
}

const UNREACHABLE_ERRNOS = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENETDOWN', 'EHOSTDOWN', 'EACCES', 'EPERM']);

/** The tcp code for a socket error (or for the deadline, when `timedOut`). */
export function classifyConnectError(error: unknown, timedOut: boolean): ConnectFailure {
  if (error instanceof ConnectFailure) return error;
  if (timedOut) return new ConnectFailure('TCP_TIMEOUT', 'no answer to the connection attempt before the deadline (filtered?)');
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const known = errno === '' ? null : errno;
  if (errno === 'ECONNREFUSED') return new ConnectFailure('TCP_REFUSED', 'connection refused (RST): nothing listens, or a firewall rejects', known);
  if (errno === 'ECONNRESET' || errno === 'EPIPE') return new ConnectFailure('TCP_RESET', 'the connection was reset right after it opened', known);
  if (errno === 'ETIMEDOUT') return new ConnectFailure('TCP_TIMEOUT', 'the connection attempt timed out', known);
  if (UNREACHABLE_ERRNOS.has(errno)) return new ConnectFailure('TCP_UNREACHABLE', `no route to the address (${errno})`, known);
  return new ConnectFailure('TCP_UNREACHABLE', describeError(error), known);
}

/** Resolves with the connected socket, or rejects with a ConnectFailure. The caller owns the socket. */
export function openConnection(address: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(classifyConnectError(undefined, true));
    const socket = net.connect({ host: address, port, autoSelectFamily: false });
    const onAbort = () => {
      socket.destroy();
      reject(classifyConnectError(undefined, true));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(classifyConnectError(error, false));
    };
    socket.once('error', onError);
  });
}

/** "host:port" with IPv6 in brackets. */
export function formatHostPort(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
