// The helpers a user's spec calls (`egress-preflight/spec`): each goes through the current run's observation
// session, so a name the profile also checks is resolved once, a handshake done once, and each is judged by the
// same functions as the built-in checks (the same codes and messages). What they return is plain data a spec can
// read, assert on with the matchers (spec/matchers.ts), or print.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import type { Code, InspectionVendor, Status } from '../model/codes.js';
import type { CertificateDescription } from '../model/result.js';
import { isSinkhole, type DnsHop } from '../probes/dns.js';
import { hostsPinFor } from '../probes/hosts-file.js';
import type { ObservedCertificate } from '../pki/certificate.js';
import type { TlsEvidence } from '../probes/tls-evidence.js';
import type { CheckRun, Verdict } from '../specs/check-run.js';
import { providedCheckRun } from '../specs/current-run.js';
import { judgeDns } from '../specs/checks/dns.js';
import { judgeHttp } from '../specs/checks/http.js';
import { judgeTcp, judgeTunnel } from '../specs/checks/tcp.js';

/** What `resolve(host)` observed: the CNAME chain hop by hop, the addresses, and the dns check's verdict on them. */
export interface Resolution {
  kind: 'resolution';
  host: string;
  status: Status;
  code: Code;
  /** The dns check's own message, e.g. "x resolves through 2 CNAME hops to 10.0.0.1". */
  message: string;
  /** CNAME hops in order, then the address records of the last name. */
  chain: DnsHop[];
  /** Every name on the way: the host, then each CNAME target. */
  names: string[];
  /** The name the addresses belong to (the end of the CNAME chain). */
  canonicalName: string;
  addresses: string[];
  /** Registrable domains of the names in the chain. */
  suffixes: string[];
}

/** One connection attempt of `connect(host, port)`. */
export interface ConnectionAttempt {
  /** The address connected to; the host name when the proxy connected for us. */
  address: string;
  status: Status;
  code: Code;
  message: string;
}

/** What `connect(host, port)` observed: a TCP connection to every resolved address, or a CONNECT tunnel through the proxy. */
export interface Connection {
  kind: 'connection';
  host: string;
  port: number;
  /** 'proxy' when the run's proxy is in the way for host:port (the agent's path), else 'direct'. */
  via: 'direct' | 'proxy';
  /** The worst of the attempts (or the dns failure that left nothing to connect to). */
  status: Status;
  code: Code;
  message: string;
  attempts: ConnectionAttempt[];
}

/** A certificate of a presented chain, by the names people know it by. */
export type CertificateSummary = Pick<CertificateDescription, 'subject' | 'commonName' | 'issuer' | 'issuerCommonName' | 'sha256' | 'notBefore' | 'notAfter'>;

/** What `handshake(host, port)` observed: the tls check's verdict, the presented chain, and the inspection verdict on it. */
export interface Handshake {
  kind: 'handshake';
  host: string;
  port: number;
  /** The address handshaken with; null through the proxy (it connects by name). */
  address: string | null;
  via: 'direct' | 'proxy';
  status: Status;
  code: Code;
  message: string;
  /** 'TLSv1.3', 'TLSv1.2', …; null when no session was established. */
  protocol: string | null;
  /** The presented chain, leaf first; empty when no certificate came. */
  chain: CertificateSummary[];
  /** Whether the chain anchors at an inspecting device rather than an expected CA; null when no chain came. */
  inspection: { inspected: boolean; vendor: InspectionVendor | null; observedIssuer: string; code: Code; message: string; path: string[] } | null;
}

/** What `fetchUrl(url)` observed over plain HTTP (port 80, as the agent fetches CRLs and OCSP). */
export interface Fetched {
  kind: 'fetch';
  url: string;
  status: Status;
  code: Code;
  message: string;
  /** The final answer's HTTP status; null when no answer came. */
  httpStatus: number | null;
  /** Set when the body parsed as a DER X.509 CRL (fetched once per run, shared with the crl check). */
  crl: { issuer: string; thisUpdate: string; nextUpdate: string | null; entries: number } | null;
  /** The title of the page that came instead, when one did (a block page's name). */
  pageTitle: string | null;
}

/** The run's plan as a spec reads it: the profile, its endpoints and the proxy (credentials never included). */
export interface PlanView {
  profile: string;
  endpoints: Array<{ host: string; ports: number[]; tlsPorts: number[]; url: string | null; purpose: string | null; optional: boolean }>;
  proxy: { url: string; bypass: string[] } | null;
  resolvers: string[];
}

