// What the port-80 checks (http, crl, ocsp) share: their result subject, the dns prerequisite of configured hosts,
// the verdict when no connection opened or the proxy answered itself, the note naming the proxy a fetch went
// through, and how to tell a proxy's or firewall's page from the origin's answer.
import type { ProxyPlan } from '../../config/plan.js';
import type { Code } from '../../model/codes.js';
import type { CheckResult } from '../../model/result.js';
import type { ConnectFailureCode } from '../../net/connect.js';
import type { FetchEvidence, HopEvidence, HttpAnswer } from '../../http/fetch-evidence.js';
import type { RouteFailureCode } from '../../http/routes.js';
import type { PageEvidence } from '../../http/page.js';
import type { ProxyRefusal } from '../../http/proxy-refusal.js';
import { skippedFor, type CheckRun, type ResultSubject, type Verdict } from '../check-run.js';
import { dnsCheck } from './dns.js';
import { describeProxySource } from '../../config/proxy-settings.js';
import { judgeTcp } from './tcp.js';

/** `http:<url>`, `crl:<url>`, `ocsp:<url>`: host is the URL's (JUnit groups by it), port the one it names. */
export function urlSubject(check: 'http' | 'crl' | 'ocsp', url: string): ResultSubject {
  return { id: `${check}:${url}`, check, ...hostAndPort(url), address: null, url };
}

