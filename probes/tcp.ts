// The tcp probe: does a TCP connection to one address and port open, and stay open for a moment?
import { classifyConnectError, openConnection, type ConnectFailureCode } from '../net/connect.js';
import { elapsedSince, releaseDeadline, stepDeadline, type ProbeContext } from './probe.js';
import { LOCAL_ROUTE_ERRNOS, lookUpRoute } from './route.js';

/**
 * How long an opened connection is watched for a reset. Devices that accept and then reset (a firewall
 * policy applied after the handshake) do so within a round trip; a handshake alone would hide them.
 */
export const RESET_WATCH_MS = 50;

export interface TcpTarget {
  address: string;
  /** The port actually connected to (after the port map). */
  port: number;
}

export interface TcpEvidence {
  address: string;
  port: number;
  /** Time to an established connection; null when none was established. */
  connectMs: number | null;
  failure: TcpFailure | null;
}

export interface TcpFailure {
  code: ConnectFailureCode;
  detail: string;
  /** The socket error (ENETUNREACH…); null at the deadline. */
  errno?: string | null;
  /**
   * The connect failed because this machine has no route to the address: the kernel's route lookup fails too.
   * Set only by probeTcp; the --ip-family rule skips an IPv6 address for it when IPv4 remains.
   */
  noRouteHere?: boolean;
}

export async function probeTcp(target: TcpTarget, ctx: ProbeContext): Promise<TcpEvidence> {
  const started = performance.now();
  const base = { address: target.address, port: target.port };
  const deadline = stepDeadline(ctx);
  try {
    const socket = await openConnection(target.address, target.port, deadline).finally(() => releaseDeadline(deadline));
    const connectMs = elapsedSince(started);
    const reset = await watchForReset(socket);
    socket.destroy();
    return { ...base, connectMs, failure: reset ? { code: reset.code, detail: reset.message, errno: reset.errno, noRouteHere: false } : null };
  } catch (error) {
    const failure = classifyConnectError(error, false);
    // Only these errors can mean "no route here"; the route lookup tells it from an unreachable sent back.
    const noRouteHere = failure.errno !== null && LOCAL_ROUTE_ERRNOS.has(failure.errno)
      && (await lookUpRouteWithin(target, ctx)).noRoute;
    return { ...base, connectMs: null, failure: { code: failure.code, detail: failure.message, errno: failure.errno, noRouteHere } };
  }
}

async function lookUpRouteWithin(target: TcpTarget, ctx: ProbeContext): ReturnType<typeof lookUpRoute> {
  const deadline = stepDeadline(ctx);
  try {
    return await lookUpRoute(target.address, target.port, deadline);
  } finally {
    releaseDeadline(deadline);
  }
}

function watchForReset(socket: import('node:net').Socket) {
  return new Promise<ReturnType<typeof classifyConnectError> | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), RESET_WATCH_MS);
    const closedEarly = (error?: Error) => {
      clearTimeout(timer);
      resolve(error ? classifyConnectError(error, false) : null);
    };
    socket.once('error', closedEarly);
    // A clean FIN right away is still an open port (many servers close idle connections): not a failure.
    socket.once('end', () => closedEarly());
    socket.resume();
  });
}
