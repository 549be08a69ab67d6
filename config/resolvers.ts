// DNS servers: as given (--resolver, `resolvers:`) and as this machine has them (resolv.conf, or Node's own
// resolver settings where there is none, as on Windows).
import { getServers } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { HOST_NAME } from './endpoints.js';
import { UsageError } from './errors.js';
import { parsePort } from './option-values.js';
import type { ResolverAddress } from './plan.js';

const RESOLV_CONF = '/etc/resolv.conf';

export function parseResolver(text: string, fail: (reason: string) => never): ResolverAddress {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  const colons = text.split(':').length - 1;
  const [host = '', portText] = bracketed !== null ? [bracketed[1], bracketed[2]] : colons > 1 ? [text] : text.split(':');
  const validHost = bracketed !== null || colons > 1 ? isIPv6(host) : isIPv4(host);
  if (!validHost) {
    fail(isIP(host) === 0 && HOST_NAME.test(host)
      ? 'a resolver must be an IP address (a name would need a resolver itself)'
      : 'expected IP[:PORT], IPv6 as [::1]:53');
  }
  const port = portText === undefined ? 53 : parsePort(portText);
  return port === undefined ? fail('port must be 1-65535') : { host, port };
}

/**
 * The nameservers of a resolv.conf text. Scope ids (fe80::1%eth0) are dropped: the plan holds bare IP literals.
 */
export function systemResolvers(resolvConf: string): ResolverAddress[] {
  const resolvers: ResolverAddress[] = [];
  for (const line of resolvConf.split('\n')) {
    const [keyword, address] = line.trim().split(/\s+/);
    const host = address?.replace(/%.*$/, '');
    if (keyword === 'nameserver' && host !== undefined && isIP(host) !== 0) resolvers.push({ host, port: 53 });
  }
  return resolvers;
}

/** resolv.conf where there is one; elsewhere (Windows) the servers Node's own resolver was configured with. */
export async function systemResolversOrFail(): Promise<ResolverAddress[]> {
  // Windows has no resolv.conf (C:\etc\resolv.conf would be someone's file): Node's resolver has the servers.
  const text = process.platform === 'win32' ? '' : await readFile(RESOLV_CONF, 'utf8').catch(() => '');
  const fromFile = systemResolvers(text);
  const resolvers = fromFile.length > 0 ? fromFile : getServers().flatMap((server) => parseNodeServer(server));
  if (resolvers.length === 0) throw new UsageError(`no DNS server found in ${RESOLV_CONF} or the system settings: pass --resolver HOST[:PORT]`);
  return resolvers;
}

/** dns.getServers() gives "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353". */
function parseNodeServer(server: string): ResolverAddress[] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed?.[1]) return [{ host: bracketed[1], port: Number(bracketed[2] ?? 53) }];
  if (isIP(server) !== 0) return [{ host: server, port: 53 }];
  const [host, port] = server.split(':');
  return host && isIPv4(host) ? [{ host, port: Number(port ?? 53) }] : [];
}
