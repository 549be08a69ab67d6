// The tunnel probe: the tcp check's observation when a proxy is in the way (host × port, the proxy resolves): can
// a CONNECT tunnel to the target be opened through the proxy, and if not, what did the proxy say?
import { formatHostPort } from '../net/connect.js';
import { describeError, elapsedSince, stepDeadline, type Probe } from './probe.js';
import type { ProxyTransport } from '../http/connect-tunnel.js';
import { ProxyRefusalError, type ProxyRefusal } from '../http/proxy-refusal.js';

export interface TunnelTarget {
  host: string;
  /** The port asked for in CONNECT (after the port map). */
  port: number;
  transport: ProxyTransport;
}

export interface TunnelEvidence {
  /** host:port asked for in CONNECT. */
  target: string;
  /** Time until the proxy answered 2xx; null when it refused. */
  connectMs: number | null;
  refusal: ProxyRefusal | null;
}

export const probeTunnel: Probe<TunnelTarget, TunnelEvidence> = async (target, ctx) => {
  const started = performance.now();
  const where = formatHostPort(target.host, target.port);
  try {
    const socket = await target.transport(target.host, target.port, stepDeadline(ctx));
    const connectMs = elapsedSince(started);
    socket.destroy();
    return { target: where, connectMs, refusal: null };
  } catch (error) {
    if (error instanceof ProxyRefusalError) return { target: where, connectMs: null, refusal: error.refusal };
    const detail = `CONNECT ${where} failed: ${describeError(error)}`;
    return { target: where, connectMs: null, refusal: { code: 'PROXY_ERROR', proxy: '', target: where, statusText: '', credentialsSent: false, detail } };
  }
};
