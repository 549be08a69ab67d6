// Which results share a cause: the relation the console and JUnit group by. Pure, on hand-built results.
import { describe, expect, it } from 'vitest';
import { relateCauses, sharedDnsFailure } from '../reporters/causes.js';
import {
  PROXY, clockPass, dnsFailure, httpThroughDeadProxy, proxyDown, result, skippedBehind, tcpThroughDeadProxy,
} from './support/documents.js';

const ids = (results: readonly { id: string }[]) => results.map((r) => r.id);

describe('a proxy that failed', () => {
  const tcp = tcpThroughDeadProxy('login.microsoftonline.com');
  const tls = skippedBehind(tcp, { id: 'tls:login.microsoftonline.com:443', check: 'tls', host: 'login.microsoftonline.com', port: 443 });
  const inspection = skippedBehind(tls, { id: 'inspection:login.microsoftonline.com:443', check: 'inspection', host: 'login.microsoftonline.com', port: 443 });
  const http = httpThroughDeadProxy('crl.microsoft.com');
  const localDns = result({
    id: 'dns:crl.microsoft.com', check: 'dns', host: 'crl.microsoft.com', status: 'warn', code: 'DNS_SERVFAIL',
    evidence: { resolvedByProxy: true, failure: { code: 'DNS_SERVFAIL', resolver: '10.0.0.53' } },
  });
  const results = [localDns, tcp, tls, inspection, http, proxyDown, clockPass];
  const relation = relateCauses(results);

  it('is the root of every check that failed through it, and of the checks skipped behind those', () => {
    expect(relation.roots).toEqual([proxyDown]);
    expect(ids(relation.consequencesOf(proxyDown))).toEqual([tcp.id, tls.id, inspection.id, http.id]);
    for (const consequence of [tcp, tls, inspection, http]) expect(relation.rootOf(consequence)).toBe(proxyDown);
  });

  it('leaves alone what did not go through it: a local DNS warning, the clock, the proxy itself', () => {
    expect(relation.rootOf(localDns)).toBeUndefined();
    expect(relation.rootOf(clockPass)).toBeUndefined();
    expect(relation.rootOf(proxyDown)).toBeUndefined();
  });

  it('takes a proxy code as the sign when the evidence names no proxy', () => {
    const bare = result({ id: 'crl:http://crl3.digicert.com/a.crl', check: 'crl', host: 'crl3.digicert.com', url: 'http://crl3.digicert.com/a.crl', status: 'fail', code: 'PROXY_ERROR' });
    expect(relateCauses([proxyDown, bare]).rootOf(bare)).toBe(proxyDown);
  });

  it('follows the proxy each result names when two proxies failed', () => {
    const other = { ...proxyDown, id: 'proxy:http://other.example:3128', url: 'http://other.example:3128', evidence: { proxy: 'http://other.example:3128' } };
    const viaOther = { ...tcp, id: 'tcp:a.example:443', evidence: { refusal: { proxy: 'http://other.example:3128' } } };
    const both = relateCauses([proxyDown, other, tcp, viaOther]);
    expect(both.rootOf(tcp)).toBe(proxyDown);
    expect(both.rootOf(viaOther)).toBe(other);
  });

  it('explains nothing when it passed', () => {
    const up = { ...proxyDown, status: 'pass' as const, code: 'PROXY_OK' as const };
    const denied = { ...tcp, code: 'PROXY_DENIED' as const, evidence: { refusal: { proxy: PROXY } } };
    expect(relateCauses([up, denied]).rootOf(denied)).toBeUndefined();
  });
});

describe('an inspecting device', () => {
  const where = { host: 'autoupdate.msappproxy.net', address: '203.0.113.7', port: 443 };
  const untrusted = result({ id: 'tls:autoupdate.msappproxy.net@203.0.113.7:443', check: 'tls', ...where, status: 'fail', code: 'TLS_UNTRUSTED' });
  const inspected = result({ id: 'inspection:autoupdate.msappproxy.net@203.0.113.7:443', check: 'inspection', ...where, status: 'fail', code: 'TLS_INSPECTED' });

  it('explains the untrusted handshake at the same host, address and port', () => {
    const relation = relateCauses([untrusted, inspected]);
    expect(relation.rootOf(untrusted)).toBe(inspected);
    expect(relation.roots).toEqual([inspected]);
  });

  it('does not explain a handshake at another address, nor another TLS failure', () => {
    const elsewhere = { ...untrusted, id: 'tls:autoupdate.msappproxy.net@203.0.113.8:443', address: '203.0.113.8' };
    const expired = { ...untrusted, code: 'TLS_CERT_EXPIRED' as const };
    const relation = relateCauses([elsewhere, expired, inspected]);
    expect(relation.rootOf(elsewhere)).toBeUndefined();
    expect(relation.rootOf(expired)).toBeUndefined();
  });
});

