// Observations of one run: every probe result memoized by its target, so that each DNS name is resolved once
// and each connection attempted once however many checks read it, all under one concurrency cap.
import type { RunPlan } from '../config/plan.js';
import type { AiaEvidence } from '../probes/aia.js';
import type { ObservedCertificate } from '../pki/certificate.js';
import type { CrlEvidence } from '../probes/crl.js';
import { createDnsQueryCache, isSinkhole, probeDns, type DnsEvidence } from '../probes/dns.js';
import { POLICY_EDE_CODES } from '../probes/dns-ede.js';
import { hostsPinFor, readHostsFile, type HostsFile } from '../probes/hosts-file.js';
import { probeHttp, type HttpEvidence } from '../probes/http.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import { directRouter, proxyRouter, type HttpRouter, type Resolution } from '../http/routes.js';
import type { OcspEvidence } from '../probes/ocsp.js';
import type { Probe, ProbeContext } from '../probes/probe.js';
import { probeProxy, type ProxyEvidence } from '../probes/proxy.js';
import { createProxyTransport, type ProxyTransport } from '../http/connect-tunnel.js';
import { probeTunnel, type TunnelEvidence } from '../probes/tunnel.js';
import { describeProxySource } from '../config/proxy-settings.js';
import type { PlannedRoute, ProxyPlan } from '../config/plan.js';
import { RouteBook } from '../proxy/route-book.js';
import type { TcpEvidence, TcpTarget } from '../probes/tcp.js';
import type { AttemptRunner, TlsEvidence } from '../probes/tls-evidence.js';
import { probeTls } from '../probes/tls.js';
import type { ChainTrust } from '../pki/chain-trust.js';
import { Limiter } from '../probes/limiter.js';
import { elasticLimit, eventLoopUtilizationSampler, socketBudget } from '../probes/elastic-limit.js';
import { PresentedCertificates } from '../pki/presented-chain.js';
import { attemptTls } from '../probes/tls-attempt.js';
import { ProbeThreads, probeThreadCount } from './probe-threads.js';
import { RunMemo } from './run-memo.js';

/**
 * Probes that parse certificates load @peculiar/x509 and the PKI code (a few hundred ms): imported on first use,
 * so that a run's first DNS query does not wait for them.
 */
const probeCrl = async (...args: Parameters<typeof import('../probes/crl.js').probeCrl>) => (await import('../probes/crl.js')).probeCrl(...args);
const probeAia = async (...args: Parameters<typeof import('../probes/aia.js').probeAia>) => (await import('../probes/aia.js')).probeAia(...args);
const probeOcsp = async (...args: Parameters<typeof import('../probes/ocsp.js').probeOcsp>) => (await import('../probes/ocsp.js')).probeOcsp(...args);

export class ObservationSession {
  private readonly limiter: Limiter;
  private readonly dnsCache = createDnsQueryCache();
  /** Which proxy each host:port goes through: the plan's one proxy, or the PAC's route per endpoint. */
  private readonly routes: RouteBook;
  /** One CONNECT transport and one port-80 router per proxy URL. */
  private readonly proxyTransports = new Map<string, ProxyTransport>();
  private readonly proxyRouters = new Map<string, HttpRouter>();
  /**
   * Port-80 fetches, hop by hop: through the proxy as absolute-form requests (the proxy resolves the name), or
   * direct to what this run's dns check resolved, never the OS resolver's answer.
   */
  private readonly router: HttpRouter;
  /** The hosts file, read once per run on first use. */
  private hosts: Promise<HostsFile | null> | undefined;
  /** Every fetch of the run, for the clock check's Date headers; null for one that crashed. */
  private readonly fetches: Array<Promise<FetchEvidence | null>> = [];
  /**
   * Trust and host name verdicts on presented chains: each distinct chain verified once, whatever presented it.
   * Built on the first handshake: it loads the PKI code (@peculiar/x509, a third of a second of CPU), which the
   * run's first DNS query must not wait for.
   */
  private chainTrustBuilt: Promise<ChainTrust> | undefined;
  /** What checks derive from observations (CRL signatures, chain links, revocations), once per run. */
  readonly derived = new RunMemo();
  /** The DER of every certificate the run's handshakes presented, whichever thread read it. */
  private readonly certificates = new PresentedCertificates();
  /** Where direct TCP connects and TLS attempts run: threads of their own in a large run, else this one. */
  private readonly threads: ProbeThreads;

