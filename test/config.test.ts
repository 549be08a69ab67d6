import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { loadPlan, type PlanOptions } from '../config/load.js';
import { systemResolvers } from '../config/resolvers.js';
import type { PlannedEndpoint } from '../config/plan.js';
import { listProfiles, profilePath } from '../config/profiles.js';
import { CHECK_KINDS } from '../model/codes.js';

const dir = mkdtempSync(join(tmpdir(), 'preflight-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file into the test's temp directory and returns its name (relative to that directory). */
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

// A resolver is always given so that no test depends on this machine's /etc/resolv.conf.
function plan(options: PlanOptions = {}) {
  return loadPlan({ resolvers: ['192.0.2.53'], cwd: dir, ...options });
}

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(UsageError);
  const message = (error as UsageError).message;
  expect(message).not.toContain('\n');
  return message;
}

function endpointFor(endpoints: PlannedEndpoint[], wildcard: string, port = 443): PlannedEndpoint | undefined {
  return endpoints.find((endpoint) => endpoint.wildcard === wildcard && endpoint.ports.includes(port));
}

const PEM = rootCertificates[0] ?? '';

describe('built-in profiles', () => {
  it('loads the default profile when neither profile nor config is given', async () => {
    const result = await plan();
    expect(result.profile).toBe('entra-cloud-sync');
    // host (this machine's Windows prerequisites) is in the default set on Windows only; elsewhere --only names it.
    expect(result.checks).toEqual(CHECK_KINDS.filter((kind) => kind !== 'host' || process.platform === 'win32'));
    expect(result.timeouts).toEqual({ dns: 5000, connect: 5000, tls: 5000, http: 5000 });
    expect(result.concurrency).toBe(256);
    expect(result.proxy).toBeNull();
    expect(result.resolvers).toEqual([{ host: '192.0.2.53', port: 53 }]);
    expect(result.endpoints.map((endpoint) => endpoint.host)).toContain('login.windows.net');
    const optional = endpointFor(result.endpoints, '*.msappproxy.net', 8080);
    expect(optional).toMatchObject({ optional: true, tags: [], purpose: 'agent status every 10 minutes over port 8080 when 443 is unavailable' });
  });

  it('marks exactly one profile as the default', () => {
    expect(listProfiles().filter((profile) => profile.isDefault).map((profile) => profile.name)).toEqual(['entra-cloud-sync']);
  });

  it.each(listProfiles().map((profile) => profile.name))('%s validates and documents every endpoint', async (name) => {
    const result = await plan({ profile: name });
    expect(result.profile).toBe(name);
    expect(result.endpoints.length).toBeGreaterThan(0);
    for (const endpoint of result.endpoints) {
      expect(endpoint.purpose, endpoint.host).toBeTruthy();
      expect(endpoint.source, endpoint.host).toMatch(/ms\.date \d{4}-\d{2}-\d{2}|revision/);
      // A wildcard rule is never probed as written.
      expect(endpoint.host).not.toContain('*');
    }
    const summary = listProfiles().find((profile) => profile.name === name);
    expect(summary?.endpoints).toHaveLength(result.endpoints.length);
    expect(summary?.description).not.toBe('');
  });

  it('expects the Microsoft and DigiCert roots by the common names Node bundles', async () => {
    const bundled = new Set(rootCertificates.map((pem) => /CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1]));
    for (const profile of listProfiles()) {
      const { trust } = await plan({ profile: profile.name });
      expect(trust.expectedIssuers).toHaveLength(7);
      for (const issuer of trust.expectedIssuers) expect(bundled, issuer).toContain(issuer);
    }
  });

  it('keeps the entries the CA page dropped, tagged', async () => {
    const { endpoints } = await plan({ profile: 'entra-cloud-sync' });
    const tagged = endpoints.filter((endpoint) => endpoint.tags.includes('removed-from-ca-page-2024-10-08'));
    expect(tagged.map((endpoint) => endpoint.host).sort()).toEqual(['crl.microsoft.com', 'mscrl.microsoft.com', 'ocsp.msocsp.com']);
    expect(tagged.find((endpoint) => endpoint.host === 'ocsp.msocsp.com')?.expect).toBe('ocsp');
  });

  it('names the known profiles when asked for an unknown one', async () => {
    expect(await usageMessage(plan({ profile: 'nope' }))).toBe(
      'unknown profile "nope" (known: entra-cloud-sync, entra-connect-health, entra-private-network-connector)');
    expect(() => profilePath('../package')).toThrow(UsageError);
  });
});

