// The PAC sandbox and the meaning of its answers: DNS functions answered by the run (never the OS resolver), the
// limits that end a hostile script, and WinHTTP's reading of "PROXY a; PROXY b; DIRECT".
import { describe, expect, it } from 'vitest';
import { parsePacDecision } from '../proxy/pac-directives.js';
import { chooseRoute, routeTargets } from '../proxy/pac-routing.js';
import { evaluatePac, ipv4InNet, type PacEnvironment } from '../proxy/pac-sandbox.js';

const asked: string[] = [];
const env: PacEnvironment = {
  resolveIpv4: async (host) => {
    asked.push(host);
    return host === 'inside.corp.example' ? '10.20.30.40' : null;
  },
  myIpAddress: async () => '10.0.0.7',
};
const limits = { deadlineMs: 2000 };

describe('evaluatePac', () => {
  it('dnsResolve, isInNet, isResolvable and myIpAddress are answered by the run', async () => {
    const script = `function FindProxyForURL(url, host) {
      if (isInNet(host, "10.0.0.0", "255.0.0.0")) return "DIRECT; " + dnsResolve(host);
      if (!isResolvable(host)) return "PROXY p.example:3128; from " + myIpAddress();
      return "DIRECT";
    }`;
    expect(await evaluatePac(script, 'https://inside.corp.example/', 'inside.corp.example', env, limits)).toEqual({ ok: true, decision: 'DIRECT; 10.20.30.40' });
    expect(await evaluatePac(script, 'https://login.example/', 'login.example', env, limits)).toEqual({ ok: true, decision: 'PROXY p.example:3128; from 10.0.0.7' });
    expect(asked).toContain('login.example');
  });

  it('the script cannot reach Node: no require, process or import', async () => {
    const script = 'function FindProxyForURL() { return typeof require + " " + typeof process + " " + typeof globalThis.fetch; }';
    expect(await evaluatePac(script, 'https://a.example/', 'a.example', env, limits)).toEqual({ ok: true, decision: 'undefined undefined undefined' });
  });

  it('a loop ends at the deadline, a DNS call that never answers too, and both are fatal', async () => {
    expect(await evaluatePac('function FindProxyForURL() { while (true) {} }', 'https://a.example/', 'a.example', env, { deadlineMs: 300 }))
      .toEqual({ ok: false, reason: 'FindProxyForURL failed: it ran past its deadline (a loop that never ends?)', fatal: true });
    const stuck: PacEnvironment = { ...env, resolveIpv4: () => new Promise(() => {}) };
    expect(await evaluatePac('function FindProxyForURL(u, h) { return dnsResolve(h); }', 'https://a.example/', 'a.example', stuck, { deadlineMs: 300 }))
      .toEqual({ ok: false, reason: 'FindProxyForURL did not return within 300 ms', fatal: true });
  });

  it('memory, recursion, a syntax error and a non-string answer are findings, not crashes', async () => {
    const grow = await evaluatePac('function FindProxyForURL() { var a = []; for (;;) a.push("x" + a.length); }', 'https://a.example/', 'a.example', env, { deadlineMs: 10_000, memoryBytes: 8 * 1024 * 1024 });
    expect(grow).toMatchObject({ ok: false, fatal: true, reason: expect.stringContaining('more memory than the sandbox allows') });
    expect(await evaluatePac('function FindProxyForURL() { return FindProxyForURL(); }', 'https://a.example/', 'a.example', env, limits)).toMatchObject({ ok: false });
    expect(await evaluatePac('function FindProxyForURL( {', 'https://a.example/', 'a.example', env, limits)).toMatchObject({ ok: false, fatal: true, reason: expect.stringMatching(/^the PAC does not load: /) });
    expect(await evaluatePac('function FindProxyForURL() { return 42; }', 'https://a.example/', 'a.example', env, limits)).toEqual({ ok: false, reason: 'FindProxyForURL returned number, not a string', fatal: false });
  });
});

describe('the answer as WinHTTP reads it', () => {
  it('PROXY and DIRECT in order; SOCKS and garbage are skipped; nothing usable is DIRECT', () => {
    expect(parsePacDecision('PROXY a.example:8080; proxy B.example; SOCKS s:1080; DIRECT')).toEqual({
      entries: [{ kind: 'proxy', url: 'http://a.example:8080' }, { kind: 'proxy', url: 'http://b.example:80' }, { kind: 'direct' }],
      skipped: ['SOCKS s:1080'],
    });
    expect(parsePacDecision('')).toEqual({ entries: [{ kind: 'direct' }], skipped: [] });
    expect(parsePacDecision('PROXY bad host:99999')).toEqual({ entries: [{ kind: 'direct' }], skipped: ['PROXY bad host:99999'] });
  });

  it('isInNet compares the masked bits, also above 128.0.0.0', () => {
    expect(ipv4InNet('10.20.30.40', '10.0.0.0', '255.0.0.0')).toBe(true);
    expect(ipv4InNet('192.168.1.9', '192.168.0.0', '255.255.0.0')).toBe(true);
    expect(ipv4InNet('192.169.1.9', '192.168.0.0', '255.255.0.0')).toBe(false);
    expect(ipv4InNet('not-an-ip', '10.0.0.0', '255.0.0.0')).toBe(false);
  });

  it('fails over past a dead first proxy to the next; all dead and no DIRECT keeps the first', async () => {
    const dead = async (url: string) => (url.includes('dead') ? 'no connection opens' : null);
    const source = { kind: 'pac' as const, location: 'corp.pac' };
    const route = await chooseRoute('https://a.example/', 'PROXY dead.example:1; PROXY live.example:3128; DIRECT', source, dead);
    expect(route.proxy).toMatchObject({ url: 'http://live.example:3128', source: 'pac', origin: 'corp.pac', decision: 'PROXY dead.example:1; PROXY live.example:3128; DIRECT' });
    expect(route.passedOver).toEqual([{ proxy: 'http://dead.example:1', reason: 'no connection opens' }]);
    expect((await chooseRoute('https://a.example/', 'PROXY dead.example:1; DIRECT', source, dead)).proxy).toBeNull();
    expect((await chooseRoute('https://a.example/', 'PROXY dead.example:1; PROXY dead2.example:2', source, dead)).proxy?.url).toBe('http://dead.example:1');
  });

  it('asks about every endpoint URL once per host:port; host + ports endpoints as https:// or http:// on 80', () => {
    const endpoint = (host: string, url: string | null, ports: number[]) => ({ host, url, ports, missingVars: [] }) as never;
    expect(routeTargets([endpoint('a.example', 'https://a.example/x', [443]), endpoint('a.example', null, [443, 80, 8080])])).toEqual([
      { key: 'a.example:443', url: 'https://a.example/x', host: 'a.example' },
      { key: 'a.example:80', url: 'http://a.example/', host: 'a.example' },
      { key: 'a.example:8080', url: 'https://a.example:8080/', host: 'a.example' },
    ]);
  });
});
