// tcp: a connection opens to every resolved address on every port of the host; through a proxy, the proxy opens
// a CONNECT tunnel to every port of the host (it resolves the name itself).
import { isIPv4, isIPv6 } from 'node:net';
import type { ProxyPlan } from '../../config/plan.js';
import type { TcpEvidence } from '../../probes/tcp.js';
import type { TunnelEvidence } from '../../probes/tunnel.js';
import type { CheckResult } from '../../model/result.js';
import { addressInId, describeTarget, makeResult, skippedFor, type CheckRun, type HostPlan, type ResultSubject, type Verdict } from '../check-run.js';
import { connectableAddresses, dnsCheck } from './dns.js';
import { describeProxySource } from '../../config/proxy-settings.js';
import { judgeIpv6Fallback, selectAddresses } from './ip-family.js';

export interface AddressTarget {
  host: HostPlan;
  /** The agent's path to this port: direct to each address, or through the proxy's tunnel to the name. */
  route: 'direct' | 'proxy';
  /** null through the proxy, and direct when dns gave no usable address (the check is skipped). */
  address: string | null;
  /** Direct with no address because --ip-family left none: why (the skip reason); null otherwise. */
  excluded?: string | null;
  port: number;
  subject: (check: 'tcp' | 'tls' | 'inspection') => ResultSubject;
}

/**
 * The ports the tcp check covers. Through a proxy the agent tunnels only TLS (CONNECT); plain HTTP goes as an
 * absolute-form GET, whose verdict the http, crl and ocsp checks carry. A CONNECT to port 80 would test a path
 * the agent never takes, and proxies commonly refuse it (squid's default `deny CONNECT !SSL_ports`).
 */
export function tcpPorts(run: CheckRun, host: HostPlan): number[] {
  return host.ports.filter((port) => host.tlsPorts.includes(port) || !run.observe.viaProxy(host.host, port));
}

/** host × resolved address × port direct; host × port through the proxy, or when there is no address to try. */
export async function addressTargets(run: CheckRun, host: HostPlan, ports: readonly number[]): Promise<AddressTarget[]> {
  const direct = ports.filter((port) => !run.observe.viaProxy(host.host, port));
  // An IP literal is its own address: connected to directly, never resolved.
  const resolved = direct.length === 0 ? [] : host.ipLiteral ? [host.host] : await connectableAddresses(run, host);
  const { addresses, excluded } = selectAddresses(host.host, resolved, run.plan.ipFamily ?? 'auto');
  const targets: AddressTarget[] = [];
  for (const port of ports) {
    const route = direct.includes(port) ? 'direct' : 'proxy';
    for (const address of route === 'direct' && addresses.length > 0 ? addresses : [null]) {
      targets.push({
        host,
        route,
        address,
        excluded: route === 'direct' ? excluded : null,
        port,
        subject: (check) => ({
          id: address === null ? `${check}:${addressInId(host.host)}:${port}` : `${check}:${addressInId(host.host)}@${addressInId(address)}:${port}`,
          check,
          host: host.host,
          address,
          port,
          url: null,
        }),
      });
    }
  }
  return targets;
}

export function tcpCheck(run: CheckRun, target: AddressTarget): Promise<CheckResult> {
  const subject = target.subject('tcp');
  return run.once(subject, async () => {
    const proxy = target.route === 'proxy' ? run.observe.proxyFor(target.host.host, target.port) : null;
    if (proxy) {
      const tunnel = await run.observe.tunnel(target.host.host, target.port);
      return makeResult(subject, judgeTunnel(target.host.host, target.port, tunnel, proxy), tunnel.connectMs ?? 0, {
        ...tunnel, refusal: tunnel.refusal ? { ...tunnel.refusal } : null, proxy: proxy.display, proxySource: proxy.source,
      });
    }
    if (target.address === null) return skippedFor(subject, target.excluded ?? await dnsCheck(run, target.host));
    const evidence = await run.observe.tcp(target.address, target.port);
    let verdict = judgeTcp(target.host.host, target.port, evidence);
    if (verdict.status === 'fail' && isIPv6(target.address) && (run.plan.ipFamily ?? 'auto') === 'auto') {
      verdict = judgeIpv6Fallback(target.host.host, verdict, evidence, await ipv4Statuses(run, target));
    }
    return makeResult(subject, verdict, evidence.connectMs ?? 0, { ...evidence, failure: evidence.failure ? { ...evidence.failure } : null });
  });
}

/** The tcp statuses of the host's IPv4 addresses on the target's port: what the agent falls back to. */
async function ipv4Statuses(run: CheckRun, target: AddressTarget) {
  const siblings = (await addressTargets(run, target.host, [target.port])).filter((t) => t.route === 'direct' && t.address !== null && isIPv4(t.address));
  return (await Promise.all(siblings.map((t) => tcpCheck(run, t)))).map((result) => result.status);
}

export function judgeTcp(host: string, port: number, evidence: TcpEvidence): Verdict {
  const where = describeTarget(evidence.address, port, evidence.port);
  if (!evidence.failure) return { status: 'pass', code: 'TCP_OK', message: `connected to ${where} in ${evidence.connectMs} ms` };
  const rule = `outbound TCP ${port} from this machine to ${evidence.address} (${host})`;
  const remediation = {
    TCP_REFUSED: `Something answered with a reset: allow ${rule} on the firewall, or check that the address is right.`,
    TCP_TIMEOUT: `Packets are dropped silently: allow ${rule} on the firewall.`,
    TCP_RESET: `A device accepts, then resets the connection: check IPS or application-control policies for ${rule}.`,
    TCP_UNREACHABLE: `No route to the address: check this machine's routing and local firewall for ${rule}.`,
  }[evidence.failure.code];
  return { status: 'fail', code: evidence.failure.code, message: `${where}: ${evidence.failure.detail}`, remediation };
}

/** What the proxy did with CONNECT host:port, and what to change on it. */
export function judgeTunnel(host: string, port: number, evidence: TunnelEvidence, proxy: ProxyPlan): Verdict {
  const through = `through proxy ${proxy.display} (from ${describeProxySource(proxy)})`;
  const refusal = evidence.refusal;
  if (!refusal) return { status: 'pass', code: 'TCP_OK', message: `tunnel to ${evidence.target} opened ${through} in ${evidence.connectMs} ms` };
  const rule = `CONNECT to ${host}:${port}`;
  const remediation = {
    PROXY_AUTH_REQUIRED: `The proxy demands authentication${refusal.schemes?.length ? ` (${refusal.schemes.join(', ')})` : ''}, and the connector does not support proxy authentication: allow ${rule} without authentication for this machine on the proxy.`,
    PROXY_DENIED: `The proxy's policy refuses ${rule}${refusal.pageTitle ? ` ("${refusal.pageTitle}")` : ''}: allow the host (or its domain) for CONNECT to port ${port} on the proxy.`,
    PROXY_ERROR: `The proxy could not open ${rule} itself: check the proxy's own DNS and its egress to ${host} on port ${port}.`,
    PROXY_UNREACHABLE: `This machine cannot reach the proxy: see the proxy check, and ${describeProxySource(proxy)}.`,
  }[refusal.code];
  return { status: 'fail', code: refusal.code, message: `${rule} ${through}: ${refusal.detail}`, remediation };
}