describe('endpoints', () => {
  it('uses a documented sample while a placeholder is unfilled', async () => {
    const { endpoints } = await plan();
    expect(endpointFor(endpoints, '*.msappproxy.net')).toMatchObject({
      host: 'autoupdate.msappproxy.net', hostOrigin: 'sample', missingVars: [], tlsPorts: [443], expect: null, url: null,
    });
  });

  it('fills placeholders from --var', async () => {
    const { endpoints } = await plan({ vars: ['tenant=contoso'] });
    expect(endpointFor(endpoints, '*.msappproxy.net')).toMatchObject({
      host: 'contoso.msappproxy.net', hostOrigin: 'placeholder', missingVars: [],
    });
  });

  it('lists the missing vars when there is no sample', async () => {
    const { endpoints } = await plan();
    expect(endpointFor(endpoints, '*.servicebus.windows.net')).toMatchObject({
      host: '{namespace}.servicebus.windows.net', hostOrigin: 'placeholder', missingVars: ['namespace'],
    });
  });

  it('derives ports, TLS ports and expectations from URLs and host + ports', async () => {
    const config = file('shapes.yaml', [
      'endpoints:',
      '  - url: https://{tenant}.msappproxy.net',
      '  - url: http://crl3.digicert.com/DigiCertGlobalRootG2.crl',
      '  - url: http://ctldl.windowsupdate.com/',
      '  - url: http://ocsp.digicert.com/',
      '    expect: ocsp',
      '  - url: https://lab.test:8443/path',
      '  - host: login.microsoftonline.com',
      '    ports: [443, 80]',
      '  - host: bus.servicebus.windows.net',
      '    ports: [5671, 443]',
      '    expect: tls',
    ].join('\n'));
    const { endpoints, profile } = await plan({ config, vars: ['tenant=contoso'] });
    expect(profile).toBe('shapes.yaml');
    expect(endpoints.map(({ host, url, ports, tlsPorts, expect }) => ({ host, url, ports, tlsPorts, expect }))).toEqual([
      { host: 'contoso.msappproxy.net', url: 'https://contoso.msappproxy.net', ports: [443], tlsPorts: [443], expect: 'tls' },
      { host: 'crl3.digicert.com', url: 'http://crl3.digicert.com/DigiCertGlobalRootG2.crl', ports: [80], tlsPorts: [], expect: 'crl' },
      { host: 'ctldl.windowsupdate.com', url: 'http://ctldl.windowsupdate.com/', ports: [80], tlsPorts: [], expect: 'http' },
      { host: 'ocsp.digicert.com', url: 'http://ocsp.digicert.com/', ports: [80], tlsPorts: [], expect: 'ocsp' },
      { host: 'lab.test', url: 'https://lab.test:8443/path', ports: [8443], tlsPorts: [8443], expect: 'tls' },
      { host: 'login.microsoftonline.com', url: null, ports: [443, 80], tlsPorts: [443], expect: null },
      { host: 'bus.servicebus.windows.net', url: null, ports: [5671, 443], tlsPorts: [5671, 443], expect: null },
    ]);
  });

  it('refuses an expectation the URL cannot meet, at its line', async () => {
    const config = file('expect.yaml', 'endpoints:\n  - url: https://login.microsoftonline.com/\n    expect: crl\n');
    expect(await usageMessage(plan({ config }))).toBe(
      'expect.yaml:3: endpoints[0].expect: expect: crl needs an http:// URL (https gets the tls check)');
  });

  it('refuses a host that is not under its wildcard', async () => {
    const config = file('wild.yaml', 'endpoints:\n  - host: "{tenant}.example.net"\n    ports: [443]\n    wildcard: "*.msappproxy.net"\n');
    expect(await usageMessage(plan({ config }))).toBe(
      'wild.yaml:4: endpoints[0].wildcard: host "{tenant}.example.net" is not under *.msappproxy.net');
  });
});

