import type { CheckKind } from '../model/codes.js';
import type { ExpectedFailure } from './expected-failures.js';

/**
 * The run plan: a profile or config file merged with the command line, every placeholder filled and every
 * default applied. It is plain JSON because it crosses into the vitest worker through provide/inject.
 */
export interface RunPlan {
  /** Profile name, or the config file's name when it extends none. */
  profile: string;
  /** Check kinds to run (--only); probes still run where a selected check needs them as a prerequisite. */
  checks: CheckKind[];
  /** DNS servers, in the order they are tried. */
  resolvers: ResolverAddress[];
  timeouts: Timeouts;
  /** Connect to another port than the one an endpoint names (labs): { "443": 8443 }. */
  portMap: Record<string, number>;
  /** The hosts file the agent's resolver reads before DNS (--hosts-file; default the system's); null: none. */
  hostsFile: string | null;
  /** Answers that mean "blocked by DNS policy", besides 0.0.0.0 and ::. */
  sinkholes: string[];
  trust: TrustPlan;
  /** How many network operations may be in flight at once. */
  concurrency: number;
  /** True when the config or --concurrency set it: a hard cap. Otherwise it grows while operations only wait on the network. */
  concurrencyFixed?: boolean;
  /** Threads for TCP connects and TLS handshakes besides the main one (--threads); absent: by the machine's cores and the plan's size. */
  probeThreads?: number;
  limits: Limits;
  /** Explicit proxy, with where the setting came from; null when connections go direct. */
  proxy: ProxyPlan | null;
  /** --pac / --wpad as the command line asked: turned into proxyRouting before the first probe. */
  proxyDiscovery?: ProxyDiscovery | null;
  /** --pac / --wpad: the proxy per endpoint; when set, it decides over `proxy`. */
  proxyRouting?: ProxyRouting | null;
  /** What --agent-config auto found: which file decided each service's proxy (proxy results). */
  proxyFindings?: RoutingFinding[];
  /** --ip-family: which resolved addresses the tcp, tls and inspection checks connect to. */
  ipFamily: IpFamily;
  endpoints: PlannedEndpoint[];
  /** expectedFailures of the profile and config, in order: the first entry whose pattern matches applies. */
  expectedFailures?: ExpectedFailure[];
}

/** `auto`: every address, judged as the agent uses them (IPv6 first, IPv4 fallback); 4 or 6: that family only. */
export type IpFamily = 'auto' | 4 | 6;
export const IP_FAMILIES: readonly IpFamily[] = ['auto', 4, 6];

export interface ResolverAddress {
  /** IP literal, IPv6 without brackets. */
  host: string;
  port: number;
}

export interface Timeouts {
  dns: number;
  connect: number;
  tls: number;
  http: number;
}

export interface Limits {
  /** A CRL larger than this many bytes is not read past it (CRL_TOO_LARGE). */
  crlMaxBytes: number;
}

export interface TrustPlan {
  /** PEM text of certificates accepted as expected trust anchors (--ca-file, trust.caFiles). */
  caPems: string[];
  /** Names of roots that the presented chain may anchor at (profile and trust.expectedIssuers). */
  expectedIssuers: string[];
}

export type ProxySource = 'option' | 'config' | 'agent-config' | 'environment' | 'pac' | 'wpad' | 'winhttp';

export interface ProxyPlan {
  /** The proxy URL, credentials included: it never leaves the process (reports show `display`). */
  url: string;
  /** The URL with any password replaced, for reports and logs. */
  display: string;
  source: ProxySource;
  /** Hosts that bypass the proxy (NO_PROXY, bypasslist). */
  bypass: string[];
  /** Which file or URL the setting was read from, when the source alone does not say (a PAC's location). */
  origin?: string;
  /** What the PAC's FindProxyForURL returned for the target this plan routes (--pac, --wpad). */
  decision?: string;
}

export type ProxyDiscovery =
  /** --pac FILE (read when the plan is loaded: `script`) or URL (fetched before the first probe: `script` null). */
  | { kind: 'pac'; location: string; script: string | null }
  /** --wpad: the search suffixes, and where they came from (resolv.conf, the registry, --wpad-suffix). */
  | { kind: 'wpad'; suffixes: string[]; suffixOrigin: string };

/**
 * --pac and --wpad: the proxy decided per endpoint "host:port" before the first probe, as the agent's machine
 * decides it, and what the discovery itself found (proxy results).
 */
export interface ProxyRouting {
  kind: 'pac' | 'wpad';
  /** Where the PAC came from (a file, a URL); null when WPAD found none. */
  location: string | null;
  /** The PAC script, for URLs first seen during the run (CRL, OCSP, AIA); null when there is none to run. */
  script: string | null;
  /** Per "host:port" of every endpoint. */
  routes: Record<string, PlannedRoute>;
  /** Each proxy a PAC named, and why it was passed over (unreachable), or null when it answered. */
  proxyLiveness: Record<string, string | null>;
  /** What the discovery found: the PAC's location, errors, WPAD's answers. Each is a proxy check result. */
  findings: RoutingFinding[];
}

export interface PlannedRoute {
  /** The URL FindProxyForURL was asked about. */
  url: string;
  /** What it returned (shortened when long); null when it failed (then `error` says why). */
  decision: string | null;
  error: string | null;
  /** The proxy the agent uses: the first of the PAC's list that answers; null: DIRECT. */
  proxy: ProxyPlan | null;
  /** Proxies of the list that came before the chosen one and did not answer (WinHTTP fails over past them). */
  passedOver: Array<{ proxy: string; reason: string }>;
}

export interface RoutingFinding {
  id: string;
  status: 'pass' | 'fail' | 'warn';
  code: 'PROXY_OK' | 'PROXY_ERROR' | 'PROXY_UNREACHABLE';
  /** The host the finding is about (the PAC server, the WPAD name), for the report's grouping. */
  host: string;
  message: string;
  remediation: string;
  evidence: Record<string, string | number | boolean | null | string[]>;
}

/** What an endpoint asks to be checked beyond dns and tcp. */
export type Expectation = 'tls' | 'http' | 'crl' | 'ocsp';

export interface PlannedEndpoint {
  /**
   * Host name to resolve and connect to, placeholders filled: an IP literal (IPv6 without brackets, never sent to
   * DNS) or a name in its ASCII form (an internationalised name as punycode).
   */
  host: string;
  /** The Unicode form of a punycode host (e.g. "bücher.example"), shown beside it; null otherwise. */
  unicodeHost: string | null;
  /** Ports as the endpoint names them; the port map applies when connecting. */
  ports: number[];
  /** Ports on which a TLS handshake is due. */
  tlsPorts: number[];
  /** URL as configured (placeholders filled), null for the host + ports form. */
  url: string | null;
  /** The check that URL gets: tls for https, crl for *.crl paths, else http; null for host + ports. */
  expect: Expectation | null;
  purpose: string | null;
  source: string | null;
  /** Free-form tags, e.g. that a source dropped this entry. */
  tags: string[];
  /** The source documents the endpoint as optional: failures of checks only it asks for are warnings. */
  optional: boolean;
  /** Set when this concrete host stands in for a wildcard rule of the source (e.g. "*.msappproxy.net"). */
  wildcard: string | null;
  /** How the host was chosen for a wildcard: a placeholder the user filled, or a documented sample host. */
  hostOrigin: 'literal' | 'placeholder' | 'sample';
  /** Placeholders that no --var filled: the endpoint cannot be probed until they are. */
  missingVars: string[];
}
