// A chain the server sent without its intermediate, completed as Windows completes it: the certificate whose issuer
// is missing names a caIssuers URL in its Authority Information Access extension, and CryptoAPI fetches the issuer
// from there over port 80 (through the proxy when there is one). The agent runs on Windows, so such a server is
// misconfigured but works for it; what the agent would meet is judged on the completed chain. A caIssuers URL that
// cannot be fetched fails the same way for the agent, and is named in the tls result.
// Nothing here imports the tls or inspection check at run time, so both can call it without a cycle.
import type { Code } from '../../model/codes.js';
import type { Evidence } from '../../model/result.js';
import type { AiaEvidence } from '../../probes/aia.js';
import { isIssuedBy, oneLineName, ParsedCertificate, type ObservedCertificate } from '../../pki/certificate.js';
import { finalAnswer } from '../../http/fetch-evidence.js';
import { buildPath, type ChainPath } from '../../pki/chain-path.js';
import { assessChain, issuerDisplayName, subjectDisplayName, type InspectionAssessment } from '../../pki/inspection.js';
import type { TrustAnchors } from '../../pki/trust-anchors.js';
import type { TlsEvidence } from '../../probes/tls-evidence.js';
import { fingerprintOnly, type CertificateReferrer } from '../certificate-registry.js';
import type { CheckRun, Verdict } from '../check-run.js';
import { foreignPage, unansweredVerdict } from './port80.js';
import { httpUrls } from '../../pki/revocation.js';
import type { CertificateFinding } from './tls-findings.js';
import { runTrustAnchors } from './trust.js';

/** Levels of missing issuers fetched one after another: real chains miss one, rarely two. */
const MAX_FETCHED_LEVELS = 3;

/** One caIssuers URL tried: what it gave, or why it gave nothing usable. */
export interface AiaAttempt {
  url: string;
  /** The certificate that names the URL and whose issuer was sought. */
  for: string;
  /** The certificate fetched that issued it; null when the attempt failed. */
  issuer: ObservedCertificate | null;
  /** Why it failed: the code of the underlying failure (TCP_REFUSED, HTTP_REDIRECT_REFUSED, …) and one line. */
  failure: { code: Code; detail: string } | null;
}

export type ChainCompletion =
  /** Every missing issuer was fetched: `path` runs over the presented and the fetched certificates. */
  | { kind: 'completed'; attempts: AiaAttempt[]; fetched: ObservedCertificate[]; chain: ParsedCertificate[]; path: ChainPath; anchored: boolean }
  /** An issuer is still missing: every caIssuers URL its certificate names failed. */
  | { kind: 'unavailable'; attempts: AiaAttempt[]; missing: string };

/**
 * The completed chain of a handshake whose presented chain lacks an issuer, once per run and chain; null when nothing
 * is missing, or the certificate whose issuer is missing names no caIssuers URL (nothing to fetch, for Windows either).
 */
export function chainCompletion(run: CheckRun, evidence: TlsEvidence): Promise<ChainCompletion | null> {
  const key = evidence.chain.map((certificate) => certificate.sha256).join(' ');
  return run.observe.derived.once('chain completion', key, () => (evidence.chain.length === 0 ? Promise.resolve(null) : complete(run, evidence.chain)));
}

async function complete(run: CheckRun, presented: readonly ObservedCertificate[]): Promise<ChainCompletion | null> {
  const anchors = runTrustAnchors(run);
  const chain = presented.map((certificate) => ParsedCertificate.fromDer(Buffer.from(certificate.der, 'base64')));
  const attempts: AiaAttempt[] = [];
  const fetched: ObservedCertificate[] = [];
  for (let level = 0; level < MAX_FETCHED_LEVELS; level++) {
    const path = buildPath(chain, anchors);
    if (path.end.kind !== 'missing-issuer') break;
    const orphan = path.links[path.links.length - 1]?.certificate;
    if (!orphan) break;
    const urls = httpUrls(orphan.observed.caIssuersUrls);
    if (urls.length === 0) break;
    let issuer: ParsedCertificate | null = null;
    // As CryptoAPI does: each URL in the order the certificate lists them, until one gives the issuer.
    for (const url of urls) {
      const aia = await run.observe.aiaIssuer(url);
      issuer = aia.certificates.map((certificate) => ParsedCertificate.fromDer(Buffer.from(certificate.der, 'base64'))).find((candidate) => isIssuedBy(orphan, candidate)) ?? null;
      attempts.push({ url, for: subjectDisplayName(orphan), issuer: issuer?.observed ?? null, failure: issuer ? null : aiaFailure(aia, orphan) });
      if (issuer) break;
    }
    if (!issuer) return { kind: 'unavailable', attempts, missing: issuerDisplayName(orphan) };
    chain.push(issuer);
    fetched.push(issuer.observed);
  }
  if (fetched.length === 0) return null;
  const path = buildPath(chain, anchors);
  return { kind: 'completed', attempts, fetched, chain, path, anchored: path.end.kind === 'expected-anchor' || path.end.kind === 'trusted-anchor' };
}

