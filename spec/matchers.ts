// vitest matchers on what the helpers observed (spec/observations.ts), registered on import of
// `egress-preflight/spec`. A failed assertion says what was observed, as the built-in checks do: the CNAME chain,
// the code and message of the check, the presented chain and its issuer. Server text reaches the reports through
// the same escaping as every other message (the reporters treat all of it as hostile).
import { expect } from 'vitest';
import type { Connection, Fetched, Handshake, Resolution } from './observations.js';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

interface MatcherContext {
  isNot: boolean;
}

type Observed = Resolution | Connection | Handshake | Fetched;

const HELPER_OF: Readonly<Record<Observed['kind'], string>> = {
  resolution: 'resolve(host)',
  connection: 'connect(host, port)',
  handshake: 'handshake(host, port)',
  fetch: 'fetchUrl(url)',
};

function kindOf(received: unknown): Observed['kind'] | null {
  const kind = typeof received === 'object' && received !== null ? (received as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && kind in HELPER_OF ? (kind as Observed['kind']) : null;
}

/**
 * A matcher given something it cannot judge fails whether negated or not: `.not.toBeInspected()` on a value that
 * is not a handshake must not pass.
 */
function misuse(context: MatcherContext, matcher: string, accepted: ReadonlyArray<Observed['kind']>, received: unknown): MatcherResult {
  const got = kindOf(received);
  const what = got ? `what ${HELPER_OF[got]} returns` : typeof received;
  return { pass: context.isNot, message: () => `${matcher}() expects what ${accepted.map((k) => HELPER_OF[k]).join(' or ')} returns; it was given ${what}` };
}

/** "a.example → CNAME b.example → A 10.0.0.1, AAAA ::1": the chain as the dns check records it. */
export function describeChain(resolved: Resolution): string {
  const cnames = resolved.chain.filter((hop) => hop.type === 'CNAME').map((hop) => `CNAME ${hop.value}`);
  const addresses = resolved.chain.filter((hop) => hop.type !== 'CNAME').map((hop) => `${hop.type} ${hop.value}`);
  return [resolved.host, ...cnames, ...(addresses.length > 0 ? [addresses.join(', ')] : ['(no address)'])].join(' → ');
}

/** The presented chain, leaf first, by common name, and the issuer named by the last one. */
export function describeCertificates(shaken: Handshake): string {
  if (shaken.chain.length === 0) return 'no certificate was presented';
  const names = shaken.chain.map((c) => `"${c.commonName ?? c.subject}"`);
  const top = shaken.chain.at(-1)!;
  return `presented ${names.join(' < ')}, the last issued by "${top.issuerCommonName ?? top.issuer}"`;
}

/** Whether `name` is `suffix` or lies under it, on a label boundary ("x.trafficmanager.net" ends in ".trafficmanager.net"). */
function endsIn(name: string, suffix: string): boolean {
  const bare = suffix.toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
  const lower = name.toLowerCase().replace(/\.$/, '');
  return lower === bare || lower.endsWith(`.${bare}`);
}

const outcome = (o: { code: string; message: string }) => `${o.code}: ${o.message}`;

export const matchers = {
  /** The host resolves to at least one address, not a sinkhole (the dns check does not fail). */
  toResolve(this: MatcherContext, received: unknown): MatcherResult {
    if (kindOf(received) !== 'resolution') return misuse(this, 'toResolve', ['resolution'], received);
    const r = received as Resolution;
    const pass = r.status !== 'fail' && r.addresses.length > 0;
    return {
      pass,
      message: () => (pass ? `expected ${r.host} not to resolve, but it does: ${describeChain(r)}` : `expected ${r.host} to resolve, but ${outcome(r)}; observed ${describeChain(r)}`),
    };
  },

  /** The CNAME chain ends in `suffix`: the name the addresses belong to is the suffix or under it. */
  toEndIn(this: MatcherContext, received: unknown, suffix: string): MatcherResult {
    if (kindOf(received) !== 'resolution') return misuse(this, 'toEndIn', ['resolution'], received);
    const r = received as Resolution;
    const pass = endsIn(r.canonicalName, suffix);
    return {
      pass,
      message: () => (pass
        ? `expected the chain of ${r.host} not to end in ${suffix}, but it ends at ${r.canonicalName}: ${describeChain(r)}`
        : `expected the chain of ${r.host} to end in ${suffix}, but it ends at ${r.canonicalName}: ${describeChain(r)}`),
    };
  },

  /** A connection opens (every address), a handshake completes, or a port-80 fetch gets an answer that is not a block page. */
  toReach(this: MatcherContext, received: unknown): MatcherResult {
    const kind = kindOf(received);
    if (kind !== 'connection' && kind !== 'handshake' && kind !== 'fetch') return misuse(this, 'toReach', ['connection', 'handshake', 'fetch'], received);
    const o = received as Connection | Handshake | Fetched;
    const where = o.kind === 'fetch' ? o.url : `${o.host}:${o.port}${o.via === 'proxy' ? ' through the proxy' : ''}`;
    const failed = o.kind === 'connection' ? o.attempts.filter((a) => a.status === 'fail') : [];
    // A connection reaches only when every address does: the agent may be handed any of them.
    const pass = o.status !== 'fail' && failed.length === 0;
    const detail = failed.length > 1 ? failed.map((a) => `${a.address}: ${outcome(a)}`).join('; ') : outcome(o);
    return {
      pass,
      message: () => (pass ? `expected ${where} not to be reachable, but it is: ${outcome(o)}` : `expected to reach ${where}, but ${detail}`),
    };
  },

  /** The presented chain anchors at an inspecting device rather than an expected CA. */
  toBeInspected(this: MatcherContext, received: unknown): MatcherResult {
    if (kindOf(received) !== 'handshake') return misuse(this, 'toBeInspected', ['handshake'], received);
    const h = received as Handshake;
    const where = `${h.host}:${h.port}`;
    // No chain came: neither "inspected" nor "not inspected" is established, so the assertion fails either way.
    if (h.inspection === null) return { pass: this.isNot, message: () => `cannot tell whether ${where} is inspected: no certificate chain came (${outcome(h)})` };
    const i = h.inspection;
    const pass = i.inspected;
    return {
      pass,
      message: () => (pass
        ? `expected ${where} not to be inspected, but ${i.code}: the certificate comes from "${i.observedIssuer}"${i.vendor && i.vendor !== 'unknown' ? ` (${i.vendor})` : ''}; ${describeCertificates(h)}`
        : `expected ${where} to be inspected, but ${i.code}: ${i.message}; ${describeCertificates(h)}`),
    };
  },

  /** Some certificate on the presented chain, or the path built over it to a trust anchor, is `issuerName` or issued by it. */
  toChainTo(this: MatcherContext, received: unknown, issuerName: string): MatcherResult {
    if (kindOf(received) !== 'handshake') return misuse(this, 'toChainTo', ['handshake'], received);
    const h = received as Handshake;
    const where = `${h.host}:${h.port}`;
    if (h.chain.length === 0) return { pass: this.isNot, message: () => `cannot tell what ${where} chains to: no certificate chain came (${outcome(h)})` };
    const wanted = issuerName.trim().toLowerCase();
    const names = [
      ...h.chain.flatMap((c) => [c.commonName, c.issuerCommonName, c.subject, c.issuer]),
      ...(h.inspection?.path ?? []),
    ].filter((name): name is string => typeof name === 'string');
    const pass = names.some((name) => name.toLowerCase() === wanted);
    const path = h.inspection && h.inspection.path.length > 0 ? `; path to the anchor: ${h.inspection.path.map((n) => `"${n}"`).join(' < ')}` : '';
    return {
      pass,
      message: () => (pass ? `expected ${where} not to chain to "${issuerName}", but it does: ${describeCertificates(h)}${path}` : `expected ${where} to chain to "${issuerName}", but it ${describeCertificates(h)}${path}`),
    };
  },

  /** The URL answers with a DER X.509 CRL that is in date. */
  toServeCrl(this: MatcherContext, received: unknown): MatcherResult {
    if (kindOf(received) !== 'fetch') return misuse(this, 'toServeCrl', ['fetch'], received);
    const f = received as Fetched;
    const pass = f.crl !== null && f.code === 'CRL_OK';
    const instead = f.crl !== null ? outcome(f)
      : f.pageTitle !== null ? `it answered HTTP ${f.httpStatus} with a page titled "${f.pageTitle}" (${outcome(f)})`
        : f.httpStatus !== null ? `it answered HTTP ${f.httpStatus}, not a CRL (${outcome(f)})`
          : outcome(f);
    return {
      pass,
      message: () => (pass ? `expected ${f.url} not to serve a CRL, but ${outcome(f)}` : `expected ${f.url} to serve a CRL, but ${instead}`),
    };
  },
};

expect.extend(matchers);

interface PreflightMatchers<R = unknown> {
  /** The host resolves to at least one address (not a sinkhole): use on `await resolve(host)`. */
  toResolve(): R;
  /** The CNAME chain ends in `suffix` (e.g. '.trafficmanager.net'): use on `await resolve(host)`. */
  toEndIn(suffix: string): R;
  /** Every address connects, the handshake completes, or the fetch is answered: on connect(), handshake() or fetchUrl(). */
  toReach(): R;
  /** The chain anchors at an inspecting device: use on `await handshake(host)`, usually negated. */
  toBeInspected(): R;
  /** A certificate on the chain, or the path to its anchor, is or is issued by `issuerName` (a common name or subject). */
  toChainTo(issuerName: string): R;
  /** The URL serves a DER X.509 CRL that is in date: use on `await fetchUrl(url)`. */
  toServeCrl(): R;
}

declare module 'vitest' {
  interface Matchers<T = any> extends PreflightMatchers<T> {}
}
