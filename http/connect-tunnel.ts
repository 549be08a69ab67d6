// CONNECT tunnels through an HTTP proxy: a ProxyTransport opens one and hands back its socket, or rejects with what
// the proxy said instead (http/proxy-refusal.ts).
// Raw net rather than undici's Client.connect: undici hands back the socket whatever the status, without the
// reason phrase, and leaves a refusal page unread on that socket. Reading the answer here gives the status
// line, every Proxy-Authenticate header and the page's <title>, each under the caller's deadline.
import type net from 'node:net';
import { proxyEndpoint, redactUrl } from '../config/proxy-settings.js';
import { formatHostPort, openConnection } from '../net/connect.js';
import { deadlineSignal } from '../net/deadline.js';
import { htmlTitle } from './page.js';
import { proxyAuthorization } from './proxy-auth.js';
import { ProxyRefusalError, refusalOf, unreachableRefusal, type ProxyRefusal } from './proxy-refusal.js';
import { readPage, readResponseHead, ResponseHeadError, type ResponseHead } from './raw-response.js';

/** Opens a byte stream to host:port through a proxy; the proxy resolves the host itself. */
export type ProxyTransport = (host: string, port: number, signal: AbortSignal) => Promise<net.Socket>;

/**
 * How long a refusal page may take after the status line. It only adds a title, so it must not stretch a
 * refusal to the whole deadline when a proxy keeps the connection open without saying how long its page is.
 */
const PAGE_GRACE_MS = 1000;

/**
 * A ProxyTransport that opens a CONNECT tunnel through the proxy at `proxyUrl` (http://[user:pass@]host:port) and
 * resolves with the tunnel's socket, paused and ready for tls.connect({ socket }); the caller owns it. Rejects
 * with a ProxyRefusalError. Basic credentials in the URL go in Proxy-Authorization and nowhere else.
 */
export function createProxyTransport(proxyUrl: string): ProxyTransport {
  const endpoint = proxyEndpoint(proxyUrl);
  const proxy = redactUrl(proxyUrl);
  const authorization = proxyAuthorization(endpoint);

  return async (host, port, signal) => {
    const target = formatHostPort(host, port);
    // The target goes into the request line: nothing that could end it or start another header.
    if (!/^[A-Za-z0-9._:[\]-]+$/.test(target)) throw new TypeError(`not a host name or address: ${JSON.stringify(host)}`);
    const refuse = (fields: Omit<ProxyRefusal, 'proxy' | 'target' | 'credentialsSent' | 'statusText'> & { statusText?: string }) =>
      new ProxyRefusalError({ proxy, target, credentialsSent: authorization !== null, statusText: '', ...fields });

    let socket: net.Socket;
    try {
      socket = await openConnection(endpoint.host, endpoint.port, signal);
    } catch (error) {
      throw new ProxyRefusalError(unreachableRefusal({ proxy, target, credentialsSent: authorization !== null }, error));
    }

    const credentials = authorization === null ? '' : `Proxy-Authorization: ${authorization}\r\n`;
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${credentials}User-Agent: egress-preflight\r\n\r\n`);
    let head: ResponseHead;
    try {
      head = await readResponseHead(socket, signal);
    } catch (error) {
      socket.destroy();
      if (!(error instanceof ResponseHeadError)) throw error;
      throw refuse({ code: 'PROXY_ERROR', detail: `proxy ${proxy} accepted the connection for CONNECT ${target}, but ${error.message}` });
    }
    if (head.status >= 200 && head.status < 300) {
      // Bytes after the head already belong to the tunnel.
      if (head.rest.length > 0) socket.unshift(head.rest);
      return socket;
    }

    const page = await readPage(socket, head, deadlineSignal(PAGE_GRACE_MS, signal));
    socket.destroy();
    const answer = { status: head.status, statusText: head.statusText, pageTitle: htmlTitle(page.toString('utf8')), proxyAuthenticate: head.headers.get('proxy-authenticate') ?? [] };
    throw new ProxyRefusalError(refusalOf(answer, { proxy, target, request: `CONNECT ${target}`, failure: `could not open a tunnel to ${target}`, credentialsSent: authorization !== null }));
  };
}
