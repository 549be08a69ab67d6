// The step between loading the plan and the first probe, for --pac and --wpad: obtain the PAC (read, fetched, or
// found by WPAD), run it for every endpoint URL and fix each endpoint's route. Network trouble here (a PAC URL
// that does not answer, a script that loops) becomes proxy results, never a crash or an exit 2.
import type { ProxyDiscovery, RoutingFinding, RunPlan } from '../config/plan.js';
import { fetchPac, MAX_PAC_BYTES } from './pac-fetch.js';
import { routeByPac, type PacSource } from './pac-routing.js';
import { runLookups, type RunLookups } from './run-lookups.js';
import { wpadNames } from './search-suffixes.js';
import { discoverWpad } from './wpad.js';

export async function withProxyRouting(plan: RunPlan, signal: AbortSignal): Promise<RunPlan> {
  const discovery = plan.proxyDiscovery;
  if (!discovery) return plan;
  const lookups = runLookups(plan, signal);
  const source = await pacSource(discovery, plan, lookups, signal);
  return { ...plan, proxy: null, proxyRouting: await routeByPac(plan, source, lookups) };
}

async function pacSource(discovery: ProxyDiscovery, plan: RunPlan, lookups: RunLookups, signal: AbortSignal): Promise<PacSource> {
  const fetchOptions = {
    lookup: (host: string) => lookups.lookup(host),
    connectPort: (port: number) => plan.portMap[String(port)] ?? port,
    timeoutMs: plan.timeouts.http,
    signal,
  };
  if (discovery.kind === 'wpad') return discoverWpad(wpadNames(discovery.suffixes), discovery.suffixOrigin, fetchOptions);
  if (discovery.script !== null) return { kind: 'pac', location: discovery.location, script: discovery.script, findings: [] };
  const url = new URL(discovery.location);
  const fetched = await fetchPac(url, { ...fetchOptions, maxBytes: MAX_PAC_BYTES });
  if (fetched.ok) return { kind: 'pac', location: discovery.location, script: fetched.text, findings: [] };
  const finding: RoutingFinding = {
    id: `proxy:pac:${discovery.location}`, status: 'fail', code: 'PROXY_ERROR', host: url.hostname,
    message: `PAC ${discovery.location} could not be fetched: ${fetched.reason}; every endpoint is checked DIRECT, as WinHTTP connects when it gets no script`,
    remediation: `Make ${url.host} reachable from this machine (it is fetched directly, never through a proxy), or pass the PAC as a file with --pac FILE.`,
    evidence: { location: discovery.location, address: fetched.address, reason: fetched.reason },
  };
  return { kind: 'pac', location: discovery.location, script: null, findings: [finding] };
}
