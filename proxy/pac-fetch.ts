// Fetching a PAC file from a URL (--pac URL, WPAD's http://wpad.<suffix>/wpad.dat): straight to the address this
// run's DNS gave (as WinHTTP fetches it, never through a proxy), under one deadline for the whole exchange and
// a size cap, since the server's answer is untrusted and could be endless.
import http from 'node:http';
import https from 'node:https';
import type { Lookup } from './run-lookups.js';

export interface PacFetchOptions {
  lookup(host: string): Promise<Lookup>;
  /** The port actually connected to for the URL's port (the run's port map). */
  connectPort(port: number): number;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

export type PacFetch =
  | { ok: true; text: string; address: string; via: string; bytes: number }
  | { ok: false; reason: string; address: string | null };

/** PAC files are a few kB; a megabyte is far beyond any real one. */
export const MAX_PAC_BYTES = 1024 * 1024;

export async function fetchPac(url: URL, options: PacFetchOptions): Promise<PacFetch> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const found = await options.lookup(host);
  if ('failure' in found) return { ok: false, reason: `${host} does not resolve: ${found.failure}`, address: null };
  const address = found.addresses[0] as string;
  const port = options.connectPort(Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PacFetch>((resolve) => {
    let settled = false;
    const finish = (outcome: PacFetch) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const fail = (reason: string) => finish({ ok: false, reason, address });
    const request = client.request({
      host: address,
      port,
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, 'User-Agent': 'egress-preflight (PAC fetch)', Accept: '*/*' },
      servername: host,
      signal: options.signal,
      agent: false,
    }, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) return fail(`${url.href} answered HTTP ${status}${response.headers.location ? ` (redirect, not followed)` : ''}`);
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.maxBytes) return fail(`${url.href} sent more than ${options.maxBytes} bytes: not a PAC file`);
        chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
          finish({ ok: true, text, address, via: found.via, bytes });
        } catch {
          fail(`${url.href} is not UTF-8 text`);
        }
      });
      response.on('error', (error) => fail(`${url.href}: ${error.message}`));
    });
    const timer = setTimeout(() => fail(`${url.href} did not answer within ${options.timeoutMs} ms`), options.timeoutMs);
    timer.unref();
    request.on('error', (error) => fail(`${url.href}: ${(error as NodeJS.ErrnoException).code ?? error.message} connecting to ${address}:${port}`));
    request.end();
  });
}
