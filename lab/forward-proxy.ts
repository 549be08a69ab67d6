// An in-process forward proxy for tests on loopback: CONNECT tunnels and absolute-form requests, allow and
// deny lists with a block page, 407 Basic authentication, an upstream-error mode, and TLS re-signing with its
// own CA as inspecting proxies do. It resolves target names itself, through an injectable resolve(), and
// connects only to loopback addresses.
import http, { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { classifyConnectError, openConnection } from '../net/connect.js';
import { deadlineSignal } from '../net/deadline.js';
import { listen } from './loopback.js';
import { chainPem, type LabAuthority } from './pki.js';

export interface ForwardProxyOptions {
  /** Loopback address to listen on. */
  host: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** The address a target name stands for; null when it has none. IP literals need no entry. */
  resolve?: (host: string) => string | null | Promise<string | null>;
  /** When set, only targets matching one of these ("host" or "*.suffix") pass; the others are denied. */
  allow?: readonly string[];
  /** Targets denied with 403 and a block page. */
  deny?: readonly string[];
  /** The policy the block page's <title> names. */
  denyPolicy?: string;
  /** Demand Basic credentials (407); `alsoOffer` adds challenges for schemes the lab cannot check. */
  auth?: { username: string; password: string; realm?: string; alsoOffer?: ReadonlyArray<'NTLM' | 'Negotiate'> };
  /** Answer every request that passes auth and policy with this status, as a proxy whose upstream fails. */
  upstreamError?: 502 | 503 | 504;
  /** Deadline of the proxy's own connection to a target. */
  upstreamTimeoutMs?: number;
  /**
   * Intercept TLS inside CONNECT tunnels: the client gets a leaf for the target host issued by this authority
   * (with its intermediates), the target a TLS connection of the proxy's own. Other tunnelled traffic passes as it is.
   */
  resignWith?: LabAuthority;
}

/** One request as the proxy saw it, so tests can assert the path taken. */
export interface ProxyRequestRecord {
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise, "*" for OPTIONS *. */
  target: string;
  hadCredentials: boolean;
  /** What the client got: 200 for an open tunnel, the upstream's status for a forwarded request. */
  status: number;
}

export interface LabForwardProxy {
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  requests: ProxyRequestRecord[];
  close(): Promise<void>;
}

interface Reply {
  status: number;
  title: string;
  headers?: Record<string, string | string[]>;
}

type Decision = { kind: 'reply'; reply: Reply } | { kind: 'connect'; address: string };

const SERVER_NAME = 'lab-forward-proxy';
/** First byte of a TLS record carrying a handshake message: how a ClientHello starts. */
const TLS_HANDSHAKE_RECORD = 0x16;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 3000;
/** Headers meant for the proxy or for one hop only: forwarded in neither direction. */
const HOP_BY_HOP = new Set(['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export async function startForwardProxy(options: ForwardProxyOptions): Promise<LabForwardProxy> {
  const requests: ProxyRequestRecord[] = [];
  const sockets = new Set<Socket>();
  let closed = false;
  const track = (socket: Socket) => {
    // A peer's reset must not crash the test process; the exchange that owns the socket handles the outcome.
    socket.on('error', () => {});
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const resigned = new Map<string, Promise<tls.SecureContext>>();
  const interceptOrSplice = (client: Socket, upstream: Socket, host: string, authority: LabAuthority) => {
    client.once('data', (first: Buffer) => {
      client.pause();
      client.unshift(first);
      if (first[0] !== TLS_HANDSHAKE_RECORD) return splice(client, upstream);
      let context = resigned.get(host);
      if (!context) {
        context = authority.issueLeaf({ hosts: [host] }).then((identity) => tls.createSecureContext({ key: identity.keyPem, cert: chainPem(identity, { intermediates: true, root: false }) }));
        resigned.set(host, context);
      }
      void context.then((secureContext) => {
        // The ClientHello already read is still buffered on `client`: the TLS server side reads it from there.
        const inbound = new tls.TLSSocket(client, { isServer: true, secureContext });
        // The lab's inspecting proxy trusts every target: tests look at what the client is shown.
        const outbound = tls.connect({ socket: upstream, rejectUnauthorized: false, ...(net.isIP(host) === 0 ? { servername: host } : {}) });
        for (const side of [inbound, outbound]) side.on('error', () => side.destroy());
        splice(inbound, outbound);
      });
    });
    client.resume();
  };
  const record = (req: IncomingMessage, target: string, status: number) => {
    requests.push({ method: req.method ?? '', target, hadCredentials: req.headers['proxy-authorization'] !== undefined, status });
  };
  // Authentication first, then policy and the rest: the order proxies apply them in.
  const decide = async (req: IncomingMessage, targetHost: string): Promise<Decision> => {
    const demand = authDemand(options, req.headers);
    return demand ? { kind: 'reply', reply: demand } : decideTarget(options, targetHost);
  };

  const server = http.createServer();
  server.on('connection', track);

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    const authority = parseAuthority(target);
    const refuse = (reply: Reply) => {
      record(req, target, reply.status);
      client.end(rawResponse(reply));
    };
    if (!authority) return refuse({ status: 400, title: `Not a host:port: ${target}` });
    void (async () => {
      const decision = await decide(req, authority.host);
      if (decision.kind === 'reply') return refuse(decision.reply);
      let upstream: Socket;
      try {
        upstream = await openConnection(decision.address, authority.port, deadlineSignal(options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS));
      } catch (error) {
        return refuse(upstreamFailure(target, error));
      }
      track(upstream);
      if (client.destroyed) return upstream.destroy();
      record(req, target, 200);
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) client.unshift(head);
      if (options.resignWith) interceptOrSplice(client, upstream, authority.host, options.resignWith);
      else splice(client, upstream);
    })();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    const respond = (reply: Reply) => {
      record(req, target, reply.status);
      writeReply(res, reply);
    };
    if (req.method === 'OPTIONS' && target === '*') {
      // About the proxy itself: answered here, never forwarded.
      return respond(authDemand(options, req.headers) ?? { status: 200, title: 'Proxy options', headers: { allow: 'OPTIONS, GET, HEAD, POST, CONNECT' } });
    }
    const url = URL.canParse(target) ? new URL(target) : null;
    if (!url || url.protocol !== 'http:') return respond({ status: 400, title: 'Not a proxy request: the target must be an absolute http:// URL' });
    void (async () => {
      const decision = await decide(req, url.hostname.replace(/^\[(.*)\]$/, '$1'));
      if (decision.kind === 'reply') return respond(decision.reply);
      const upstream = http.request({
        host: decision.address,
        port: url.port === '' ? 80 : Number(url.port),
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: forwardedHeaders(req.headers),
        agent: false,
        timeout: options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
      });
      upstream.on('socket', track);
      upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('the target did not answer in time'), { code: 'ETIMEDOUT' })));
      upstream.on('error', (error) => (res.headersSent ? res.destroy() : respond(upstreamFailure(target, error))));
      upstream.on('response', (answer) => {
        record(req, target, answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, { ...forwardedHeaders(answer.headers), via: `1.1 ${SERVER_NAME}` });
        answer.pipe(res);
      });
      req.pipe(upstream);
    })();
  });

  const port = await listen(server, options.host, options.port ?? 0);
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url: `http://${net.isIPv6(options.host) ? `[${options.host}]` : options.host}:${port}`,
    requests,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })),
  };
}

