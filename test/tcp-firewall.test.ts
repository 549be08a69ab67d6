// tcp codes that need a firewall: a dropped SYN (TCP_TIMEOUT) and an ICMP host-unreachable (TCP_UNREACHABLE),
// made by nftables inside a namespace of the test's own. Runs the built probe (npm test builds first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetNamespace, type NetNamespace } from './support/netns.js';

let ns: NetNamespace;
beforeAll(() => {
  ns = createNetNamespace(`table inet lab {
    chain output {
      type filter hook output priority 0;
      ip daddr 127.0.0.77 tcp dport 443 drop
      ip daddr 127.0.0.78 reject with icmp type host-unreachable
    }
  }`);
});
afterAll(() => ns?.remove());

async function probeInNamespace(address: string) {
  const script = `
    const { probeTcp } = await import('./dist/probes/tcp.js');
    const { judgeTcp } = await import('./dist/specs/checks/tcp.js');
    const evidence = await probeTcp({ address: '${address}', port: 443 }, { stepTimeoutMs: 700, signal: new AbortController().signal });
    process.stdout.write(JSON.stringify(judgeTcp('fw.lab.test', 443, evidence)));`;
  const { stdout, stderr } = await ns.node(['--input-type=module', '-e', script]);
  expect(stderr).toBe('');
  return JSON.parse(stdout) as { status: string; code: string; message: string; remediation: string };
}

describe('tcp behind a firewall', () => {
  it('a silently dropped connection ends at the deadline: TCP_TIMEOUT', async () => {
    const verdict = await probeInNamespace('127.0.0.77');
    expect(verdict).toMatchObject({ status: 'fail', code: 'TCP_TIMEOUT' });
    expect(verdict.message).toBe('127.0.0.77:443: no answer to the connection attempt before the deadline (filtered?)');
    expect(verdict.remediation).toBe('Packets are dropped silently: allow outbound TCP 443 from this machine to 127.0.0.77 (fw.lab.test) on the firewall.');
  });

  it('an ICMP host-unreachable answer: TCP_UNREACHABLE', async () => {
    const verdict = await probeInNamespace('127.0.0.78');
    expect(verdict).toMatchObject({ status: 'fail', code: 'TCP_UNREACHABLE' });
    expect(verdict.message).toBe('127.0.0.78:443: no route to the address (EHOSTUNREACH)');
  });
});
