// The console summary as a person reads it: one line per cause with its consequences under it, lines that fit
// the terminal, this machine apart from the endpoints, what was not tested and how to test it, the totals last.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult, RunDocument } from '../model/result.js';
import { renderConsole } from '../reporters/console.js';
import { bounded } from '../reporters/wrap.js';
import { runPreflight } from './support/cli.js';
import {
  clockPass, dnsFailure, httpThroughDeadProxy, proxyDown, result, runDocument, skippedBehind, tcpThroughDeadProxy,
} from './support/documents.js';

const lines = (results: CheckResult[], width = 80): string[] =>
  renderConsole(runDocument(results), { color: false, width }).replace(/\n$/, '').split('\n');

/** The lines of one section: from its heading to the blank line that ends it. */
function section(output: readonly string[], heading: RegExp): string[] {
  const start = output.findIndex((line) => heading.test(line));
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = output.indexOf('', start);
  return output.slice(start, end < 0 ? undefined : end);
}

const HOSTS = [
  'login.microsoftonline.com', 'autoupdate.msappproxy.net', 'lab-namespace.servicebus.windows.net', 'www.microsoft.com',
  'login.windows.net', 'management.azure.com', 'graph.microsoft.com',
];

describe('a dead proxy', () => {
  const tcps = HOSTS.map(tcpThroughDeadProxy);
  const tlsSkips = tcps.map((tcp) => skippedBehind(tcp, { id: tcp.id.replace('tcp:', 'tls:'), check: 'tls', host: tcp.host, port: 443 }));
  const http = httpThroughDeadProxy('crl.microsoft.com');
  const results = [...tcps.flatMap((tcp, i) => [tcp, tlsSkips[i]!]), http, proxyDown, clockPass];
  const output = lines(results);

  it('prints it once with its remediation, the failures through it counted and the first few under it', () => {
    expect(section(output, /^This machine$/)).toEqual([
      'This machine',
      '  ✖ proxy  http://proxy.corp.example:8080  PROXY_UNREACHABLE  proxy',
      '      http://proxy.corp.example:8080 (from --proxy): cannot connect to proxy',
      '      http://proxy.corp.example:8080: connection refused (RST): nothing listens,',
      '      or a firewall rejects',
      "      → Check the proxy's address and port in --proxy, and allow this machine to",
      '        reach it on TCP 8080.',
      '      through this proxy: 8 failed, 7 not run (tls)',
      '        ✖ tcp  login.microsoftonline.com  port 443  PROXY_UNREACHABLE',
      '        ✖ tcp  autoupdate.msappproxy.net  port 443  PROXY_UNREACHABLE',
      '        ✖ tcp  lab-namespace.servicebus.windows.net  port 443  PROXY_UNREACHABLE',
      '        ✖ tcp  www.microsoft.com  port 443  PROXY_UNREACHABLE',
      '        ✖ tcp  login.windows.net  port 443  PROXY_UNREACHABLE',
      '        and 3 more through this proxy',
      "  ✔ clock  CLOCK_OK  this machine's clock agrees with the Date headers of 4",
      '      server answers (median: within a second)',
    ]);
  });

  it('shows no consequence a second time, and counts the skips behind it once', () => {
    expect(output.filter((line) => line.includes('PROXY_UNREACHABLE'))).toHaveLength(6);
    expect(output.some((line) => /^Failures/.test(line))).toBe(false);
    expect(section(output, /^Not tested/)).toEqual(['Not tested (7)', '  7 checks not run because of the findings above']);
  });

  it('keeps this machine out of the per-host table: neither its hostname nor the proxy is a row', () => {
    const table = section(output, /^By host$/);
    expect(table).toHaveLength(2 + 8);
    expect(table.some((line) => line.includes('agent-01') || line.includes('proxy.corp.example'))).toBe(false);
    expect(output[0]).toBe('egress-preflight 0.1.0 · profile entra-provisioning-agent · 17 checks on 8 hosts');
  });

  it('ends with the totals, alone on the last line', () => {
    expect(output.at(-1)).toBe('1 passed, 9 failed, 0 warned, 7 skipped');
    expect(output.at(-2)).toBe('');
  });
});

