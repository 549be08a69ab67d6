// dns: the whole CNAME chain of a host resolves to at least one address that is not a sinkhole. A host that is an
// IP literal has no dns check: nothing is resolved for it (see HostPlan.ipLiteral). An Extended DNS Error in any
// answer is shown (it is often the only place that says a filter blocked the name), and a hosts-file entry for the
// name, which the agent uses instead of DNS, makes the result a warning naming the pinned address.
import { isSinkhole, type DnsEvidence, type DnsFailure } from '../../probes/dns.js';
import { describeExtendedError, EDE_PROHIBITED, POLICY_EDE_CODES, type ExtendedDnsError } from '../../probes/dns-ede.js';
import { hostsPinFor, type HostsPin } from '../../probes/hosts-file.js';
import type { CheckResult, Evidence } from '../../model/result.js';
import { makeResult, type CheckRun, type HostPlan, type ResultSubject, type Verdict } from '../check-run.js';

export function dnsCheck(run: CheckRun, host: HostPlan): Promise<CheckResult> {
  const subject: ResultSubject = { id: `dns:${host.host}`, check: 'dns', host: host.host, address: null, port: null, url: null };
  return run.once(subject, async () => {
    const evidence = await run.observe.dns(host.host);
    const pin = hostsPinFor(await run.observe.hostsFile(), host.host);
    const proxied = host.ports.every((port) => run.observe.viaProxy(host.host, port));
    // Through the proxy the agent sends the name, not an address: a hosts-file pin only matters going direct.
    const verdict = judgeDns(evidence, run.plan.sinkholes, proxied ? null : pin);
    const noted = proxied && pin ? { ...verdict, message: `${verdict.message}; hosts file ${pin.path} pins it to ${pin.addresses.join(', ')}, which only a direct connection would use` } : verdict;
    return makeResult(subject, proxied ? throughProxy(noted) : verdict, evidence.durationMs, {
      ...dnsEvidence(evidence, host), hostsFile: pin ? { path: pin.path, addresses: pin.addresses } : null, resolvedByProxy: proxied,
    });
  });
}

/**
 * The addresses the agent connects to for `host` once its dns check passed (or only warned): a hosts-file entry's
 * (its resolver reads the file first), else DNS's; none when the check failed or was skipped. Read from the typed
 * observations the check judged (both memoized per run), never back out of the result's JSON evidence.
 */
