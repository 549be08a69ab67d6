// The route of every endpoint under a PAC file, decided once before the first probe: FindProxyForURL for each
// endpoint URL, its "PROXY a; PROXY b; DIRECT" list walked in order as WinHTTP fails over (a proxy that does not
// accept a connection is passed over), and the findings of the PAC itself (it threw, looped, named dead proxies).
// Rule for a PAC that fails: the endpoint goes DIRECT, as .NET's WebProxy does when the script cannot be run; the
// proxy result says so, so the direct results are not mistaken for the agent's proxied path.
import type { PlannedEndpoint, PlannedRoute, ProxyPlan, ProxyRouting, RoutingFinding, RunPlan } from '../config/plan.js';
import { planFor, redactUrl } from '../config/proxy-url.js';
import { parsePacDecision } from './pac-directives.js';
import { evaluatePac, type PacOutcome } from './pac-sandbox.js';
import type { RunLookups } from './run-lookups.js';

export interface PacSource {
  kind: 'pac' | 'wpad';
  /** The file or URL the script came from; null when there is none (WPAD found nothing). */
  location: string | null;
  script: string | null;
  /** What finding the PAC (fetching it, WPAD's search) already produced. */
  findings: RoutingFinding[];
}

/** One URL FindProxyForURL is asked about, and the "host:port" route it decides. */
export interface RouteTarget {
  key: string;
  url: string;
  host: string;
}

export async function routeByPac(plan: RunPlan, source: PacSource, lookups: RunLookups): Promise<ProxyRouting> {
  const routes: Record<string, PlannedRoute> = {};
  const liveness = new Map<string, Promise<string | null>>();
  const failures: Array<{ host: string; reason: string }> = [];
  let fatal: string | null = source.script === null ? 'there is no PAC file to run' : null;
  for (const target of routeTargets(plan.endpoints)) {
    if (fatal !== null) {
      routes[target.key] = directRoute(target.url, null, fatal);
      continue;
    }
    const outcome: PacOutcome = await evaluatePac(source.script as string, target.url, target.host, lookups, { deadlineMs: pacDeadlineMs(plan) });
    if (!outcome.ok) {
      failures.push({ host: target.host, reason: outcome.reason });
      if (outcome.fatal) fatal = `not evaluated: the PAC already failed (${outcome.reason})`;
      routes[target.key] = directRoute(target.url, null, outcome.reason);
      continue;
    }
    routes[target.key] = await chooseRoute(target.url, outcome.decision, source, (url) => {
      let alive = liveness.get(url);
      if (!alive) {
        const { hostname, port } = new URL(url);
        liveness.set(url, (alive = lookups.proxyAnswers(hostname.replace(/^\[(.*)\]$/, '$1'), Number(port || 80))));
      }
      return alive;
    });
  }
  const proxyLiveness: Record<string, string | null> = {};
  for (const [url, alive] of liveness) proxyLiveness[url] = await alive;
  return {
    kind: source.kind,
    location: source.location,
    script: fatal !== null && source.script !== null && failures.length > 0 ? null : source.script,
    routes,
    proxyLiveness,
    findings: [...source.findings, ...pacFindings(source, routes, failures, proxyLiveness)],
  };
}

/** One evaluation's budget: a DNS answer the script waits for (each under the DNS deadline), then the rest. */
export function pacDeadlineMs(plan: Pick<RunPlan, 'timeouts'>): number {
  return plan.timeouts.dns + plan.timeouts.http;
}

/** Every endpoint URL; a host + ports endpoint is asked about as https://host:port/ (http:// on port 80). */
export function routeTargets(endpoints: readonly PlannedEndpoint[]): RouteTarget[] {
  const targets = new Map<string, RouteTarget>();
  for (const endpoint of endpoints) {
    if (endpoint.missingVars.length > 0) continue;
    for (const port of endpoint.ports) {
      const key = routeKey(endpoint.host, port);
      if (targets.has(key)) continue;
      const url = endpoint.url !== null && endpoint.ports.length === 1 ? endpoint.url : defaultUrl(endpoint.host, port);
      targets.set(key, { key, url, host: endpoint.host });
    }
  }
  return [...targets.values()];
}

export function routeKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function defaultUrl(host: string, port: number): string {
  const literal = host.includes(':') ? `[${host}]` : host;
  if (port === 80) return `http://${literal}/`;
  return port === 443 ? `https://${literal}/` : `https://${literal}:${port}/`;
}

