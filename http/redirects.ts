// Which redirects a port-80 fetch follows. A server (or whatever answers in its place) must not be able to steer
// this tool, or the agent it stands for, into the machine's own network: a CRL URL redirecting to the cloud metadata
// service (http://169.254.169.254/…), to a private address or to file:///etc/passwd is refused, not followed.
// The rule, judged on the address actually connected to (resolved by the run's DNS), never only the URL's text:
//   - only http and https (https is reported, not followed: the port-80 checks fetch plain HTTP);
//   - never to a link-local address (169.254.0.0/16, fe80::/10): nothing a redirect may lead to lives there;
//   - never further inwards than the source: public → private or loopback is refused, private → loopback too;
//     loopback → loopback (a lab) and private → private (an internal mirror) are fine.
// Through a proxy the proxy resolves the target, so only an IP literal in the URL can be judged.
import { BlockList, isIP } from 'node:net';

/** Redirects followed after the first request: CryptoAPI follows a few, a loop must end. */
export const MAX_REDIRECTS = 3;

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Schemes a redirect may lead to. */
const WEB_SCHEMES = new Set(['http:', 'https:']);

export type AddressScope = 'public' | 'private' | 'loopback' | 'link-local';

const SCOPE_DESCRIPTION: Readonly<Record<AddressScope, string>> = {
  public: 'a public address',
  private: 'a private address',
  loopback: 'a loopback address (this machine)',
  'link-local': 'a link-local address (where cloud metadata services answer)',
};

/** How far inside the network a scope is: a redirect may not go further in than where it came from. */
const DEPTH: Readonly<Record<Exclude<AddressScope, 'link-local'>, number>> = { public: 0, private: 1, loopback: 2 };

function blockList(subnets: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of subnets) list.addSubnet(network, prefix, family);
  return list;
}

const LOOPBACK = blockList([['127.0.0.0', 8, 'ipv4'], ['0.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6'], ['::', 128, 'ipv6']]);
const LINK_LOCAL = blockList([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']]);
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

/** The scope of an IP literal (IPv4-mapped IPv6 as its IPv4 address); null for what is not an IP literal. */
export function addressScope(address: string): AddressScope | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const literal = mapped ?? bare;
  const family = isIP(literal);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(literal, type)) return 'loopback';
  if (LINK_LOCAL.check(literal, type)) return 'link-local';
  if (PRIVATE.check(literal, type)) return 'private';
  return 'public';
}

/** Why a redirect target's scheme is refused; null for http and https. */
export function refusedScheme(target: URL): string | null {
  return WEB_SCHEMES.has(target.protocol) ? null : `${target.protocol.replace(/:$/, '')} is not http or https`;
}

/**
 * Why a redirect from `source` (the address the redirecting answer came from) may not connect to `target`; null
 * when it may. `source` is null when unknown (a proxy connected for us): then the target must be public.
 */
export function refusedAddress(source: string | null, target: string): string | null {
  const to = addressScope(target);
  if (to === null || to === 'public') return null;
  const what = `${target} is ${SCOPE_DESCRIPTION[to]}`;
  if (to === 'link-local') return what;
  const from = source === null ? null : addressScope(source);
  if (from === null) return `${what}, and the redirect did not come from one as close (a proxy connected for this machine)`;
  if (from === 'link-local' || DEPTH[from] >= DEPTH[to]) return null;
  return `${what}, and the redirect came from ${source}, ${SCOPE_DESCRIPTION[from]}`;
}

/** The URL a Location header leads to, resolved against the request's; null when it is unusable. */
export function redirectTarget(location: string, base: URL): URL | null {
  try {
    return new URL(location, base);
  } catch {
    return null; // an unusable Location: the 3xx is the final answer
  }
}
