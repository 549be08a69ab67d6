// The Windows settings readers, on fixtures of what reg.exe and netsh print (CRLF, English, German, French):
// the WinHttpSettings blob and `netsh winhttp show proxy`, the DNS search suffixes WPAD devolves from, and --winhttp
// off Windows. Pure parsers; the registry reader is injected.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { bypassesProxy } from '../config/proxy-bypass.js';
import { parseNetshShowProxy, parseWinHttpSettings, readWinHttpProxy, WINHTTP_KEY } from '../config/winhttp.js';
import { firstKey, parseRegQuery, regDword, regString, type RegistryReader } from '../probes/reg-query.js';
import { registrySuffixes, resolvConfSuffixes, systemSearchSuffixes, wpadNames } from '../proxy/search-suffixes.js';
import { runPreflight } from './support/cli.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', 'windows', name), 'utf8');
const blobOf = (name: string) => firstKey(fixture(name)).get('winhttpsettings')?.data ?? '';
/** A reader that answers `key` with the fixture's key block, and no other key. */
const readerFor = (key: string, name: string): RegistryReader => async (asked) => (asked === key ? firstKey(fixture(name)) : null);

describe('reg query output', () => {
  it('reads value names with spaces, types, empty data and DWORDs in hex', () => {
    const keys = parseRegQuery(fixture('reg-tcpip-parameters.txt'));
    const key = keys.get('HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters') ?? null;
    expect(regString(key, 'NV Domain')).toBe('corp.contoso.com');
    expect(regString(key, 'DataBasePath')).toBe('%SystemRoot%\\System32\\drivers\\etc');
    expect(regDword(firstKey(fixture('reg-ndp-full-48.txt')), 'Release')).toBe(533320);
    expect(regString(firstKey(fixture('reg-tcpip-domain-only.txt')), 'Domain')).toBe('');
    expect(regDword(key, 'Domain')).toBeNull();
  });
});

describe('WinHttpSettings', () => {
  it('direct access: flags 1, no proxy string', () => {
    expect(parseWinHttpSettings(blobOf('reg-winhttp-direct.txt'))).toEqual({ direct: true });
  });

  it('a proxy with a bypass list of <local> and wildcards', () => {
    expect(parseWinHttpSettings(blobOf('reg-winhttp-proxy.txt'))).toEqual({ direct: false, proxy: 'proxy.contoso.com:8080', bypass: ['<local>', '*.contoso.com', '10.*'] });
  });

  it('a blob cut short is an error naming what is missing', () => {
    expect(() => parseWinHttpSettings(blobOf('reg-winhttp-truncated.txt'))).toThrow('WinHttpSettings: the proxy string (64 bytes) runs past its end');
    expect(() => parseWinHttpSettings('zz')).toThrow('WinHttpSettings is not hex bytes');
  });

  it('--winhttp on Windows: the proxy and its bypass list become the run\'s proxy plan', async () => {
    const plan = await readWinHttpProxy('win32', () => readerFor(WINHTTP_KEY, 'reg-winhttp-proxy.txt'));
    expect(plan).toMatchObject({ url: 'http://proxy.contoso.com:8080', source: 'winhttp', bypass: ['<local>', 'wildcard:*.contoso.com', 'wildcard:10.*'] });
    expect(bypassesProxy(plan!, 'intranet', 443)).toBe(true);
    expect(bypassesProxy(plan!, 'app.contoso.com', 443)).toBe(true);
    expect(bypassesProxy(plan!, '10.1.2.3', 443)).toBe(true);
    expect(bypassesProxy(plan!, 'login.microsoftonline.com', 443)).toBe(false);
    expect(bypassesProxy(plan!, 'contoso.com.evil.example', 443)).toBe(false);
  });

  it('per-scheme proxies: the https= one carries the TLS traffic; direct and absent values are no proxy', async () => {
    expect(await readWinHttpProxy('win32', () => readerFor(WINHTTP_KEY, 'reg-winhttp-per-scheme.txt'))).toMatchObject({ url: 'http://tls.contoso.com:8443' });
    expect(await readWinHttpProxy('win32', () => readerFor(WINHTTP_KEY, 'reg-winhttp-direct.txt'))).toBeNull();
    expect(await readWinHttpProxy('win32', () => async () => null)).toBeNull();
  });

  it('elsewhere --winhttp is a usage error before any probe', async () => {
    const error = await readWinHttpProxy('linux', () => async () => null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--winhttp reads the Windows WinHTTP proxy setting; this machine is linux');
  });

  it.skipIf(process.platform === 'win32')('the CLI: --winhttp off Windows exits 2 with one line, before any probe', async () => {
    const { code, stdout, stderr } = await runPreflight(['--winhttp', '--resolver', '127.0.0.1:1'], { cwd: os.tmpdir() });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`preflight: --winhttp reads the Windows WinHTTP proxy setting; this machine is ${process.platform}\n`);
  });

  it('a registry that cannot be read is a usage error naming the value', async () => {
    const failing: RegistryReader = async () => { throw new Error('reg query: no answer within 5000 ms'); };
    await expect(readWinHttpProxy('win32', () => failing)).rejects.toThrow(`--winhttp: cannot read ${WINHTTP_KEY}\\WinHttpSettings: reg query: no answer within 5000 ms`);
  });
});

