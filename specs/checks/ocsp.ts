// ocsp: every OCSP responder a live certificate names (or the config lists, when a live certificate names it too)
// answers a real RFC 6960 request about that certificate with a successful, signed response.
//
// One code per result, the first that applies: connection failure (its dns, tcp or proxy code) > OCSP_TIMEOUT >
// OCSP_HTTP_STATUS (not HTTP, redirects, not 200) > OCSP_MALFORMED (not an OCSPResponse, a bad signature, no
// answer about the certificate) > OCSP_UNSUCCESSFUL (the responder's status) > OCSP_OK (warn when the answer is
// out of date or the certificate unknown to the responder). A revoked status passes here: the responder works;
// the tls check of the certificate reports TLS_CERT_REVOKED.
import type { CheckResult, Evidence } from '../../model/result.js';
import { finalAnswer } from '../../http/fetch-evidence.js';
import { OCSP_MAX_BYTES, type OcspEvidence } from '../../probes/ocsp.js';
import type { CertificateReferrer } from '../certificate-registry.js';
import { makeResult, skippedFor, type CheckRun, type Verdict } from '../check-run.js';
import { dnsPrerequisite, foreignPage, foreignPageRemediation, formatBytes, formatDuration, notingProxy, unansweredVerdict, urlSubject } from './port80.js';
import { revocationSources, type RevocationSource } from './revocation-sources.js';

/** What a responder's unsuccessful status means (RFC 6960 4.2.1). */
const STATUS_MEANINGS: Readonly<Record<string, string>> = {
  malformedRequest: 'it could not read the request',
  internalError: 'it is in an inconsistent internal state',
  tryLater: 'it cannot answer now',
  sigRequired: 'it wants signed requests',
  unauthorized: 'it does not answer for this certificate\'s issuer',
};

export async function ocspSources(run: CheckRun): Promise<RevocationSource[]> {
  return (await revocationSources(run)).ocsp;
}

export function ocspCheck(run: CheckRun, source: RevocationSource): Promise<CheckResult> {
  const subject = urlSubject('ocsp', source.url);
  return run.once(subject, async () => {
    const skipped = await dnsPrerequisite(run, subject);
    if (skipped) return skipped;
    // A self-signed root names no responder for itself; any other certificate with a known issuer can be asked about.
    const link = source.namedBy.find((named) => named.issuer !== null && named.issuer.sha256 !== named.certificate.sha256);
    if (!link?.issuer) {
      const [first] = source.namedBy;
      return skippedFor(subject, first
        ? `the issuer of "${first.certificate.subject}" is neither in its chain nor in the trust store, and an OCSP request names the issuer's name and key`
        : 'no live certificate names this responder, and an OCSP request asks about one certificate (TLS endpoints whose chains name it let the tool ask)');
    }
    const evidence = await run.observe.ocsp(source.url, link.certificate, link.issuer);
    return makeResult(subject, notingProxy(judgeOcsp(evidence, subject.port ?? 80), evidence.fetch, run.observe.proxyFor(subject.host, subject.port ?? 80)), evidence.fetch.totalMs, ocspReportEvidence(evidence, source, run.certificates.refer));
  });
}

