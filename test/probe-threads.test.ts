// Probe threads: a large run's TCP connects and TLS attempts run in worker threads, and what comes back is what the
// same probe observes in the main thread. A chain crosses as fingerprints, each certificate's DER once per thread;
// the main thread judges each distinct chain once. A thread that dies loses no job, and cancelling the run ends the
// threads' jobs as their deadlines would. Counted and compared, never timed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loopbackAddress } from '../lab/loopback.js';
import { labPki, type LabPki } from '../lab/pki.js';
import { startTlsFixture, type LabTlsServer, type TlsFixture } from '../lab/tls-servers.js';
import { ChainTrust } from '../pki/chain-trust.js';
import { PresentedCertificates } from '../pki/presented-chain.js';
import { probeTls } from '../probes/tls.js';
import type { AttemptRunner } from '../probes/tls-evidence.js';
import { MIN_CONNECTIONS_FOR_THREADS, ProbeThreads, probeThreadCount } from '../runner/probe-threads.js';
import { judgeTls } from '../specs/checks/tls.js';

const HOST = 'login.lab.test';
const STEP_MS = 5_000;

let pki: LabPki;
let nextAddress = 1851;
const running: LabTlsServer[] = [];
const pools: ProbeThreads[] = [];

beforeAll(async () => {
  pki = await labPki();
});
afterAll(() => Promise.all(running.map((server) => server.close())));
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function serve(fixture: TlsFixture): Promise<LabTlsServer> {
  const server = await startTlsFixture(loopbackAddress(nextAddress++), 0, fixture);
  running.push(server);
  return server;
}

function pool(size: number, signal = new AbortController().signal): { threads: ProbeThreads; certificates: PresentedCertificates } {
  const certificates = new PresentedCertificates();
  const threads = new ProbeThreads(size, certificates, signal);
  pools.push(threads);
  return { threads, certificates };
}

const ctx = (signal = new AbortController().signal) => ({ stepTimeoutMs: STEP_MS, signal });

/** The tls probe as the session runs it for a direct address: its attempts through `threads`. */
function tlsThrough(threads: ProbeThreads, server: LabTlsServer, chainTrust: ChainTrust, signal?: AbortSignal) {
  const attempt: AttemptRunner = ({ transport: _direct, ...direct }, mode, c) => threads.run('tls', { target: direct, mode }, c);
  return probeTls({ host: HOST, address: server.host, port: server.port, caPems: [pki.trustedRootsPem], chainTrust, attempt }, ctx(signal));
}

describe('how many probe threads a run gets', () => {
  it('none on one core or for a small plan; one per core up to four otherwise', () => {
    expect(probeThreadCount(2_000, 1)).toBe(0);
    expect(probeThreadCount(MIN_CONNECTIONS_FOR_THREADS - 1, 8)).toBe(0);
    expect(probeThreadCount(MIN_CONNECTIONS_FOR_THREADS, 2)).toBe(2);
    expect(probeThreadCount(2_000, 16)).toBe(4);
  });
});

describe('probe threads', () => {
  it('observe in a thread what the main thread observes: same chain, same verdict, judged once', async () => {
    const server = await serve({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    const { threads, certificates } = pool(2);
    const chainTrust = new ChainTrust([pki.trustedRootsPem], certificates);
    const inThread = await probeTls({ host: HOST, address: server.host, port: server.port, caPems: [pki.trustedRootsPem] }, ctx());
    const threaded = await Promise.all(Array.from({ length: 200 }, () => tlsThrough(threads, server, chainTrust)));
    const timing = ({ connectMs: _c, handshakeMs: _h, observedAt: _o, ...rest }: typeof inThread) => rest;
    for (const evidence of threaded) expect(timing(evidence)).toEqual(timing(inThread));
    expect(new Set(threaded.map((evidence) => judgeTls(443, evidence).code))).toEqual(new Set(['TLS_OK']));
    expect(chainTrust.counts).toEqual({ chainsVerified: 1, hostChecks: 1 });
  });

  it('send each certificate\'s DER at most once per thread; later chains are fingerprints only', async () => {
    const server = await serve({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    const { threads } = pool(2);
    const target = { host: HOST, address: server.host, port: server.port, connectTimeoutMs: STEP_MS };
    const attempts = [];
    // One after another, so that each thread has sent its copy before the next attempt reads the chain.
    for (let i = 0; i < 20; i += 1) attempts.push(await threads.run('tls', { target, mode: 'modern' }, ctx()));
    const ders = attempts.flatMap((attempt) => (attempt.outcome === 'established' ? attempt.session.presented?.ders ?? [] : []));
    const chainLength = attempts[0]?.outcome === 'established' ? attempts[0].session.presented?.fingerprints.length ?? 0 : 0;
    expect(chainLength).toBeGreaterThan(0);
    expect(ders).toHaveLength(20 * chainLength);
    // Two threads: at most two copies of each certificate, and never fewer than one.
    const sent = ders.filter((der) => der !== null).length;
    expect(sent).toBeGreaterThanOrEqual(chainLength);
    expect(sent).toBeLessThanOrEqual(2 * chainLength);
  });

  it('run a tcp connect in a thread with the same evidence: a refused port is TCP_REFUSED', async () => {
    const { threads } = pool(2);
    const refused = await threads.run('tcp', { address: loopbackAddress(nextAddress++), port: 9 }, ctx());
    expect(refused).toMatchObject({ connectMs: null, failure: { code: 'TCP_REFUSED' } });
  });

  it('lose no job when a thread dies: its pending jobs run again in the main thread', async () => {
    const server = await serve({ kind: 'serve', identity: await pki.publicIssuing.issueLeaf({ hosts: [HOST] }) });
    const { threads, certificates } = pool(1);
    const chainTrust = new ChainTrust([pki.trustedRootsPem], certificates);
    const pending = Array.from({ length: 50 }, () => tlsThrough(threads, server, chainTrust));
    // The thread is ended under the jobs, as a crash would end it.
    await (threads as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> }).threads[0]?.worker.terminate();
    const evidence = await Promise.all(pending);
    expect(evidence.map((observed) => judgeTls(443, observed).code)).toEqual(Array.from({ length: 50 }, () => 'TLS_OK'));
  });

  it('end every job in every thread when the run is cancelled, as its deadline would', async () => {
    const tarpit = await serve({ kind: 'tarpit' });
    const run = new AbortController();
    const { threads, certificates } = pool(2, run.signal);
    const chainTrust = new ChainTrust([pki.trustedRootsPem], certificates);
    const pending = Promise.all(Array.from({ length: 10 }, () => tlsThrough(threads, tarpit, chainTrust, run.signal)));
    setTimeout(() => run.abort(), 200);
    const evidence = await pending;
    // Ended by the cancellation, long before the 5 s step deadline: the tarpit never answers the ClientHello.
    expect(evidence.map((observed) => observed.handshakeFailure?.code)).toEqual(Array.from({ length: 10 }, () => 'TLS_TIMEOUT'));
    expect(Math.max(...evidence.map((observed) => observed.handshakeMs ?? Infinity))).toBeLessThan(STEP_MS);
  });
});
