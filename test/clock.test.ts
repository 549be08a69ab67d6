// The clock check: from the Date headers of the run's port-80 answers, CLOCK_SKEW beyond five minutes (by the
// median, so one wrong server does not decide), CLOCK_OK within, skipped when no answer carried a Date.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { startHttpFixtures, type LabHttpServer } from '../lab/http-servers.js';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import type { FetchEvidence } from '../http/fetch-evidence.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { clockCheck, judgeClock, serverDates, type ServerDate } from '../specs/checks/clock.js';
import { testPlan, urlEndpoint } from './support/port80.js';

const MINUTE = 60_000;
const REMEDIATION = 'Certificate validation fails on a skewed clock: server certificates, CRLs and OCSP answers look expired or not yet valid to the agent, and token lifetimes go wrong. Synchronise this machine with NTP (on Windows: w32tm /resync; check the source with w32tm /query /source).';

describe('clock verdict', () => {
  const sample = (url: string, offsetMs: number): ServerDate => ({ url, date: 'Wed, 01 Jan 2026 00:00:00 GMT', offsetMs });

  it('passes within five minutes: CLOCK_OK', () => {
    expect(judgeClock([sample('http://a/', 1200), sample('http://b/', -4 * MINUTE)])).toEqual({
      status: 'pass', code: 'CLOCK_OK', message: 'this machine\'s clock agrees with the Date headers of 2 server answers (median: 1 min 59 s ahead)',
    });
  });

  it('fails beyond five minutes, explaining what a skewed clock breaks: CLOCK_SKEW', () => {
    const verdict = judgeClock([sample('http://a/', 2 * 60 * MINUTE), sample('http://b/', 2 * 60 * MINUTE + 1000), sample('http://c/', 0)]);
    expect(verdict).toEqual({
      status: 'fail', code: 'CLOCK_SKEW',
      message: 'this machine\'s clock is 2 h behind the servers\' (median of 3 server answers; http://a/ sent Date: Wed, 01 Jan 2026 00:00:00 GMT)',
      remediation: REMEDIATION,
    });
    expect(judgeClock([sample('http://a/', -10 * MINUTE)]).message).toBe('this machine\'s clock is 10 min ahead of the servers\' (median of 1 server answer; http://a/ sent Date: Wed, 01 Jan 2026 00:00:00 GMT)');
  });

  it('lets the median outvote one wrong server', () => {
    expect(judgeClock([sample('http://a/', 0), sample('http://b/', 500), sample('http://proxy/', 3 * 60 * MINUTE)]).code).toBe('CLOCK_OK');
  });

  it('skips when no answer carried a Date', () => {
    expect(judgeClock([])).toEqual({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: no HTTP answer of this run carried a Date header' });
  });

  it('reads a sample from every hop that answered with a Date that parses', () => {
    const hop = (url: string, date: string | null) => ({ url, method: 'GET' as const, address: '127.0.0.2', port: 80, connectMs: 1, failedAttempts: [], answer: { status: 200, statusText: 'OK', headersMs: 1, receivedAt: '2026-01-01T00:00:10.000Z', date, contentType: null, contentLength: null, location: null, server: null, via: null } });
    const fetch: FetchEvidence = { url: 'http://a/', hops: [hop('http://a/', 'Thu, 01 Jan 2026 00:00:00 GMT'), hop('http://b/', 'not a date'), hop('http://c/', null)], body: null, unfollowedRedirect: null, failure: null, totalMs: 3 };
    expect(serverDates([fetch])).toEqual([{ url: 'http://a/', date: 'Thu, 01 Jan 2026 00:00:00 GMT', offsetMs: -10_000 }]);
  });
});

describe('clock check in a run', () => {
  const RIGHT = loopbackAddress(4301);
  const SKEWED = loopbackAddress(4302);
  const CLOSED = loopbackAddress(4303);
  let dns: LabDnsServer;
  let port: number;
  const servers: LabHttpServer[] = [];

  beforeAll(async () => {
    port = await findSharedFreePort([RIGHT, SKEWED, CLOSED]);
    // Two hours and a half minute ahead: the Date header's whole seconds cannot round it below two hours.
    const ahead = () => new Date(Date.now() + 120 * MINUTE + 30_000).toUTCString();
    servers.push(
      await startHttpFixtures(RIGHT, port, { '/': { kind: 'body', contentType: 'text/plain', body: 'ok\n' } }),
      await startHttpFixtures(SKEWED, port, { '/': { kind: 'body', contentType: 'text/plain', body: 'ok\n', headers: { date: ahead() } } }),
    );
    const a = (value: string) => ({ records: [{ type: 'A' as const, value, ttl: 60 }] });
    dns = await startLabDnsServer({ zone: { 'right.lab.test': a(RIGHT), 'skewed.lab.test': a(SKEWED), 'skewed2.lab.test': a(SKEWED), 'closed.lab.test': a(CLOSED) } });
  });
  afterAll(() => Promise.all([dns.close(), ...servers.map((server) => server.close())]));

  const runWith = (urls: string[]) => {
    const plan = testPlan({ checks: ['clock'], resolver: { host: dns.host, port: dns.port }, endpoints: urls.map((url) => urlEndpoint(url, 'http')), portMap: { 80: port } });
    return new CheckRun(plan, new ObservationSession(plan));
  };

  it('reports this machine two hours behind the servers: CLOCK_SKEW, one result for the run', async () => {
    const result = await clockCheck(runWith(['http://skewed.lab.test/', 'http://skewed2.lab.test/', 'http://right.lab.test/']));
    expect(result).toMatchObject({ id: 'clock', check: 'clock', host: hostname(), address: null, port: null, url: null, status: 'fail', code: 'CLOCK_SKEW', remediation: REMEDIATION });
    expect(result.message).toMatch(/^this machine's clock is 2 h behind the servers' \(median of 3 server answers; http:\/\/skewed2?\.lab\.test\/ sent Date: .+ GMT\)$/);
    expect(result.evidence['samples']).toHaveLength(3);
  });

  it('passes when the servers agree with this machine', async () => {
    expect(await clockCheck(runWith(['http://right.lab.test/']))).toMatchObject({ status: 'pass', code: 'CLOCK_OK' });
  });

  it('skips when no answer came', async () => {
    expect(await clockCheck(runWith(['http://closed.lab.test/']))).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: no HTTP answer of this run carried a Date header' });
  });
});
