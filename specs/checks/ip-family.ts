// --ip-family: which resolved addresses the tcp, tls and inspection checks connect to, and how an IPv6 failure is
// judged under `auto`. The agent tries IPv6 first and falls back to IPv4 (Happy Eyeballs), so an IPv6 address
// that fails is not the agent's failure as long as IPv4 works: it only costs the fallback's delay. And a machine
// with no IPv6 route never sends the IPv6 attempt at all: nothing about the firewall was tested there.
import { isIPv4, isIPv6 } from 'node:net';
import type { IpFamily } from '../../config/plan.js';
import type { Status } from '../../model/codes.js';
import type { TcpEvidence } from '../../probes/tcp.js';
import type { Verdict } from '../check-run.js';

export const NO_IPV6_ROUTE = 'this machine has no IPv6 route; the agent uses IPv4';
export const IPV4_FALLBACK = 'the agent falls back to IPv4 after the IPv6 attempt fails, slower';

export interface AddressSelection {
  /** The addresses to connect to. */
  addresses: string[];
  /** Why none are left although dns gave some: the skip reason of the host's checks; null otherwise. */
  excluded: string | null;
}

/** The resolved addresses that --ip-family leaves to connect to (dns still records them all). */
export function selectAddresses(host: string, resolved: readonly string[], family: IpFamily): AddressSelection {
  if (family === 'auto') return { addresses: [...resolved], excluded: null };
  const ofFamily = resolved.filter((address) => (family === 4 ? isIPv4(address) : isIPv6(address)));
  const excluded = resolved.length > 0 && ofFamily.length === 0 ? `no IPv${family} address for ${host} under --ip-family ${family}` : null;
  return { addresses: ofFamily, excluded };
}

/**
 * The `auto` rule for a failed IPv6 connection. `ipv4Statuses`: the tcp statuses of the same host's IPv4
 * addresses on the same port ([] when it has none).
 * - No IPv6 route on this machine, and the host has IPv4: skip, keeping the code (nothing was sent).
 * - Another failure while an IPv4 address of the host connects: warn, keeping the code.
 * - Otherwise the failure stands; with no IPv4 to fall back to, the advice says this machine lacks IPv6.
 */
export function judgeIpv6Fallback(host: string, verdict: Verdict, evidence: TcpEvidence, ipv4Statuses: readonly Status[]): Verdict {
  if (verdict.status !== 'fail' || !isIPv6(evidence.address) || evidence.failure === null) return verdict;
  if (evidence.failure.noRouteHere) {
    if (ipv4Statuses.length > 0) {
      return {
        status: 'skip',
        code: verdict.code,
        message: `${verdict.message}: not tested, ${NO_IPV6_ROUTE}`,
        remediation: 'To test the IPv6 path, run from a machine with IPv6 connectivity; --ip-family 4 leaves IPv6 addresses out.',
      };
    }
    return {
      ...verdict,
      remediation: `This machine has no IPv6 route and ${host} has no IPv4 address: give this machine IPv6 connectivity (a route to ${evidence.address}).`,
    };
  }
  if (ipv4Statuses.includes('pass')) {
    return { ...verdict, status: 'warn', message: `${verdict.message}; ${IPV4_FALLBACK}` };
  }
  return verdict;
}
