// How each hop of a port-80 fetch gets its connection: straight to the addresses this run's dns check found (never
// the OS resolver's answer), trying each in turn under the connect deadline, or to a forward proxy that relays an
// absolute-form request and resolves the name itself; per hop, since a redirect may cross from one to the other.
// A redirect's policy (http/redirects.ts) judges each resolved address here, before anything connects.
import { isIP, type Socket } from 'node:net';
import type { buildConnector, Dispatcher } from 'undici';
import { proxyEndpoint, redactUrl } from '../config/proxy-settings.js';
import type { DnsCode } from '../model/codes.js';
import { classifyConnectError, formatHostPort, openConnection, type ConnectFailureCode } from '../net/connect.js';
import { deadlineSignal, elapsedSince } from '../net/deadline.js';
import { proxyAuthorization } from './proxy-auth.js';
import { ProxyRefusalError, unreachableRefusal } from './proxy-refusal.js';

export type RouteFailureCode = Exclude<DnsCode, 'DNS_OK'> | ConnectFailureCode;

export type ConnectAttempt = {
  address: string;
  /** The port connected to (after the port map). */
  port: number;
  code: ConnectFailureCode;
  detail: string;
};

/** The connection one hop's request goes over. */
export interface HopConnection {
  dispatcher: Dispatcher;
  /** The address connected to; null when a proxy connects for us. */
  address: string | null;
  /** The origin's port (after the port map), connected to directly or asked of the proxy. */
  port: number;
  /** To the origin, or to the proxy. */
  connectMs: number | null;
  /** Addresses that failed before this one connected. */
  failedAttempts: ConnectAttempt[];
  /** How the request goes to a proxy that relays it; null when it goes straight to the origin. */
  relay: ProxyRelay | null;
}

/** A hop a forward proxy relays: its request-target is the absolute URL (RFC 9112 3.2.2). */
export interface ProxyRelay {
  /** The proxy URL without its password: what evidence shows. */
  proxy: string;
  /** The absolute URL asked for, the port mapped. */
  target: string;
  /** Host (the target's) and Proxy-Authorization (from the proxy URL): sent, never evidence. */
  headers: Readonly<Record<string, string>>;
  credentialsSent: boolean;
}

/** No connection for a hop: the DNS answer had no usable address, or every address failed. */
export class RouteFailure extends Error {
  constructor(readonly code: RouteFailureCode, detail: string, readonly attempts: readonly ConnectAttempt[] = []) {
    super(detail);
  }
}

/** A redirect's target resolved to an address the redirect may not lead to: nothing was connected. */
export class AddressRefused extends Error {
  constructor(readonly address: string, readonly reason: string) {
    super(reason);
  }
}

/** Why a hop may not connect to an address (a redirect's policy); null when it may. */
export type AddressAdmission = (address: string) => string | null;

/** Opens the connection of each hop. */
export interface HttpRouter {
  /**
   * Runs `exchange` over a connection to `url`'s origin and releases the connection when it settles. Rejects with
   * RouteFailure when no connection opens; `signal` is the run's cancellation. `admit` judges each address the host
   * resolves to before anything connects (AddressRefused when one is refused); a proxy resolves names itself and
   * cannot apply it.
   */
  withConnection<T>(url: URL, signal: AbortSignal, exchange: (connection: HopConnection) => Promise<T>, admit?: AddressAdmission): Promise<T>;
}

/** A host's addresses as the run's dns check found them, or why there are none to use. */
export type Resolution = { addresses: readonly string[] } | { failure: { code: Exclude<DnsCode, 'DNS_OK'>; detail: string } };

export interface DirectRouterOptions {
  resolve(host: string): Promise<Resolution>;
  connectPort(port: number): number;
  connectTimeoutMs: number;
  /** Runs one network operation under the run's concurrency cap (resolution runs outside: it has its own). */
  runStep<T>(operation: () => Promise<T>): Promise<T>;
}

/** Connects straight to the origin: each resolved address in turn, each with the connect deadline. */
export function directRouter(options: DirectRouterOptions): HttpRouter {
  return {
    async withConnection(url, signal, exchange, admit) {
      const host = hostOf(url);
      const resolution = isIP(host) ? { addresses: [host] } : await options.resolve(host);
      if ('failure' in resolution) throw new RouteFailure(resolution.failure.code, resolution.failure.detail);
      // Every address is judged, not only the first: a name that also resolves inwards is not one to follow.
      for (const address of admit ? resolution.addresses : []) {
        const reason = admit?.(address);
        if (reason) throw new AddressRefused(address, isIP(host) ? reason : `${host} resolves (by this run's DNS) to ${address}: ${reason}`);
      }
      const port = options.connectPort(Number(url.port || 80));
      const { Client } = await loadUndici();
      return options.runStep(async () => {
        const failedAttempts: ConnectAttempt[] = [];
        for (const address of resolution.addresses) {
          const started = performance.now();
          let socket;
          try {
            socket = await openConnection(address, port, deadlineSignal(options.connectTimeoutMs, signal));
          } catch (error) {
            const failure = classifyConnectError(error, false);
            failedAttempts.push({ address, port, code: failure.code, detail: failure.message });
            if (signal.aborted) break;
            continue;
          }
          const connectMs = elapsedSince(started);
          return overSocket(Client, socket, url.origin, (dispatcher) => exchange({ dispatcher, address, port, connectMs, failedAttempts, relay: null }));
        }
        const last = failedAttempts[failedAttempts.length - 1];
        throw new RouteFailure(last?.code ?? 'TCP_UNREACHABLE', last?.detail ?? `${host} has no address to connect to`, failedAttempts);
      });
    },
  };
}