describe('a connection that failed', () => {
  const tcp = result({ id: 'tcp:crl.microsoft.com@203.0.113.15:80', check: 'tcp', host: 'crl.microsoft.com', address: '203.0.113.15', port: 80, status: 'fail', code: 'TCP_RESET' });
  const http = result({ id: 'http:http://crl.microsoft.com/', check: 'http', host: 'crl.microsoft.com', port: 80, url: 'http://crl.microsoft.com/', status: 'fail', code: 'TCP_RESET' });

  it('explains the same reset seen again by http on the same host and port', () => {
    expect(relateCauses([tcp, http]).rootOf(http)).toBe(tcp);
  });

  it('takes the port from the URL when the result carries none', () => {
    const crl = result({ id: 'crl:http://crl.microsoft.com/a.crl', check: 'crl', host: 'crl.microsoft.com', url: 'http://crl.microsoft.com/a.crl', status: 'fail', code: 'TCP_RESET' });
    expect(relateCauses([tcp, crl]).rootOf(crl)).toBe(tcp);
  });

  it('does not explain another code, another port or another host', () => {
    const timeout = { ...http, code: 'TCP_TIMEOUT' as const };
    const otherPort = { ...http, port: 8080, url: 'http://crl.microsoft.com:8080/' };
    const otherHost = { ...http, host: 'mscrl.microsoft.com', url: 'http://mscrl.microsoft.com/' };
    const relation = relateCauses([tcp, timeout, otherPort, otherHost]);
    expect([timeout, otherPort, otherHost].map((r) => relation.rootOf(r))).toEqual([undefined, undefined, undefined]);
  });
});

describe('prerequisites', () => {
  const dns = dnsFailure('lab-namespace.servicebus.windows.net', 'DNS_NXDOMAIN', '10.0.0.53');
  const tcp = skippedBehind(dns, { id: 'tcp:lab-namespace.servicebus.windows.net:443', check: 'tcp', host: dns.host, port: 443 });
  const tls = skippedBehind(tcp, { id: 'tls:lab-namespace.servicebus.windows.net:443', check: 'tls', host: dns.host, port: 443 });

  it('puts the failed dns check above every check skipped for it, directly or not', () => {
    const relation = relateCauses([dns, tcp, tls]);
    expect(relation.rootOf(tcp)).toBe(dns);
    expect(relation.rootOf(tls)).toBe(dns);
    expect(relation.consequencesOf(dns)).toEqual([tcp, tls]);
  });

  it('leaves a skip whose reason is text, not a result, on its own', () => {
    const ocsp = result({ id: 'ocsp:http://ocsp.digicert.com/', check: 'ocsp', host: 'ocsp.digicert.com', status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { prerequisite: 'no live certificate names this responder' } });
    expect(relateCauses([ocsp]).rootOf(ocsp)).toBeUndefined();
  });

  it('leaves the results of a cycle (a hand-edited file) on their own, so reports still show them', () => {
    const a = result({ id: 'a', check: 'tcp', host: 'x', status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { prerequisite: 'b' } });
    const b = result({ id: 'b', check: 'tls', host: 'x', status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { prerequisite: 'a' } });
    const relation = relateCauses([a, b]);
    expect([relation.rootOf(a), relation.rootOf(b)]).toEqual([undefined, undefined]);
    expect(relation.roots).toEqual([]);
  });
});

describe('sharedDnsFailure', () => {
  const names = Array.from({ length: 11 }, (_, i) => `host${i}.example.com`);

  it('finds every checked name failing the same way at one resolver', () => {
    const results = names.map((name) => dnsFailure(name, 'DNS_NXDOMAIN', '10.0.0.53'));
    expect(sharedDnsFailure([...results, clockPass])).toEqual({ status: 'fail', code: 'DNS_NXDOMAIN', resolver: '10.0.0.53', results });
  });

  it('finds nothing when one name differs in code or resolver, resolves, or when one name alone was checked', () => {
    const base = names.map((name) => dnsFailure(name, 'DNS_NXDOMAIN', '10.0.0.53'));
    expect(sharedDnsFailure([...base.slice(1), dnsFailure('x.example.com', 'DNS_SERVFAIL', '10.0.0.53')])).toBeNull();
    expect(sharedDnsFailure([...base.slice(1), dnsFailure('x.example.com', 'DNS_NXDOMAIN', '10.0.0.54')])).toBeNull();
    expect(sharedDnsFailure([...base.slice(1), result({ id: 'dns:ok', check: 'dns', host: 'ok', status: 'pass', code: 'DNS_OK' })])).toBeNull();
    expect(sharedDnsFailure([base[0]!])).toBeNull();
  });

  it('ignores names that were not checked (skipped for a missing placeholder value)', () => {
    const skipped = result({ id: 'dns:{tenant}.msappproxy.net', check: 'dns', host: '{tenant}.msappproxy.net', status: 'skip', code: 'SKIPPED_PREREQUISITE', evidence: { missingVars: ['tenant'] } });
    const failed = names.slice(0, 2).map((name) => dnsFailure(name, 'DNS_TIMEOUT', '10.0.0.53'));
    expect(sharedDnsFailure([skipped, ...failed])?.results).toEqual(failed);
  });
});