describe('config files', () => {
  it('extends a profile: endpoints appended, settings overridden, command line on top', async () => {
    const config = file('corp.yaml', [
      'extends: entra-private-network-connector',
      'resolvers: ["10.0.0.53", "10.0.0.54:5353", "[fd00::53]:53"]',
      'proxy: http://user:secret@proxy.corp:8080',
      'portMap: { 443: 8443 }',
      'vars: { tenant: fromconfig, namespace: corpbus }',
      'sinkholes: ["146.112.61.104"]',
      'timeouts: { dns: 3000 }',
      'concurrency: 16',
      'trust:',
      '  expectedIssuers: ["Corp Root"]',
      'endpoints:',
      '  - url: https://intranet.corp/',
      '    purpose: corporate check',
    ].join('\n'));
    const result = await plan({ config, resolvers: undefined });
    const base = await plan({ profile: 'entra-private-network-connector' });
    expect(result.profile).toBe('entra-private-network-connector');
    expect(result.endpoints).toHaveLength(base.endpoints.length + 1);
    expect(result.endpoints.at(-1)).toMatchObject({ host: 'intranet.corp', purpose: 'corporate check', hostOrigin: 'literal' });
    expect(endpointFor(result.endpoints, '*.msappproxy.net')?.host).toBe('fromconfig.msappproxy.net');
    expect(endpointFor(result.endpoints, '*.servicebus.windows.net')?.missingVars).toEqual([]);
    expect(result.resolvers).toEqual([
      { host: '10.0.0.53', port: 53 }, { host: '10.0.0.54', port: 5353 }, { host: 'fd00::53', port: 53 },
    ]);
    expect(result.proxy).toEqual({
      url: 'http://user:secret@proxy.corp:8080', display: 'http://user:***@proxy.corp:8080', source: 'config', bypass: [],
    });
    expect(result.portMap).toEqual({ '443': 8443 });
    expect(result.sinkholes).toEqual(['146.112.61.104']);
    expect(result.timeouts).toEqual({ dns: 3000, connect: 5000, tls: 5000, http: 5000 });
    expect(result.concurrency).toBe(16);
    expect(result.trust.expectedIssuers).toContain('Corp Root');
    expect(result.trust.expectedIssuers).toContain('DigiCert Global Root G2');

    const overridden = await plan({
      config, resolvers: ['[::1]:5300'], vars: ['tenant=fromcli'], portMap: ['80=8080'], timeout: 1000, concurrency: 4,
      proxy: 'http://proxy.cli:3128', only: 'tls,dns',
    });
    expect(overridden.resolvers).toEqual([{ host: '::1', port: 5300 }]);
    expect(endpointFor(overridden.endpoints, '*.msappproxy.net')?.host).toBe('fromcli.msappproxy.net');
    expect(overridden.portMap).toEqual({ '443': 8443, '80': 8080 });
    expect(overridden.timeouts).toEqual({ dns: 1000, connect: 1000, tls: 1000, http: 1000 });
    expect(overridden.concurrency).toBe(4);
    expect(overridden.proxy).toMatchObject({ display: 'http://proxy.cli:3128', source: 'option' });
    expect(overridden.checks).toEqual(['dns', 'tls']);
  });

  it('caps the CRL size at 20 MB unless limits.crlMaxBytes says otherwise', async () => {
    expect((await plan()).limits).toEqual({ crlMaxBytes: 20 * 1024 * 1024 });
    const config = file('limits.yaml', 'extends: entra-cloud-sync\nlimits:\n  crlMaxBytes: 1048576\n');
    expect((await plan({ config })).limits).toEqual({ crlMaxBytes: 1048576 });
    const bad = file('limits-bad.yaml', 'extends: entra-cloud-sync\nlimits:\n  crlMaxBytes: 0\n');
    expect(await usageMessage(plan({ config: bad }))).toBe('limits-bad.yaml:3: limits.crlMaxBytes: must be a whole number of bytes, at least 1');
    const unknown = file('limits-unknown.yaml', 'extends: entra-cloud-sync\nlimits:\n  ocspMaxBytes: 10\n');
    expect(await usageMessage(plan({ config: unknown }))).toBe('limits-unknown.yaml:3: limits: unknown key "ocspMaxBytes"');
  });

  it('lets --profile replace the profile a config extends', async () => {
    const config = file('site.yaml', 'extends: entra-private-network-connector\nvars: { namespace: corpbus }\n');
    const result = await plan({ config, profile: 'entra-connect-health' });
    const health = await plan({ profile: 'entra-connect-health' });
    expect(result.profile).toBe('entra-connect-health');
    expect(result.endpoints).toHaveLength(health.endpoints.length);
    expect(result.endpoints.filter((endpoint) => endpoint.wildcard === '*.servicebus.windows.net').map((endpoint) => endpoint.host))
      .toEqual(['corpbus.servicebus.windows.net', 'corpbus.servicebus.windows.net']);
    // A var only the replaced profile used would leave nothing filled: said, at its line.
    const connector = file('connector-site.yaml', 'extends: entra-private-network-connector\nvars:\n  tenant: contoso\n');
    expect(await usageMessage(plan({ config: connector, profile: 'entra-connect-health' }))).toBe(
      'connector-site.yaml:3: vars.tenant: no endpoint has {tenant}; placeholders in this plan: account, aadconnecthealth, namespace, adhybridhealth');
  });

  it('reads JSON configs, with line numbers in errors', async () => {
    const good = file('good.json', JSON.stringify({ endpoints: [{ host: 'login.windows.net', ports: [443] }] }, null, 2));
    expect((await plan({ config: good })).endpoints).toMatchObject([{ host: 'login.windows.net', tlsPorts: [443] }]);
    const bad = file('bad.json', '{\n  "endpoints": [\n    { "host": "a.test", "ports": [443] },\n    { "host": "b.test", "ports": [0] }\n  ]\n}\n');
    expect(await usageMessage(plan({ config: bad }))).toBe('bad.json:4: endpoints[1].ports[0]: must be a port number (1-65535)');
  });

  it('names file, line and key of an unknown key', async () => {
    const config = file('config.yaml', [
      'extends: entra-cloud-sync',
      'endpoints:',
      '  - host: a.test',
      '    ports: [443]',
      '  - url: http://b.test/',
      '  - host: c.test',
      '    prot: [443]',
    ].join('\n'));
    expect(await usageMessage(plan({ config }))).toBe('config.yaml:7: endpoints[2]: unknown key "prot"');
    const topLevel = file('top.yaml', 'extends: entra-cloud-sync\nresolver: ["10.0.0.1"]\n');
    expect(await usageMessage(plan({ config: topLevel }))).toBe('top.yaml:2: unknown key "resolver"');
  });

  it('explains schema errors in one line', async () => {
    const cases: [string, string][] = [
      ['endpoints:\n  - host: a.test\n', 'e1.yaml:2: endpoints[0]: needs either url, or host and ports'],
      ['endpoints:\n  - url: https://a.test/\n    host: a.test\n', 'e2.yaml:2: endpoints[0]: url cannot be combined with host or ports'],
      ['endpoints:\n  - url: http://a.test/\n    expect: dns\n', 'e3.yaml:3: endpoints[0].expect: must be one of crl, ocsp, http, tls'],
      ['extends: entra-cloud-sync\ntimeouts:\n  dns: fast\n', 'e4.yaml:3: timeouts.dns: must be a whole number of milliseconds, at least 1'],
      ['extends: entra-cloud-sync\nportMap:\n  https: 8443\n', 'e5.yaml:3: portMap: key "https" is not allowed: must map port numbers to port numbers, like { 443: 8443 }'],
      ['extends: entra-cloud-sync\nresolvers:\n  - dns.corp\n', 'e6.yaml:3: resolvers[0]: a resolver must be an IP address (a name would need a resolver itself)'],
      ['extends: nope\n', 'e7.yaml:1: extends: unknown profile "nope" (known: entra-cloud-sync, entra-connect-health, entra-private-network-connector)'],
      ['- just a list\n', 'e8.yaml:1: must be a mapping of settings (see config/schema.json)'],
      ['extends: entra-cloud-sync\nproxy: ftp://proxy\n', 'e9.yaml:2: proxy: ftp://proxy uses ftp://, but the agents speak plain HTTP to their proxy: use http://'],
    ];
    for (const [index, [text, message]] of cases.entries()) {
      expect(await usageMessage(plan({ config: file(`e${index + 1}.yaml`, text) }))).toBe(message);
    }
  });

  it('names the line of a YAML syntax error', async () => {
    const config = file('syntax.yaml', 'extends: entra-cloud-sync\nvars:\n  tenant: a: b\n');
    expect(await usageMessage(plan({ config }))).toBe(
      'syntax.yaml:3: YAML syntax error: Nested mappings are not allowed in compact mappings');
  });

  it('says when a config file cannot be read', async () => {
    expect(await usageMessage(plan({ config: 'missing.yaml' }))).toBe('cannot read config file missing.yaml: no such file');
  });

  it('wants something to check', async () => {
    expect(await usageMessage(plan({ config: file('empty.yaml', 'resolvers: ["10.0.0.1"]\n') }))).toBe(
      'empty.yaml: no endpoints to check (add endpoints: or extends: a profile)');
  });
});

