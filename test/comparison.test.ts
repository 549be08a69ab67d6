// Pairing two runs by check id (model/comparison.ts), the watch timeline's events (model/watch-timeline.ts),
// expectedFailures (config/expected-failures.ts) and the watch schedule's parsing: the pure parts of change windows.
import { describe, expect, it } from 'vitest';
import { applyExpectedFailures, idPattern, isCalendarDate, type ExpectedFailure } from '../config/expected-failures.js';
import { parseInterval, parseUntil } from '../cli/watch-schedule.js';
import { compareRuns, failingRegressions, resultFailsRun } from '../model/comparison.js';
import { WatchTimeline } from '../model/watch-timeline.js';
import { renderJunit } from '../reporters/junit.js';
import { renderConsole } from '../reporters/console.js';
import type { CheckResult } from '../model/result.js';
import { result, runDocument } from './support/documents.js';

const dnsOk = (host: string) => result({ id: `dns:${host}`, check: 'dns', host, status: 'pass', code: 'DNS_OK' });
const tcp = (host: string, status: CheckResult['status'], code: CheckResult['code'], extra: Partial<CheckResult> = {}) =>
  result({ id: `tcp:${host}@127.0.0.2:443`, check: 'tcp', host, address: '127.0.0.2', port: 443, status, code, ...extra });
const refused = (host: string) => tcp(host, 'fail', 'TCP_REFUSED', {
  message: `connection to 127.0.0.2:443 refused`, remediation: `Allow TCP 443 from this machine to ${host}.`,
});
const baseline = (results: CheckResult[]) => ({ startedAt: '2026-01-01T00:00:00.000Z', host: { hostname: 'agent-01' }, results });

describe('comparing two runs by id', () => {
  const before = [dnsOk('a.test'), tcp('a.test', 'pass', 'TCP_OK'), refused('b.test'), tcp('c.test', 'warn', 'TLS_WEAK_CRYPTO'), refused('d.test'), dnsOk('gone.test')];
  const after = [dnsOk('a.test'), refused('a.test'), refused('b.test'), tcp('c.test', 'pass', 'TCP_OK'), tcp('d.test', 'pass', 'TCP_OK'), dnsOk('new.test')];
  const comparison = compareRuns(baseline(before), after);

  it('pass → fail is a regression, with the codes before and after', () => {
    expect(comparison.regressions).toEqual([
      { id: 'tcp:a.test@127.0.0.2:443', check: 'tcp', host: 'a.test', before: { status: 'pass', code: 'TCP_OK' }, after: { status: 'fail', code: 'TCP_REFUSED' } },
    ]);
    expect(failingRegressions(comparison).map((r) => r.id)).toEqual(['tcp:a.test@127.0.0.2:443']);
  });
  it('fail → fail is still failing, fail → pass is fixed, a warning becoming a pass is neither', () => {
    expect(comparison.stillFailing.map((r) => r.id)).toEqual(['tcp:b.test@127.0.0.2:443']);
    expect(comparison.fixed.map((r) => r.id)).toEqual(['tcp:d.test@127.0.0.2:443']);
    expect(comparison.fixed[0]?.after).toEqual({ status: 'pass', code: 'TCP_OK' });
  });
  it('an id in one run only is new or gone, the missing side null', () => {
    expect(comparison.new).toEqual([{ id: 'dns:new.test', check: 'dns', host: 'new.test', before: null, after: { status: 'pass', code: 'DNS_OK' } }]);
    expect(comparison.gone).toEqual([{ id: 'dns:gone.test', check: 'dns', host: 'gone.test', before: { status: 'pass', code: 'DNS_OK' }, after: null }]);
    expect(comparison.baseline).toEqual({ startedAt: '2026-01-01T00:00:00.000Z', hostname: 'agent-01' });
  });
  it('pass → warn is not a regression; pass → skip is "no longer tested", never shown as passing', () => {
    const c = compareRuns(baseline([tcp('a.test', 'pass', 'TCP_OK'), dnsOk('e.test')]), [tcp('a.test', 'warn', 'TCP_REFUSED'), result({ ...dnsOk('e.test'), status: 'skip', code: 'SKIPPED_PREREQUISITE' })]);
    expect(c.regressions).toEqual([]);
    expect(c.untested.map((r) => r.id)).toEqual(['dns:e.test']);
  });
  it('--fail-on regression fails on the regression only; failures that were there before do not fail the run', () => {
    const byId = new Map(after.map((r) => [r.id, r]));
    expect(resultFailsRun(byId.get('tcp:a.test@127.0.0.2:443')!, ['regression'], comparison)).toBe(true);
    expect(resultFailsRun(byId.get('tcp:b.test@127.0.0.2:443')!, ['regression'], comparison)).toBe(false);
    expect(resultFailsRun(byId.get('tcp:b.test@127.0.0.2:443')!, ['failure'], comparison)).toBe(true);
  });
  it('console: the comparison after the findings, regressions first with their remediation, the totals line still last', () => {
    const text = renderConsole({ ...runDocument(after), comparison }, { color: false, width: 200 });
    const section = text.slice(text.indexOf('Against the baseline (agent-01, 2026-01-01T00:00:00.000Z)'));
    expect(section).toMatch(/Regressions \(1\)\n {4}✖ tcp:a\.test@127\.0\.0\.2:443 {2}TCP_OK → TCP_REFUSED\n {6}→ Allow TCP 443 from this machine to a\.test\.\n/);
    expect(section.indexOf('Regressions')).toBeLessThan(section.indexOf('Fixed (1)'));
    expect(section.indexOf('Fixed (1)')).toBeLessThan(section.indexOf('Still failing (1)'));
    expect(section).toContain('1 regression, 1 fixed, 1 still failing, 1 new, 1 gone, 0 no longer tested');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, \d+ failed, \d+ warned, \d+ skipped$/);
  });
  it('JUnit under --fail-on regression: the regression fails naming the change, a still-failing check stays visible without failing', () => {
    const xml = renderJunit({ ...runDocument(after), comparison }, { failOn: ['regression'] });
    expect(xml).toContain('<failure message="regression since the baseline: TCP_OK → TCP_REFUSED; TCP_REFUSED: connection to 127.0.0.2:443 refused" type="TCP_REFUSED">');
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('name="tcp:b.test@127.0.0.2:443 [failing, not a regression: TCP_REFUSED]"');
    expect(xml).toContain('FAIL TCP_REFUSED (still failing, as in the baseline; not a regression): connection to 127.0.0.2:443 refused');
  });
  it('hostile ids and codes from a baseline file are inert in the console', () => {
    const hostile = tcp('x\x1b[2J.test', 'pass', 'TCP_OK');
    const c = compareRuns(baseline([hostile]), [{ ...hostile, status: 'fail', code: 'TCP_REFUSED' }]);
    const text = renderConsole({ ...runDocument([{ ...hostile, status: 'fail', code: 'TCP_REFUSED' }]), comparison: c }, { color: false });
    expect(text).not.toContain('\x1b');
    expect(text).toContain('x\\x1b[2J.test');
  });
});

