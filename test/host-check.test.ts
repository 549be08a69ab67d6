// check kind host: each prerequisite's judge on fixtures of real `reg query` output, the check with an injected
// registry reader standing for a Windows machine, and off Windows a skip per prerequisite that is no verdict.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_KEYS } from '../probes/host-prerequisites.js';
import { firstKey, type RegistryReader } from '../probes/reg-query.js';
import { ObservationSession } from '../runner/session.js';
import { CheckRun } from '../specs/check-run.js';
import { hostCheck, judgeDotNetRelease, judgeDotNetTls12, judgeExecutionPolicy, judgeSchannelTls12 } from '../specs/checks/host.js';
import { runPreflight } from './support/cli.js';
import { testPlan } from './support/port80.js';

const fixture = (name: string) => firstKey(readFileSync(path.join(import.meta.dirname, 'fixtures', 'windows', name), 'utf8'));

describe('PowerShell execution policy', () => {
  it('RemoteSigned and Undefined (no value) pass', () => {
    expect(judgeExecutionPolicy('machine (LocalMachine)', HOST_KEYS.machinePolicy, 'RemoteSigned')).toMatchObject({ status: 'pass', code: 'HOST_OK', message: 'PowerShell execution policy at machine (LocalMachine) scope is RemoteSigned' });
    expect(judgeExecutionPolicy('user (CurrentUser)', HOST_KEYS.userPolicy, null)).toMatchObject({ status: 'pass', message: 'PowerShell execution policy at user (CurrentUser) scope is Undefined' });
  });

  it('Unrestricted fails, as the seed article says registration then fails with a security error', () => {
    const verdict = judgeExecutionPolicy('user (CurrentUser)', HOST_KEYS.userPolicy, fixture('reg-ps-user-unrestricted.txt').get('executionpolicy')?.data ?? null);
    expect(verdict).toMatchObject({ status: 'fail', code: 'HOST_EXECUTION_POLICY' });
    expect(verdict.message).toBe('PowerShell execution policy at user (CurrentUser) scope is Unrestricted: the agent\'s registration scripts need Undefined or RemoteSigned (Unrestricted makes registration fail with a security error)');
    expect(verdict.remediation).toContain('Set-ExecutionPolicy -Scope CurrentUser RemoteSigned');
  });

  it('any other policy fails too (AllSigned, Bypass)', () => {
    expect(judgeExecutionPolicy('machine (LocalMachine)', HOST_KEYS.machinePolicy, 'AllSigned')).toMatchObject({ status: 'fail', code: 'HOST_EXECUTION_POLICY' });
  });
});

describe('TLS 1.2', () => {
  it('SChannel: Enabled=0 / DisabledByDefault=1 fail; no key is the Windows default (enabled)', () => {
    const verdict = judgeSchannelTls12(fixture('reg-schannel-tls12-disabled.txt'));
    expect(verdict).toMatchObject({ status: 'fail', code: 'HOST_TLS12_DISABLED' });
    expect(verdict.message).toContain('(Enabled=0, DisabledByDefault=1 in HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client)');
    expect(judgeSchannelTls12(null)).toMatchObject({ status: 'pass', code: 'HOST_OK', message: 'TLS 1.2 is enabled for SChannel clients: no override (the Windows default: enabled)' });
  });

  it('.NET: both values set to 1 in both views pass; unset in the 32-bit view warns; 0 fails', () => {
    const strong = fixture('reg-dotnet64-strong.txt');
    expect(judgeDotNetTls12(strong, strong)).toMatchObject({ status: 'pass', code: 'HOST_OK' });
    const unset = judgeDotNetTls12(strong, fixture('reg-dotnet32-unset.txt'));
    expect(unset).toMatchObject({ status: 'warn', code: 'HOST_TLS12_DISABLED', message: '.NET Framework may not offer TLS 1.2: 32-bit (Wow6432Node) SchUseStrongCrypto=unset, 32-bit (Wow6432Node) SystemDefaultTlsVersions=unset' });
    const off = new Map([['schusestrongcrypto', { type: 'REG_DWORD', data: '0x0' }]]);
    expect(judgeDotNetTls12(off, strong)).toMatchObject({ status: 'fail', code: 'HOST_TLS12_DISABLED' });
  });
});