function currentRun(helper: string): CheckRun {
  const run = providedCheckRun();
  if (!run) throw new Error(`egress-preflight/spec ${helper}(): no preflight run is in progress; run this spec with \`preflight --specs DIR\` (or \`preflight lab --specs DIR\`)`);
  return run;
}

/** A name as the run keys it: lower case, no trailing dot, internationalised names as punycode. */
function hostKey(host: string): string {
  const bare = host.trim().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(bare) !== 0) return bare;
  return domainToASCII(bare) || bare;
}

export function plan(): PlanView {
  const { plan: p } = currentRun('plan');
  return structuredClone({
    profile: p.profile,
    endpoints: p.endpoints.map((e) => ({ host: e.host, ports: e.ports, tlsPorts: e.tlsPorts, url: e.url, purpose: e.purpose, optional: e.optional })),
    proxy: p.proxy ? { url: p.proxy.display, bypass: p.proxy.bypass } : null,
    resolvers: p.resolvers.map((r) => (r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`)),
  });
}

export async function resolve(host: string): Promise<Resolution> {
  const run = currentRun('resolve');
  return resolution(run, hostKey(host));
}

async function resolution(run: CheckRun, host: string): Promise<Resolution> {
  // An IP literal is connected to as it is, never sent to DNS (as the built-in checks treat it).
  if (isIP(host) !== 0) {
    return { kind: 'resolution', host, status: 'pass', code: 'DNS_OK', message: `${host} is an IP address: nothing to resolve`, chain: [], names: [host], canonicalName: host, addresses: [host], suffixes: [] };
  }
  const evidence = await run.observe.dns(host);
  const pin = hostsPinFor(await run.observe.hostsFile(), host);
  const verdict = judgeDns(evidence, run.plan.sinkholes, pin);
  const names = [host, ...evidence.chain.filter((hop) => hop.type === 'CNAME').map((hop) => hop.value.replace(/\.$/, ''))];
  return {
    kind: 'resolution', host, ...pick(verdict), chain: evidence.chain, names, canonicalName: names.at(-1) ?? host,
    // The agent's resolver reads the hosts file first; sinkholes are not addresses to connect to.
    addresses: pin ? pin.addresses : evidence.addresses, suffixes: evidence.suffixes,
  };
}

/** The addresses to connect to, as the built-in checks choose them (--ip-family, no sinkholes). */
function connectable(run: CheckRun, resolved: Resolution): string[] {
  const family = run.plan.ipFamily;
  const usable = resolved.addresses.filter((address) => !isSinkhole(address, run.plan.sinkholes));
  return usable.filter((address) => family === 'auto' || (family === 4 ? isIPv4(address) : isIPv6(address)));
}

export async function connect(host: string, port: number): Promise<Connection> {
  const run = currentRun('connect');
  const name = hostKey(host);
  const proxy = run.plan.proxy;
  if (proxy && run.observe.viaProxy(name, port)) {
    const verdict = judgeTunnel(name, port, await run.observe.tunnel(name, port), proxy);
    return { kind: 'connection', host: name, port, via: 'proxy', ...pick(verdict), attempts: [{ address: name, ...pick(verdict) }] };
  }
  const resolved = await resolution(run, name);
  const addresses = connectable(run, resolved);
  if (addresses.length === 0) return { kind: 'connection', host: name, port, via: 'direct', ...unresolved(resolved), attempts: [] };
  const attempts = await Promise.all(addresses.map(async (address) => ({ address, ...pick(judgeTcp(name, port, await run.observe.tcp(address, port))) })));
  const worst = attempts.find((a) => a.status === 'fail') ?? attempts.find((a) => a.status !== 'pass') ?? attempts[0]!;
  return { kind: 'connection', host: name, port, via: 'direct', status: worst.status, code: worst.code, message: worst.message, attempts };
}

export async function handshake(host: string, port = 443): Promise<Handshake> {
  const run = currentRun('handshake');
  const name = hostKey(host);
  if (run.observe.viaProxy(name, port)) return describeHandshake(run, name, port, null, await run.observe.tls(name, null, port));
  const resolved = await resolution(run, name);
  // IPv4 first: one handshake stands for the host (the tls check does every address; this is the spec's view).
  const addresses = connectable(run, resolved).sort((a, b) => Number(isIPv6(a)) - Number(isIPv6(b)));
  const address = addresses[0];
  if (address === undefined) {
    return { kind: 'handshake', host: name, port, address: null, via: 'direct', ...unresolved(resolved), protocol: null, chain: [], inspection: null };
  }
  return describeHandshake(run, name, port, address, await run.observe.tls(name, address, port));
}

async function describeHandshake(run: CheckRun, host: string, port: number, address: string | null, evidence: TlsEvidence): Promise<Handshake> {
  // The judging code parses certificates: loaded on first use, as the built-in checks load it.
  const [{ judgeTls }, { revocationsOf }, inspection] = await Promise.all([
    import('../specs/checks/tls.js'), import('../specs/checks/revocation.js'), import('../specs/checks/inspection.js'),
  ]);
  const verdict = judgeTls(port, evidence, await revocationsOf(run, evidence));
  let inspected: Handshake['inspection'] = null;
  if (evidence.chain.length > 0) {
    const { assessment } = await inspection.inspectionAssessment(run, host, port, evidence);
    const judged = inspection.judgeInspection(port, evidence, assessment);
    inspected = {
      inspected: assessment.inspected, vendor: assessment.vendor ?? null, observedIssuer: assessment.observedIssuer, code: judged.code, message: judged.message,
      path: assessment.path.links.map((link) => nameOf(link.certificate.observed)),
    };
  }
  return {
    kind: 'handshake', host, port, address, via: address === null ? 'proxy' : 'direct', ...pick(verdict), protocol: evidence.protocol,
    chain: evidence.chain.map(summary), inspection: inspected,
  };
}

export async function fetchUrl(url: string): Promise<Fetched> {
  const run = currentRun('fetchUrl');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`fetchUrl(): not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:') throw new Error(`fetchUrl(): only http:// URLs are fetched (port 80, as CRLs and OCSP are); for TLS use handshake(): ${url}`);
  const port = Number(parsed.port || 80);
  // A *.crl path is fetched as the crl check fetches it: the same observation, once per run.
  if (parsed.pathname.toLowerCase().endsWith('.crl')) {
    const evidence = await run.observe.crl(parsed.href);
    const answer = evidence.fetch.hops.at(-1);
    const httpStatus = answer?.answer?.status ?? null;
    if (evidence.crl) {
      const stale = evidence.crl.nextUpdate !== null && Date.parse(evidence.crl.nextUpdate) < Date.now();
      const { issuer, thisUpdate, nextUpdate, entries } = evidence.crl;
      const verdict: Verdict = stale
        ? { status: 'fail', code: 'CRL_STALE', message: `${parsed.href}: the CRL of ${issuer} expired at ${nextUpdate}` }
        : { status: 'pass', code: 'CRL_OK', message: `${parsed.href}: a CRL of ${issuer}, ${entries} entries, next update ${nextUpdate ?? 'not set'}` };
      return { kind: 'fetch', url: parsed.href, ...pick(verdict), httpStatus, crl: { issuer, thisUpdate, nextUpdate, entries }, pageTitle: null };
    }
    const verdict = judgeHttp({ url: parsed.href, fetch: evidence.fetch, page: evidence.page }, port);
    return { kind: 'fetch', url: parsed.href, ...pick(verdict), httpStatus, crl: null, pageTitle: evidence.page?.title ?? null };
  }
  const evidence = await run.observe.http(parsed.href);
  const verdict = judgeHttp(evidence, port);
  return { kind: 'fetch', url: parsed.href, ...pick(verdict), httpStatus: evidence.fetch.hops.at(-1)?.answer?.status ?? null, crl: null, pageTitle: evidence.page?.title ?? null };
}

function pick(verdict: Verdict): { status: Status; code: Code; message: string } {
  return { status: verdict.status, code: verdict.code, message: verdict.message };
}

/** Nothing to connect to: the dns verdict says why (a resolution that "passed" with only IPv6 under --ip-family 4 still fails here). */
function unresolved(resolved: Resolution): { status: Status; code: Code; message: string } {
  if (resolved.status === 'fail') return pick(resolved);
  return { status: 'fail', code: resolved.code, message: `${resolved.message}; no address of ${resolved.host} to connect to` };
}

function summary(certificate: ObservedCertificate): CertificateSummary {
  const { subject, commonName, issuer, issuerCommonName, sha256, notBefore, notAfter } = certificate;
  return { subject, commonName, issuer, issuerCommonName, sha256, notBefore, notAfter };
}

function nameOf(certificate: CertificateSummary): string {
  return certificate.commonName ?? certificate.subject ?? certificate.sha256;
}
