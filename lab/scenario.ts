// What the lab network simulates: for some hosts of a profile, a fault a network team meets in real life, and the
// codes the tool must report for it. Every other host is healthy. `preflight lab` checks that each came out right.
import type { CheckKind, Code } from '../model/codes.js';

export type LabFault =
  | { kind: 'dns-sinkhole' }
  | { kind: 'dns-nxdomain-mid-chain' }
  | { kind: 'dns-servfail' }
  | { kind: 'tcp-refused'; port: number }
  | { kind: 'tcp-reset'; port: number }
  /** TLS re-signed by a Zscaler-named CA, as an inspecting proxy does. */
  | { kind: 'tls-inspected'; port: number }
  /** A genuine-looking Microsoft chain whose leaf has expired. */
  | { kind: 'tls-expired'; port: number }
  /** A Microsoft-chained leaf that the OCSP responder its AIA names reports revoked. */
  | { kind: 'tls-revoked'; port: number }
  /** A web filter answers every request with its block page, status 200. */
  | { kind: 'http-block-page'; port: number }
  /** The CRL served here is past its nextUpdate (a cache or mirror that stopped refreshing). */
  | { kind: 'crl-stale'; port: number };

export interface ScenarioEntry {
  fault: LabFault;
  /** What a network engineer would see in real life. */
  story: string;
  /**
   * The codes the tool must report for this fault, per check kind. `needsAnyOf`: kinds without which the check
   * cannot see the fault (a tls check learns of a revocation only when crl or ocsp checks fetch the status).
   */
  expect: ReadonlyArray<{ check: CheckKind; code: Code; needsAnyOf?: readonly CheckKind[] }>;
}

/** Faults keyed by host name, hosts of the default profile, so `preflight lab` shows them. */
export const LAB_FAULTS: Readonly<Record<string, ScenarioEntry>> = {
  'www.microsoft.com': {
    fault: { kind: 'dns-sinkhole' },
    story: 'a DNS security filter answers 0.0.0.0, saying "Filtered" in an Extended DNS Error',
    expect: [{ check: 'dns', code: 'DNS_SINKHOLE' }],
  },
  'lab-namespace.servicebus.windows.net': {
    fault: { kind: 'dns-nxdomain-mid-chain' },
    story: 'a split-horizon zone lacks a name deep in the CNAME chain',
    expect: [{ check: 'dns', code: 'DNS_NXDOMAIN' }],
  },
  'ocsp.msocsp.com': {
    fault: { kind: 'dns-servfail' },
    story: 'the resolver cannot reach upstream for this name',
    expect: [{ check: 'dns', code: 'DNS_SERVFAIL' }],
  },
  'login.windows.net': {
    fault: { kind: 'tcp-refused', port: 443 },
    story: 'the firewall rejects TCP 443 to this address',
    expect: [{ check: 'tcp', code: 'TCP_REFUSED' }],
  },
  'crl.microsoft.com': {
    fault: { kind: 'tcp-reset', port: 80 },
    story: 'an IPS resets port-80 connections right after the handshake',
    expect: [{ check: 'tcp', code: 'TCP_RESET' }],
  },
  'autoupdate.msappproxy.net': {
    fault: { kind: 'tls-inspected', port: 443 },
    story: 'a Zscaler-style proxy inspects TLS to the connector service',
    expect: [{ check: 'tls', code: 'TLS_UNTRUSTED' }, { check: 'inspection', code: 'TLS_INSPECTED' }],
  },
  'lab-windowsazure.windowsazure.com': {
    fault: { kind: 'tls-revoked', port: 443 },
    story: "the certificate's issuer revoked it, as its OCSP responder says",
    expect: [{ check: 'tls', code: 'TLS_CERT_REVOKED', needsAnyOf: ['crl', 'ocsp'] }, { check: 'inspection', code: 'INSPECTION_NONE' }],
  },
  'mscrl.microsoft.com': {
    fault: { kind: 'http-block-page', port: 80 },
    story: 'a web filter answers port 80 with its block page (status 200)',
    expect: [{ check: 'http', code: 'HTTP_BLOCK_PAGE' }],
  },
  'crl4.digicert.com': {
    fault: { kind: 'crl-stale', port: 80 },
    story: 'a CRL mirror stopped refreshing: its CRL is past nextUpdate',
    expect: [{ check: 'crl', code: 'CRL_STALE' }],
  },
  'lab-cloudwebappproxy.cloudwebappproxy.net': {
    fault: { kind: 'tls-expired', port: 443 },
    story: 'a Microsoft-chained certificate has expired (not inspection)',
    expect: [{ check: 'tls', code: 'TLS_CERT_EXPIRED' }, { check: 'inspection', code: 'INSPECTION_NONE' }],
  },
};

/** The value the lab gives a placeholder no --var filled: a recognisable lab host name. */
export function labVarValue(name: string): string {
  return `lab-${name}`;
}