export function judgeOcsp(evidence: OcspEvidence, port: number): Verdict {
  const { url, fetch, request } = evidence;
  const host = new URL(url).hostname;
  const certificate = `"${request.subject}" (serial ${request.serialNumber})`;
  const failure = fetch.failure;
  const unanswered = unansweredVerdict(fetch, port, 'OCSP answers', {
    code: 'OCSP_TIMEOUT',
    remediation: `Something accepts TCP ${port} to ${host} but does not deliver the OCSP answer in time: check transparent proxies and IPS inspection of port ${port}. A slow responder delays every TLS connection the agent makes.`,
  });
  if (unanswered) return unanswered;
  const statusRemediation = `The responder does not answer POST requests at this URL for this machine: check what answers for ${host} on port ${port} (a proxy or web filter that blocks or rewrites POSTs of application/ocsp-request).`;
  if (failure) return { status: 'fail', code: 'OCSP_HTTP_STATUS', message: `${url}: ${failure.detail}`, remediation: statusRemediation };
  const answer = finalAnswer(fetch);
  if (!answer) return { status: 'fail', code: 'OCSP_HTTP_STATUS', message: `${url}: no answer`, remediation: statusRemediation };
  if (fetch.unfollowedRedirect) {
    return { status: 'fail', code: 'OCSP_HTTP_STATUS', message: `${url}: the server redirects to ${fetch.unfollowedRedirect} (${answer.status}), which is not plain HTTP`, remediation: statusRemediation };
  }
  const foreign = foreignPage(answer, evidence.page, true);
  if (answer.status !== 200) {
    const text = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
    return {
      status: 'fail', code: 'OCSP_HTTP_STATUS', message: `${url}: the server answered ${text}${foreign ? `: ${foreign}` : ''}`,
      remediation: foreign ? foreignPageRemediation(url, 'OCSP answers') : statusRemediation,
    };
  }
  const malformed = (detail: string, remediation: string): Verdict => ({ status: 'fail', code: 'OCSP_MALFORMED', message: `${url}: ${detail}`, remediation });
  const wrongAnswer = `Something other than the CA's responder answers ${host} for this machine (a proxy, a captive portal, a DNS name pointing elsewhere): check what serves it.`;
  if (fetch.body?.overCap) return malformed(`the answer is larger than ${formatBytes(OCSP_MAX_BYTES)}, far more than any OCSP response`, wrongAnswer);
  const response = evidence.response;
  if (!response) {
    if (foreign) return malformed(`${foreign}, where an OCSP response was due`, foreignPageRemediation(url, 'OCSP answers'));
    return malformed(`the answer (${formatBytes(fetch.body?.receivedBytes ?? 0)}, ${answer.contentType ?? 'no content type'}) is not an OCSP response (${evidence.parseError ?? 'unreadable'})`, wrongAnswer);
  }
  if (response.responseStatus !== 'successful') {
    const meaning = STATUS_MEANINGS[response.responseStatus];
    return {
      status: 'fail', code: 'OCSP_UNSUCCESSFUL', message: `${url}: the responder answered "${response.responseStatus}"${meaning ? ` (${meaning})` : ''} to a request about ${certificate}`,
      remediation: `The responder is reachable but gives no status for the certificate. If this persists, check that ${url} is the responder the CA names for "${request.issuer}" and that no device rewrites the request; meanwhile the agent depends on the CRL.`,
    };
  }
  if (response.signature === 'invalid') {
    return malformed(`the response's signature verifies neither with the issuer "${request.issuer}" nor with a responder certificate it delegated OCSP signing to`, wrongAnswer);
  }
  if (response.certStatus === null) return malformed(`the response (${response.answers} answer(s)) says nothing about ${certificate}`, wrongAnswer);
  const signed = response.signature === 'valid' ? `signed by ${response.signedBy}` : `signature not checked (${response.signatureAlgorithm})`;
  const said = `the responder says ${certificate} is ${response.certStatus}${response.certStatus === 'revoked' ? describeRevocation(response.revokedAt, response.revocationReason) : ''} (${signed}, in ${fetch.totalMs} ms)`;
  const now = Date.parse(answer.receivedAt);
  const nextUpdate = response.nextUpdate === null ? null : Date.parse(response.nextUpdate);
  const thisUpdate = Date.parse(response.thisUpdate ?? answer.receivedAt);
  if (nextUpdate !== null && nextUpdate < now) {
    return { status: 'warn', code: 'OCSP_OK', message: `${url}: ${said}, but the answer is out of date: nextUpdate ${response.nextUpdate} passed ${formatDuration(now - nextUpdate)} ago`, remediation: `A cache on the path (proxy, CDN) may serve an old OCSP answer for ${host}: the agent rejects it and falls back to the CRL. Check this machine's clock too.` };
  }
  if (thisUpdate > now) {
    return { status: 'warn', code: 'OCSP_OK', message: `${url}: ${said}, but the answer is dated ${formatDuration(thisUpdate - now)} ahead of this machine's clock`, remediation: 'Check this machine\'s clock (see the clock check): the agent rejects answers from the future.' };
  }
  if (response.certStatus === 'unknown') {
    return { status: 'warn', code: 'OCSP_OK', message: `${url}: ${said}: the responder does not know the certificate`, remediation: `The agent then relies on the CRL. Check that ${url} is the responder the CA names for "${request.issuer}".` };
  }
  const revoked = response.certStatus === 'revoked' ? ' (see the tls check of the endpoints presenting it)' : '';
  return { status: 'pass', code: 'OCSP_OK', message: `${url}: ${said}${revoked}` };
}

function describeRevocation(revokedAt: string | null, reason: string | null): string {
  return `${revokedAt ? ` since ${revokedAt}` : ''}${reason ? ` (${reason})` : ''}`;
}

/** `namedBy`: the live certificates that name this responder, and their issuers, as fingerprints into the run's certificate table. */
function ocspReportEvidence(evidence: OcspEvidence, source: RevocationSource, refer: CertificateReferrer): Evidence {
  return {
    request: evidence.request,
    fetch: evidence.fetch,
    page: evidence.page,
    response: evidence.response,
    parseError: evidence.parseError,
    configured: source.configured,
    namedBy: source.namedBy.map(({ certificate, issuer }) => ({ sha256: refer(certificate), issuerSha256: issuer ? refer(issuer) : null })),
  };
}
