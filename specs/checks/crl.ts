// crl: every CRL URL the config lists or a live certificate names is fetched over port 80 and is a DER X.509 CRL,
// in date, and signed by its issuer when the issuer is known (the issuer of the certificate naming the URL, else
// any certificate of a live chain or the trust store with the CRL issuer's name).
//
// One code per result, the first that applies: connection failure (its dns, tcp or proxy code) > CRL_TIMEOUT >
// CRL_HTTP_STATUS (not HTTP, too many redirects) > CRL_BLOCK_PAGE > CRL_HTTP_STATUS (not 200) > CRL_TOO_LARGE >
// CRL_MALFORMED > CRL_SIGNATURE_INVALID > CRL_STALE (fail: nextUpdate passed or thisUpdate ahead) >
// CRL_STALE (warn: nextUpdate near) > CRL_OK. A failed distribution point whose certificates have another one that
// serves a good CRL is a warning: CryptoAPI moves on to the next point, later.
import type { CheckResult, Evidence } from '../../model/result.js';
import type { CrlEvidence } from '../../probes/crl.js';
import { finalAnswer } from '../../http/fetch-evidence.js';
import type { CertificateReferrer } from '../certificate-registry.js';
import { makeResult, type CheckRun, type Verdict } from '../check-run.js';
import { dnsPrerequisite, foreignPage, foreignPageRemediation, formatBytes, formatDuration, notingProxy, unansweredVerdict, urlSubject } from './port80.js';
import { coverage, httpUrls, type ChainLink, type Coverage, type CrlSignatureCheck } from '../../pki/revocation.js';
import { crlSignatureOnce, parsedCrlOf } from './revocation.js';
import { revocationSources, type RevocationSource } from './revocation-sources.js';

/** Warn when less than this share of the CRL's validity period is left… */
const NEAR_EXPIRY_SHARE = 0.1;
/** …or less than a day, whichever is shorter: a CA's next CRL is normally out long before. */
const NEAR_EXPIRY_MAX_MS = 86_400_000;

/** A configured CRL URL or one a live certificate names; the spec iterates these. */
export async function crlSources(run: CheckRun): Promise<RevocationSource[]> {
  return (await revocationSources(run)).crl;
}

export interface CrlAssessment {
  /** null when the body is not a CRL. */
  signature: CrlSignatureCheck | null;
  /** The live certificates naming this URL that the CRL's issuer issued, and whether it lists them. */
  covered: Coverage[];
}

export function crlCheck(run: CheckRun, source: RevocationSource): Promise<CheckResult> {
  const subject = urlSubject('crl', source.url);
  return run.once(subject, async () => {
    const skipped = await dnsPrerequisite(run, subject);
    if (skipped) return skipped;
    const evidence = await run.observe.crl(source.url);
    const assessment = await assess(run, source, evidence);
    const verdict = judgeCrl(evidence, assessment, subject.port ?? 80, run.plan.limits.crlMaxBytes);
    const final = verdict.status === 'fail' && !source.configured ? await otherPointsServe(run, source, verdict) : verdict;
    return makeResult(subject, notingProxy(final, evidence.fetch, run.observe.proxyFor(subject.host, subject.port ?? 80)), evidence.fetch.totalMs, crlReportEvidence(evidence, assessment, source, run.certificates.refer));
  });
}

async function assess(run: CheckRun, source: RevocationSource, evidence: CrlEvidence): Promise<CrlAssessment> {
  const crl = parsedCrlOf(run, evidence);
  if (!crl) return { signature: null, covered: [] };
  const issuers = uniqueBySha256(source.namedBy.flatMap((link) => (link.issuer ? [link.issuer] : [])));
  const others = issuers.length > 0 ? [] : (await revocationSources(run)).liveCertificates;
  return { signature: crlSignatureOnce(run, source.url, crl, issuers, others), covered: coverage(crl, source.namedBy) };
}

