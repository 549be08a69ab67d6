// What a FindProxyForURL answer means to WinHTTP: a ';'-separated list tried in order, "PROXY host:port" and
// "DIRECT" (an empty answer is DIRECT too). WinHTTP speaks to HTTP proxies only: SOCKS, HTTPS and unknown
// entries are listed as skipped so the report can say what the agent ignores. Pure.
import { isIPv6 } from 'node:net';

export type PacEntry = { kind: 'direct' } | { kind: 'proxy'; url: string };

export interface PacDirectives {
  /** In the order the agent tries them. */
  entries: PacEntry[];
  /** Entries the agent's WinHTTP does not use, as written (shortened). */
  skipped: string[];
}

const HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;

export function parsePacDecision(decision: string): PacDirectives {
  const entries: PacEntry[] = [];
  const skipped: string[] = [];
  for (const raw of decision.split(';')) {
    const text = raw.trim();
    if (text === '') continue;
    const [keyword = '', target = '', ...rest] = text.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === 'DIRECT' && target === '') entries.push({ kind: 'direct' });
    else if (upper === 'PROXY' && rest.length === 0 && proxyUrlOf(target) !== null) entries.push({ kind: 'proxy', url: proxyUrlOf(target) as string });
    else skipped.push(text.slice(0, 80));
  }
  // An answer with nothing usable in it leaves WinHTTP with no proxy to try: it goes direct.
  if (entries.length === 0) entries.push({ kind: 'direct' });
  return { entries, skipped };
}

/** "host:port" as an http:// proxy URL (port 80 when none is given), or null when it is not one. */
function proxyUrlOf(target: string): string | null {
  const match = HOST_PORT.exec(target);
  if (!match) return null;
  const host = match[1] ?? '';
  if (host.startsWith('[') && !isIPv6(host.slice(1, -1))) return null;
  const port = match[2] === undefined ? 80 : Number(match[2]);
  if (port < 1 || port > 65535) return null;
  return `http://${host.toLowerCase()}:${port}`;
}
