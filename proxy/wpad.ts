// WPAD as the connector's WinHTTP does it over DNS: for each name wpad.<suffix> (search-suffixes.ts), this run's
// DNS first, then http://wpad.<suffix>/wpad.dat from the address it gave; the first PAC fetched is used. What was
// asked and what answered is reported either way, with the warning that goes with WPAD: whoever can answer the
// name wpad.<suffix> (a rogue DNS record, a host that registered the name) sets this machine's proxy.
import type { RoutingFinding } from '../config/plan.js';
import { fetchPac, MAX_PAC_BYTES, type PacFetchOptions } from './pac-fetch.js';
import type { PacSource } from './pac-routing.js';

export interface WpadAttempt {
  name: string;
  /** What happened: not resolved, resolved but the fetch failed, or fetched. */
  outcome: string;
}

const ATTACK_NOTE = 'a WPAD answer from a host you do not expect is a known attack (whoever answers wpad.<suffix> sets the proxy): check that the address is your proxy team\'s server';

export async function discoverWpad(names: readonly string[], suffixOrigin: string, fetch: Omit<PacFetchOptions, 'maxBytes'>): Promise<PacSource> {
  const attempts: WpadAttempt[] = [];
  if (names.length === 0) {
    return noPac(`WPAD: this machine has no DNS search suffix (${suffixOrigin}), so there is no wpad.<suffix> to ask; the agent finds no PAC and connects DIRECT`, [], suffixOrigin);
  }
  for (const name of names) {
    const url = new URL(`http://${name}/wpad.dat`);
    const found = await fetch.lookup(name);
    if ('failure' in found) {
      attempts.push({ name, outcome: `not resolved (${found.failure})` });
      continue;
    }
    const fetched = await fetchPac(url, { ...fetch, maxBytes: MAX_PAC_BYTES });
    if (!fetched.ok) {
      attempts.push({ name, outcome: `resolves to ${found.addresses.join(', ')} by ${found.via}, but ${fetched.reason}` });
      continue;
    }
    attempts.push({ name, outcome: `PAC fetched from ${fetched.address} (${fetched.bytes} bytes)` });
    const finding: RoutingFinding = {
      id: 'proxy:wpad', status: 'warn', code: 'PROXY_OK', host: name,
      message: `WPAD: ${url.href} answered from ${fetched.address} (${name} resolved by ${fetched.via}; ${fetched.bytes} bytes); endpoints are routed by that PAC. ${ATTACK_NOTE}`,
      remediation: `Confirm that ${fetched.address} is your organisation's PAC server; if WPAD is not meant to be used, remove the wpad names from DNS (and keep wpad in the DNS global query block list).`,
      evidence: { url: url.href, address: fetched.address, via: fetched.via, bytes: fetched.bytes, suffixes: suffixOrigin, asked: attempts.map((a) => `${a.name}: ${a.outcome}`) },
    };
    return { kind: 'wpad', location: url.href, script: fetched.text, findings: [finding] };
  }
  const resolvedSomewhere = attempts.some((attempt) => !attempt.outcome.startsWith('not resolved'));
  return noPac(
    `WPAD: no PAC found (${attempts.map((a) => `${a.name}: ${a.outcome}`).join('; ')}); the agent connects DIRECT${resolvedSomewhere ? `. ${ATTACK_NOTE}` : ''}`,
    attempts, suffixOrigin, resolvedSomewhere,
  );
}

function noPac(message: string, attempts: WpadAttempt[], suffixOrigin: string, resolved = false): PacSource {
  const finding: RoutingFinding = {
    id: 'proxy:wpad', status: 'warn', code: resolved ? 'PROXY_ERROR' : 'PROXY_OK', host: attempts[0]?.name ?? 'wpad',
    message,
    remediation: resolved ? 'A wpad name resolves but serves no PAC: fix the server, or remove the name so that no one else can answer it.' : 'If the agent should use a proxy, publish it (WinHTTP setting, the agent\'s .exe.config, or wpad.<suffix>); or test the PAC directly with --pac.',
    evidence: { suffixes: suffixOrigin, asked: attempts.map((a) => `${a.name}: ${a.outcome}`) },
  };
  return { kind: 'wpad', location: null, script: null, findings: [finding] };
}
