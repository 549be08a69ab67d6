// Which endpoints stand behind a check's subject, and what they change about its result, for every check kind:
// the rules CheckRun.once applies to every result (test/endpoints.test.ts runs them end to end).
import { describe, expect, it } from 'vitest';
import type { PlannedEndpoint } from '../config/plan.js';
import type { CheckResult } from '../model/result.js';
import { endpointsOf, qualifiedResult, unfilledResult } from '../specs/subject-endpoints.js';

function endpoint(fields: Partial<PlannedEndpoint> & Pick<PlannedEndpoint, 'host' | 'ports'>): PlannedEndpoint {
  return {
    tlsPorts: [], url: null, expect: null, purpose: null, source: null, tags: [], optional: false, wildcard: null,
    hostOrigin: 'literal', missingVars: [], unicodeHost: null, ...fields,
  };
}

function result(fields: Partial<CheckResult> & Pick<CheckResult, 'check' | 'host'>): CheckResult {
  return {
    id: `${fields.check}:${fields.host}`, address: null, port: null, url: null, status: 'fail', code: 'TCP_REFUSED',
    message: 'refused', remediation: 'allow it', durationMs: 1, evidence: { observed: true }, ...fields,
  };
}

const required = endpoint({ host: 'sync.example', ports: [443], tlsPorts: [443], purpose: 'agent to the service' });
const status = endpoint({ host: 'sync.example', ports: [8080], optional: true, purpose: 'agent status over 8080 when 443 is unavailable' });
const statusPage = endpoint({ host: 'status.example', ports: [80], url: 'http://status.example/ping', expect: 'http', optional: true });
const plan = [required, status, statusPage];

describe('endpointsOf', () => {
  it('dns: every endpoint naming the host; tcp, tls, inspection: host and port; http, crl, ocsp: the URL', () => {
    expect(endpointsOf({ check: 'dns', host: 'sync.example', port: null, url: null }, plan)).toEqual([required, status]);
    expect(endpointsOf({ check: 'tcp', host: 'sync.example', port: 8080, url: null }, plan)).toEqual([status]);
    expect(endpointsOf({ check: 'tls', host: 'sync.example', port: 443, url: null }, plan)).toEqual([required]);
    expect(endpointsOf({ check: 'http', host: 'status.example', port: 80, url: 'HTTP://status.example:80/ping' }, plan)).toEqual([statusPage]);
    expect(endpointsOf({ check: 'crl', host: 'crl.example', port: 80, url: 'http://crl.example/ca.crl' }, plan)).toEqual([]);
    expect(endpointsOf({ check: 'clock', host: 'this-machine', port: null, url: null }, plan)).toEqual([]);
  });
});

describe('qualifiedResult', () => {
  it('a failure only optional endpoints need: warn, same code, the purpose as the reason, evidence.optional', () => {
    const refused = result({ check: 'tcp', host: 'sync.example', port: 8080 });
    expect(qualifiedResult(refused, [status])).toEqual({
      ...refused, status: 'warn', message: 'refused; optional: agent status over 8080 when 443 is unavailable',
      evidence: { observed: true, optional: true },
    });
  });

  it('an optional endpoint without a purpose still says why it is a warning', () => {
    expect(qualifiedResult(result({ check: 'http', host: 'status.example', code: 'HTTP_STATUS' }), [statusPage]))
      .toMatchObject({ status: 'warn', code: 'HTTP_STATUS', message: 'refused; optional: the config marks this endpoint optional' });
  });

  it('a subject a required endpoint needs too stays failed; passes and skips keep their status', () => {
    const dnsFailure = result({ check: 'dns', host: 'sync.example', code: 'DNS_NXDOMAIN' });
    expect(qualifiedResult(dnsFailure, [required, status])).toBe(dnsFailure);
    const passed = result({ check: 'tcp', host: 'sync.example', status: 'pass', code: 'TCP_OK', message: 'connected' });
    expect(qualifiedResult(passed, [status])).toEqual({ ...passed, evidence: { observed: true, optional: true } });
  });

  it('a punycode host: its Unicode form in evidence, and in the message of the dns result only', () => {
    const idn = endpoint({ host: 'xn--bcher-kva.example', ports: [443], unicodeHost: 'bücher.example' });
    const dns = result({ check: 'dns', host: 'xn--bcher-kva.example', status: 'pass', code: 'DNS_OK', message: 'xn--bcher-kva.example resolves' });
    expect(qualifiedResult(dns, [idn])).toMatchObject({
      message: 'xn--bcher-kva.example resolves (xn--bcher-kva.example is bücher.example)', evidence: { observed: true, unicodeHost: 'bücher.example' },
    });
    const tcp = result({ check: 'tcp', host: 'xn--bcher-kva.example', port: 443 });
    expect(qualifiedResult(tcp, [idn])).toMatchObject({ message: 'refused', evidence: { unicodeHost: 'bücher.example' } });
  });
});

describe('unfilledResult', () => {
  const unfilled = endpoint({ host: '{tenant}.msappproxy.net', ports: [443], hostOrigin: 'placeholder', missingVars: ['tenant'] });
  const wild = { ...unfilled, ports: [8080], wildcard: '*.msappproxy.net' };
  const subject = { id: 'tcp:{tenant}.msappproxy.net:443', check: 'tcp' as const, host: '{tenant}.msappproxy.net', address: null, port: 443, url: null };

  it('skips with the --var that would test it and the wildcard any endpoint of the host names', () => {
    expect(unfilledResult(subject, [unfilled], [unfilled, wild])).toEqual({
      ...subject,
      status: 'skip',
      code: 'SKIPPED_PREREQUISITE',
      message: 'not tested: {tenant}.msappproxy.net needs --var tenant=<value> (it stands for *.msappproxy.net)',
      remediation: "Give {tenant} this site's value (--var tenant=<value>, or vars: in the config) to test it.",
      durationMs: 0,
      evidence: { missingVars: ['tenant'], wildcard: '*.msappproxy.net' },
    });
  });

  it('names every missing var; null when the subject can be checked', () => {
    const two = endpoint({ host: '{a}.{b}.example', ports: [443], missingVars: ['a', 'b'] });
    expect(unfilledResult({ ...subject, host: two.host }, [two], [two])?.message).toBe('not tested: {a}.{b}.example needs --var a=<value> --var b=<value>');
    expect(unfilledResult(subject, [required], plan)).toBeNull();
    expect(unfilledResult(subject, [], plan)).toBeNull();
  });
});
