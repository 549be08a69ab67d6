// The tcp probe and check against lab listeners: accept, refuse, reset; errno classification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackAddress } from '../lab/loopback.js';
import { findSharedFreePort, startTcpListener, type LabTcpListener } from '../lab/tcp-listeners.js';
import { classifyConnectError } from '../net/connect.js';
import { probeTcp } from '../probes/tcp.js';
import { judgeTcp } from '../specs/checks/tcp.js';

const ctx = () => ({ stepTimeoutMs: 1500, signal: new AbortController().signal });
const accepting = loopbackAddress(201);
const resetting = loopbackAddress(202);
const closed = loopbackAddress(203);
let port: number;
const listeners: LabTcpListener[] = [];

beforeAll(async () => {
  port = await findSharedFreePort([accepting, resetting, closed, '::1']);
  listeners.push(await startTcpListener(accepting, port, 'accept'));
  listeners.push(await startTcpListener(resetting, port, 'reset'));
  listeners.push(await startTcpListener('::1', port, 'accept'));
});
afterAll(() => Promise.all(listeners.map((l) => l.close())));

describe('tcp probe and verdict', () => {
  it('connects to an open port: TCP_OK with the connect time', async () => {
    const evidence = await probeTcp({ address: accepting, port }, ctx());
    expect(evidence.failure).toBeNull();
    expect(evidence.connectMs).toBeGreaterThanOrEqual(0);
    expect(judgeTcp('ok.lab.test', 443, evidence)).toMatchObject({ status: 'pass', code: 'TCP_OK' });
    expect(judgeTcp('ok.lab.test', 443, evidence).message).toMatch(new RegExp(`^connected to ${accepting.replace(/\./g, '\\.')}:${port} \\(port 443 mapped\\) in [\\d.]+ ms$`));
  });

  it('connects over IPv6 and shows the address in brackets', async () => {
    const evidence = await probeTcp({ address: '::1', port }, ctx());
    expect(judgeTcp('v6.lab.test', port, evidence).message).toMatch(new RegExp(`^connected to \\[::1\\]:${port} in`));
  });

  it('reports a port where nothing listens: TCP_REFUSED', async () => {
    const verdict = judgeTcp('closed.lab.test', 443, await probeTcp({ address: closed, port }, ctx()));
    expect(verdict).toMatchObject({ status: 'fail', code: 'TCP_REFUSED' });
    expect(verdict.message).toContain('connection refused');
    expect(verdict.remediation).toContain(`allow outbound TCP 443 from this machine to ${closed} (closed.lab.test)`);
  });

  it('reports a connection reset right after it opened: TCP_RESET', async () => {
    const verdict = judgeTcp('reset.lab.test', 443, await probeTcp({ address: resetting, port }, ctx()));
    expect(verdict).toMatchObject({ status: 'fail', code: 'TCP_RESET' });
    expect(verdict.remediation).toContain('IPS or application-control');
  });

  it('classifies socket errors and deadlines into tcp codes', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(classifyConnectError(errno('EHOSTUNREACH'), false).code).toBe('TCP_UNREACHABLE');
    expect(classifyConnectError(errno('ENETUNREACH'), false).code).toBe('TCP_UNREACHABLE');
    expect(classifyConnectError(errno('EPERM'), false).code).toBe('TCP_UNREACHABLE');
    expect(classifyConnectError(errno('ETIMEDOUT'), false).code).toBe('TCP_TIMEOUT');
    expect(classifyConnectError(undefined, true).code).toBe('TCP_TIMEOUT');
  });
});
