// What the configured endpoints behind a check's subject change about its result, for every check kind in one
// place: an unfilled placeholder means the check is not run at all (skip, naming the --var that would run it), an
// endpoint the source documents as optional turns a failure into a warning, and an internationalised name is
// shown in its Unicode form beside the punycode every check uses.
import type { PlannedEndpoint } from '../config/plan.js';
import type { CheckResult } from '../model/result.js';

type Subject = Pick<CheckResult, 'check' | 'host' | 'port' | 'url'>;

/**
 * The endpoints a subject checks something for: those naming its host (dns), its host and port (tcp, tls,
 * inspection), or its URL (http, crl, ocsp). None for this machine's checks (proxy, clock) or for CRL and OCSP
 * URLs that only a certificate names.
 */
export function endpointsOf(subject: Subject, endpoints: readonly PlannedEndpoint[]): PlannedEndpoint[] {
  switch (subject.check) {
    case 'dns':
      return endpoints.filter((endpoint) => endpoint.host === subject.host);
    case 'tcp':
    case 'tls':
    case 'inspection':
      return endpoints.filter((endpoint) => endpoint.host === subject.host && subject.port !== null && endpoint.ports.includes(subject.port));
    case 'http':
    case 'crl':
    case 'ocsp':
      return subject.url === null ? [] : endpoints.filter((endpoint) => endpoint.url !== null && sameUrl(endpoint.url, subject.url ?? ''));
    default:
      return [];
  }
}

/**
 * The result of a subject whose every endpoint still has an unfilled placeholder (and no sample): nothing about
 * it can be probed, and through a proxy a CONNECT to "{tenant}.msappproxy.net" would only blame the proxy.
 * Null when the subject can be checked. `evidence.missingVars` and `evidence.wildcard` are what the reports
 * list under "not tested".
 */
export function unfilledResult(
  subject: Pick<CheckResult, 'id' | 'check' | 'host' | 'address' | 'port' | 'url'>,
  owners: readonly PlannedEndpoint[],
  endpoints: readonly PlannedEndpoint[],
): CheckResult | null {
  const [first] = owners;
  if (first === undefined || !owners.every((endpoint) => endpoint.missingVars.length > 0)) return null;
  const template = first.host;
  const missingVars = [...new Set(owners.flatMap((endpoint) => endpoint.missingVars))];
  // Any endpoint with the same host may say which wildcard rule it stands for.
  const wildcard = endpoints.find((endpoint) => endpoint.host === template && endpoint.wildcard !== null)?.wildcard ?? null;
  const options = missingVars.map((name) => `--var ${name}=<value>`).join(' ');
  return {
    ...subject,
    status: 'skip',
    code: 'SKIPPED_PREREQUISITE',
    message: `not tested: ${template} needs ${options}${wildcard === null ? '' : ` (it stands for ${wildcard})`}`,
    remediation: `Give ${missingVars.map((name) => `{${name}}`).join(', ')} this site's value (${options}, or vars: in the config) to test it.`,
    durationMs: 0,
    evidence: { missingVars, wildcard },
  };
}

/**
 * The result as its endpoints qualify it: a failure of a subject that only optional endpoints need is a warning
 * with the endpoint's documented purpose as the reason (its code stays: what happened is still what happened);
 * a punycode host carries its Unicode form, named once in the dns message.
 */
export function qualifiedResult(result: CheckResult, owners: readonly PlannedEndpoint[]): CheckResult {
  let qualified = result;
  if (owners.length > 0 && owners.every((endpoint) => endpoint.optional)) {
    const purposes = [...new Set(owners.flatMap((endpoint) => (endpoint.purpose === null ? [] : [endpoint.purpose])))];
    const why = purposes.length > 0 ? purposes.join('; ') : 'the config marks this endpoint optional';
    qualified = {
      ...qualified,
      ...(qualified.status === 'fail' ? { status: 'warn' as const, message: `${qualified.message}; optional: ${why}` } : {}),
      evidence: { ...qualified.evidence, optional: true },
    };
  }
  const unicodeHost = owners.find((endpoint) => endpoint.unicodeHost !== null)?.unicodeHost ?? null;
  if (unicodeHost !== null) {
    qualified = {
      ...qualified,
      ...(qualified.check === 'dns' ? { message: `${qualified.message} (${qualified.host} is ${unicodeHost})` } : {}),
      evidence: { ...qualified.evidence, unicodeHost },
    };
  }
  return qualified;
}

/** Scheme and host case, default ports and an empty path are spelled many ways; unparseable URLs compare as text. */
function sameUrl(a: string, b: string): boolean {
  if (a === b) return true;
  return URL.canParse(a) && URL.canParse(b) && new URL(a).href === new URL(b).href;
}