/** The first entry of the decision the agent would use: DIRECT, or the first proxy that accepts a connection. */
export async function chooseRoute(url: string, decision: string, source: Pick<PacSource, 'kind' | 'location'>, answers: (proxyUrl: string) => Promise<string | null>): Promise<PlannedRoute> {
  const { entries, skipped } = parsePacDecision(decision);
  const passedOver: PlannedRoute['passedOver'] = skipped.map((entry) => ({ proxy: entry, reason: 'WinHTTP uses only PROXY and DIRECT entries' }));
  let fallback: ProxyPlan | null = null;
  for (const entry of entries) {
    if (entry.kind === 'direct') return { url, decision, error: null, proxy: null, passedOver };
    const plan = proxyPlanFor(entry.url, decision, source);
    const dead = await answers(entry.url);
    if (dead === null) return { url, decision, error: null, proxy: plan, passedOver };
    passedOver.push({ proxy: plan.display, reason: dead });
    fallback ??= plan;
  }
  // Every proxy is dead and no DIRECT follows: the agent's connections fail at the first proxy; the checks show it.
  return { url, decision, error: null, proxy: fallback, passedOver };
}

function proxyPlanFor(url: string, decision: string, source: Pick<PacSource, 'kind' | 'location'>): ProxyPlan {
  const plan = planFor(url, source.kind, `FindProxyForURL of ${source.location ?? 'the PAC'}`, []);
  return { ...plan, ...(source.location ? { origin: source.location } : {}), decision };
}

function directRoute(url: string, decision: string | null, error: string | null): PlannedRoute {
  return { url, decision, error, proxy: null, passedOver: [] };
}

function pacFindings(source: PacSource, routes: Record<string, PlannedRoute>, failures: Array<{ host: string; reason: string }>, liveness: Record<string, string | null>): RoutingFinding[] {
  if (source.script === null || source.location === null) return [];
  const where = source.kind === 'wpad' ? `the PAC file WPAD found at ${source.location}` : `PAC ${source.location}`;
  const all = Object.values(routes);
  const findings: RoutingFinding[] = [];
  const host = pacHost(source.location);
  const id = `proxy:${source.kind}:${source.location}`;
  if (failures.length > 0) {
    const first = failures[0] as { host: string; reason: string };
    const direct = all.filter((route) => route.error !== null).length;
    findings.push({
      id, status: 'fail', code: 'PROXY_ERROR', host,
      message: `${where}: FindProxyForURL failed for ${failures.length} of ${all.length} endpoint URLs (first: ${first.host}: ${first.reason}); ${direct} endpoint(s) are checked DIRECT, as .NET connects when the script fails`,
      remediation: 'Fix the PAC file (run it in a browser\'s PAC tester), or test the proxy it should return with --proxy.',
      evidence: { location: source.location, failedHosts: failures.map((failure) => failure.host).slice(0, 50) },
    });
  } else {
    const proxies = [...new Set(all.flatMap((route) => (route.proxy ? [route.proxy.display] : [])))];
    const directCount = all.filter((route) => route.proxy === null).length;
    findings.push({
      id, status: 'pass', code: 'PROXY_OK', host,
      message: `${where}: FindProxyForURL answered for all ${all.length} endpoint URLs: ${directCount} DIRECT, ${all.length - directCount} through ${proxies.length > 0 ? proxies.join(', ') : 'no proxy'}`,
      remediation: '',
      evidence: { location: source.location, proxies },
    });
  }
  for (const [url, reason] of Object.entries(liveness)) {
    if (reason === null) continue;
    const display = redactUrl(url);
    findings.push({
      id: `proxy:${source.kind}:unreachable:${display}`, status: 'warn', code: 'PROXY_UNREACHABLE', host: new URL(url).hostname,
      message: `proxy ${display}, named by ${where}, does not answer: ${reason}; WinHTTP passes over it to the next entry, after waiting for it on every connection`,
      remediation: `Remove ${display} from the PAC's lists, or make it reachable from this machine.`,
      evidence: { proxy: display, reason },
    });
  }
  return findings;
}

function pacHost(location: string): string {
  try {
    return new URL(location).hostname || location;
  } catch {
    return location;
  }
}
