// Which proxy, if any, each connection of the run goes through: the --pac / --wpad route table computed before the
// first probe, else the one proxy of the plan and its bypass list. URLs first seen during the run (a CRL or OCSP
// URL inside a live certificate) are put to the PAC when they are fetched, so they too take the agent's path.
import type { PlannedRoute, ProxyPlan, RunPlan } from '../config/plan.js';
import { bypassesProxy } from '../config/proxy-bypass.js';
import { chooseRoute, pacDeadlineMs, routeKey } from './pac-routing.js';
import { evaluatePac } from './pac-sandbox.js';
import { runLookups, type RunLookups } from './run-lookups.js';

export class RouteBook {
  /** Routes decided during the run, for URLs no endpoint names. */
  private readonly late = new Map<string, Promise<PlannedRoute>>();
  private readonly settled = new Map<string, PlannedRoute>();
  private lookups: RunLookups | undefined;

  constructor(private readonly plan: RunPlan, private readonly signal: AbortSignal) {}

  /** The proxy connections to host:port go through, or null for DIRECT. */
  proxyFor(host: string, port: number): ProxyPlan | null {
    const routing = this.plan.proxyRouting;
    if (routing) return this.routeFor(host, port)?.proxy ?? null;
    const proxy = this.plan.proxy;
    return proxy && !bypassesProxy(proxy, host, port) ? proxy : null;
  }

  /** The PAC's route for host:port, once decided; null without --pac/--wpad or before it is decided. */
  routeFor(host: string, port: number): PlannedRoute | null {
    const key = routeKey(host, port);
    return this.plan.proxyRouting?.routes[key] ?? this.settled.get(key) ?? null;
  }

  /** proxyFor, deciding a route the table lacks by running the PAC for `url` first. */
  async proxyForUrl(url: URL): Promise<ProxyPlan | null> {
    const routing = this.plan.proxyRouting;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const key = routeKey(host, port);
    if (!routing || routing.routes[key] || routing.script === null) return this.proxyFor(host, port);
    let pending = this.late.get(key);
    if (!pending) {
      pending = this.decideLate(url.href, host, routing.script);
      this.late.set(key, pending);
      void pending.then((route) => this.settled.set(key, route));
    }
    return (await pending).proxy;
  }

  /** Every proxy some connection of the run may go through, each once: the proxy check's targets. */
  proxies(): ProxyPlan[] {
    const routing = this.plan.proxyRouting;
    if (!routing) return this.plan.proxy ? [this.plan.proxy] : [];
    const byUrl = new Map<string, ProxyPlan>();
    for (const route of Object.values(routing.routes)) if (route.proxy && !byUrl.has(route.proxy.url)) byUrl.set(route.proxy.url, route.proxy);
    return [...byUrl.values()];
  }

  private async decideLate(url: string, host: string, script: string): Promise<PlannedRoute> {
    const routing = this.plan.proxyRouting;
    const lookups = (this.lookups ??= runLookups(this.plan, this.signal));
    const outcome = await evaluatePac(script, url, host, lookups, { deadlineMs: pacDeadlineMs(this.plan) });
    if (!outcome.ok) return { url, decision: null, error: outcome.reason, proxy: null, passedOver: [] };
    const source = { kind: routing?.kind ?? 'pac', location: routing?.location ?? null } as const;
    return chooseRoute(url, outcome.decision, source, async (proxyUrl) => {
      const known = routing?.proxyLiveness[proxyUrl];
      if (known !== undefined) return known;
      const { hostname, port } = new URL(proxyUrl);
      return lookups.proxyAnswers(hostname.replace(/^\[(.*)\]$/, '$1'), Number(port || 80));
    });
  }
}
