// tcp: a connection opens to every resolved address on every port of the host.
import type { TcpEvidence } from '../../probes/tcp.js';
import type { CheckResult } from '../../model/result.js';
import { addressInId, describeTarget, makeResult, skippedFor, type CheckRun, type HostPlan, type ResultSubject, type Verdict } from '../check-run.js';
import { dnsCheck } from './dns.js';

export interface AddressTarget {
  host: HostPlan;
  /** null when dns gave no usable address: the check is skipped. */
  address: string | null;
  port: number;
  subject: (check: 'tcp' | 'tls' | 'inspection') => ResultSubject;
}

/** host × resolved address × port, or host × port when there is no address to try. */
export async function addressTargets(run: CheckRun, host: HostPlan, ports: readonly number[]): Promise<AddressTarget[]> {
  const dns = await dnsCheck(run, host);
  const addresses = usableAddresses(dns);
  const targets: AddressTarget[] = [];
  for (const port of ports) {
    for (const address of addresses.length > 0 ? addresses : [null]) {
      targets.push({
        host,
        address,
        port,
        subject: (check) => ({
          id: address === null ? `${check}:${host.host}:${port}` : `${check}:${host.host}@${addressInId(address)}:${port}`,
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

function usableAddresses(dns: CheckResult): string[] {
  if (dns.status !== 'pass' && dns.status !== 'warn') return [];
  const addresses = dns.evidence['addresses'];
  return Array.isArray(addresses) ? addresses.filter((a): a is string => typeof a === 'string') : [];
}

export function tcpCheck(run: CheckRun, target: AddressTarget): Promise<CheckResult> {
  const subject = target.subject('tcp');
  return run.once(subject.id, async () => {
    if (target.address === null) return skippedFor(subject, await dnsCheck(run, target.host));
    const evidence = await run.observe.tcp(target.address, target.port);
    return makeResult(subject, judgeTcp(target.host.host, target.port, evidence), evidence.connectMs ?? 0, { ...evidence, failure: evidence.failure ? { ...evidence.failure } : null });
  });
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