  constructor(readonly plan: RunPlan, private readonly signal: AbortSignal = new AbortController().signal) {
    this.threads = new ProbeThreads(plan.probeThreads ?? probeThreadCount(plannedConnections(plan)), this.certificates, signal);
    // A cap set by the user is a hard one; the default grows while operations only wait on the network: in this
    // thread and in the probe threads, whichever is busier.
    const ownUtilization = eventLoopUtilizationSampler();
    const utilization = () => Math.max(ownUtilization(), this.threads.utilization());
    const elastic = plan.concurrencyFixed === true ? undefined : elasticLimit(() => this.limiter, { base: plan.concurrency, max: Math.max(plan.concurrency, socketBudget()), utilization });
    this.limiter = new Limiter(plan.concurrency, { onQueued: elastic });
    this.routes = new RouteBook(plan, signal);
    const connecting = {
      connectPort: (port: number) => this.connectPort(port),
      connectTimeoutMs: plan.timeouts.connect,
      runStep: <T>(operation: () => Promise<T>) => this.limiter.run(operation),
    };
    const direct = directRouter({ ...connecting, resolve: (host) => this.resolution(host) });
    const routerFor = (proxy: ProxyPlan | null): HttpRouter => {
      if (!proxy) return direct;
      let router = this.proxyRouters.get(proxy.url);
      if (!router) this.proxyRouters.set(proxy.url, (router = proxyRouter({ ...connecting, proxyUrl: proxy.url })));
      return router;
    };
    // Per hop: a redirect may lead to a host the PAC routes otherwise, or one it has not been asked about yet.
    this.router = {
      withConnection: async (url, signal, exchange, admit) => (await routerFor(await this.routes.proxyForUrl(url))).withConnection(url, signal, exchange, admit),
    };
  }

  /** Whether connections to host:port go through a proxy (the agent's path), or direct. */
  viaProxy(host: string, port: number): boolean {
    return this.routes.proxyFor(host, port) !== null;
  }

  /** The proxy connections to host:port go through (the plan's, or the PAC's for that host), or null: DIRECT. */
  proxyFor(host: string, port: number): ProxyPlan | null {
    return this.routes.proxyFor(host, port);
  }

  /** What --pac or --wpad decided for host:port (the PAC's answer), or null when no PAC routes the run. */
  routeFor(host: string, port: number): PlannedRoute | null {
    return this.routes.routeFor(host, port);
  }

  /** Every proxy the run's connections may go through, each once. */
  proxies(): ProxyPlan[] {
    return this.routes.proxies();
  }

  /** A CONNECT tunnel to host:port through its proxy: the tcp check's observation when a proxy is in the way. */
  tunnel(host: string, port: number): Promise<TunnelEvidence> {
    const transport = this.requireProxy(host, port);
    return this.observe(`tunnel ${host} ${port}`, probeTunnel, { host, port: this.connectPort(port), transport }, this.plan.timeouts.connect);
  }

  dns(host: string): Promise<DnsEvidence> {
    return this.observe(`dns ${host}`, probeDns, { name: host, resolvers: this.plan.resolvers, cache: this.dnsCache }, this.plan.timeouts.dns);
  }

  /** The plan's hosts file (the system's by default), read once; null when there is none. */
  hostsFile(): Promise<HostsFile | null> {
    return (this.hosts ??= readHostsFile(this.plan.hostsFile));
  }

