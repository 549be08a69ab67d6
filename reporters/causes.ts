// Which results share a cause. Every result keeps its own code (the contract is per check), but one dead proxy
// fails every check that went through it, one inspecting device fails the handshake it re-signed, one reset is
// seen by tcp and again by http: reports show the cause once and its consequences under it.
// Pure: it reads a document's results and relates them; nothing here decides a status.
import { PROXY_CODES, TCP_CODES, type Code } from '../model/codes.js';
import type { CheckResult, JsonValue } from '../model/result.js';

/** Transport failures a tcp check and a later check on the same connection both report with the same code. */
const CONNECTION_FAILURES: ReadonlySet<Code> = new Set(TCP_CODES.filter((code) => code !== 'TCP_OK'));
const PROXY_FAILURES: ReadonlySet<Code> = new Set(PROXY_CODES.filter((code) => code !== 'PROXY_OK'));
/** Checks that open their own connection after the tcp check of the same host and port. */
const CONNECTION_USERS: ReadonlySet<CheckResult['check']> = new Set(['tls', 'http', 'crl', 'ocsp']);

export interface CauseRelation {
  /** The result that explains `result` in the end (following causes of causes), or undefined when it stands alone. */
  rootOf(result: CheckResult): CheckResult | undefined;
  /** Everything `root` explains, directly or through another consequence, in document order. */
  consequencesOf(root: CheckResult): readonly CheckResult[];
  /** Results that explain at least one other, in document order. */
  readonly roots: readonly CheckResult[];
}

/**
 * Relates each result that did not pass to the nearest result that explains it:
 * - a proxy check that failed explains every check that failed through that proxy (its URL in the evidence, or
 *   a proxy code when the evidence names none);
 * - an inspection finding (TLS_INSPECTED) explains TLS_UNTRUSTED on the same host, address and port: the
 *   re-signed chain is what is untrusted;
 * - a tcp failure explains a tls/http/crl/ocsp result on the same host and port that carries the same code
 *   (the same reset seen twice);
 * - a result a skip names as its prerequisite (evidence.prerequisite, a result id) explains that skip.
 * Results are related by identity, not id: a document may repeat an id.
 */
export function relateCauses(results: readonly CheckResult[]): CauseRelation {
  const byId = new Map<string, CheckResult>();
  for (const result of results) if (!byId.has(result.id)) byId.set(result.id, result);
  const failedProxies = results.filter((r) => r.check === 'proxy' && notPassed(r));

  const direct = new Map<CheckResult, CheckResult>();
  for (const result of results) {
    const cause = notPassed(result) ? directCause(result, results, byId, failedProxies) : undefined;
    if (cause !== undefined && cause !== result) direct.set(result, cause);
  }

  const rootCache = new Map<CheckResult, CheckResult | undefined>();
  const rootOf = (result: CheckResult): CheckResult | undefined => {
    if (rootCache.has(result)) return rootCache.get(result);
    // Follow causes of causes. A cycle (never produced by the checks, possible in a hand-edited file) has no
    // root: its results then stand alone, and every report still shows them.
    const seen = new Set<CheckResult>([result]);
    let current = direct.get(result);
    while (current !== undefined) {
      if (seen.has(current)) {
        current = undefined;
        break;
      }
      seen.add(current);
      const next = direct.get(current);
      if (next === undefined) break;
      current = next;
    }
    rootCache.set(result, current);
    return current;
  };

  const consequences = new Map<CheckResult, CheckResult[]>();
  for (const result of results) {
    const root = rootOf(result);
    if (root === undefined || root === result) continue;
    const list = consequences.get(root);
    if (list) list.push(result);
    else consequences.set(root, [result]);
  }
  const roots = results.filter((r) => consequences.has(r));
  return { rootOf, consequencesOf: (root) => consequences.get(root) ?? [], roots };
}

