// Proxy URLs: how a setting's text becomes the URL the run connects to, and how reports show it (the password
// replaced). Pure.
import { UsageError } from './errors.js';
import type { ProxyPlan, ProxySource } from './plan.js';

/** Where to connect to reach the proxy, and the Basic credentials its URL carries (decoded). */
export interface ProxyEndpoint {
  /** Name or IP literal, IPv6 without brackets. */
  host: string;
  port: number;
  username: string;
  password: string;
}

export const HTTP_DEFAULT_PORT = 80;
const EXPECTED_FORM = 'expected http://[user:pass@]host:port';

/** The proxy URL as reports show it: scheme, user name and host:port, the password replaced by ***. */
export function redactUrl(url: string): string {
  const parsed = url.includes('://') ? parseUrl(url) : null;
  if (!parsed) {
    // Not a URL: hide everything up to the last "@", where a password could be.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, (_match, scheme: string | undefined) => `${scheme ?? ''}***@`);
  }
  return formatUrl(parsed, '***');
}

/** Host, port and decoded credentials of a proxy URL as resolveProxy returns it. */
export function proxyEndpoint(url: string): ProxyEndpoint {
  const parsed = toProxyUrl(url, 'proxy');
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? HTTP_DEFAULT_PORT : Number(parsed.port),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/** A plan for the proxy URL `text`; `origin` names the setting in errors. Throws UsageError for a bad URL. */
export function planFor(text: string, source: ProxySource, origin: string, bypass: string[]): ProxyPlan {
  const url = formatUrl(toProxyUrl(text, origin), null);
  return { url, display: redactUrl(url), source, bypass };
}

/** Parses and validates a proxy URL; a bare host:port is taken as http://, as curl does. */
function toProxyUrl(text: string, origin: string): URL {
  const problem = proxyUrlProblem(text);
  if (problem !== null) throw new UsageError(`${origin}: ${problem}`);
  return parseUrl(withScheme(text)) as URL;
}

/** Why `text` is not a usable proxy URL, or null. The text itself is never repeated unredacted. */
export function proxyUrlProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return `the proxy URL is empty (${EXPECTED_FORM})`;
  const parsed = parseUrl(withScheme(trimmed));
  // An unparseable URL cannot be redacted reliably: it is not repeated.
  if (!parsed || parsed.hostname === '') return `not a valid proxy URL (${EXPECTED_FORM})`;
  if (parsed.protocol !== 'http:') {
    return `${redactUrl(trimmed)} uses ${parsed.protocol}//, but the agents speak plain HTTP to their proxy: use http://`;
  }
  return null;
}

function withScheme(text: string): string {
  const trimmed = text.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** scheme://[user[:password]@]host[:port]; a path, query or fragment means nothing for a proxy and is dropped. */
function formatUrl(url: URL, passwordMask: string | null): string {
  const password = url.password === '' ? '' : `:${passwordMask ?? url.password}`;
  const userinfo = url.username === '' && password === '' ? '' : `${url.username}${password}@`;
  return `${url.protocol}//${userinfo}${url.host}`;
}