  /** `port` is the port the endpoint names; the connection goes to its mapped port. */
  tcp(address: string, port: number): Promise<TcpEvidence> {
    // The first connections are under way: the PKI code the first handshake's judge needs loads meanwhile, not after.
    if (this.plan.checks.includes('tls') || this.plan.checks.includes('inspection')) void this.chainTrust();
    const probe: Probe<TcpTarget, TcpEvidence> = (target, ctx) => this.threads.run('tcp', target, ctx);
    return this.observe(`tcp ${address} ${port}`, probe, { address, port: this.connectPort(port) }, this.plan.timeouts.connect);
  }

  /**
   * One handshake with `host` as SNI at `address`, or through the proxy's tunnel when `address` is null;
   * `port` is the port the endpoint names (mapped when connecting).
   */
  tls(host: string, address: string | null, port: number): Promise<TlsEvidence> {
    const mapped = this.connectPort(port);
    const common = { host, port: mapped, caPems: this.plan.trust.caPems, connectTimeoutMs: this.plan.timeouts.connect };
    // The run's judge loads the PKI code on first use; the first handshakes do not wait for it.
    const probe = (target: Parameters<typeof probeTls>[0], ctx: ProbeContext) => probeTls({ ...target, chainTrust: this.chainTrust() }, ctx);
    if (address !== null) {
      const attempt: AttemptRunner = ({ transport: _direct, ...direct }, mode, ctx) => this.threads.run('tls', { target: direct, mode }, ctx);
      return this.observe(`tls ${host} ${address} ${port}`, probe, { ...common, address, attempt }, this.plan.timeouts.tls);
    }
    const transport = this.requireProxy(host, port);
    const proxy = this.proxyFor(host, port);
    const via = proxy ? `${proxy.display} (from ${describeProxySource(proxy)})` : '';
    // A tunnel's socket cannot cross threads: its handshake runs here.
    const attempt: AttemptRunner = (target, mode, ctx) => attemptTls(target, mode, ctx, (fingerprint) => this.certificates.has(fingerprint));
    const target = { ...common, address: host, via, attempt, transport: (signal: AbortSignal) => transport(host, mapped, signal) };
    return this.observe(`tls ${host} via-proxy ${port}`, probe, target, this.plan.timeouts.tls);
  }

  /** The run's one ChainTrust, built on first use. */
  chainTrust(): Promise<ChainTrust> {
    return (this.chainTrustBuilt ??= import('../pki/chain-trust.js').then(({ ChainTrust }) => new ChainTrust(this.plan.trust.caPems, this.certificates)));
  }

  /** The run is over: its probe threads end. */
  close(): Promise<void> {
    return this.threads.close();
  }

  private requireProxy(host: string, port: number): ProxyTransport {
    const proxy = this.proxyFor(host, port);
    if (!proxy) throw new Error(`no proxy is configured for ${host}:${port} in this run`);
    let transport = this.proxyTransports.get(proxy.url);
    if (!transport) this.proxyTransports.set(proxy.url, (transport = createProxyTransport(proxy.url)));
    return transport;
  }

  /** A proxy itself (not a target through it): `proxy`, else the plan's one proxy; null when there is none. */
  proxy(proxy: ProxyPlan | null = this.plan.proxy): Promise<ProxyEvidence> | null {
    return proxy ? this.observe(`proxy ${proxy.url}`, probeProxy, { url: proxy.url }, this.plan.timeouts.connect) : null;
  }

  /** GET of a plain-HTTP URL (an http check's endpoint). */
  http(url: string): Promise<HttpEvidence> {
    return this.fetched(`http ${url}`, (ctx) => probeHttp({ url, router: this.router }, ctx));
  }

  /** A CRL, fetched once per run however many certificates name it. */
  crl(url: string): Promise<CrlEvidence> {
    return this.fetched(`crl ${url}`, (ctx) => probeCrl({ url, router: this.router, maxBytes: this.plan.limits.crlMaxBytes }, ctx));
  }

  /**
   * The CA certificate at an Authority Information Access caIssuers URL, fetched once per run however many chains
   * name it: what Windows fetches when a server leaves out its intermediate.
   */
  aiaIssuer(url: string): Promise<AiaEvidence> {
    return this.fetched(`aia ${url}`, (ctx) => probeAia({ url, router: this.router }, ctx));
  }