describe('the watch timeline', () => {
  it('announces a regression and its fix at the rounds that saw them, and flags a check that flips repeatedly', () => {
    const ok = [dnsOk('a.test'), tcp('a.test', 'pass', 'TCP_OK')];
    const broken = [dnsOk('a.test'), refused('a.test')];
    const timeline = new WatchTimeline(baseline(ok));
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 2, 14, second));
    expect(timeline.observe(at(0), 5, ok)).toEqual([]);
    const [regression] = timeline.observe(at(7), 5, broken);
    expect(regression).toMatchObject({ kind: 'regression', round: 2, at: '2026-01-01T02:14:07.000Z', id: 'tcp:a.test@127.0.0.2:443', before: { code: 'TCP_OK' }, after: { code: 'TCP_REFUSED' }, baseline: { code: 'TCP_OK' }, remediation: 'Allow TCP 443 from this machine to a.test.' });
    expect(timeline.openRegressions()).toMatchObject([{ id: 'tcp:a.test@127.0.0.2:443', since: '2026-01-01T02:14:07.000Z' }]);
    expect(timeline.observe(at(30), 5, ok).map((e) => e.kind)).toEqual(['fixed']);
    expect(timeline.openRegressions()).toEqual([]);
    expect(timeline.observe(at(40), 5, broken).map((e) => e.kind)).toEqual(['regression', 'flapping']);
    expect(timeline.observe(at(50), 5, broken)).toEqual([]);
    expect(timeline.rounds.map((r) => r.summary.failed)).toEqual([0, 1, 0, 1, 1]);
  });
  it('a check untested in the previous round that fails now is announced as a regression against the baseline', () => {
    const skipped = tcp('a.test', 'skip', 'SKIPPED_PREREQUISITE');
    const timeline = new WatchTimeline(baseline([tcp('a.test', 'pass', 'TCP_OK')]));
    timeline.observe(new Date(0), 1, [skipped]);
    expect(timeline.observe(new Date(1000), 1, [refused('a.test')])).toMatchObject([{ kind: 'regression', before: { code: 'SKIPPED_PREREQUISITE' }, after: { code: 'TCP_REFUSED' } }]);
  });
});

