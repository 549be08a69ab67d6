// Observations of one run: every probe result memoized by its target, so that each DNS name is resolved once
// and each connection attempted once however many checks read it, all under one concurrency cap.
import { setMaxListeners } from 'node:events';
import type { RunPlan } from '../config/plan.js';
import { createDnsQueryCache, probeDns, type DnsEvidence } from '../probes/dns.js';
import type { Probe, ProbeContext } from '../probes/probe.js';
import { probeProxy, type ProxyEvidence } from '../probes/proxy.js';
import { createProxyTransport, probeTunnel, type ProxyTransport, type TunnelEvidence } from '../probes/tunnel.js';
import { bypassesProxy } from '../config/proxy-settings.js';
import { probeTcp, type TcpEvidence } from '../probes/tcp.js';
import { probeTls, type TlsEvidence } from '../probes/tls.js';
import { Limiter } from './limiter.js';

export class ObservationSession {
  private readonly limiter: Limiter;
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly dnsCache = createDnsQueryCache();
  private readonly proxyTransport: ProxyTransport | null;

  constructor(readonly plan: RunPlan, private readonly signal: AbortSignal = new AbortController().signal) {
    this.limiter = new Limiter(plan.concurrency);
    // Every step in flight listens on the run's signal until its deadline: thousands at once is expected.
    setMaxListeners(0, signal);
    this.proxyTransport = plan.proxy ? createProxyTransport(plan.proxy.url) : null;
  }

  /** Whether connections to host:port go through the proxy (the agent's path), or direct. */
  viaProxy(host: string, port: number): boolean {
    return this.plan.proxy !== null && !bypassesProxy(this.plan.proxy, host, port);
  }

  /** A CONNECT tunnel to host:port through the proxy: the tcp check's observation when the proxy is in the way. */
  tunnel(host: string, port: number): Promise<TunnelEvidence> {
    const transport = this.requireProxy();
    return this.observe(`tunnel ${host} ${port}`, probeTunnel, { host, port: this.connectPort(port), transport }, this.plan.timeouts.connect);
  }

  dns(host: string): Promise<DnsEvidence> {
    return this.observe(`dns ${host}`, probeDns, { name: host, resolvers: this.plan.resolvers, cache: this.dnsCache }, this.plan.timeouts.dns);
  }

  /** `port` is the port the endpoint names; the connection goes to its mapped port. */
  tcp(address: string, port: number): Promise<TcpEvidence> {
    return this.observe(`tcp ${address} ${port}`, probeTcp, { address, port: this.connectPort(port) }, this.plan.timeouts.connect);
  }

  /**
   * One handshake with `host` as SNI at `address`, or through the proxy's tunnel when `address` is null;
   * `port` is the port the endpoint names (mapped when connecting).
   */
  tls(host: string, address: string | null, port: number): Promise<TlsEvidence> {
    const mapped = this.connectPort(port);
    const common = { host, port: mapped, caPems: this.plan.trust.caPems, connectTimeoutMs: this.plan.timeouts.connect };
    if (address !== null) return this.observe(`tls ${host} ${address} ${port}`, probeTls, { ...common, address }, this.plan.timeouts.tls);
    const transport = this.requireProxy();
    const target = { ...common, address: host, via: this.plan.proxy?.display ?? '', transport: (signal: AbortSignal) => transport(host, mapped, signal) };
    return this.observe(`tls ${host} via-proxy ${port}`, probeTls, target, this.plan.timeouts.tls);
  }

  private requireProxy(): ProxyTransport {
    if (!this.proxyTransport) throw new Error('no proxy is configured for this run');
    return this.proxyTransport;
  }

  /** The configured proxy itself (not a target through it); null when the run goes direct. */
  proxy(): Promise<ProxyEvidence> | null {
    const proxy = this.plan.proxy;
    return proxy ? this.observe(`proxy ${proxy.url}`, probeProxy, { url: proxy.url }, this.plan.timeouts.connect) : null;
  }

  connectPort(port: number): number {
    return this.plan.portMap[String(port)] ?? port;
  }

  private observe<T, E>(key: string, probe: Probe<T, E>, target: T, stepTimeoutMs: number): Promise<E> {
    let pending = this.memo.get(key) as Promise<E> | undefined;
    if (!pending) {
      const ctx: ProbeContext = { stepTimeoutMs, signal: this.signal };
      pending = this.limiter.run(() => probe(target, ctx));
      this.memo.set(key, pending);
    }
    return pending;
  }
}