export function judgeCrl(evidence: CrlEvidence, assessment: CrlAssessment, port: number, maxBytes: number): Verdict {
  const { url, fetch } = evidence;
  const host = new URL(url).hostname;
  const failure = fetch.failure;
  const unanswered = unansweredVerdict(fetch, port, 'CRLs', {
    code: 'CRL_TIMEOUT',
    remediation: `Something accepts TCP ${port} to ${host} but does not deliver the CRL in time: check transparent proxies, IPS inspection or bandwidth limits on port ${port}. A slow CRL delays every TLS connection the agent makes.`,
  });
  if (unanswered) return unanswered;
  const statusRemediation = `The CRL is not served at this URL to this machine: check what answers for ${host} on port ${port} (a proxy rewriting or redirecting requests, a firewall's web filter) and allow the path.`;
  if (failure) return { status: 'fail', code: 'CRL_HTTP_STATUS', message: `${url}: ${failure.detail}`, remediation: statusRemediation };
  const answer = finalAnswer(fetch);
  if (!answer) return { status: 'fail', code: 'CRL_HTTP_STATUS', message: `${url}: no answer`, remediation: statusRemediation };
  if (fetch.unfollowedRedirect) {
    return { status: 'fail', code: 'CRL_HTTP_STATUS', message: `${url}: the server redirects to ${fetch.unfollowedRedirect} (${answer.status}), which is not plain HTTP`, remediation: statusRemediation };
  }
  const page = evidence.page;
  const isPem = page?.kind === 'text' && /-----BEGIN (X509 )?CRL-----/.test(page.excerpt ?? '');
  const foreign = isPem ? null : foreignPage(answer, page, true);
  if (foreign) return { status: 'fail', code: 'CRL_BLOCK_PAGE', message: `${url}: ${foreign}, where a DER CRL was due`, remediation: foreignPageRemediation(url, 'CRLs') };
  if (answer.status !== 200) {
    return { status: 'fail', code: 'CRL_HTTP_STATUS', message: `${url}: the server answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`, remediation: statusRemediation };
  }
  if (fetch.body?.overCap) {
    const size = answer.contentLength !== null && answer.contentLength > maxBytes ? `declares ${formatBytes(answer.contentLength)}` : `sent more than ${formatBytes(maxBytes)} (reading stopped there)`;
    return {
      status: 'fail', code: 'CRL_TOO_LARGE', message: `${url}: the answer ${size}, over the CRL size cap of ${formatBytes(maxBytes)}`,
      remediation: `If this CRL is genuinely this large, raise limits.crlMaxBytes in the config; otherwise something on the path answers ${host} with an endless or wrong body.`,
    };
  }
  const crl = evidence.crl;
  if (!crl) {
    const what = isPem ? 'a PEM (Base64 text) CRL; distribution points must serve DER' : `not a DER X.509 CRL (${evidence.parseError ?? 'unreadable'})`;
    return {
      status: 'fail', code: 'CRL_MALFORMED', message: `${url}: the answer (${formatBytes(fetch.body?.receivedBytes ?? 0)}, ${answer.contentType ?? 'no content type'}) is ${what}`,
      remediation: `The server (or a device answering for ${host}) delivers a damaged or wrong file at this URL: compare it with the CA's published CRL, and check caches on the path.`,
    };
  }
  const signature = assessment.signature;
  if (signature?.outcome === 'invalid') {
    return {
      status: 'fail', code: 'CRL_SIGNATURE_INVALID', message: `${url}: ${signature.detail}`,
      remediation: `Something other than the CA's server answers this URL with another CRL (a proxy cache, a captive portal, a DNS name pointing elsewhere): check what serves ${host} to this machine.`,
    };
  }
  const now = Date.parse(answer.receivedAt);
  const thisUpdate = Date.parse(crl.thisUpdate);
  const nextUpdate = crl.nextUpdate === null ? null : Date.parse(crl.nextUpdate);
  const of = `the CRL of "${crl.issuer}"`;
  if (thisUpdate > now) {
    return {
      status: 'fail', code: 'CRL_STALE', message: `${url}: ${of} is not valid yet: its thisUpdate ${crl.thisUpdate} is ${formatDuration(thisUpdate - now)} ahead of this machine's clock`,
      remediation: `Check this machine's clock first (see the clock check); if it is right, the server publishes a CRL dated in the future, which CryptoAPI rejects.`,
    };
  }
  if (nextUpdate !== null && nextUpdate < now) {
    return {
      status: 'fail', code: 'CRL_STALE', message: `${url}: ${of} is stale: its nextUpdate ${crl.nextUpdate} passed ${formatDuration(now - nextUpdate)} ago`,
      remediation: `The agent rejects an expired CRL: unless another distribution point of the same certificates serves a current one, every certificate it covers then fails revocation checking. If this machine's clock is right, a cache on the path (proxy, CDN) serves an old copy of ${host}'s CRL: purge it and cap how long it keeps .crl files.`,
    };
  }
  const summary = `${of} (${formatBytes(crl.sizeBytes)}, ${crl.entries} revoked) fetched in ${fetch.totalMs} ms; ${signatureNote(signature)}${revokedNote(assessment.covered)}`;
  if (nextUpdate !== null && nextUpdate - now < Math.min(NEAR_EXPIRY_MAX_MS, (nextUpdate - thisUpdate) * NEAR_EXPIRY_SHARE)) {
    return {
      status: 'warn', code: 'CRL_STALE', message: `${url}: ${summary}; it expires in ${formatDuration(nextUpdate - now)} (nextUpdate ${crl.nextUpdate})`,
      remediation: `Unless the CA's next CRL reaches this URL before then, revocation checks start failing: check that caches on the path refresh ${host}'s .crl files.`,
    };
  }
  return { status: 'pass', code: 'CRL_OK', message: `${url}: ${summary}; valid until ${crl.nextUpdate ?? 'no nextUpdate given'}` };
}