export async function connectableAddresses(run: CheckRun, host: HostPlan): Promise<string[]> {
  const result = await dnsCheck(run, host);
  if (result.status !== 'pass' && result.status !== 'warn') return [];
  const pin = hostsPinFor(await run.observe.hostsFile(), host.host);
  return [...(pin ? pin.addresses : (await run.observe.dns(host.host)).addresses)];
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

export function judgeDns(evidence: DnsEvidence, sinkholes: readonly string[], pin: HostsPin | null = null): Verdict {
  const verdict = withExtendedErrors(judgeAnswer(evidence, sinkholes), evidence);
  return pin ? pinnedByHostsFile(verdict, evidence, pin, sinkholes) : verdict;
}

function judgeAnswer(evidence: DnsEvidence, sinkholes: readonly string[]): Verdict {
  const sinkholed = evidence.addresses.filter((a) => isSinkhole(a, sinkholes));
  const flagged = policyErrors(evidence);
  if (sinkholed.length > 0 || (evidence.addresses.length > 0 && flagged.length > 0)) {
    // An address the resolver itself flags as forged or blocked is a filter's answer, whatever it is.
    const shown = sinkholed.length > 0 ? sinkholed : evidence.addresses;
    return {
      status: 'fail',
      code: 'DNS_SINKHOLE',
      message: `${evidence.name} resolves to ${shown.join(', ')}: blocked by DNS policy`,
      remediation: filterRemediation(evidence),
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
  const failure = evidence.failure ?? { code: 'DNS_NODATA', name: evidence.name, queryType: 'A', detail: 'no address', resolver: null, cause: null, errno: null, alsoFailed: [] };
  // A failure that a resolver explains as its filter's doing (Blocked, Filtered…) is fixed in that filter.
  const remediation = flagged.length > 0 ? filterRemediation(evidence) : remediationFor(failure, evidence);
  return { status: 'fail', code: failure.code, message: describeFailure(failure), remediation };
}

function filterRemediation(evidence: DnsEvidence): string {
  return `Allow ${evidence.suffixes.map((s) => `*.${s}`).join(', ')} in the DNS filtering policy (DNS security, RPZ or proxy DNS) that answers for this machine.`;
}

function policyErrors(evidence: DnsEvidence): ExtendedDnsError[] {
  return evidence.ede.filter((error) => POLICY_EDE_CODES.has(error.code));
}

/** The resolver's Extended DNS Errors, in the message; a policy code says outright that a filter blocked the name. */
function withExtendedErrors(verdict: Verdict, evidence: DnsEvidence): Verdict {
  if (evidence.ede.length === 0) return verdict;
  const flagged = policyErrors(evidence);
  const listed = evidence.ede.map(describeExtendedError).join('; ');
  // A sinkhole message says "blocked by DNS policy" already.
  const note = flagged.length > 0
    ? verdict.code === 'DNS_SINKHOLE' ? `; the resolver says ${listed}` : `: a DNS security filter blocked the name, the resolver says ${listed}`
    : evidence.ede.some((error) => error.code === EDE_PROHIBITED)
      ? `: the resolver does not serve this machine, it says ${listed}`
      : `; the resolver adds ${listed}`;
  return { ...verdict, message: `${verdict.message}${note}` };
}

/** The agent's resolver reads the hosts file first: the pinned address is the one it connects to. */
function pinnedByHostsFile(verdict: Verdict, evidence: DnsEvidence, pin: HostsPin, sinkholes: readonly string[]): Verdict {
  const pinned = pin.addresses.join(', ');
  const head = `hosts file ${pin.path} pins ${evidence.name} to ${pinned}`;
  if (pin.addresses.every((address) => isSinkhole(address, sinkholes))) {
    // "0.0.0.0 name" is how blockers and hardening scripts block a name on the machine itself.
    return {
      status: 'fail',
      code: 'DNS_SINKHOLE',
      message: `${head}: the name is blocked on this machine, whatever DNS says`,
      remediation: `Remove the ${evidence.name} entry from ${pin.path} (and find what wrote it: an ad or malware blocker, a hardening script).`,
    };
  }
  const same = evidence.addresses.length > 0 && pin.addresses.every((a) => evidence.addresses.includes(a));
  const message = verdict.status === 'pass'
    ? `${head}; the agent uses that address, not DNS's ${evidence.addresses.join(', ')}${same ? ' (the same today, but the pin stays when the service moves)' : ''}`
    : `${head}; the agent uses that address and never asks DNS, which says: ${verdict.message}`;
  const remediation = `The agent connects to ${pinned} whatever DNS says: remove the ${evidence.name} entry from ${pin.path} unless it is there on purpose (a pinned address breaks when the service moves).`;
  return { status: 'warn', code: verdict.code, message, remediation: verdict.remediation ? `${remediation} DNS itself: ${verdict.remediation}` : remediation };
}

function describeFailure(failure: DnsFailure): string {
  const by = failure.resolver ? ` (resolver ${failure.resolver})` : '';
  const others = failure.alsoFailed.length > 0
    ? `; also failed: ${failure.alsoFailed.map((other) => `${other.resolver} (${other.code})`).join(', ')}`
    : '';
  switch (failure.code) {
    case 'DNS_NXDOMAIN': return `${failure.name} does not exist (NXDOMAIN)${by}`;
    case 'DNS_NODATA': return `${failure.name} has no A or AAAA record${by}`;
    case 'DNS_TIMEOUT': return `no answer for ${failure.name} ${failure.queryType} before the deadline${by}${others}`;
    // The detail names the resolver and why nothing could come from it.
    case 'DNS_UNREACHABLE': return `no answer for ${failure.name} ${failure.queryType}: ${failure.detail}${others}`;
    default: return `${failure.name} ${failure.queryType}: ${failure.detail}${by}${others}`;
  }
}

/** Where a DNS_UNREACHABLE is fixed depends on why no answer could come. */
function unreachableRemediation(failure: DnsFailure): string {
  const resolver = failure.resolver ?? 'the resolver';
  switch (failure.cause) {
    case 'local-firewall':
      return `This machine's own firewall (nftables/iptables, Windows Defender Firewall, an endpoint security agent) drops the query before it leaves: allow outbound UDP and TCP port 53 to ${resolver} there.`;
    case 'port-unreachable':
      return `No DNS server listens at ${resolver}: check the resolver's address and port (--resolver, resolvers:, the network settings), or start the DNS service there.`;
    case 'no-route':
      return `This machine has no route to ${resolver}, or a router or firewall on the way refuses it (ICMP unreachable or prohibited): check the resolver address, this machine's routes and gateway, and the firewalls on the way.`;
    case 'tcp-refused':
      return `Large answers need TCP: allow TCP port 53 from this machine to ${resolver} on the firewall, and enable TCP on the DNS server.`;
    default:
      return `Check the network path from this machine to ${resolver} (UDP and TCP port 53), or name a reachable resolver with --resolver.`;
  }
}

function remediationFor(failure: DnsFailure, evidence: DnsEvidence): string {
  const suffixes = evidence.suffixes.join(', ');
  switch (failure.code) {
    case 'DNS_NXDOMAIN':
    case 'DNS_NODATA':
      return missingNameRemediation(failure, evidence, suffixes);
    case 'DNS_TIMEOUT':
      return 'Allow UDP and TCP port 53 from this machine to the resolver, or name a reachable resolver with --resolver.';
    case 'DNS_UNREACHABLE':
      return unreachableRemediation(failure);
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

/**
 * The tool asked this machine's resolver only: it never checked what the name's own DNS servers say, so the
 * advice separates what was seen (this resolver's answer) from what follows only if the name is right.
 */
function missingNameRemediation(failure: DnsFailure, evidence: DnsEvidence, suffixes: string): string {
  const zones = `check conditional forwarders, split-horizon or stub zones for ${suffixes} on the resolver`;
  const answer = failure.code === 'DNS_NXDOMAIN' ? 'does not exist' : 'has no address';
  if (evidence.addresses.length > 0) {
    return `The resolver gives ${evidence.name} addresses, yet says ${failure.name} ${answer} for ${failure.queryType}: a DNS server on the path may hold its own copy of part of the chain: ${zones}.`;
  }
  if (failure.name !== evidence.name) {
    return `${evidence.name} leads through its CNAME chain to ${failure.name}, which the resolver says ${answer}. If that name's own DNS servers answer for it, a DNS server on the path holds its own copy of the zone: ${zones}.`;
  }
  return `The resolver says ${evidence.name} ${answer}. Check the name's spelling (in the config, or the value given with --var); if it is right, a DNS server on the path answers differently from the name's own DNS servers: ${zones}.`;
}

function dnsEvidence(evidence: DnsEvidence, host: HostPlan): Evidence {
  const endpoint = host.endpoints[0];
  return {
    chain: evidence.chain.map((hop) => ({ ...hop })),
    addresses: evidence.addresses,
    suffixes: evidence.suffixes,
    resolvers: evidence.resolvers,
    failure: evidence.failure ? { ...evidence.failure, alsoFailed: evidence.failure.alsoFailed.map((other) => ({ ...other })) } : null,
    ede: evidence.ede.map((error) => ({ ...error })),
    withoutEdns: evidence.withoutEdns,
    purpose: endpoint?.purpose ?? null,
    source: endpoint?.source ?? null,
    tags: [...new Set(host.endpoints.flatMap((e) => e.tags))],
    wildcard: endpoint?.wildcard ?? null,
    hostOrigin: endpoint?.hostOrigin ?? 'literal',
  };
}