describe('an inspecting device and the handshake it broke', () => {
  const where = { host: 'autoupdate.msappproxy.net', address: '203.0.113.7', port: 443 };
  const untrusted = result({
    id: 'tls:autoupdate.msappproxy.net@203.0.113.7:443', check: 'tls', ...where, status: 'fail', code: 'TLS_UNTRUSTED',
    message: 'the chain leads to "Zscaler Root CA", which neither the bundled roots nor --ca-file contain',
    remediation: 'If a device on the path re-signs TLS, exempt the host from inspection there.',
  });
  const inspected = result({
    id: 'inspection:autoupdate.msappproxy.net@203.0.113.7:443', check: 'inspection', ...where, status: 'fail', code: 'TLS_INSPECTED',
    message: 'TLS is inspected: the certificate comes from "Zscaler Intermediate Root CA" (zscaler)',
    remediation: 'Exempt autoupdate.msappproxy.net from TLS inspection on Zscaler Internet Access.',
  });
  const output = lines([untrusted, inspected]);

  it('shows the inspection finding with its remediation, the untrusted handshake under it', () => {
    expect(section(output, /^Failures/)).toEqual([
      'Failures (2)',
      '  ✖ inspection  autoupdate.msappproxy.net  203.0.113.7:443  TLS_INSPECTED  TLS',
      '      is inspected: the certificate comes from "Zscaler Intermediate Root CA"',
      '      (zscaler)',
      '      → Exempt autoupdate.msappproxy.net from TLS inspection on Zscaler Internet',
      '        Access.',
      '      behind this inspection: 1 failed',
      '        ✖ tls  autoupdate.msappproxy.net  203.0.113.7:443  TLS_UNTRUSTED',
    ]);
  });
});

describe('one reset seen by tcp and by http', () => {
  const tcp = result({
    id: 'tcp:crl.microsoft.com@203.0.113.15:80', check: 'tcp', host: 'crl.microsoft.com', address: '203.0.113.15', port: 80, status: 'fail', code: 'TCP_RESET',
    message: '203.0.113.15:80: the connection was reset right after it opened',
    remediation: 'A device accepts, then resets the connection: check IPS policies for outbound TCP 80.',
  });
  const http = result({
    id: 'http:http://crl.microsoft.com/', check: 'http', host: 'crl.microsoft.com', port: 80, url: 'http://crl.microsoft.com/', status: 'fail', code: 'TCP_RESET',
    message: 'http://crl.microsoft.com/: 203.0.113.15:80: the connection was reset right after it opened',
    remediation: 'A device accepts, then resets the connection: check IPS policies for outbound TCP 80.',
  });
  const output = lines([tcp, http]);

  it('gives the reset and its advice once, on the tcp check, with the http check under it', () => {
    expect(section(output, /^Failures/)).toEqual([
      'Failures (2)',
      '  ✖ tcp  crl.microsoft.com  203.0.113.15:80  TCP_RESET  203.0.113.15:80: the',
      '      connection was reset right after it opened',
      '      → A device accepts, then resets the connection: check IPS policies for',
      '        outbound TCP 80.',
      '      on this connection: 1 failed',
      '        ✖ http  crl.microsoft.com  http://crl.microsoft.com/  TCP_RESET',
    ]);
  });
});

describe('every name failing DNS the same way', () => {
  const names = [
    'login.microsoftonline.com', 'autoupdate.msappproxy.net', 'lab-namespace.servicebus.windows.net', 'www.microsoft.com',
    'login.windows.net', 'management.azure.com', 'graph.microsoft.com', 'crl3.digicert.com', 'crl4.digicert.com',
    'ocsp.digicert.com', 'crl.microsoft.com',
  ];
  const dns = names.map((name) => dnsFailure(name, 'DNS_NXDOMAIN', '10.0.0.53'));
  const skips = dns.map((d) => skippedBehind(d, { id: `tcp:${d.host}:443`, check: 'tcp', host: d.host, port: 443 }));
  const output = lines([...dns.flatMap((d, i) => [d, skips[i]!]), clockPass]);

  it('says so once, names the resolver, and gives one remediation, not eleven', () => {
    expect(section(output, /^Failures/)).toEqual([
      'Failures (11)',
      '  ✖ dns  the resolver 10.0.0.53 resolves none of the public names (DNS_NXDOMAIN',
      '      for all 11)',
      '      → When no name resolves, the resolver is more likely the cause than every',
      '        name: check that it forwards queries for internet names (its forwarders',
      '        or root hints) and holds no local zone that overrides them, or name a',
      '        resolver that does with --resolver.',
      '      names: login.microsoftonline.com, autoupdate.msappproxy.net,',
      '        lab-namespace.servicebus.windows.net, www.microsoft.com,',
      '        login.windows.net and 6 more',
      '      for these names: 11 not run (tcp)',
    ]);
    expect(output.filter((line) => line.includes('Check the spelling'))).toEqual([]);
    expect(lines([...dns, ...skips], 120)).toContain('  ✖ dns  the resolver 10.0.0.53 resolves none of the public names (DNS_NXDOMAIN for all 11)');
  });

  it('says the resolver answers for none of them when it never answered', () => {
    const timeouts = names.slice(0, 3).map((name) => dnsFailure(name, 'DNS_TIMEOUT', '10.0.0.53'));
    expect(lines(timeouts, 120)).toContain('  ✖ dns  the resolver 10.0.0.53 answers for none of the public names (DNS_TIMEOUT for all 3)');
  });

  it('lists each failure on its own when one name fails differently', () => {
    const mixed = lines([...dns.slice(1), dnsFailure('other.example.com', 'DNS_SERVFAIL', '10.0.0.53')]);
    expect(mixed.filter((line) => /^ {2}✖ dns {2}/.test(line))).toHaveLength(11);
    expect(mixed.some((line) => line.includes('resolves none'))).toBe(false);
  });
});