describe('netsh winhttp show proxy', () => {
  it.each(['netsh-en-direct.txt', 'netsh-de-direct.txt', 'netsh-fr-direct.txt'])('%s: direct access', (name) => {
    expect(parseNetshShowProxy(fixture(name))).toEqual({ direct: true });
  });

  it('English and German: proxy and bypass list', () => {
    expect(parseNetshShowProxy(fixture('netsh-en-proxy.txt'))).toEqual({ direct: false, proxy: 'proxy.contoso.com:8080', bypass: ['<local>', '*.contoso.com'] });
    expect(parseNetshShowProxy(fixture('netsh-de-proxy.txt'))).toEqual({ direct: false, proxy: 'proxy.contoso.com:8080', bypass: ['<local>'] });
  });

  it('French, per-scheme proxies and "(aucun)" for no bypass list', () => {
    expect(parseNetshShowProxy(fixture('netsh-fr-proxy.txt'))).toEqual({ direct: false, proxy: 'http=proxy.contoso.com:80;https=proxy.contoso.com:8443', bypass: [] });
  });
});

describe('DNS search suffixes and WPAD names', () => {
  it('resolv.conf: the last search or domain line decides', () => {
    expect(resolvConfSuffixes('nameserver 10.0.0.53\ndomain old.example\nsearch eu.corp.contoso.com corp.contoso.com # comment\n')).toEqual(['eu.corp.contoso.com', 'corp.contoso.com']);
    expect(resolvConfSuffixes('search a.example\ndomain corp.contoso.com\n')).toEqual(['corp.contoso.com']);
    expect(resolvConfSuffixes('nameserver 10.0.0.53\n')).toEqual([]);
  });

  it('the registry: SearchList first, else the primary suffix', async () => {
    expect(registrySuffixes(firstKey(fixture('reg-tcpip-parameters.txt')))).toEqual(['eu.corp.contoso.com', 'corp.contoso.com']);
    expect(registrySuffixes(firstKey(fixture('reg-tcpip-domain-only.txt')))).toEqual(['ad.fabrikam.co.uk']);
    expect(await systemSearchSuffixes('win32', () => async () => firstKey(fixture('reg-tcpip-parameters.txt')))).toEqual(['eu.corp.contoso.com', 'corp.contoso.com']);
  });

  it('devolves each suffix to its registrable domain and never above it', () => {
    expect(wpadNames(['eu.corp.contoso.com', 'corp.contoso.com'])).toEqual(['wpad.eu.corp.contoso.com', 'wpad.corp.contoso.com', 'wpad.contoso.com']);
    expect(wpadNames(['ad.fabrikam.co.uk'])).toEqual(['wpad.ad.fabrikam.co.uk', 'wpad.fabrikam.co.uk']);
    // A public suffix is never asked (wpad.com, wpad.co.uk belong to anyone); a single-label AD domain is, as Windows does.
    expect(wpadNames(['com', 'co.uk'])).toEqual([]);
    expect(wpadNames(['corp'])).toEqual(['wpad.corp']);
  });
});