/** The 407 to send when the proxy demands credentials and the request lacks the right ones. */
function authDemand(options: ForwardProxyOptions, headers: IncomingHttpHeaders): Reply | null {
  const { auth } = options;
  if (!auth || headers['proxy-authorization'] === basicCredentials(auth.username, auth.password)) return null;
  const challenges = [`Basic realm="${auth.realm ?? 'lab proxy'}"`, ...(auth.alsoOffer ?? [])];
  return { status: 407, title: 'Proxy Authentication Required', headers: { 'proxy-authenticate': challenges } };
}

/** Policy, then the upstream-error mode, then resolution. */
async function decideTarget(options: ForwardProxyOptions, targetHost: string): Promise<Decision> {
  const reply = (status: number, title: string): Decision => ({ kind: 'reply', reply: { status, title } });
  const allowed = !options.allow || options.allow.some((pattern) => matchesPattern(targetHost, pattern));
  if (!allowed || options.deny?.some((pattern) => matchesPattern(targetHost, pattern))) {
    return reply(403, `Access Denied by policy ${options.denyPolicy ?? 'lab-deny'}`);
  }
  if (options.upstreamError) return reply(options.upstreamError, `${STATUS_CODES[options.upstreamError]} (lab upstream error)`);
  const address = net.isIP(targetHost) !== 0 ? targetHost : await options.resolve?.(targetHost) ?? null;
  if (address === null) return reply(502, `Cannot resolve ${targetHost}`);
  // The lab must never send traffic off the machine, whatever a test's resolve() returns.
  if (!isLoopback(address)) return reply(502, `The lab proxy reaches loopback addresses only, not ${address}`);
  return { kind: 'connect', address };
}

/** Joins two streams both ways; either side closing destroys the other, so close() never waits on a half-closed pair. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
}

function basicCredentials(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function matchesPattern(host: string, pattern: string): boolean {
  const name = host.toLowerCase();
  const rule = pattern.toLowerCase();
  return rule.startsWith('*.') ? name.endsWith(rule.slice(1)) : name === rule;
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

/** CONNECT's host:port, IPv6 in brackets. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(authority);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  return host !== undefined && port >= 1 && port <= 65535 ? { host, port } : null;
}

function upstreamFailure(target: string, error: unknown): Reply {
  const failure = classifyConnectError(error, false);
  return { status: failure.code === 'TCP_TIMEOUT' ? 504 : 502, title: `Connection to ${target} failed: ${failure.message}` };
}

function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** The proxy's own page: an HTML document whose <title> says what happened, as real proxies' pages do. */
function page(reply: Reply): { headers: Record<string, string | string[] | number>; body: string } {
  const title = escapeHtml(reply.title);
  const body = `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
  return {
    headers: { server: SERVER_NAME, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', ...reply.headers },
    body,
  };
}

function writeReply(res: ServerResponse, reply: Reply): void {
  const { headers, body } = page(reply);
  res.writeHead(reply.status, STATUS_CODES[reply.status], headers);
  res.end(body);
}

/** The same page written straight to a CONNECT client's socket, which no ServerResponse serves. */
function rawResponse(reply: Reply): string {
  const { headers, body } = page(reply);
  const lines = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`));
  return `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
