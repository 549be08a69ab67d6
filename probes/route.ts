// Does this machine have a route to an address? The kernel is asked through a UDP socket's connect(), which looks
// the route up and sends nothing. It tells "this machine has no IPv6 route" apart from an ICMP unreachable that a
// router or a firewall's reject sent back: a TCP connect reports both with the same error codes.
import dgram from 'node:dgram';
import net from 'node:net';

/** What a TCP connect raises when the route lookup, or the address family itself, fails on this machine. */
export const LOCAL_ROUTE_ERRNOS: ReadonlySet<string> = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

export interface RouteEvidence {
  /** True only when the lookup itself failed with one of LOCAL_ROUTE_ERRNOS; any other outcome claims nothing. */
  noRoute: boolean;
  errno: string | null;
}

/** Looks up the route to `address` (a UDP connect, no packet sent); gives up, claiming nothing, when `signal` aborts. */
export function lookUpRoute(address: string, port: number, signal: AbortSignal): Promise<RouteEvidence> {
  return new Promise((resolve) => {
    let socket: dgram.Socket | null = null;
    let settled = false;
    const settle = (evidence: RouteEvidence) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      try {
        socket?.close();
      } catch {
        // never bound (socket creation failed): nothing to close
      }
      resolve(evidence);
    };
    const fromError = (error: unknown) => {
      const errno = (error as NodeJS.ErrnoException | null)?.code ?? null;
      settle({ noRoute: errno !== null && LOCAL_ROUTE_ERRNOS.has(errno), errno });
    };
    const onAbort = () => settle({ noRoute: false, errno: null });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
      // The implicit bind fails here when the family is unsupported (EAFNOSUPPORT).
      socket.once('error', fromError);
      socket.connect(port, address, (error?: Error) => (error ? fromError(error) : settle({ noRoute: false, errno: null })));
    } catch (error) {
      fromError(error);
    }
  });
}