  /** An OCSP request to `url` about `certificate`, whose issuer is `issuer`. */
  ocsp(url: string, certificate: ObservedCertificate, issuer: ObservedCertificate): Promise<OcspEvidence> {
    return this.fetched(`ocsp ${url} ${issuer.sha256} ${certificate.serialNumber}`, (ctx) => probeOcsp({ url, router: this.router, certificate, issuer }, ctx));
  }

  /** The fetches started so far, once they have settled. */
  async settledFetches(): Promise<FetchEvidence[]> {
    return (await Promise.all(this.fetches)).filter((fetch): fetch is FetchEvidence => fetch !== null);
  }

  connectPort(port: number): number {
    return this.plan.portMap[String(port)] ?? port;
  }

  /**
   * Memoized like observe, but not under the limiter as a whole: a direct fetch resolves each redirect's host
   * through dns() (limited itself) mid-way, and the router puts each connection and exchange under the limiter.
   */
  private fetched<E extends { fetch: FetchEvidence }>(key: string, produce: (ctx: ProbeContext) => Promise<E>): Promise<E> {
    return this.once(key, () => {
      const pending = produce({ stepTimeoutMs: this.plan.timeouts.http, signal: this.signal });
      this.fetches.push(pending.then((evidence) => evidence.fetch, () => null));
      return pending;
    });
  }

  /**
   * A host's addresses as the agent gets them: a hosts-file entry first (its resolver reads the file before DNS),
   * else this run's DNS answer, sinkholes left out: 0.0.0.0 would reach this very machine.
   */
  private async resolution(host: string): Promise<Resolution> {
    const pin = hostsPinFor(await this.hostsFile(), host);
    if (pin) {
      const pinned = pin.addresses.filter((address) => !isSinkhole(address, this.plan.sinkholes));
      return pinned.length > 0 ? { addresses: pinned } : { failure: { code: 'DNS_SINKHOLE', detail: `hosts file ${pin.path} pins ${host} to ${pin.addresses.join(', ')}: blocked on this machine` } };
    }
    const evidence = await this.dns(host);
    // An answer the resolver flags as its filter's (Extended DNS Error Blocked, Forged…) is a sinkhole too.
    const flagged = evidence.ede.some((error) => POLICY_EDE_CODES.has(error.code));
    const addresses = flagged ? [] : evidence.addresses.filter((address) => !isSinkhole(address, this.plan.sinkholes));
    if (addresses.length > 0) return { addresses };
    if (evidence.addresses.length > 0) return { failure: { code: 'DNS_SINKHOLE', detail: `${host} resolves to ${evidence.addresses.join(', ')}: blocked by DNS policy` } };
    return { failure: { code: evidence.failure?.code ?? 'DNS_NODATA', detail: evidence.failure?.detail ?? `${host} has no A or AAAA record` } };
  }

  private observe<T, E>(key: string, probe: Probe<T, E>, target: T, stepTimeoutMs: number): Promise<E> {
    return this.once(key, () => this.limiter.run(() => probe(target, { stepTimeoutMs, signal: this.signal })));
  }

  /** The observation under `key`, started once per run: the same per-run memo as what checks derive from it. */
  private once<E>(key: string, start: () => Promise<E>): Promise<E> {
    return this.derived.once('observation', key, start);
  }
}

/**
 * Connections the plan's tcp, tls and inspection checks make, before DNS says how many addresses each endpoint has:
 * one per endpoint port. Other kinds connect from the main thread (port 80, proxies), or not at all (dns).
 */
function plannedConnections(plan: RunPlan): number {
  if (!plan.checks.some((kind) => THREADED_KINDS.has(kind))) return 0;
  return plan.endpoints.reduce((sum, endpoint) => sum + endpoint.ports.length, 0);
}

const THREADED_KINDS: ReadonlySet<string> = new Set(['tcp', 'tls', 'inspection']);
