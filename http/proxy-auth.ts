// Proxy authentication as this tool meets it: the Basic credentials of a proxy URL, sent in Proxy-Authorization and
// nowhere else, and the schemes a 407's Proxy-Authenticate values offer (what a refusal names for the reader).
import type { ProxyEndpoint } from '../config/proxy-settings.js';

/** The Proxy-Authorization value for the Basic credentials of a proxy URL; null when it has none. */
export function proxyAuthorization(endpoint: ProxyEndpoint): string | null {
  if (endpoint.username === '' && endpoint.password === '') return null;
  return `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}`;
}

const MAX_SCHEMES = 8;

/** The scheme of each challenge in Proxy-Authenticate values; auth-params (realm="…, …") are skipped. */
export function authSchemes(values: readonly string[]): string[] {
  const known = new Map(['Basic', 'Digest', 'NTLM', 'Negotiate', 'Kerberos', 'Bearer'].map((name) => [name.toLowerCase(), name]));
  const schemes = new Set<string>();
  for (const value of values) {
    for (const part of splitOutsideQuotes(value)) {
      // A challenge starts with a token not followed by "="; "name=value" is a parameter of the one before.
      const challenge = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32})\s*(=)?/.exec(part);
      if (challenge?.[1] && !challenge[2]) schemes.add(known.get(challenge[1].toLowerCase()) ?? challenge[1]);
    }
  }
  return [...schemes].slice(0, MAX_SCHEMES);
}

function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    if (char === '\\' && quoted) {
      current += char + (value[i + 1] ?? '');
      i += 1;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  return [...parts, current];
}
