// dns: the whole CNAME chain of a host resolves to at least one address that is not a sinkhole. A host that is an
// IP literal has no dns check: nothing is resolved for it (see HostPlan.ipLiteral).
import { isSinkhole, type DnsEvidence, type DnsFailure } from '../../probes/dns.js';
import type { CheckResult, Evidence } from '../../model/result.js';
import { makeResult, type CheckRun, type HostPlan, type ResultSubject, type Verdict } from '../check-run.js';

export function dnsCheck(run: CheckRun, host: HostPlan): Promise<CheckResult> {
  const subject: ResultSubject = { id: `dns:${host.host}`, check: 'dns', host: host.host, address: null, port: null, url: null };
  return run.once(subject, async () => {
    const evidence = await run.observe.dns(host.host);
    const proxied = host.ports.every((port) => run.observe.viaProxy(host.host, port));
    const verdict = judgeDns(evidence, run.plan.sinkholes);
    return makeResult(subject, proxied ? throughProxy(verdict) : verdict, evidence.durationMs, { ...dnsEvidence(evidence, host), resolvedByProxy: proxied });
  });
}

/**
 * With a proxy in the way the agent sends the name to the proxy, which resolves it: a local failure is worth
 * knowing (a direct fallback would fail) but does not stop the agent.
 */
export function throughProxy(verdict: Verdict): Verdict {
  const note = 'the proxy resolves this name itself, so the agent does not need it to resolve here';
  if (verdict.status !== 'fail') return { ...verdict, message: `${verdict.message} (${note})` };
  return { ...verdict, status: 'warn', message: `${verdict.message}; ${note}` };
}

export function judgeDns(evidence: DnsEvidence, sinkholes: readonly string[]): Verdict {
  const sinkholed = evidence.addresses.filter((a) => isSinkhole(a, sinkholes));
  if (sinkholed.length > 0) {
    return {
      status: 'fail',
      code: 'DNS_SINKHOLE',
      message: `${evidence.name} resolves to ${sinkholed.join(', ')}: blocked by DNS policy`,
      remediation: `Allow ${evidence.suffixes.map((s) => `*.${s}`).join(', ')} in the DNS filtering policy (DNS security, RPZ or proxy DNS) that answers for this machine.`,
    };
  }
  if (evidence.addresses.length > 0) {
    const hops = evidence.chain.filter((hop) => hop.type === 'CNAME').length;
    const resolved = `${evidence.name} resolves through ${hops} CNAME hop${hops === 1 ? '' : 's'} to ${evidence.addresses.join(', ')}`;
    if (evidence.failure) {
      return { status: 'warn', code: evidence.failure.code, message: `${resolved}, but ${describeFailure(evidence.failure)}`, remediation: remediationFor(evidence.failure, evidence) };
    }
    return { status: 'pass', code: 'DNS_OK', message: resolved };
  }
  const failure = evidence.failure ?? { code: 'DNS_NODATA', name: evidence.name, queryType: 'A', detail: 'no address', resolver: null };
  return { status: 'fail', code: failure.code, message: describeFailure(failure), remediation: remediationFor(failure, evidence) };
}

function describeFailure(failure: DnsFailure): string {
  const by = failure.resolver ? ` (resolver ${failure.resolver})` : '';
  switch (failure.code) {
    case 'DNS_NXDOMAIN': return `${failure.name} does not exist (NXDOMAIN)${by}`;
    case 'DNS_NODATA': return `${failure.name} has no A or AAAA record${by}`;
    case 'DNS_TIMEOUT': return `no answer for ${failure.name} ${failure.queryType} before the deadline${by}`;
    default: return `${failure.name} ${failure.queryType}: ${failure.detail}${by}`;
  }
}

function remediationFor(failure: DnsFailure, evidence: DnsEvidence): string {
  const suffixes = evidence.suffixes.join(', ');
  switch (failure.code) {
    case 'DNS_NXDOMAIN':
    case 'DNS_NODATA':
      return `The public name exists; a DNS server on the path answers differently. Check conditional forwarders, split-horizon or stub zones for ${suffixes} on the resolver.`;
    case 'DNS_TIMEOUT':
      return 'Allow UDP and TCP port 53 from this machine to the resolver, or name a reachable resolver with --resolver.';
    case 'DNS_SERVFAIL':
      return `The resolver cannot complete the lookup: check its forwarders and that it may reach the servers authoritative for ${suffixes}.`;
    case 'DNS_REFUSED':
      return 'The resolver does not serve this machine: allow this machine in its recursion ACL, or name another with --resolver.';
    case 'DNS_CNAME_LOOP':
    case 'DNS_CHAIN_TOO_LONG':
      return `A DNS server rewrites the chain for ${suffixes}: check local zones or DNS filtering policies that override these names.`;
    case 'DNS_MALFORMED':
      return 'Something between this machine and the resolver answers with non-DNS data: check DNS inspection or interception on the firewall.';
  }
}

function dnsEvidence(evidence: DnsEvidence, host: HostPlan): Evidence {
  const endpoint = host.endpoints[0];
  return {
    chain: evidence.chain.map((hop) => ({ ...hop })),
    addresses: evidence.addresses,
    suffixes: evidence.suffixes,
    resolvers: evidence.resolvers,
    failure: evidence.failure ? { ...evidence.failure } : null,
    purpose: endpoint?.purpose ?? null,
    source: endpoint?.source ?? null,
    tags: [...new Set(host.endpoints.flatMap((e) => e.tags))],
    wildcard: endpoint?.wildcard ?? null,
    hostOrigin: endpoint?.hostOrigin ?? 'literal',
  };
}
