// Where the proxy comes from: option, config, agent config file, environment; NO_PROXY forms; .NET bypass
// patterns; redaction of credentials in every display string and error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import type { ProxyPlan } from '../config/plan.js';
import { bypassesProxy, proxyEndpoint, readAgentConfigFile, redactUrl, resolveProxy, type ProxyInputs } from '../config/proxy-settings.js';

const directory = mkdtempSync(join(tmpdir(), 'proxy-settings-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeAgentConfig(name: string, text: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** resolveProxy with an agent config file read from disk. */
function resolveWithAgentConfig(text: string, extra: Partial<ProxyInputs> = {}): ProxyPlan | null {
  const path = writeAgentConfig('agent.config', text);
  return resolveProxy({ env: {}, ...extra, agentConfig: readAgentConfigFile(path) });
}

function usageErrorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const defaultProxy = (inner: string, attributes = 'enabled="true"') =>
  `<configuration><system.net><defaultProxy ${attributes}>${inner}</defaultProxy></system.net></configuration>`;

// As the provisioning agent installs it, plus what an administrator adds: a BOM, comments (one holding an
// outdated proxy), CDATA, entities, attributes in another order and quote style, and a bypass list.
const PROVISIONING_AGENT_CONFIG = `\uFEFF<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <configSections>
    <section name="agentSettings" type="System.Configuration.NameValueSectionHandler, System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089" />
  </configSections>
  <startup>
    <supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.7.2" />
  </startup>
  <appSettings>
    <add key="TraceFilename" value="AADConnectProvisioningAgent.log" />
    <add key="Banner" value="Provisioning &amp; sync &#x2014; &quot;prod&quot;" />
  </appSettings>
  <agentSettings><![CDATA[ <defaultProxy enabled="false"/> is not markup here ]]></agentSettings>
  <runtime>
    <assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1">
      <dependentAssembly>
        <assemblyIdentity name="Newtonsoft.Json" publicKeyToken="30ad4fe6b2a6aeed" culture="neutral" />
        <bindingRedirect oldVersion="0.0.0.0-13.0.0.0" newVersion="13.0.0.0" />
      </dependentAssembly>
    </assemblyBinding>
  </runtime>
  <!-- 2023 change CHG0042: old proxy, kept for reference
  <system.net><defaultProxy><proxy proxyaddress="http://oldproxy.contoso.com:3128" /></defaultProxy></system.net>
  -->
  <system.net>
    <defaultProxy useDefaultCredentials='true' enabled = "True">
      <proxy
        usesystemdefault='false'
        bypassonlocal="true"
        proxyaddress="http://proxy.contoso.com:8080" />
      <bypasslist>
        <add address="[a-z]+\\.contoso\\.com$" />
        <add address='192\\.168\\.\\d{1,3}\\.\\d{1,3}' />
        <add address="retired\\.example" />
        <remove address="retired\\.example" />
        <add address="(?i)PORTAL\\.fabrikam\\.com:8443$" />
      </bypasslist>
    </defaultProxy>
  </system.net>
</configuration>
`;

describe('where the proxy comes from', () => {
  const env = { HTTPS_PROXY: 'http://envproxy.corp:3128' };

  it('takes --proxy before the config, the agent config and the environment', () => {
    const plan = resolveProxy({ option: 'http://cli.corp:8080', config: { file: 'corp.yaml', proxy: 'http://config.corp:8080' }, agentConfig: { path: 'a.config', text: PROVISIONING_AGENT_CONFIG }, env });
    expect(plan).toEqual({ url: 'http://cli.corp:8080', display: 'http://cli.corp:8080', source: 'option', bypass: [] });
  });

  it('takes the config before the agent config, and the agent config before the environment', () => {
    expect(resolveProxy({ config: { file: 'corp.yaml', proxy: 'http://config.corp:8080' }, agentConfig: { path: 'a.config', text: PROVISIONING_AGENT_CONFIG }, env })?.source).toBe('config');
    expect(resolveProxy({ agentConfig: { path: 'a.config', text: PROVISIONING_AGENT_CONFIG }, env })).toMatchObject({ url: 'http://proxy.contoso.com:8080', source: 'agent-config' });
  });

  it('reads HTTPS_PROXY, then HTTP_PROXY, lower case first; a bare host:port means http://', () => {
    expect(resolveProxy({ env })).toMatchObject({ url: 'http://envproxy.corp:3128', source: 'environment' });
    expect(resolveProxy({ env: { https_proxy: 'lower.corp:3128', HTTPS_PROXY: 'http://upper.corp:3128' } })?.url).toBe('http://lower.corp:3128');
    expect(resolveProxy({ env: { HTTP_PROXY: 'http://plain.corp:80/', https_proxy: '  ' } })?.url).toBe('http://plain.corp');
    expect(resolveProxy({ env: {} })).toBeNull();
  });

  it('--no-proxy ignores the environment but not explicit settings', () => {
    expect(resolveProxy({ env, ignoreEnvironment: true })).toBeNull();
    expect(resolveProxy({ env, ignoreEnvironment: true, option: 'http://cli.corp:8080' })?.source).toBe('option');
  });

  it('names the option, file or variable of a bad proxy URL in one line', () => {
    expect(usageErrorOf(() => resolveProxy({ option: 'https://tls.corp:443', env: {} })).message)
      .toBe('--proxy: https://tls.corp uses https://, but the agents speak plain HTTP to their proxy: use http://');
    expect(usageErrorOf(() => resolveProxy({ config: { file: 'corp.yaml', proxy: 'http://bad host:80' }, env: {} })).message)
      .toBe('corp.yaml: proxy: not a valid proxy URL (expected http://[user:pass@]host:port)');
    expect(usageErrorOf(() => resolveProxy({ env: { HTTPS_PROXY: 'http://proxy:99999' } })).message).toMatch(/^HTTPS_PROXY: not a valid proxy URL/);
    expect(usageErrorOf(() => resolveProxy({ option: ' ', env: {} })).message).toBe('--proxy: the proxy URL is empty (expected http://[user:pass@]host:port)');
    // An explicit setting is checked even when a higher one wins.
    expect(() => resolveProxy({ option: 'http://ok.corp:8080', config: { file: 'corp.yaml', proxy: 'socks5://x:1080' }, env: {} })).toThrow(UsageError);
  });
});

describe('credentials', () => {
  it('keeps the user name and replaces the password in display strings', () => {
    const plan = resolveProxy({ option: 'http://user:secret@127.0.0.1:3128', env: {} });
    expect(plan).toEqual({ url: 'http://user:secret@127.0.0.1:3128', display: 'http://user:***@127.0.0.1:3128', source: 'option', bypass: [] });
    expect(redactUrl('http://DOMAIN%5Cuser:p%40ss@proxy:8080/ignored?token=abc')).toBe('http://DOMAIN%5Cuser:***@proxy:8080');
    expect(redactUrl('http://user@proxy:8080')).toBe('http://user@proxy:8080');
    expect(redactUrl('user:secret/with@slash@proxy:8080')).toBe('***@proxy:8080');
  });

  it('decodes credentials for the proxy endpoint', () => {
    expect(proxyEndpoint('http://DOMAIN%5Cuser:p%40ss@[::1]:3128')).toEqual({ host: '::1', port: 3128, username: 'DOMAIN\\user', password: 'p@ss' });
    expect(proxyEndpoint('http://proxy.corp')).toMatchObject({ host: 'proxy.corp', port: 80, username: '', password: '' });
  });

  it('never puts the password into an error message', () => {
    const messages = [
      usageErrorOf(() => resolveProxy({ option: 'http://user:secret@127.0.0.1:99999', env: {} })).message,
      usageErrorOf(() => resolveProxy({ option: 'https://user:secret@127.0.0.1:3128', env: {} })).message,
      usageErrorOf(() => resolveProxy({ option: 'http://user:secret@', env: {} })).message,
      usageErrorOf(() => resolveProxy({ env: { HTTPS_PROXY: 'ftp://user:secret@proxy:21' } })).message,
      usageErrorOf(() => resolveWithAgentConfig(defaultProxy('<proxy proxyaddress="https://user:secret@proxy:8080"/>'))).message,
    ];
    for (const message of messages) {
      expect(message).not.toContain('secret');
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(messages[1]).toContain('https://user:***@127.0.0.1:3128');
  });
});

describe('NO_PROXY', () => {
  const planWith = (noProxy: string): ProxyPlan => {
    const plan = resolveProxy({ env: { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy } });
    if (!plan) throw new Error('expected a plan');
    return plan;
  };

  it('matches a domain and its subdomains, with or without a leading dot or *.', () => {
    for (const entry of ['lab.test', '.lab.test', '*.lab.test']) {
      const plan = planWith(entry);
      expect(bypassesProxy(plan, 'lab.test', 443)).toBe(true);
      expect(bypassesProxy(plan, 'deep.sub.LAB.test.', 443)).toBe(true);
      expect(bypassesProxy(plan, 'notlab.test', 443)).toBe(false);
      expect(bypassesProxy(plan, 'lab.test.evil', 443)).toBe(false);
    }
  });

  it('reads lower case before upper case, and "*" bypasses everything', () => {
    const plan = resolveProxy({ env: { HTTPS_PROXY: 'http://proxy.corp:3128', no_proxy: '*', NO_PROXY: 'other.test' } });
    expect(plan?.bypass).toEqual(['*']);
    expect(bypassesProxy(plan!, 'anything.example', 80)).toBe(true);
  });

  it('limits host:port entries to that port', () => {
    const plan = planWith('internal.corp:8443, [::1]:443');
    expect(bypassesProxy(plan, 'app.internal.corp', 8443)).toBe(true);
    expect(bypassesProxy(plan, 'app.internal.corp', 443)).toBe(false);
    expect(bypassesProxy(plan, '::1', 443)).toBe(true);
    expect(bypassesProxy(plan, '[::1]', 80)).toBe(false);
  });

  it('matches IPv4 and IPv6 CIDRs and addresses against literal hosts and resolved addresses', () => {
    const plan = planWith('10.0.0.0/8 192.168.1.5,fd00::/8,::1');
    expect(bypassesProxy(plan, '10.20.30.40', 443)).toBe(true);
    expect(bypassesProxy(plan, '11.0.0.1', 443)).toBe(false);
    expect(bypassesProxy(plan, '192.168.1.5', 80)).toBe(true);
    expect(bypassesProxy(plan, '192.168.1.6', 80)).toBe(false);
    expect(bypassesProxy(plan, 'fd12:3456::1', 443)).toBe(true);
    expect(bypassesProxy(plan, '[::1]', 443)).toBe(true);
    expect(bypassesProxy(plan, 'intranet.corp', 443, '10.1.1.1')).toBe(true);
    expect(bypassesProxy(plan, 'intranet.corp', 443)).toBe(false);
    expect(bypassesProxy(plan, 'login.microsoftonline.com', 443, '20.190.160.1')).toBe(false);
  });

  it('ignores entries it cannot read and keeps the rest', () => {
    expect(planWith('$(hostname), host:notaport, 10.0.0.0/33, regex:.*, good.test, <local>').bypass).toEqual(['good.test', '<local>']);
  });
});

describe('the agent config file', () => {
  it('reads the proxy, bypassonlocal and the bypass list of a provisioning agent config', () => {
    const plan = resolveWithAgentConfig(PROVISIONING_AGENT_CONFIG, { env: { HTTPS_PROXY: 'http://envproxy.corp:3128' } });
    expect(plan).toEqual({
      url: 'http://proxy.contoso.com:8080',
      display: 'http://proxy.contoso.com:8080',
      source: 'agent-config',
      bypass: ['<local>', 'regex:[a-z]+\\.contoso\\.com$', 'regex:192\\.168\\.\\d{1,3}\\.\\d{1,3}', 'regex:(?i)PORTAL\\.fabrikam\\.com:8443$'],
    });
  });

  it('bypasses as .NET does: patterns against scheme://host[:port], local names, loopback literals', () => {
    const plan = resolveWithAgentConfig(PROVISIONING_AGENT_CONFIG)!;
    expect(bypassesProxy(plan, 'www.contoso.com', 443)).toBe(true);
    expect(bypassesProxy(plan, 'WWW.Contoso.com', 80)).toBe(true);
    expect(bypassesProxy(plan, 'www.contoso.com', 8443)).toBe(false); // "$" after .com: the port breaks it
    expect(bypassesProxy(plan, 'contoso.msappproxy.net', 443)).toBe(false);
    expect(bypassesProxy(plan, '192.168.10.20', 443)).toBe(true);
    expect(bypassesProxy(plan, 'portal.fabrikam.com', 8443)).toBe(true);
    expect(bypassesProxy(plan, 'portal.fabrikam.com', 443)).toBe(false);
    expect(bypassesProxy(plan, 'fileserver', 443)).toBe(true);
    expect(bypassesProxy(plan, 'localhost', 443)).toBe(true);
    expect(bypassesProxy(plan, '127.0.0.1', 443)).toBe(true);
    expect(bypassesProxy(plan, '2001:db8::1', 443)).toBe(false);
  });

  it('goes direct when the agent config disables its proxy, whatever the environment says', () => {
    expect(resolveWithAgentConfig(defaultProxy('<proxy proxyaddress="http://p:1"/>', 'enabled="false"'), { env: { HTTPS_PROXY: 'http://env:3128' } })).toBeNull();
    expect(resolveWithAgentConfig(defaultProxy('<proxy usesystemdefault="false"/>'))).toBeNull();
  });

  it('says so when the agent would use the Windows system proxy', () => {
    const path = writeAgentConfig('agent.config', defaultProxy('<proxy usesystemdefault="true"/>'));
    expect(usageErrorOf(() => resolveProxy({ env: {}, agentConfig: readAgentConfigFile(path) })).message).toBe(
      `${path}: <defaultProxy> names no proxyaddress and sets usesystemdefault="true": the agent then uses the Windows system proxy settings, which preflight cannot read: pass that proxy with --proxy`,
    );
    expect(usageErrorOf(() => resolveWithAgentConfig('<configuration><appSettings/></configuration>')).message)
      .toMatch(/agent\.config: no <system\.net><defaultProxy> element: the agent then uses the Windows system proxy settings/);
  });

  it('reads a UTF-16LE file with its BOM', () => {
    const path = writeAgentConfig('utf16.config', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(defaultProxy('<proxy proxyaddress="http://p16:8080"/>'), 'utf16le')]));
    expect(resolveProxy({ env: {}, agentConfig: readAgentConfigFile(path) })?.url).toBe('http://p16:8080');
  });

  it('names the file, and the line, of what it cannot read', () => {
    const missing = join(directory, 'missing.config');
    expect(usageErrorOf(() => readAgentConfigFile(missing)).message).toBe(`--agent-config ${missing}: cannot read it (no such file)`);
    expect(usageErrorOf(() => readAgentConfigFile(directory)).message).toBe(`--agent-config ${directory}: not a regular file`);
    expect(usageErrorOf(() => resolveWithAgentConfig('<configuration>\n<system.net>\n<defaultProxy>\n</system.net>\n</configuration>')).message)
      .toMatch(/agent\.config: line 4: <\/system\.net> closes <defaultProxy>$/);
    expect(usageErrorOf(() => resolveWithAgentConfig('<settings/>')).message).toMatch(/the root element is <settings>, not <configuration>/);
    expect(usageErrorOf(() => resolveWithAgentConfig(defaultProxy('<proxy proxyaddress="http://p:1" bypassonlocal="yes"/>'))).message)
      .toMatch(/line 1: <proxy bypassonlocal="yes"> is neither true nor false$/);
  });

  it('expands no entities: a DOCTYPE and unknown entities are refused', () => {
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE configuration [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<configuration/>`;
    expect(usageErrorOf(() => resolveWithAgentConfig(laughs)).message).toMatch(/line 2: a DOCTYPE or other declaration: refused, since it could define entities$/);
    expect(usageErrorOf(() => resolveWithAgentConfig(defaultProxy('<proxy proxyaddress="http://p:1&lol;"/>'))).message).toMatch(/the value of proxyaddress has a bad & reference$/);
  });

  it('refuses bypass patterns .NET rejects or that could backtrack without end, naming the entry', () => {
    const withPattern = (address: string) => usageErrorOf(() => resolveWithAgentConfig(defaultProxy(`<proxy proxyaddress="http://p:1"/><bypasslist><add address="${address}"/></bypasslist>`))).message;
    expect(withPattern('*.contoso.com')).toMatch(/agent\.config: line 1: bypasslist entry "\*\.contoso\.com" has a quantifier \(\*\) that follows nothing$/);
    expect(withPattern('(a+)+$')).toMatch(/repeats a group that itself repeats or alternates/);
    expect(withPattern('(a|aa)*b')).toMatch(/repeats a group that itself repeats or alternates/);
    expect(withPattern('.*.*.*x')).toMatch(/too many open-ended repeats/);
    expect(withPattern('a**')).toMatch(/nested quantifier/);
    expect(withPattern('(\\w)\\1')).toMatch(/uses \\1, which preflight does not support/);
    expect(withPattern('[a-z-[aeiou]]')).toMatch(/class subtraction/);
    expect(withPattern('(?=x)')).toMatch(/a group construct preflight does not support/);
  });

  it('translates the .NET forms it accepts', () => {
    const plan = resolveWithAgentConfig(defaultProxy(`<proxy proxyaddress="http://p:1"/><bypasslist>
      <add address="\\Ahttps://(?&lt;sub&gt;[a-z]+)\\.lab\\.test\\z"/><add address="x{2}\\.test"/><add address="[]c]d\\.test"/><add address=".*?\\.lazy\\.test"/>
    </bypasslist>`))!;
    expect(bypassesProxy(plan, 'www.lab.test', 443)).toBe(true);
    expect(bypassesProxy(plan, 'www.lab.test', 80)).toBe(false);
    expect(bypassesProxy(plan, 'www.lab.test.evil', 443)).toBe(false);
    expect(bypassesProxy(plan, 'xx.test', 443)).toBe(true);
    expect(bypassesProxy(plan, 'x.test', 443)).toBe(false);
    expect(bypassesProxy(plan, ']d.test', 443)).toBe(true);
    expect(bypassesProxy(plan, 'cd.test', 443)).toBe(true);
    expect(bypassesProxy(plan, 'a.lazy.test', 443)).toBe(true);
  });

  it('matches a pattern in bounded time on a long host', () => {
    const plan = resolveWithAgentConfig(defaultProxy(`<proxy proxyaddress="http://p:1"/><bypasslist><add address="[a-z]*[a-z]*x$"/></bypasslist>`))!;
    const started = performance.now();
    expect(bypassesProxy(plan, `${'a'.repeat(250)}.test`, 443)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