describe('trust files', () => {
  it('reads CA files relative to the config file and to cwd for --ca-file', async () => {
    file('lab-roots.pem', PEM);
    const config = file('trust.yaml', 'extends: entra-cloud-sync\ntrust:\n  caFiles: [lab-roots.pem]\n');
    const result = await plan({ config: join(dir, config), cwd: '/', caFiles: [join(dir, 'lab-roots.pem')] });
    expect(result.trust.caPems).toEqual([PEM.trim()]);
  });

  it('refuses a CA file without a certificate', async () => {
    file('not-a-cert.pem', 'hello\n');
    expect(await usageMessage(plan({ caFiles: ['not-a-cert.pem'] }))).toBe('--ca-file not-a-cert.pem: no PEM certificate in it');
    const config = file('bad-trust.yaml', 'extends: entra-cloud-sync\ntrust:\n  caFiles:\n    - not-a-cert.pem\n');
    expect(await usageMessage(plan({ config }))).toBe('bad-trust.yaml:4: trust.caFiles[0]: not-a-cert.pem: no PEM certificate in it');
  });
});

describe('command-line values', () => {
  it('accepts IP resolvers with optional ports', async () => {
    const { resolvers } = await plan({ resolvers: ['10.0.0.53', '10.0.0.54:5353', '[2001:db8::53]:53', '2001:db8::54'] });
    expect(resolvers).toEqual([
      { host: '10.0.0.53', port: 53 }, { host: '10.0.0.54', port: 5353 },
      { host: '2001:db8::53', port: 53 }, { host: '2001:db8::54', port: 53 },
    ]);
  });

  it.each([
    ['dns.corp', '--resolver "dns.corp": a resolver must be an IP address (a name would need a resolver itself)'],
    ['10.0.0.53:0', '--resolver "10.0.0.53:0": port must be 1-65535'],
    ['10.0.0.53:99999', '--resolver "10.0.0.53:99999": port must be 1-65535'],
    ['[10.0.0.53]:53', '--resolver "[10.0.0.53]:53": expected IP[:PORT], IPv6 as [::1]:53'],
  ])('refuses the resolver %s', async (resolver, message) => {
    expect(await usageMessage(plan({ resolvers: [resolver] }))).toBe(message);
  });

  it.each(['443=abc', '443', '443=8443=1', '70000=80'])('refuses the port map %s', async (portMap) => {
    expect(await usageMessage(plan({ portMap: [portMap] }))).toBe(`--port-map "${portMap}": expected PORT=PORT[,PORT=PORT…]`);
  });

  it('refuses an unknown check kind', async () => {
    expect(await usageMessage(plan({ only: 'dns,ping' }))).toBe(
      `--only "dns,ping": unknown check kind "ping" (known: ${CHECK_KINDS.join(', ')})`);
  });

  it('refuses bad vars, timeouts, concurrency and proxies without echoing secrets', async () => {
    expect(await usageMessage(plan({ vars: ['tenant'] }))).toMatch(/^--var "tenant": expected KEY=VALUE/);
    expect(await usageMessage(plan({ vars: ['tenant=a b'] }))).toMatch(/^--var "tenant=a b": expected KEY=VALUE/);
    expect(await usageMessage(plan({ timeout: 0 }))).toBe('--timeout 0: expected a whole number of milliseconds, at least 1');
    expect(await usageMessage(plan({ concurrency: Number.NaN }))).toBe('--concurrency NaN: expected a whole number of operations, at least 1');
    expect(await usageMessage(plan({ proxy: 'socks5://user:secret@proxy:1080' }))).toBe('--proxy: socks5://user:***@proxy:1080 uses socks5://, but the agents speak plain HTTP to their proxy: use http://');
  });
});