/** A URL's host (IPv6 without brackets) and port; read loosely when it does not parse (unfilled {placeholders}). */
function hostAndPort(url: string): { host: string; port: number } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 80) };
  } catch {
    const match = /^[a-z]+:\/\/([^/:?#]*)(?::(\d+))?/i.exec(url);
    return { host: match?.[1] ?? url, port: Number(match?.[2] ?? 80) };
  }
}

/**
 * When the URL's host is one the run checks, its dns result is reported already: a failure there skips this check
 * (never a second failure for the same cause). Hosts only a certificate names have no dns result, so their DNS
 * failure is this check's own code. Through the proxy nothing is resolved here: the proxy resolves the name; nor for
 * an IP literal, which the fetch connects to as it is.
 */
export async function dnsPrerequisite(run: CheckRun, subject: ResultSubject): Promise<CheckResult | null> {
  const host = run.hosts.find((candidate) => candidate.host === subject.host);
  if (!host || host.ipLiteral || run.observe.viaProxy(subject.host, subject.port ?? 80)) return null;
  const dns = await dnsCheck(run, host);
  return dns.status === 'fail' || dns.status === 'skip' ? skippedFor(subject, dns) : null;
}

/**
 * The verdict when no answer came: the proxy's refusal, the connection's failure, or (when `timeout` says how
 * to name it) the deadline; null when an answer came and the check judges it itself.
 */
export function unansweredVerdict(fetch: FetchEvidence, port: number, what: string, timeout?: { code: Code; remediation: string }): Verdict | null {
  const failure = fetch.failure;
  if (failure?.kind === 'redirect-refused') return redirectRefusedVerdict(fetch, failure, port);
  if (failure?.kind === 'proxy') return proxyRefusalVerdict(fetch, failure, port);
  if (failure?.kind === 'transport') return transportVerdict(fetch, failure, port, what);
  if (failure?.kind === 'timeout' && timeout) return { status: 'fail', code: timeout.code, message: `${fetch.url}: ${failure.detail}`, remediation: timeout.remediation };
  return null;
}

/**
 * A redirect the fetch refused (http/redirects.ts): the same code for http, crl and ocsp, because it is the
 * underlying failure and the same fault whatever was fetched; the agent must not follow it either.
 */
export function redirectRefusedVerdict(fetch: FetchEvidence, failure: { target: string; detail: string }, port: number): Verdict {
  const host = new URL(lastHop(fetch)?.url ?? fetch.url).hostname;
  return {
    status: 'fail',
    code: 'HTTP_REDIRECT_REFUSED',
    message: `${fetch.url}: ${failure.detail}`,
    remediation: `The answer for ${host} on port ${port} sends the client to ${failure.target}, where no client should be sent (the agent must not follow it either): a server, proxy or firewall that redirects there is misconfigured or hostile. Check what answers for ${host} on port ${port}.`,
  };
}

/** The verdict when no answer came for want of a connection: the tcp check's code and advice, or the DNS failure. */
export function transportVerdict(fetch: FetchEvidence, failure: { code: RouteFailureCode; detail: string }, port: number, what: string): Verdict {
  const url = fetch.url;
  const hop = lastHop(fetch);
  const host = new URL(hop?.url ?? url).hostname;
  const attempt = hop?.failedAttempts[hop.failedAttempts.length - 1];
  const address = attempt?.address ?? hop?.address;
  if (isConnectFailure(failure.code) && address) {
    const tcpCode = failure.code;
    const others = (hop?.failedAttempts.length ?? 0) > 1 ? ` (all ${hop?.failedAttempts.length} addresses failed)` : '';
    const verdict = judgeTcp(host, port, { address, port: attempt?.port ?? hop?.port ?? port, connectMs: null, failure: { code: tcpCode, detail: failure.detail } });
    return { ...verdict, message: `${url}: ${verdict.message}${others}` };
  }
  return {
    status: 'fail',
    code: failure.code,
    message: `${url}: ${failure.detail}`,
    remediation: `The agent resolves ${host} itself to fetch ${what}: it must resolve from this machine. Check the resolver's forwarding and any DNS filtering policy for ${host}.`,
  };
}

/** The verdict when the proxy answered in the origin's place (407, its refusal page, its 5xx), failed, or was unreachable. */
export function proxyRefusalVerdict(fetch: FetchEvidence, failure: { detail: string; refusal: ProxyRefusal }, port: number): Verdict {
  const { refusal } = failure;
  const host = new URL(lastHop(fetch)?.url ?? fetch.url).hostname;
  const requests = `plain-HTTP requests to ${host} (port ${port})`;
  const remediation = {
    PROXY_AUTH_REQUIRED: `The proxy demands authentication${refusal.schemes?.length ? ` (${refusal.schemes.join(', ')})` : ''}, and the connector does not support proxy authentication: allow ${requests} without authentication for this machine on the proxy.`,
    PROXY_DENIED: `The proxy's policy refuses ${requests}${refusal.pageTitle ? ` ("${refusal.pageTitle}")` : ''}: allow http://${host}/ in the proxy's URL filtering or web policy.`,
    PROXY_ERROR: `The proxy could not complete the request itself: check the proxy's own DNS and its egress to ${host} on port ${port}.`,
    PROXY_UNREACHABLE: 'This machine cannot reach the proxy: see the proxy check.',
  }[refusal.code];
  return { status: 'fail', code: refusal.code, message: `${fetch.url}: ${failure.detail}`, remediation };
}

/** A port-80 result fetched through the proxy says which proxy, and where that setting came from. */
export function notingProxy(verdict: Verdict, fetch: FetchEvidence, proxy: ProxyPlan | null): Verdict {
  if (!proxy || !fetch.hops.some((hop) => hop.proxy !== null)) return verdict;
  return { ...verdict, message: `${verdict.message}; through proxy ${proxy.display} (from ${describeProxySource(proxy)})` };
}

function isConnectFailure(code: RouteFailureCode): code is ConnectFailureCode {
  return code.startsWith('TCP_');
}

function lastHop(fetch: FetchEvidence): HopEvidence | undefined {
  return fetch.hops[fetch.hops.length - 1];
}

/**
 * A description of the page when a proxy or firewall answered in the origin's place; null when nothing says so.
 * `binaryDue`: a CRL or OCSP answer was due, so any page (HTML or text) with status 200 is someone else's.
 */
export function foreignPage(answer: HttpAnswer, page: PageEvidence | null, binaryDue: boolean): string | null {
  const isPage = page !== null && (page.kind === 'html' || page.kind === 'text');
  const status = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  const what = () => describePage(page, status);
  if (answer.status === 407) return `a proxy demands authentication (${status})${isPage ? `: ${what()}` : ''}`;
  if (answer.status === 451) return `the request was refused for legal reasons (${status})${isPage ? `: ${what()}` : ''}`;
  if (!isPage) return null;
  if (answer.status === 403 && page.kind === 'html') return what();
  if (page.markers.length > 0) return what();
  if (binaryDue && answer.status === 200) return what();
  return null;
}

function describePage(page: PageEvidence | null, status: string): string {
  if (!page) return `status ${status}`;
  const kind = page.kind === 'html' ? 'an HTML page' : 'a text answer';
  const named = page.title ? ` titled "${page.title}"` : page.excerpt ? ` ("${page.excerpt}")` : '';
  const marks = page.markers.length > 0 ? `; it mentions ${page.markers.join(', ')}` : '';
  return `${kind}${named} with status ${status}${marks}`;
}

/** The remediation for a proxy's or firewall's page in place of `url`. */
export function foreignPageRemediation(url: string, what: string): string {
  const host = new URL(url).hostname;
  return `A proxy or firewall answers for ${host} instead of the server: allow http://${host}/ (TCP 80) in its URL filtering or web policy, without authentication. The agent fetches ${what} over plain HTTP and cannot use a page in its place.`;
}

/** "3 h 20 min", "6 min 40 s", "800 ms": the two largest units. */
export function formatDuration(ms: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]];
  const whole = Math.abs(ms);
  const first = units.findIndex(([, size]) => whole >= size);
  if (first === -1) return `${Math.round(whole)} ms`;
  return units.slice(first, first + 2)
    .map(([unit, size], index) => [unit, index === 0 ? Math.floor(whole / size) : Math.floor((whole % (units[first]?.[1] ?? 1)) / size)] as const)
    .filter(([, value], index) => index === 0 || value > 0)
    .map(([unit, value]) => `${value} ${unit}`)
    .join(' ');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}
