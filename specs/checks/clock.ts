// clock: this machine's clock agrees with the Date headers of the servers that answered this run's port-80
// requests (http, crl, ocsp), within MAX_CLOCK_SKEW_MS. One result per run; skipped when no answer carried a Date.
import { hostname } from 'node:os';
import type { CheckResult } from '../../model/result.js';
import type { FetchEvidence } from '../../http/fetch-evidence.js';
import { makeResult, type CheckRun, type ResultSubject, type Verdict } from '../check-run.js';
import { crlCheck, crlSources } from './crl.js';
import { httpCheck, httpUrlsOf } from './http.js';
import { ocspCheck, ocspSources } from './ocsp.js';
import { formatDuration } from './port80.js';

/** Kerberos's default tolerance, and the order of skew at which certificate and CRL dates start to mislead. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** One server's Date header against this machine's clock when the headers arrived. */
export type ServerDate = {
  url: string;
  date: string;
  /** Server minus this machine: positive when this machine is behind. */
  offsetMs: number;
};

export function clockCheck(run: CheckRun): Promise<CheckResult> {
  // The clock is this machine's: its result is grouped under this machine's name.
  const subject: ResultSubject = { id: 'clock', check: 'clock', host: hostname(), address: null, port: null, url: null };
  return run.once(subject, async () => {
    const [crl, ocsp] = await Promise.all([crlSources(run), ocspSources(run)]);
    await Promise.all([
      ...httpUrlsOf(run).map((url) => httpCheck(run, url)),
      ...crl.map((source) => crlCheck(run, source)),
      ...ocsp.map((source) => ocspCheck(run, source)),
    ]);
    const samples = serverDates(await run.observe.settledFetches());
    return makeResult(subject, judgeClock(samples), 0, { samples, medianOffsetMs: medianOffset(samples), maxSkewMs: MAX_CLOCK_SKEW_MS });
  });
}

/** Every answer's Date header that parses, hop by hop. */
export function serverDates(fetches: readonly FetchEvidence[]): ServerDate[] {
  return fetches.flatMap((fetch) => fetch.hops.flatMap((hop) => {
    const answer = hop.answer;
    const serverTime = answer?.date ? Date.parse(answer.date) : NaN;
    return answer?.date && !Number.isNaN(serverTime) ? [{ url: hop.url, date: answer.date, offsetMs: serverTime - Date.parse(answer.receivedAt) }] : [];
  }));
}

/** The median offset: one server with a wrong clock (or a proxy's) does not decide. */
function medianOffset(samples: readonly ServerDate[]): number | null {
  const sorted = samples.map((sample) => sample.offsetMs).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] ?? 0 : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function judgeClock(samples: readonly ServerDate[]): Verdict {
  const median = medianOffset(samples);
  if (median === null) return { status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: no HTTP answer of this run carried a Date header' };
  const count = `${samples.length} server answer${samples.length === 1 ? '' : 's'}`;
  // Date headers have whole seconds: within a second is agreement.
  const where = Math.abs(median) < 1000 ? 'within a second' : `${formatDuration(median)} ${median > 0 ? 'behind' : 'ahead'}`;
  if (Math.abs(median) <= MAX_CLOCK_SKEW_MS) return { status: 'pass', code: 'CLOCK_OK', message: `this machine's clock agrees with the Date headers of ${count} (median: ${where})` };
  const direction = median > 0 ? 'behind' : 'ahead of';
  const example = samples.reduce((far, sample) => (Math.abs(sample.offsetMs - median) < Math.abs(far.offsetMs - median) ? sample : far));
  return {
    status: 'fail',
    code: 'CLOCK_SKEW',
    message: `this machine's clock is ${formatDuration(median)} ${direction} the servers' (median of ${count}; ${example.url} sent Date: ${example.date})`,
    remediation: 'Certificate validation fails on a skewed clock: server certificates, CRLs and OCSP answers look expired or not yet valid to the agent, and token lifetimes go wrong. Synchronise this machine with NTP (on Windows: w32tm /resync; check the source with w32tm /query /source).',
  };
}