function directCause(
  result: CheckResult,
  results: readonly CheckResult[],
  byId: ReadonlyMap<string, CheckResult>,
  failedProxies: readonly CheckResult[],
): CheckResult | undefined {
  if (result.check !== 'proxy' && failedProxies.length > 0) {
    const named = proxiesNamedIn(result.evidence);
    const proxy = failedProxies.find((p) => named.has(proxyIdentity(p)))
      ?? (PROXY_FAILURES.has(result.code) && named.size === 0 ? failedProxies[0] : undefined);
    if (proxy) return proxy;
  }
  if (result.check === 'tls' && result.code === 'TLS_UNTRUSTED') {
    const finding = results.find((r) => r.check === 'inspection' && r.code === 'TLS_INSPECTED' && notPassed(r) && sameEndpoint(r, result));
    if (finding) return finding;
  }
  if (CONNECTION_USERS.has(result.check) && CONNECTION_FAILURES.has(result.code)) {
    const port = portOf(result);
    const connection = results.find((r) => r.check === 'tcp' && r.code === result.code && r.host === result.host && r.port === port
      && (result.address === null || r.address === result.address));
    if (connection) return connection;
  }
  const prerequisite = result.status === 'skip' ? result.evidence['prerequisite'] : undefined;
  if (typeof prerequisite === 'string') {
    const named = byId.get(prerequisite);
    if (named && named !== result && notPassed(named)) return named;
  }
  return undefined;
}

function notPassed(result: CheckResult): boolean {
  return result.status !== 'pass';
}

function sameEndpoint(a: CheckResult, b: CheckResult): boolean {
  return a.host === b.host && a.address === b.address && a.port === b.port;
}

/** The port a check used: its own, else its URL's (an http or crl result may carry only the URL). */
function portOf(result: CheckResult): number | null {
  if (result.port !== null) return result.port;
  if (result.url === null) return null;
  try {
    const url = new URL(result.url);
    if (url.port !== '') return Number(url.port);
    return url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : null;
  } catch {
    return null;
  }
}

/** How a proxy check names its proxy: the display URL in its evidence, else its url field. */
function proxyIdentity(proxy: CheckResult): string {
  const named = proxy.evidence['proxy'];
  return typeof named === 'string' ? named : proxy.url ?? proxy.id;
}

/**
 * Every proxy a result's evidence names: a `proxy` key with a string value at any depth (tcp names it in
 * `refusal.proxy`, http/crl/ocsp on each fetch hop). Depth is bounded: evidence is data from a file.
 */
function proxiesNamedIn(value: JsonValue, depth = 0, found = new Set<string>()): Set<string> {
  if (depth > 6 || value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    for (const item of value) proxiesNamedIn(item, depth + 1, found);
    return found;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key === 'proxy' && typeof item === 'string') found.add(item);
    else proxiesNamedIn(item, depth + 1, found);
  }
  return found;
}

/** Every name the run checked failed DNS the same way at the same resolver. */
export interface SharedDnsFailure {
  status: CheckResult['status'];
  code: Code;
  /** The resolver that answered, as the evidence names it; null when the evidence names none. */
  resolver: string | null;
  /** The dns results, in document order. */
  results: readonly CheckResult[];
}

/**
 * A run in which every checked name (every dns check that ran; at least two) fails with the same code, status
 * and resolver: the resolver, not each name, is then what to look at, and the reports say so once.
 */
export function sharedDnsFailure(results: readonly CheckResult[]): SharedDnsFailure | null {
  const checked = results.filter((r) => r.check === 'dns' && r.status !== 'skip');
  const first = checked[0];
  if (first === undefined || checked.length < 2 || first.status === 'pass') return null;
  const resolver = resolverOf(first);
  const same = checked.every((r) => r.status === first.status && r.code === first.code && resolverOf(r) === resolver);
  return same ? { status: first.status, code: first.code, resolver, results: checked } : null;
}

function resolverOf(result: CheckResult): string | null {
  const failure = result.evidence['failure'];
  if (failure !== null && typeof failure === 'object' && !Array.isArray(failure) && typeof failure['resolver'] === 'string') {
    return failure['resolver'];
  }
  const resolvers = result.evidence['resolvers'];
  if (Array.isArray(resolvers) && resolvers.length > 0 && resolvers.every((r) => typeof r === 'string')) return resolvers.join(', ');
  return null;
}