describe('optional endpoints', () => {
  it('reads optional: true, false when not said; tags stay free-form', async () => {
    const config = file('optional.yaml', [
      'endpoints:',
      '  - host: status.lab.test',
      '    ports: [8080]',
      '    optional: true',
      '    tags: [status, optional]',
      '  - url: https://core.lab.test/',
    ].join('\n'));
    const { endpoints } = await plan({ config });
    expect(endpoints.map(({ host, optional, tags }) => ({ host, optional, tags }))).toEqual([
      { host: 'status.lab.test', optional: true, tags: ['status', 'optional'] },
      { host: 'core.lab.test', optional: false, tags: [] },
    ]);
    const bad = file('optional-bad.yaml', 'endpoints:\n  - host: status.lab.test\n    ports: [8080]\n    optional: "yes"\n');
    expect(await usageMessage(plan({ config: bad }))).toBe('optional-bad.yaml:4: endpoints[0].optional: must be true or false');
  });

  it('cloud sync: 8080 is optional, its 443 twin is not', async () => {
    const { endpoints } = await plan({ profile: 'entra-cloud-sync' });
    expect(endpointFor(endpoints, '*.msappproxy.net', 8080)).toMatchObject({ optional: true, ports: [8080] });
    expect(endpointFor(endpoints, '*.msappproxy.net', 443)).toMatchObject({ optional: false, ports: [443] });
    expect(endpoints.filter((endpoint) => endpoint.optional)).toHaveLength(1);
  });

  it('Connect Health: 5671 is optional (it falls back to 443), with a TLS handshake; 443 stays required', async () => {
    const { endpoints } = await plan({ profile: 'entra-connect-health', vars: ['namespace=corpbus'] });
    expect(endpointFor(endpoints, '*.servicebus.windows.net', 5671)).toMatchObject({
      host: 'corpbus.servicebus.windows.net', ports: [5671], tlsPorts: [5671], optional: true,
      purpose: 'Service Bus over AMQP (5671); the agent falls back to 443 when it is blocked',
      source: 'entra-docs docs/identity/hybrid/connect/how-to-connect-health-agent-install.md (ms.date 2023-11-06)',
    });
    expect(endpointFor(endpoints, '*.servicebus.windows.net', 443)).toMatchObject({ ports: [443], tlsPorts: [443], optional: false });
  });

  it('shows optional in the profile listing', () => {
    const sync = listProfiles().find((profile) => profile.name === 'entra-cloud-sync');
    expect(sync?.endpoints.filter((line) => line.includes('[optional;'))).toEqual([
      '{tenant}.msappproxy.net:8080  agent status every 10 minutes over port 8080 when 443 is unavailable [optional; *.msappproxy.net; sample autoupdate.msappproxy.net]',
    ]);
  });
});

