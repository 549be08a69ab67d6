// Memory: a 200 MB or endless answer does not grow the process beyond the cap. Bodies are streamed and reading stops
// at the cap; this file runs in its own process (vitest's forks pool), whose resident size is sampled while each
// fetch runs. Buffering the answers would add 200 MB or more; the bound allows the cap and a margin for the runtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpFixtures, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { probeCrl } from '../probes/crl.js';
import { probeHttp } from '../probes/http.js';
import { PAGE_PREFIX_BYTES } from '../http/page.js';
import { probeContext, routerFor } from './support/port80.js';

const MB = 1024 * 1024;
/** The default limits.crlMaxBytes. */
const CAP = 20 * MB;
/**
 * Room beside the kept body for the runtime: each chunk arrives in a socket buffer and is copied out of undici's
 * parser, and the spent buffers wait for a garbage collection (about 45 MB here for a 20 MB cap). Cap and margin
 * together are half of the 200 MB answer, which buffering would add in full.
 */
const MARGIN = 80 * MB;
const HOST = loopbackAddress(4501);
const HUGE = 200 * MB;

let server: LabHttpServer;
beforeAll(async () => {
  server = await startHttpFixtures(HOST, 0, {
    '/declared.crl': { kind: 'stream', contentType: 'application/pkix-crl', totalBytes: HUGE, declareLength: true },
    '/chunked.crl': { kind: 'stream', contentType: 'application/pkix-crl', totalBytes: HUGE, declareLength: false },
    '/endless.crl': { kind: 'stream', contentType: 'application/pkix-crl', totalBytes: 'endless', declareLength: false },
    '/endless': { kind: 'stream', contentType: 'text/plain', totalBytes: 'endless', declareLength: false },
  });
});
afterAll(() => server.close());

/** How far the resident set grew above its size at the start, sampled every few milliseconds while `work` runs. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ growth: number; result: T }> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { growth: peak - baseline, result };
  } finally {
    clearInterval(sampler);
  }
}

const router = routerFor();
const crl = (path: string) => probeCrl({ url: server.url(path), router, maxBytes: CAP }, probeContext(30_000));

describe('bodies beyond the cap', () => {
  it('reads nothing of a 200 MB CRL that declares its length', async () => {
    const { growth, result } = await peakGrowth(() => crl('/declared.crl'));
    expect(result.fetch.body).toMatchObject({ overCap: true, complete: false, receivedBytes: 0 });
    expect(growth).toBeLessThan(MARGIN);
  });

  it('stops a 200 MB CRL sent without a length at the cap', async () => {
    const { growth, result } = await peakGrowth(() => crl('/chunked.crl'));
    expect(result.fetch.body).toMatchObject({ overCap: true, complete: false });
    expect(result.fetch.body?.receivedBytes).toBeGreaterThan(CAP);
    expect(result.fetch.body?.receivedBytes).toBeLessThan(CAP + MB);
    expect(growth).toBeLessThan(CAP + MARGIN);
  });

  it('stops an endless CRL at the cap', async () => {
    const { growth, result } = await peakGrowth(() => crl('/endless.crl'));
    expect(result.fetch.body?.overCap).toBe(true);
    expect(result.fetch.body?.receivedBytes).toBeLessThan(CAP + MB);
    expect(growth).toBeLessThan(CAP + MARGIN);
  });

  it('reads only the page prefix of an endless http answer', async () => {
    const { growth, result } = await peakGrowth(() => probeHttp({ url: server.url('/endless'), router }, probeContext(30_000)));
    expect(result.fetch.body?.receivedBytes).toBeLessThan(PAGE_PREFIX_BYTES + MB);
    expect(growth).toBeLessThan(MARGIN);
  });
});