function signatureNote(signature: CrlSignatureCheck | null): string {
  if (signature?.outcome === 'valid') return `signature verified with "${signature.issuer}"`;
  return `signature not verified: ${signature?.detail ?? 'no CRL'}`;
}

function revokedNote(covered: readonly Coverage[]): string {
  const revoked = covered.filter((entry) => entry.revoked);
  if (covered.length === 0) return '';
  if (revoked.length === 0) return `; none of the ${covered.length} live certificate(s) it covers is on it`;
  return `; it lists ${revoked.map((entry) => `"${entry.subject}" (serial ${entry.serialNumber})`).join(', ')} as revoked (see the tls check)`;
}

/**
 * For a failed point that only certificates name: when each of them has another point serving a CRL its issuer
 * signed, revocation checking still succeeds (later, after this one fails): a warning, not a failure.
 */
async function otherPointsServe(run: CheckRun, source: RevocationSource, verdict: Verdict): Promise<Verdict> {
  if (source.namedBy.length === 0) return verdict;
  const alternatives = await Promise.all(source.namedBy.map((link) => workingPoint(run, link, source.url)));
  const working = alternatives.filter((url): url is string => url !== null);
  if (working.length < alternatives.length) return verdict;
  const others = [...new Set(working)].join(', ');
  return {
    ...verdict,
    status: 'warn',
    message: `${verdict.message}; the certificate's other distribution point ${others} serves a valid CRL, so revocation checking succeeds after this one fails`,
    // The failure's own advice was written for a point nothing replaces: said after what the fallback changes,
    // it reads as how to remove the wait, and no longer contradicts the message.
    remediation: `Revocation checking waits for this point to fail before it uses ${others}. To remove that wait: ${verdict.remediation ?? 'check what answers for this URL.'}`,
  };
}

async function workingPoint(run: CheckRun, link: ChainLink, failedUrl: string): Promise<string | null> {
  if (!link.issuer) return null;
  for (const url of httpUrls(link.certificate.crlUrls).filter((candidate) => candidate !== failedUrl)) {
    const crl = parsedCrlOf(run, await run.observe.crl(url));
    if (crl && crlSignatureOnce(run, url, crl, [link.issuer], []).outcome === 'valid') return url;
  }
  return null;
}

function uniqueBySha256<T extends { sha256: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((item) => [item.sha256, item] as const)).values()];
}

/** `namedBy`: the live certificates that name this URL, and their issuers, as fingerprints into the run's certificate table. */
function crlReportEvidence(evidence: CrlEvidence, assessment: CrlAssessment, source: RevocationSource, refer: CertificateReferrer): Evidence {
  return {
    fetch: evidence.fetch,
    page: evidence.page,
    crl: evidence.crl,
    parseError: evidence.parseError,
    signature: assessment.signature,
    covered: assessment.covered,
    configured: source.configured,
    namedBy: source.namedBy.map(({ certificate, issuer }) => ({ sha256: refer(certificate), issuerSha256: issuer ? refer(issuer) : null })),
  };
}