describe('placeholders and vars', () => {
  const cloudSyncPlaceholders = 'tenant, namespace, microsoftonline, microsoft, msappproxy-com, windowsazure, cloudwebappproxy';

  it('refuses a --var that no endpoint has a placeholder for, naming those that exist', async () => {
    expect(await usageMessage(plan({ vars: ['tenant=contoso', 'tenantt=x'] }))).toBe(
      `--var tenantt=x: no endpoint has {tenantt}; placeholders in this plan: ${cloudSyncPlaceholders}`);
  });

  it('refuses a vars: key that no endpoint uses, at its line', async () => {
    const config = file('vars-typo.yaml', [
      'extends: entra-cloud-sync',
      'vars:',
      '  tenant: contoso',
      '  namepsace: corpbus',
    ].join('\n'));
    expect(await usageMessage(plan({ config }))).toBe(
      `vars-typo.yaml:4: vars.namepsace: no endpoint has {namepsace}; placeholders in this plan: ${cloudSyncPlaceholders}`);
  });

  it('a typo in a placeholder leaves the right var unused: refused, naming the typo', async () => {
    const config = file('placeholder-typo.yaml', 'endpoints:\n  - host: "{tenantt}.msappproxy.net"\n    ports: [443]\n');
    expect(await usageMessage(plan({ config, vars: ['tenant=contoso'] }))).toBe(
      '--var tenant=contoso: no endpoint has {tenant}; placeholders in this plan: tenantt');
  });

  it('says "none" when the plan has no placeholder at all', async () => {
    const config = file('no-placeholders.yaml', 'endpoints:\n  - host: login.windows.net\n    ports: [443]\n');
    expect(await usageMessage(plan({ config, vars: ['tenant=contoso'] }))).toBe(
      '--var tenant=contoso: no endpoint has {tenant}; placeholders in this plan: none');
  });

  it('takes a var for a placeholder of the profile a config extends', async () => {
    const config = file('vars-extends.yaml', 'extends: entra-connect-health\nvars: { account: corpstore }\n');
    const { endpoints } = await plan({ config });
    expect(endpointFor(endpoints, '*.blob.core.windows.net')).toMatchObject({ host: 'corpstore.blob.core.windows.net', missingVars: [] });
  });
});