describe('expectedFailures', () => {
  const entry = (fields: Partial<ExpectedFailure>): ExpectedFailure =>
    ({ pattern: 'tcp:*.servicebus.windows.net@*:5671', key: 'match', reason: 'CHG0042: 5671 opens in the January window', until: '2027-01-31', source: 'corp.yaml expectedFailures[0]', ...fields });
  const sb = result({ id: 'tcp:ns.servicebus.windows.net@10.1.2.3:5671', check: 'tcp', host: 'ns.servicebus.windows.net', status: 'fail', code: 'TCP_TIMEOUT', message: 'no answer from 10.1.2.3:5671 within 5000 ms', evidence: { timeoutMs: 5000 } });

  it('a matching failure is a warning EXPECTED_FAILURE that keeps the original code, message, reason and date', () => {
    const [accepted] = applyExpectedFailures([sb], [entry({})], '2026-12-01');
    expect(accepted).toMatchObject({ status: 'warn', code: 'EXPECTED_FAILURE' });
    expect(accepted?.message).toBe('expected failure TCP_TIMEOUT: no answer from 10.1.2.3:5671 within 5000 ms (accepted until 2027-01-31: CHG0042: 5671 opens in the January window)');
    expect(accepted?.evidence).toMatchObject({ timeoutMs: 5000, expectedFailure: { originalCode: 'TCP_TIMEOUT', until: '2027-01-31', expired: false, match: 'tcp:*.servicebus.windows.net@*:5671' } });
  });
  it('holds through its until date and fails from the next day, saying the exception expired', () => {
    expect(applyExpectedFailures([sb], [entry({})], '2027-01-31')[0]?.status).toBe('warn');
    const [expired] = applyExpectedFailures([sb], [entry({})], '2027-02-01');
    expect(expired).toMatchObject({ status: 'fail', code: 'TCP_TIMEOUT', evidence: { expectedFailure: { expired: true } } });
    expect(expired?.message).toBe('no answer from 10.1.2.3:5671 within 5000 ms (the expected-failure exception "CHG0042: 5671 opens in the January window" expired on 2027-01-31)');
  });
  it('an entry no failure needed is a warning of its own, saying whether it matched nothing or only passing checks', () => {
    const passing = { ...sb, status: 'pass' as const, code: 'TCP_OK' as const };
    const out = applyExpectedFailures([passing], [entry({}), entry({ pattern: 'dns:typo.example', key: 'id', source: 'corp.yaml expectedFailures[1]' })], '2026-12-01');
    expect(out[0]).toBe(passing);
    expect(out.slice(1)).toMatchObject([
      { id: 'config:expectedFailures:tcp:*.servicebus.windows.net@*:5671', check: 'config', status: 'warn', code: 'EXPECTED_FAILURE_UNUSED',
        message: 'expectedFailures entry match "tcp:*.servicebus.windows.net@*:5671" (CHG0042: 5671 opens in the January window, until 2027-01-31) matched one check, none of which failed',
        remediation: 'What it excused works now: remove the entry (corp.yaml expectedFailures[0]), so that a new failure there is seen.' },
      { code: 'EXPECTED_FAILURE_UNUSED', message: 'expectedFailures entry id "dns:typo.example" (CHG0042: 5671 opens in the January window, until 2027-01-31) matched no check of this run' },
    ]);
  });
  it('patterns: * spans any characters (slashes and dots too), ? one, everything else literal', () => {
    expect(idPattern('http:http://*.example/*').test('http:http://a.b.example/x/y')).toBe(true);
    expect(idPattern('tcp:a.test@?.0.0.2:443').test('tcp:a.test@1.0.0.2:443')).toBe(true);
    expect(idPattern('tcp:a.test@1.0.0.2:443').test('tcp:aXtest@1.0.0.2:443')).toBe(false);
  });
  it('dates: only real days', () => {
    expect(isCalendarDate('2027-01-31')).toBe(true);
    expect(isCalendarDate('2027-02-30')).toBe(false);
    expect(isCalendarDate('31.01.2027')).toBe(false);
  });
});

describe('watch schedule', () => {
  it('--interval: 30s, 2m, plain seconds; nonsense and less than a second refused', () => {
    expect(parseInterval(undefined)).toBe(30_000);
    expect(parseInterval('30s')).toBe(30_000);
    expect(parseInterval('2m')).toBe(120_000);
    expect(parseInterval('45')).toBe(45_000);
    expect(() => parseInterval('soon')).toThrow('--interval "soon": expected a duration like 30s, 2m, 1h or plain seconds');
    expect(() => parseInterval('0.5s')).toThrow('--interval "0.5s": at least 1s');
  });
  it('--until: the next such local time, or an ISO time ahead', () => {
    const now = new Date(2026, 0, 1, 10, 0, 0);
    expect(parseUntil('10:30', now)).toEqual(new Date(2026, 0, 1, 10, 30, 0));
    expect(parseUntil('09:00:05', now)).toEqual(new Date(2026, 0, 2, 9, 0, 5));
    expect(parseUntil('2026-01-01T12:00:00Z', new Date(Date.UTC(2026, 0, 1, 11)))).toEqual(new Date(Date.UTC(2026, 0, 1, 12)));
    expect(() => parseUntil('2025-01-01T00:00:00Z', now)).toThrow('that time has passed');
    expect(() => parseUntil('25:00', now)).toThrow('not a time of day');
    expect(() => parseUntil('tomorrow', now)).toThrow('expected HH:MM[:SS] (local time) or an ISO 8601 date and time');
  });
});