describe('wrapping at the terminal width', () => {
  const url = `http://crl.microsoft.com/pki/crl/products/${'a'.repeat(90)}.crl`;
  const stale = result({
    id: `crl:${url}`, check: 'crl', host: 'crl4.digicert.com', url: 'http://crl4.digicert.com/DigiCertGlobalRootG2.crl', status: 'warn', code: 'CRL_STALE',
    message: 'http://crl4.digicert.com/DigiCertGlobalRootG2.crl: the CRL of "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root G2" is stale: ' +
      'its nextUpdate 2026-11-26T04:30:24.000Z passed 3 d ago; the certificate\'s other distribution point http://crl3.digicert.com/DigiCertGlobalRootG2.crl ' +
      'serves a valid CRL, so revocation checking succeeds after this one fails',
    remediation: 'The agent rejects an expired CRL: unless another distribution point of the same certificates serves a current one, every certificate it covers then fails revocation checking.',
  });
  const unbreakable = result({
    id: 'http:long', check: 'http', host: 'crl.microsoft.com', url, status: 'fail', code: 'HTTP_STATUS',
    message: `${url}: the server answered 404 Not Found`, remediation: `Check what answers for crl.microsoft.com on port 80.`,
  });
  const results = [stale, unbreakable, clockPass];

  for (const width of [80, 120]) {
    it(`keeps every line within ${width} columns, except a single word longer than a line`, () => {
      const output = lines(results, width);
      const tooLong = output.filter((line) => Array.from(line).length > width);
      expect(tooLong.length).toBeGreaterThan(0);
      for (const line of tooLong) expect([url, `${url}:`]).toContain(line.trim());
    });
  }

  it('cuts nothing: the whole message and remediation are there, at word boundaries, with a hanging indent', () => {
    for (const width of [80, 120]) {
      const output = lines(results, width);
      const start = output.findIndex((line) => line.startsWith('  ! crl'));
      const end = output.findIndex((line, i) => i > start && line.includes('→'));
      const block = output.slice(start, end);
      expect(block.slice(1).every((line) => line.startsWith('      ') && !line.startsWith('       '))).toBe(true);
      // A break replaces the spaces it falls on; every word is there, in order.
      const words = (text: string) => text.split(/\s+/).filter((word) => word !== '');
      expect(words(block.join(' '))).toEqual(words(`! crl crl4.digicert.com http://crl4.digicert.com/DigiCertGlobalRootG2.crl CRL_STALE ${stale.message}`));
      const remediation = output.slice(end, output.indexOf('', end));
      expect(words(remediation.join(' '))).toEqual(words(`→ ${stale.remediation}`));
    }
  });

  it('wraps the warning at 80 exactly so', () => {
    expect(section(lines(results), /^Warnings/)).toEqual([
      'Warnings (1)',
      '  ! crl  crl4.digicert.com  http://crl4.digicert.com/DigiCertGlobalRootG2.crl',
      '      CRL_STALE  http://crl4.digicert.com/DigiCertGlobalRootG2.crl: the CRL of',
      '      "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root G2" is',
      '      stale: its nextUpdate 2026-11-26T04:30:24.000Z passed 3 d ago; the',
      "      certificate's other distribution point",
      '      http://crl3.digicert.com/DigiCertGlobalRootG2.crl serves a valid CRL, so',
      '      revocation checking succeeds after this one fails',
      '      → The agent rejects an expired CRL: unless another distribution point of',
      '        the same certificates serves a current one, every certificate it covers',
      '        then fails revocation checking.',
    ]);
  });

  it('says when warnings fail the run (--fail-on warning)', () => {
    const output = renderConsole(runDocument(results), { color: false, width: 80, failOn: ['failure', 'warning'] }).split('\n');
    expect(output).toContain('Warnings (1), failing the run: --fail-on warning');
  });
});