/** Why a caIssuers URL gave no issuer: the port-80 failure's own code and words, else what came instead. */
function aiaFailure(aia: AiaEvidence, orphan: ParsedCertificate): { code: Code; detail: string } {
  const unanswered = unansweredVerdict(aia.fetch, 80, 'CA certificates', { code: 'HTTP_TIMEOUT', remediation: '' });
  if (unanswered) return { code: unanswered.code, detail: unanswered.message };
  const answer = finalAnswer(aia.fetch);
  const failure = aia.fetch.failure;
  if (failure) return { code: 'HTTP_STATUS', detail: `${aia.url}: ${failure.detail}` };
  if (!answer) return { code: 'HTTP_STATUS', detail: `${aia.url}: no answer` };
  const foreign = foreignPage(answer, aia.page, true);
  if (foreign) return { code: 'HTTP_BLOCK_PAGE', detail: `${aia.url}: ${foreign}, where a CA certificate was due` };
  if (aia.fetch.unfollowedRedirect) return { code: 'HTTP_STATUS', detail: `${aia.url}: the server redirects to ${aia.fetch.unfollowedRedirect}, which is not plain HTTP` };
  if (answer.status !== 200) return { code: 'HTTP_STATUS', detail: `${aia.url}: the server answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}` };
  if (aia.parseError) return { code: 'HTTP_STATUS', detail: `${aia.url}: ${aia.parseError}` };
  const served = aia.certificates.map((certificate) => `"${certificate.commonName ?? certificate.subject}"`).join(', ');
  return { code: 'HTTP_STATUS', detail: `${aia.url}: it serves ${served}, which did not issue "${subjectDisplayName(orphan)}"` };
}

/**
 * The tls verdict in the light of the completion. Completed to a trusted anchor: the untrusted finding goes; with no
 * other finding the result is a warning (TLS_OK: the agent's Windows completes the chain; other clients do not).
 * Unavailable: the untrusted finding stays, naming the URL and why it failed.
 * `findings` are certificateFindings of the presented chain, `where` describeHandshake's words.
 */
export function completedTlsVerdict(verdict: Verdict, completion: ChainCompletion | null, findings: readonly CertificateFinding[], where: string, evidence: TlsEvidence): Verdict {
  if (!completion || verdict.code !== 'TLS_UNTRUSTED') return verdict;
  if (completion.kind === 'unavailable') {
    return {
      ...verdict,
      message: `${verdict.message}; the server omits "${completion.missing}", and its AIA caIssuers URL gave nothing usable, for Windows either: ${describeFailures(completion.attempts)}`,
      remediation: `The server for ${evidence.host} must send its intermediate certificate; until it does, the agent's Windows fetches it from the AIA URL, which must be reachable: allow ${completion.attempts.map((attempt) => attempt.url).join(', ')} (TCP 80) without authentication.`,
    };
  }
  if (!completion.anchored) return verdict;
  const fetched = `the server omits its intermediate ${completion.fetched.map((certificate) => `"${certificate.commonName ?? certificate.subject}"`).join(', ')}, fetched from ${completion.attempts.filter((a) => a.issuer).map((a) => a.url).join(', ')} (AIA) as Windows does`;
  const remaining = findings.filter((finding) => finding.code !== 'TLS_UNTRUSTED');
  const [first] = remaining;
  if (first) {
    const others = remaining.slice(1).map((finding) => finding.code);
    return { status: 'fail', code: first.code, message: `${where}: ${first.message}${others.length > 0 ? ` (also ${others.join(', ')})` : ''}; ${fetched}`, remediation: first.remediation };
  }
  const leaf = evidence.chain[0];
  const top = completion.path.links[completion.path.links.length - 1]?.certificate;
  const negotiated = [evidence.protocol, evidence.cipher].filter((part) => part !== null).join(' ');
  return {
    status: 'warn',
    code: 'TLS_OK',
    message: `${where}: ${negotiated}, certificate "${leaf?.commonName ?? leaf?.subject}" valid until ${leaf?.notAfter}, but ${fetched}; the completed chain anchors at "${top ? subjectDisplayName(top) : ''}"`,
    remediation: `Configure the server for ${evidence.host} to send its intermediate certificate: the agent's Windows fetches it over port 80 each time its cache is cold, and clients that do not fetch fail.`,
  };
}

/**
 * The inspection assessment as the agent's Windows meets the chain: a missing intermediate fetched from the AIA URL
 * decides by signature, like any chain; when it could not be fetched, `presented` (the presented chain's assessment)
 * stands, saying that the missing issuer could not be checked.
 */
export function assessCompleted(completion: ChainCompletion | null, anchors: TrustAnchors, presented: () => InspectionAssessment): InspectionAssessment {
  if (completion?.kind === 'unavailable') {
    const assessment = presented();
    return { ...assessment, reason: `${assessment.reason}; its AIA URL ${completion.attempts.map((attempt) => attempt.url).join(', ')} could not be fetched, so the missing "${completion.missing}" could not be checked (see the tls check)` };
  }
  if (completion?.kind !== 'completed') return presented();
  const assessment = assessChain(completion.chain, anchors);
  const fetched = completion.fetched.map((certificate) => `"${certificate.commonName ?? oneLineName(certificate.subject)}"`).join(', ');
  return { ...assessment, reason: `${assessment.reason}; the server omits ${fetched}, fetched from its AIA URL as Windows does` };
}

/** The completion as report evidence: each URL tried, what it gave, and the fetched certificates (as fingerprints). */
export function completionEvidence(completion: ChainCompletion | null, refer: CertificateReferrer = fingerprintOnly): Evidence {
  if (!completion) return {};
  return {
    aia: {
      outcome: completion.kind,
      attempts: completion.attempts.map((attempt) => ({ url: attempt.url, for: attempt.for, issuer: attempt.issuer ? refer(attempt.issuer) : null, failure: attempt.failure })),
      fetched: completion.kind === 'completed' ? completion.fetched.map(refer) : [],
    },
  };
}

function describeFailures(attempts: readonly AiaAttempt[]): string {
  return attempts.filter((attempt) => attempt.failure).map((attempt) => `${attempt.failure?.detail} [${attempt.failure?.code}]`).join('; ');
}
