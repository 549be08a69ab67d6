// The CRL and OCSP URLs a run checks: those the config lists (expect: crl | ocsp) and every distribution point and
// OCSP responder named by a certificate of a live chain (every tls target whose handshake ran), each URL once.
import type { ObservedCertificate } from '../../pki/certificate.js';
import type { CheckRun } from '../check-run.js';
import { httpUrls, type ChainLink } from '../../pki/revocation.js';
import { chainLinksOnce } from './revocation.js';
import { addressTargets } from './tcp.js';
import { tlsCheck } from './tls.js';

export interface RevocationSource {
  /** As configured, else as the first certificate names it. */
  url: string;
  configured: boolean;
  /** Live certificates whose extension names this URL, once each, with their issuers. */
  namedBy: ChainLink[];
}

export interface RevocationSources {
  crl: RevocationSource[];
  ocsp: RevocationSource[];
  /** Every certificate of every live chain: who may have signed a configured CRL that no certificate names. */
  liveCertificates: ObservedCertificate[];
}

/** Discovered once per run (in the observation session's memo); waits for every tls target's handshake. */
export function revocationSources(run: CheckRun): Promise<RevocationSources> {
  return run.observe.derived.once('revocation sources', '', () => discover(run));
}

async function discover(run: CheckRun): Promise<RevocationSources> {
  const crl = new Map<string, RevocationSource>();
  const ocsp = new Map<string, RevocationSource>();
  const add = (sources: Map<string, RevocationSource>, url: string, configured: boolean): RevocationSource => {
    const key = urlKey(url);
    let source = sources.get(key);
    if (!source) {
      source = { url, configured, namedBy: [] };
      sources.set(key, source);
    }
    return source;
  };
  for (const endpoint of run.plan.endpoints) {
    if (endpoint.url !== null && (endpoint.expect === 'crl' || endpoint.expect === 'ocsp')) add(endpoint.expect === 'crl' ? crl : ocsp, endpoint.url, true);
  }
  const chains = await liveChains(run);
  for (const chain of chains) {
    for (const link of chainLinksOnce(run, chain)) {
      for (const [sources, urls] of [[crl, link.certificate.crlUrls], [ocsp, link.certificate.ocspUrls]] as const) {
        for (const url of httpUrls(urls)) {
          const source = add(sources, url, false);
          if (!source.namedBy.some((named) => named.certificate.sha256 === link.certificate.sha256)) source.namedBy.push(link);
        }
      }
    }
  }
  absorbBareResponders(ocsp);
  return { crl: [...crl.values()], ocsp: [...ocsp.values()], liveCertificates: chains.flat() };
}

/**
 * A configured responder given as a bare origin (http://oneocsp.microsoft.com/) stands for its host: an OCSP request
 * needs a certificate, and the certificates name their responder's own path (…/ocsp). When live certificates name
 * responders on that origin, their checks are the configured one's; otherwise it stays, to be skipped.
 */
function absorbBareResponders(ocsp: Map<string, RevocationSource>): void {
  for (const [key, source] of ocsp) {
    if (!source.configured || source.namedBy.length > 0 || !URL.canParse(source.url) || new URL(source.url).pathname !== '/') continue;
    const origin = new URL(source.url).origin;
    const named = [...ocsp.values()].filter((other) => other.namedBy.length > 0 && new URL(other.url).origin === origin);
    if (named.length === 0) continue;
    for (const other of named) other.configured = true;
    ocsp.delete(key);
  }
}

/** The chain of every tls target whose handshake ran (the tls check was not skipped), in plan order. */
async function liveChains(run: CheckRun): Promise<ObservedCertificate[][]> {
  const perHost = await Promise.all(run.hosts.map(async (host) => {
    const targets = await addressTargets(run, host, host.tlsPorts);
    return Promise.all(targets.map(async (target) => {
      const tls = await tlsCheck(run, target);
      if (tls.status === 'skip') return [];
      return (await run.observe.tls(target.host.host, target.address, target.port)).chain;
    }));
  }));
  return perHost.flat().filter((chain) => chain.length > 0);
}

/** One key per resource: scheme and host case, default port and an empty path are spelled many ways. */
function urlKey(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