describe('what was not tested', () => {
  const placeholder = (host: string, vars: string[]) => {
    const dns = result({
      id: `dns:${host}`, check: 'dns', host, status: 'skip', code: 'SKIPPED_PREREQUISITE', durationMs: 0,
      message: `not run: ${host} needs ${vars.map((v) => `--var ${v}=…`).join(' ')}`,
      evidence: { prerequisite: `${host} needs a value`, missingVars: vars },
    });
    return [dns, skippedBehind(dns, { id: `tcp:${host}:443`, check: 'tcp', host, port: 443 })];
  };
  const responder = (url: string) => result({
    id: `ocsp:${url}`, check: 'ocsp', host: new URL(url).hostname, url, status: 'skip', code: 'SKIPPED_PREREQUISITE', durationMs: 0,
    message: 'not run: no live certificate names this responder', evidence: { prerequisite: 'no live certificate names this responder' },
  });
  const failed = dnsFailure('gone.example.com', 'DNS_NXDOMAIN', '10.0.0.53');
  const results = [
    ...placeholder('{tenant}.msappproxy.net', ['tenant']),
    ...placeholder('{tenant}.servicebus.windows.net', ['tenant']),
    ...placeholder('{region}.{tenant}.example.net', ['region', 'tenant']),
    responder('http://ocsp.digicert.com/'), responder('http://oneocsp.microsoft.com/'),
    failed, skippedBehind(failed, { id: 'tcp:gone.example.com:443', check: 'tcp', host: 'gone.example.com', port: 443 }),
    { ...clockPass, status: 'skip' as const, code: 'SKIPPED_PREREQUISITE' as const, message: 'not run: no HTTP answer of this run carried a Date header' },
  ];
  const output = lines(results);

  it('groups skips by reason, with the exact --var that would test each placeholder host, once per variable', () => {
    expect(section(output, /^Not tested/)).toEqual([
      'Not tested (9)',
      '  - 6 checks on 3 hosts wait for a placeholder value:',
      '      --var tenant=<value> would test {tenant}.msappproxy.net,',
      '        {tenant}.servicebus.windows.net, {region}.{tenant}.example.net',
      '      --var region=<value> would test {region}.{tenant}.example.net',
      '  - 2 checks: no live certificate names this responder',
      '      ocsp http://ocsp.digicert.com/, ocsp http://oneocsp.microsoft.com/',
      '  1 check not run because of the findings above',
    ]);
  });

  it('says when skips fail the run (--fail-on skip)', () => {
    const gated = renderConsole(runDocument(results), { color: false, width: 80, failOn: ['failure', 'skip'] }).split('\n');
    expect(gated).toContain('Not tested (9), failing the run: --fail-on skip');
  });

  it('shows the skipped clock with this machine, not among the endpoints', () => {
    expect(section(output, /^This machine$/)).toEqual([
      'This machine',
      '  - clock  SKIPPED_PREREQUISITE  not run: no HTTP answer of this run carried a',
      '      Date header',
    ]);
    expect(output.at(-1)).toBe('0 passed, 1 failed, 0 warned, 10 skipped');
  });
});

describe('colour', () => {
  const results = [tcpThroughDeadProxy('login.microsoftonline.com'), proxyDown, clockPass];

  it('only when asked, only SGR sequences, and the same text once they are removed', () => {
    const plain = renderConsole(runDocument(results), { color: false, width: 80 });
    const colored = renderConsole(runDocument(results), { color: true, width: 80 });
    expect(plain).not.toContain('\x1b');
    expect(colored).toContain('\x1b[31m✖\x1b[0m');
    expect(colored).toContain('\x1b[31mPROXY_UNREACHABLE\x1b[0m');
    expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });
});

