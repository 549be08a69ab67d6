// The proxy probe: is the configured proxy itself reachable, and does it speak HTTP?
// What it may do for each target (407, 403, 502) is the tunnel's finding, per target: see tunnel.ts.
import { proxyEndpoint, redactUrl } from '../config/proxy-settings.js';
import { classifyConnectError, formatHostPort, openConnection, type ConnectFailureCode } from '../net/connect.js';
import { elapsedSince, stepDeadline, type Probe } from './probe.js';
import { toOneLine } from '../model/evidence-text.js';
import { readResponseHead, ResponseHeadError } from '../http/raw-response.js';

export interface ProxyProbeTarget {
  /** The proxy URL (ProxyPlan.url). Its credentials are not sent: reachability needs none. */
  url: string;
}

export interface ProxyEvidence {
  /** The proxy URL without its password. */
  proxy: string;
  /** The address connected to (the proxy may be named by host name); null when no connection opened. */
  address: string | null;
  port: number;
  connectMs: number | null;
  /** The proxy's status line, e.g. "HTTP/1.1 501 Not Implemented": any HTTP answer shows it speaks HTTP. */
  answer: string | null;
  via: string | null;
  server: string | null;
  failure: {
    code: 'PROXY_UNREACHABLE';
    /** The tcp code when the connection did not open; null when it opened but no HTTP answer came. */
    tcpCode: ConnectFailureCode | null;
    detail: string;
  } | null;
}

const MAX_HEADER_SHOWN = 120;

export const probeProxy: Probe<ProxyProbeTarget, ProxyEvidence> = async (target, ctx) => {
  const endpoint = proxyEndpoint(target.url);
  const proxy = redactUrl(target.url);
  const silent = { answer: null, via: null, server: null };
  const started = performance.now();
  let socket;
  try {
    socket = await openConnection(endpoint.host, endpoint.port, stepDeadline(ctx));
  } catch (error) {
    const failure = classifyConnectError(error, false);
    return {
      proxy, address: null, port: endpoint.port, connectMs: null, ...silent,
      failure: { code: 'PROXY_UNREACHABLE', tcpCode: failure.code, detail: `cannot connect to proxy ${proxy}: ${failure.message}` },
    };
  }
  const connectMs = elapsedSince(started);
  const address = socket.remoteAddress ?? endpoint.host;
  const opened = { proxy, address, port: endpoint.port, connectMs };
  try {
    // OPTIONS * with Max-Forwards: 0 asks about the proxy itself: the asterisk form names no resource, and
    // RFC 9110 (7.6.2) tells a recipient of Max-Forwards: 0 to answer rather than forward. The proxy opens
    // no upstream connection and changes nothing; squid, for one, answers 501 from its own error page.
    socket.write(`OPTIONS * HTTP/1.1\r\nHost: ${formatHostPort(endpoint.host, endpoint.port)}\r\nMax-Forwards: 0\r\nConnection: close\r\nUser-Agent: egress-preflight\r\n\r\n`);
    const head = await readResponseHead(socket, stepDeadline(ctx));
    const header = (name: string) => {
      const values = head.headers.get(name);
      return values ? toOneLine(values.join(', '), MAX_HEADER_SHOWN) : null;
    };
    return { ...opened, answer: head.statusLine, via: header('via'), server: header('server'), failure: null };
  } catch (error) {
    if (!(error instanceof ResponseHeadError)) throw error;
    const at = formatHostPort(address, endpoint.port);
    return {
      ...opened, ...silent,
      failure: { code: 'PROXY_UNREACHABLE', tcpCode: null, detail: `proxy ${proxy} accepted a connection at ${at}, but ${error.message}: it does not act as an HTTP proxy` },
    };
  } finally {
    socket.destroy();
  }
};
