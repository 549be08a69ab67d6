// Result documents built by hand, shaped like what the checks produce (see a `preflight lab --json` run), for
// the pure reporters: one fixture per situation a report must explain.
import { summarize, type CheckResult, type RunDocument } from '../../model/result.js';

export type ResultFields = Partial<CheckResult> & Pick<CheckResult, 'id' | 'check' | 'host' | 'status' | 'code'>;

export function result(fields: ResultFields): CheckResult {
  return { address: null, port: null, url: null, message: 'ok', remediation: '', durationMs: 12.3456789, evidence: {}, ...fields };
}

export function runDocument(results: CheckResult[]): RunDocument {
  return {
    schemaVersion: 2,
    tool: { name: 'egress-preflight', version: '0.1.0' },
    host: { hostname: 'agent-01', platform: 'linux' },
    profile: 'entra-provisioning-agent',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234.5678,
    summary: summarize(results),
    certificates: {},
    comparison: null,
    results,
  };
}

/** A check the tool did not run because `prerequisite` did not pass, as skippedFor writes it. */
export function skippedBehind(prerequisite: CheckResult, fields: Omit<ResultFields, 'status' | 'code'>): CheckResult {
  const why = `${prerequisite.check} check ${prerequisite.status === 'skip' ? 'was skipped' : 'failed'} (${prerequisite.code})`;
  return result({ ...fields, status: 'skip', code: 'SKIPPED_PREREQUISITE', message: `not run: ${why}`, durationMs: 0, evidence: { prerequisite: prerequisite.id } });
}

export const PROXY = 'http://proxy.corp.example:8080';

export const clockPass = result({
  id: 'clock', check: 'clock', host: 'agent-01', status: 'pass', code: 'CLOCK_OK',
  message: "this machine's clock agrees with the Date headers of 4 server answers (median: within a second)",
});

export const proxyDown = result({
  id: `proxy:${PROXY}`, check: 'proxy', host: 'proxy.corp.example', port: 8080, url: PROXY, status: 'fail', code: 'PROXY_UNREACHABLE',
  message: `proxy ${PROXY} (from --proxy): cannot connect to proxy ${PROXY}: connection refused (RST): nothing listens, or a firewall rejects`,
  remediation: "Check the proxy's address and port in --proxy, and allow this machine to reach it on TCP 8080.",
  evidence: { proxy: PROXY, port: 8080, failure: { code: 'PROXY_UNREACHABLE', tcpCode: 'TCP_REFUSED', detail: 'connection refused' } },
});

/** tcp through the dead proxy: the proxy is named in the refusal. */
export function tcpThroughDeadProxy(host: string): CheckResult {
  return result({
    id: `tcp:${host}:443`, check: 'tcp', host, port: 443, status: 'fail', code: 'PROXY_UNREACHABLE',
    message: `CONNECT to ${host}:443 through proxy ${PROXY} (from --proxy): proxy ${PROXY} is unreachable: connection refused`,
    remediation: 'The connection could not be opened through the proxy: see the proxy check.',
    evidence: { target: `${host}:443`, refusal: { code: 'PROXY_UNREACHABLE', proxy: PROXY, target: `${host}:443` } },
  });
}

/** http through the dead proxy: the proxy is named on the fetch's hop. */
export function httpThroughDeadProxy(host: string): CheckResult {
  const url = `http://${host}/`;
  return result({
    id: `http:${url}`, check: 'http', host, port: 80, url, status: 'fail', code: 'PROXY_UNREACHABLE',
    message: `${url}: proxy ${PROXY} is unreachable: connection refused`,
    evidence: { fetch: { url, hops: [{ url, method: 'GET', proxy: PROXY }], failure: { kind: 'proxy' } } },
  });
}

/** A failed dns check as judgeDns writes it, with the resolver that answered. */
export function dnsFailure(host: string, code: 'DNS_NXDOMAIN' | 'DNS_SERVFAIL' | 'DNS_TIMEOUT', resolver: string): CheckResult {
  return result({
    id: `dns:${host}`, check: 'dns', host, status: 'fail', code,
    message: code === 'DNS_NXDOMAIN' ? `${host} does not exist (NXDOMAIN) (resolver ${resolver})` : `${host} A: failed (resolver ${resolver})`,
    remediation: `Check the spelling of ${host} (in the config, or the value given with --var).`,
    evidence: { resolvers: [resolver], failure: { code, name: host, queryType: 'A', detail: code, resolver } },
  });
}
