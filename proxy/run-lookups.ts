// The run's own answers for everything proxy discovery asks before the first probe: names by this run's resolvers
// (the hosts file first, as the agent's resolver reads it first), this machine's address for myIpAddress, and
// whether a proxy a PAC names accepts connections. Never the OS resolver: a preflight that asks a different DNS
// than the one it tests would route by answers it does not report.
import dgram from 'node:dgram';
import { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RunPlan } from '../config/plan.js';
import { openConnection } from '../net/connect.js';
import { createDnsQueryCache, isSinkhole, probeDns } from '../probes/dns.js';
import { hostsPinFor, readHostsFile, type HostsFile } from '../probes/hosts-file.js';
import { deadlineSignal } from '../probes/probe.js';
import type { PacEnvironment } from './pac-sandbox.js';

export type Lookup = { addresses: string[]; via: string } | { failure: string };

export interface RunLookups extends PacEnvironment {
  /** Every usable address of `host` (IP literals as they are), with what answered. */
  lookup(host: string): Promise<Lookup>;
  /** null when a TCP connection to the proxy opens within the connect deadline; else why not. */
  proxyAnswers(host: string, port: number): Promise<string | null>;
}

export function runLookups(plan: RunPlan, signal: AbortSignal): RunLookups {
  const cache = createDnsQueryCache();
  let hosts: Promise<HostsFile | null> | undefined;
  const lookups = new Map<string, Promise<Lookup>>();
  const lookup = (host: string): Promise<Lookup> => {
    const key = host.toLowerCase();
    let pending = lookups.get(key);
    if (!pending) {
      pending = (async (): Promise<Lookup> => {
        if (isIP(host) !== 0) return { addresses: [host], via: 'an IP literal' };
        const pin = hostsPinFor(await (hosts ??= readHostsFile(plan.hostsFile)), host);
        if (pin) return { addresses: pin.addresses, via: `hosts file ${pin.path}` };
        const evidence = await probeDns({ name: host, resolvers: plan.resolvers, cache }, { stepTimeoutMs: plan.timeouts.dns, signal });
        const addresses = evidence.addresses.filter((address) => !isSinkhole(address, plan.sinkholes));
        if (addresses.length > 0) return { addresses, via: `DNS (${evidence.resolvers.join(', ') || 'the run\'s resolvers'})` };
        return { failure: evidence.failure ? `${evidence.failure.code}: ${evidence.failure.detail}` : `${host} has no usable address` };
      })();
      lookups.set(key, pending);
    }
    return pending;
  };
  let myAddress: Promise<string> | undefined;
  return {
    lookup,
    async resolveIpv4(host) {
      const answer = await lookup(host);
      return 'addresses' in answer ? answer.addresses.find((address) => isIPv4(address)) ?? null : null;
    },
    myIpAddress: () => (myAddress ??= localAddressTowards(plan.resolvers[0]?.host)),
    async proxyAnswers(host, port) {
      const answer = await lookup(host);
      if ('failure' in answer) return `its name does not resolve (${answer.failure})`;
      const connectPort = plan.portMap[String(port)] ?? port;
      const failures: string[] = [];
      for (const address of answer.addresses) {
        try {
          (await openConnection(address, connectPort, deadlineSignal(plan.timeouts.connect, signal))).destroy();
          return null;
        } catch (error) {
          failures.push(`${address}:${connectPort} ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return `no connection opens (${failures.join('; ')})`;
    },
  };
}

/**
 * The local address the system would send from towards `peer` (the first resolver): a UDP socket's connect only
 * picks a route, it sends nothing. WinHTTP's myIpAddress is likewise the primary interface's address.
 */
async function localAddressTowards(peer: string | undefined): Promise<string> {
  if (peer !== undefined && isIPv4(peer) && !peer.startsWith('127.')) {
    const found = await new Promise<string | null>((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(null);
      });
      socket.connect(53, peer, () => {
        const address = socket.address().address;
        socket.close();
        resolve(address);
      });
    });
    if (found) return found;
  }
  const external = Object.values(networkInterfaces()).flat().find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
  return external?.address ?? '127.0.0.1';
}