describe('preflight lab, as a CI log shows it (not a terminal: 80 columns)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'console-lab-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The console summary of a run: from its header line to the totals line, which it must contain. */
  function summaryOf(stdout: string): string[] {
    const all = stdout.split('\n');
    const start = all.findIndex((line) => line.startsWith('egress-preflight '));
    const end = all.findIndex((line) => /^\d+ passed, \d+ failed, \d+ warned, \d+ skipped$/.test(line));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    return all.slice(start, end + 1);
  }

  /** Lines longer than 80 columns that are more than one unbreakable word. */
  const overlong = (summary: readonly string[]) => summary.filter((line) => Array.from(line).length > 80 && /\S\s+\S/.test(line.trim()));

  it('groups the lab\'s faults under their causes, this machine apart, within 80 columns', async () => {
    // A long step deadline: the lab's faults, not a loaded machine's timeouts, are what this test reads.
    const json = path.join(work, 'lab.json');
    const run = await runPreflight(['lab', '--timeout', '30000', '--json', json], { cwd: work });
    const summary = summaryOf(run.stdout);
    // What the CLI printed is the console renderer at 80 columns, without colour, on the run's own document.
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    expect(summary).toEqual(renderConsole(doc, { color: false, width: 80 }).replace(/\n$/, '').split('\n'));
    expect(overlong(summary)).toEqual([]);
    const inspection = summary.findIndex((line) => /^ {2}✖ inspection {2}autoupdate\.msappproxy\.net {2}\S+:443 {2}TLS_INSPECTED/.test(line));
    const behind = summary.indexOf('      behind this inspection: 1 failed', inspection);
    expect(inspection).toBeGreaterThan(0);
    expect(summary[behind + 1]).toMatch(/^ {8}✖ tls {2}autoupdate\.msappproxy\.net {2}\S+:443 {2}TLS_UNTRUSTED$/);
    // The IPS resets right after the handshake; on a loaded machine the tcp check may see the connection open
    // before the reset comes. Where both saw the reset, the http check sits under the tcp one.
    const tcpReset = doc.results.find((r) => r.check === 'tcp' && r.host === 'crl.microsoft.com');
    if (tcpReset?.code === 'TCP_RESET') {
      const connection = summary.indexOf('      on this connection: 1 failed');
      expect(summary[connection + 1]).toBe('        ✖ http  crl.microsoft.com  http://crl.microsoft.com/  TCP_RESET');
    }
    expect(summary.filter((line) => line.includes('TLS_UNTRUSTED'))).toHaveLength(1);
    expect(section(summary, /^This machine$/)[1]).toMatch(/^ {2}✔ clock {2}CLOCK_OK {2}/);
    expect(section(summary, /^By host$/).some((line) => line.includes(` ${os.hostname()} `) || line.endsWith(os.hostname()))).toBe(false);
  }, 120_000);

  it('puts a dead proxy above everything that failed through it', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const run = await runPreflight(['lab', '--timeout', '30000', '--proxy', `http://127.0.0.1:${port}`], { cwd: work });
    const summary = summaryOf(run.stdout);
    expect(overlong(summary)).toEqual([]);
    const machine = section(summary, /^This machine$/);
    expect(machine[1]).toBe(`  ✖ proxy  http://127.0.0.1:${port}  PROXY_UNREACHABLE  proxy`);
    expect(machine).toContainEqual(expect.stringMatching(/^ {6}through this proxy: \d+ failed, \d+ not run \(/));
    expect(machine).toContainEqual(expect.stringMatching(/^ {8}and \d+ more through this proxy$/));
    expect(summary.filter((line) => /^ {2}✖ \S+ .*PROXY_UNREACHABLE/.test(line))).toHaveLength(1);
  }, 120_000);
});

describe('a genuinely huge server string', () => {
  it('is shortened at a word boundary with "…" rather than flooding the terminal; shorter text is left whole', () => {
    const page = Array.from({ length: 800 }, (_, i) => `word${i}`).join(' ');
    const huge = result({ id: 'http:x', check: 'http', host: 'x.example', status: 'fail', code: 'HTTP_BLOCK_PAGE', message: `a page titled "${page}"` });
    const text = lines([huge], 120).join(' ');
    expect(text).toMatch(/ word\d+…/);
    expect(text).not.toContain('word799');
    expect(bounded('short enough', 2000)).toBe('short enough');
    expect(bounded('alpha beta gamma delta', 15)).toBe('alpha beta…');
  });
});
