// The lab's verdict on the tool: it claims only what the run verified.
import { describe, expect, it } from 'vitest';
import type { CheckKind, Code, Status } from '../model/codes.js';
import { summarize, type CheckResult, type RunDocument } from '../model/result.js';
import { describeSelfCheck, selfCheck } from '../lab/self-check.js';

function result(check: CheckKind, host: string, status: Status, code: Code): CheckResult {
  return { id: `${check}:${host}`, check, host, address: null, port: null, url: null, status, code, message: '', remediation: '', durationMs: 0, evidence: {} };
}

function doc(results: CheckResult[]): RunDocument {
  return {
    schemaVersion: 2, tool: { name: 'egress-preflight', version: '0' }, host: { hostname: 'h', platform: 'linux' },
    profile: 'p', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 0, summary: summarize(results), certificates: {}, comparison: null, results,
  };
}

// Two faults of the lab's scenario: a refused port (tcp) and an inspected handshake (tls + inspection).
const faults = new Set(['login.windows.net', 'autoupdate.msappproxy.net']);
const ALL: CheckKind[] = ['dns', 'tcp', 'tls', 'inspection'];

describe('lab self-check', () => {
  it('every fault as built and every healthy result passing', () => {
    const check = selfCheck(doc([
      result('tcp', 'login.windows.net', 'fail', 'TCP_REFUSED'),
      result('tls', 'autoupdate.msappproxy.net', 'fail', 'TLS_UNTRUSTED'),
      result('inspection', 'autoupdate.msappproxy.net', 'fail', 'TLS_INSPECTED'),
      result('tcp', 'healthy.example', 'pass', 'TCP_OK'),
    ]), faults, ALL, ['failure']);
    expect(check).toEqual({ surprises: [], verified: ['login.windows.net', 'autoupdate.msappproxy.net'], notExercised: [], healthyAllPassed: true, specs: null });
    expect(describeSelfCheck(check, 2, undefined)).toBe('lab: every simulated fault was reported as built (2), every healthy endpoint passed\n');
  });

  it('a fault whose checks did not run is "not exercised", never "reported as built"', () => {
    const check = selfCheck(doc([result('tcp', 'login.windows.net', 'fail', 'TCP_REFUSED'), result('tcp', 'autoupdate.msappproxy.net', 'pass', 'TCP_OK')]), faults, ['tcp'], ['failure']);
    expect(check.notExercised).toEqual([{ host: 'autoupdate.msappproxy.net', kinds: ['tls', 'inspection'] }]);
    expect(describeSelfCheck(check, 2, 'tcp')).toBe([
      'lab: not exercised, their checks did not run under --only tcp:',
      '  autoupdate.msappproxy.net (tls, inspection): a Zscaler-style proxy inspects TLS to the connector service',
      'lab: 1 of 2 simulated faults were verified as built (1 not exercised), every healthy endpoint passed',
      '',
    ].join('\n'));
  });

  it('a revoked certificate is not exercised when neither crl nor ocsp ran: the tls check cannot see it', () => {
    const revoked = new Set(['lab-windowsazure.windowsazure.com']);
    const tlsOnly = selfCheck(doc([result('tls', 'lab-windowsazure.windowsazure.com', 'pass', 'TLS_OK')]), revoked, ['dns', 'tcp', 'tls'], ['failure']);
    expect(tlsOnly.surprises).toEqual([]);
    expect(tlsOnly.notExercised).toEqual([{ host: 'lab-windowsazure.windowsazure.com', kinds: ['tls', 'inspection'] }]);
    const withOcsp = selfCheck(doc([result('tls', 'lab-windowsazure.windowsazure.com', 'pass', 'TLS_OK')]), revoked, ['tls', 'ocsp'], ['failure']);
    expect(withOcsp.surprises).toEqual(['tls:lab-windowsazure.windowsazure.com: TLS_OK, built to give TLS_CERT_REVOKED']);
  });

  it('a fault with another code, a missing result, and a healthy host failing under --fail-on are surprises', () => {
    const check = selfCheck(doc([
      result('tcp', 'login.windows.net', 'fail', 'TCP_TIMEOUT'),
      result('tls', 'autoupdate.msappproxy.net', 'fail', 'TLS_UNTRUSTED'),
      result('crl', 'healthy.example', 'warn', 'CRL_STALE'),
    ]), faults, ALL, ['failure', 'warning']);
    expect(check.surprises).toEqual([
      'tcp:login.windows.net: TCP_TIMEOUT, built to give TCP_REFUSED',
      'crl:healthy.example: warn CRL_STALE on a healthy host',
      'autoupdate.msappproxy.net: no inspection result',
    ]);
    expect(check.verified).toEqual([]);
  });

  it('a healthy warning under the default --fail-on is not a failure, and not claimed as a pass', () => {
    const check = selfCheck(doc([result('tcp', 'login.windows.net', 'fail', 'TCP_REFUSED'), result('crl', 'healthy.example', 'warn', 'CRL_STALE')]), faults, ['tcp', 'crl'], ['failure']);
    expect(describeSelfCheck(check, 2, 'tcp,crl').split('\n').at(-2)).toBe('lab: 1 of 2 simulated faults were verified as built (1 not exercised), no healthy endpoint failed');
  });
});