describe('.NET Framework release', () => {
  it('4.8 passes, 4.6.2 and none fail', () => {
    expect(judgeDotNetRelease(533320)).toMatchObject({ status: 'pass', code: 'HOST_OK' });
    expect(judgeDotNetRelease(394806)).toMatchObject({ status: 'fail', code: 'HOST_DOTNET_TOO_OLD', message: '.NET Framework 4 release 394806 is older than 4.7.2 (461808), which the connector needs' });
    expect(judgeDotNetRelease(null).message).toContain('.NET Framework 4.5 or newer is not installed');
  });
});

describe('the host check', () => {
  const plan = testPlan({ checks: ['host'], resolver: { host: '127.0.0.1', port: 53 }, endpoints: [] });
  const machine: Record<string, string> = {
    [HOST_KEYS.machinePolicy]: 'reg-ps-machine-remotesigned.txt',
    [HOST_KEYS.userPolicy]: 'reg-ps-user-unrestricted.txt',
    [HOST_KEYS.dotNet64]: 'reg-dotnet64-strong.txt',
    [HOST_KEYS.dotNet32]: 'reg-dotnet64-strong.txt',
    [HOST_KEYS.dotNetSetup]: 'reg-ndp-full-462.txt',
  };
  const reader: RegistryReader = async (key) => (machine[key] ? fixture(machine[key]) : null);

  it('on Windows reads the registry once and judges each prerequisite, with the values as evidence', async () => {
    const run = new CheckRun(plan, new ObservationSession(plan));
    const results = await Promise.all((['execution-policy-machine', 'execution-policy-user', 'schannel-tls12', 'dotnet-tls12', 'dotnet-release'] as const)
      .map((prerequisite) => hostCheck(run, prerequisite, 'win32', reader)));
    expect(results.map((result) => [result.id, result.status, result.code])).toEqual([
      ['host:execution-policy-machine', 'pass', 'HOST_OK'],
      ['host:execution-policy-user', 'fail', 'HOST_EXECUTION_POLICY'],
      ['host:schannel-tls12', 'pass', 'HOST_OK'],
      ['host:dotnet-tls12', 'pass', 'HOST_OK'],
      ['host:dotnet-release', 'fail', 'HOST_DOTNET_TOO_OLD'],
    ]);
    expect(results[4]?.evidence[HOST_KEYS.dotNetSetup]).toMatchObject({ release: 'REG_DWORD 0x60636' });
    expect(run.observe.derived.computed.get('host')).toBe(1);
  });

  it('a registry that cannot be read is a skip, never a pass', async () => {
    const run = new CheckRun(plan, new ObservationSession(plan));
    const result = await hostCheck(run, 'dotnet-release', 'win32', async () => { throw new Error('reg query: no answer within 5000 ms'); });
    expect(result).toMatchObject({ status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: the registry could not be read (reg query: no answer within 5000 ms)' });
  });

  it('off Windows: one skip per prerequisite with the reason, and a run of only these tested nothing (exit 1)', async () => {
    const { code, stdout, stderr } = await runPreflight(['--only', 'host', '--json', '-', '--resolver', '127.0.0.1:1'], { cwd: os.tmpdir() });
    const doc = JSON.parse(stdout) as { results: Array<{ id: string; status: string; message: string }> };
    expect(doc.results.map((result) => result.id).sort()).toEqual(['host:dotnet-release', 'host:dotnet-tls12', 'host:execution-policy-machine', 'host:execution-policy-user', 'host:schannel-tls12']);
    expect(doc.results.every((result) => result.status === 'skip')).toBe(true);
    expect(doc.results.find((result) => result.id === 'host:execution-policy-machine')?.message).toBe(`not run: execution-policy-machine is a Windows prerequisite of the agents; this machine is ${process.platform}`);
    expect(code).toBe(1);
    expect(stderr).toContain('preflight: nothing was tested: all 5 checks were skipped');
  });
});
