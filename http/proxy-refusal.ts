// What a proxy did instead of opening a CONNECT tunnel or relaying a plain-HTTP request: the refusal as evidence, and
// the error that carries it out of a transport or a router. Shared by the CONNECT tunnel (http/connect-tunnel.ts)
// and by port-80 requests the proxy relays (http/proxy-answer.ts, http/routes.ts).
import type { ProxyCode } from '../model/codes.js';
import { classifyConnectError, type ConnectFailureCode } from '../net/connect.js';
import { authSchemes } from './proxy-auth.js';

export type ProxyRefusalCode = Exclude<ProxyCode, 'PROXY_OK'>;

/** What the proxy did instead of opening the tunnel or relaying the request. Every text in it is one sanitised line. */
export type ProxyRefusal = {
  code: ProxyRefusalCode;
  /** The proxy URL without its password. */
  proxy: string;
  /** What the proxy was asked for: host:port for CONNECT, the absolute URL of a plain-HTTP request. */
  target: string;
  /** The proxy's status code, when it answered in HTTP. */
  status?: number;
  /** Its reason phrase; empty when it gave none or did not answer in HTTP. */
  statusText: string;
  /** Authentication schemes a 407 offers (Basic, NTLM, Negotiate…). */
  schemes?: string[];
  /** The <title> of the proxy's HTML page (a block page names its policy there). */
  pageTitle?: string;
  /** Whether credentials from the proxy URL went with the request. */
  credentialsSent: boolean;
  /** How the connection to the proxy failed (PROXY_UNREACHABLE). */
  connectFailure?: { code: ConnectFailureCode; detail: string };
  /** One line saying what happened, for a check's message. */
  detail: string;
};

/**
 * The rejection of a ProxyTransport (and of a proxied port-80 hop's connection). `code` and `message` make it a
 * transport failure as probes/tls.ts reads one.
 */
export class ProxyRefusalError extends Error {
  readonly code: ProxyRefusalCode;

  constructor(readonly refusal: ProxyRefusal) {
    super(refusal.detail);
    this.code = refusal.code;
  }
}

/** The head of a proxy's own answer, where it answered instead of doing what was asked. */
export interface ProxyAnswer {
  status: number;
  statusText: string;
  pageTitle: string | null;
  /** Every Proxy-Authenticate value, as sent. */
  proxyAuthenticate: readonly string[];
}

/** What a refusal is about: `request` is "CONNECT host:port" or "GET http://…"; `failure` completes "proxy … " for a 5xx. */
export interface RefusedRequest {
  proxy: string;
  target: string;
  request: string;
  failure: string;
  credentialsSent: boolean;
}

/** The refusal when no connection to the proxy opens, from the connection's error. */
export function unreachableRefusal(about: Pick<RefusedRequest, 'proxy' | 'target' | 'credentialsSent'>, error: unknown): ProxyRefusal {
  const failure = classifyConnectError(error, false);
  return {
    code: 'PROXY_UNREACHABLE', ...about, statusText: '',
    connectFailure: { code: failure.code, detail: failure.message }, detail: `proxy ${about.proxy} is unreachable: ${failure.message}`,
  };
}

/**
 * A proxy's own answer as a refusal: 407 demands credentials (naming the schemes it offers); 3xx (a captive portal's
 * redirect) and 4xx refuse the target; 5xx and anything else is the proxy failing.
 */
export function refusalOf(answer: ProxyAnswer, about: RefusedRequest): ProxyRefusal {
  const { proxy, target, request, credentialsSent } = about;
  const { status, statusText, pageTitle } = answer;
  const said = `${status}${statusText ? ` ${statusText}` : ''}${pageTitle ? ` ("${pageTitle}")` : ''}`;
  const common = { proxy, target, status, statusText, credentialsSent, ...(pageTitle ? { pageTitle } : {}) };
  if (status === 407) {
    const schemes = authSchemes(answer.proxyAuthenticate);
    const offered = schemes.length > 0 ? `; it offers ${schemes.join(', ')}` : '; it names no scheme';
    const rejected = credentialsSent ? '; the user name and password in the proxy URL were not accepted' : '';
    return { code: 'PROXY_AUTH_REQUIRED', schemes, ...common, detail: `proxy ${proxy} demands authentication for ${request}: ${said}${offered}${rejected}` };
  }
  if (status >= 300 && status < 500) return { code: 'PROXY_DENIED', ...common, detail: `proxy ${proxy} refused ${request}: ${said}` };
  return { code: 'PROXY_ERROR', ...common, detail: `proxy ${proxy} ${about.failure}: ${said}` };
}