export interface ProxyRouterOptions {
  /** http://[user:pass@]host:port (ProxyPlan.url): its Basic credentials go in Proxy-Authorization and nowhere else. */
  proxyUrl: string;
  connectPort(port: number): number;
  /** Deadline of the connection to the proxy. */
  connectTimeoutMs: number;
  runStep<T>(operation: () => Promise<T>): Promise<T>;
}

/**
 * Sends each hop to the proxy as an absolute-form request for the origin on its mapped port; no name is resolved
 * here. A plain undici Client to the proxy rather than a ProxyAgent: ProxyAgent turns a 407 into an error and drops
 * Proxy-Authenticate, and what the proxy answered itself must be told apart from the origin's answer. Rejects with a ProxyRefusalError (PROXY_UNREACHABLE) when no connection to the proxy opens.
 */
export function proxyRouter(options: ProxyRouterOptions): HttpRouter {
  const endpoint = proxyEndpoint(options.proxyUrl);
  const proxy = redactUrl(options.proxyUrl);
  const proxyOrigin = `http://${formatHostPort(endpoint.host, endpoint.port)}`;
  const authorization = proxyAuthorization(endpoint);
  return {
    async withConnection(url, signal, exchange) {
      const port = options.connectPort(Number(url.port || 80));
      // The request-target names the origin and the resource: no user info, no fragment.
      const absolute = new URL(`${url.pathname}${url.search}`, `${url.protocol}//${url.host}`);
      absolute.port = String(port);
      const relay: ProxyRelay = {
        proxy,
        target: absolute.href,
        headers: { host: absolute.host, ...(authorization === null ? {} : { 'proxy-authorization': authorization }) },
        credentialsSent: authorization !== null,
      };
      const { Client } = await loadUndici();
      return options.runStep(async () => {
        const started = performance.now();
        let socket;
        try {
          socket = await openConnection(endpoint.host, endpoint.port, deadlineSignal(options.connectTimeoutMs, signal));
        } catch (error) {
          throw new ProxyRefusalError(unreachableRefusal({ proxy, target: relay.target, credentialsSent: relay.credentialsSent }, error));
        }
        const connectMs = elapsedSince(started);
        return overSocket(Client, socket, proxyOrigin, (dispatcher) => exchange({ dispatcher, address: null, port, connectMs, failedAttempts: [], relay }));
      });
    },
  };
}

/**
 * A router that picks, for each hop, the router for the hop's host and the port its URL names (before the port
 * map): a redirect may lead from a host the proxy serves to one that bypasses it, or back.
 */
export function routerPerHost(choose: (host: string, port: number) => HttpRouter): HttpRouter {
  return {
    withConnection: (url, signal, exchange, admit) => choose(hostOf(url), Number(url.port || 80)).withConnection(url, signal, exchange, admit),
  };
}

/**
 * undici, imported when the first fetch starts (about 0.1 s): a run's first DNS query, and a run without port-80
 * checks, need none of it. Awaited before a fetch opens its socket, never between: a socket must not wait
 * without undici's error handling while an import completes.
 */
let undiciLoaded: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undiciLoaded ??= import('undici'));

/** Runs `use` with a client over `socket`, which undici then owns, and destroys it once `use` settles. */
async function overSocket<T>(Client: typeof import('undici').Client, socket: Socket, origin: string, use: (dispatcher: Dispatcher) => Promise<T>): Promise<T> {
  const dispatcher = new Client(origin, { connect: handOver(socket) });
  try {
    return await use(dispatcher);
  } finally {
    await dispatcher.destroy();
  }
}

/**
 * undici's connector, giving it the socket we opened (once: one hop, one connection). The callback must come
 * asynchronously, as from a real connect: called synchronously, undici's client stalls with the request queued.
 */
function handOver(socket: Socket): buildConnector.connector {
  let given = false;
  return (_options, callback) => {
    const first = !given;
    given = true;
    queueMicrotask(() => (first ? callback(null, socket) : callback(new Error('the connection of this hop was already used'), null)));
  };
}

/** URL hostnames keep IPv6 brackets; connections want the bare literal. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