describe('host forms', () => {
  it('keeps IP literals as hosts (IPv6 without brackets, URL with them)', async () => {
    const config = file('literals.yaml', [
      'endpoints:',
      '  - host: 127.0.0.1',
      '    ports: [443]',
      '  - url: https://[::1]:8443/',
      '  - host: "::1"',
      '    ports: [80]',
    ].join('\n'));
    const { endpoints } = await plan({ config });
    expect(endpoints.map(({ host, url, ports, unicodeHost }) => ({ host, url, ports, unicodeHost }))).toEqual([
      { host: '127.0.0.1', url: null, ports: [443], unicodeHost: null },
      { host: '::1', url: 'https://[::1]:8443/', ports: [8443], unicodeHost: null },
      { host: '::1', url: null, ports: [80], unicodeHost: null },
    ]);
  });

  it('converts internationalised names to punycode and keeps their Unicode form', async () => {
    const config = file('idn.yaml', [
      'endpoints:',
      '  - url: https://bücher.example/katalog',
      '  - host: Bücher.example',
      '    ports: [443]',
      '  - host: "{shop}.bücher.example"',
      '    ports: [443]',
      '  - host: xn--bcher-kva.example',
      '    ports: [80]',
    ].join('\n'));
    const { endpoints } = await plan({ config, vars: ['shop=north'] });
    expect(endpoints.map(({ host, url, unicodeHost }) => ({ host, url, unicodeHost }))).toEqual([
      { host: 'xn--bcher-kva.example', url: 'https://xn--bcher-kva.example/katalog', unicodeHost: 'bücher.example' },
      { host: 'xn--bcher-kva.example', url: null, unicodeHost: 'bücher.example' },
      { host: 'north.xn--bcher-kva.example', url: null, unicodeHost: 'north.bücher.example' },
      { host: 'xn--bcher-kva.example', url: null, unicodeHost: 'bücher.example' },
    ]);
  });

  it('refuses a name with no IDNA form, at its line and key', async () => {
    const combining = file('idn-bad.yaml', 'endpoints:\n  - host: "\u0301abc.example"\n    ports: [443]\n');
    expect(await usageMessage(plan({ config: combining }))).toBe(
      'idn-bad.yaml:2: endpoints[0].host: "\u0301abc.example" is not a valid internationalised host name ("\u0301abc" has no IDNA form)');
    const mixed = file('idn-placeholder.yaml', 'endpoints:\n  - url: https://{shop}-bücher.example/\n');
    expect(await usageMessage(plan({ config: mixed, vars: ['shop=north'] }))).toBe(
      'idn-placeholder.yaml:2: endpoints[0].url: "{shop}-bücher.example": a {placeholder} cannot share a label with non-ASCII characters');
    const spaced = file('idn-space.yaml', 'endpoints:\n  - host: "bü cher.example"\n    ports: [443]\n');
    expect(await usageMessage(plan({ config: spaced }))).toBe(
      'idn-space.yaml:2: endpoints[0].host: must be a host name or IP address; {name} placeholders and internationalised names are allowed');
  });
});

describe('systemResolvers', () => {
  it('reads nameservers from resolv.conf text', () => {
    const text = [
      '# generated by NetworkManager',
      'search corp.example',
      'nameserver 10.0.0.53',
      '; a comment',
      'nameserver   fe80::1%eth0   # link-local',
      'nameserver 2001:db8::53',
      'nameserver not-an-address',
      'options edns0',
    ].join('\n');
    expect(systemResolvers(text)).toEqual([
      { host: '10.0.0.53', port: 53 }, { host: 'fe80::1', port: 53 }, { host: '2001:db8::53', port: 53 },
    ]);
    expect(systemResolvers('')).toEqual([]);
  });
});
