// What the lab network simulates: for some hosts of a profile, a fault a network team meets in real life, and the
// code the tool must report for it. Every other host is healthy. `preflight lab` checks that each came out right.
import type { Code } from '../model/codes.js';

export type LabFault =
  | { kind: 'dns-sinkhole' }
  | { kind: 'dns-nxdomain-mid-chain' }
  | { kind: 'dns-servfail' }
  | { kind: 'tcp-refused'; port: number }
  | { kind: 'tcp-reset'; port: number };

export interface ScenarioEntry {
  fault: LabFault;
  /** What a network engineer would see in real life. */
  story: string;
  /** The result id prefix and code the tool must report for this fault. */
  expect: { check: 'dns' | 'tcp'; code: Code };
}

/** Faults keyed by host name; hosts of the default profile first, so `preflight lab` shows them. */
export const LAB_FAULTS: Readonly<Record<string, ScenarioEntry>> = {
  'www.microsoft.com': {
    fault: { kind: 'dns-sinkhole' },
    story: 'a DNS security filter answers 0.0.0.0',
    expect: { check: 'dns', code: 'DNS_SINKHOLE' },
  },
  'lab-namespace.servicebus.windows.net': {
    fault: { kind: 'dns-nxdomain-mid-chain' },
    story: 'a split-horizon zone lacks a name deep in the CNAME chain',
    expect: { check: 'dns', code: 'DNS_NXDOMAIN' },
  },
  'ocsp.msocsp.com': {
    fault: { kind: 'dns-servfail' },
    story: 'the resolver cannot reach upstream for this name',
    expect: { check: 'dns', code: 'DNS_SERVFAIL' },
  },
  'login.windows.net': {
    fault: { kind: 'tcp-refused', port: 443 },
    story: 'the firewall rejects TCP 443 to this address',
    expect: { check: 'tcp', code: 'TCP_REFUSED' },
  },
  'crl.microsoft.com': {
    fault: { kind: 'tcp-reset', port: 80 },
    story: 'an IPS resets port-80 connections right after the handshake',
    expect: { check: 'tcp', code: 'TCP_RESET' },
  },
};

/** The value the lab gives a placeholder no --var filled: a recognisable lab host name. */
export function labVarValue(name: string): string {
  return `lab-${name}`;
}
