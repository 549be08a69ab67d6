// The --html report, rendered from documents built by hand: self-contained, summary first with causes grouped, each
// host's DNS chain, verdicts per address, certificates beside the expected issuers, port-80 pages, the waterfall,
// and the catalogue's text for every failing code. Server text stays text.
import { describe, expect, it } from 'vitest';
import { parseResultDocument } from '../model/read-document.js';
import type { CertificateDescription, CheckResult } from '../model/result.js';
import { escapeHtml } from '../reporters/html/escape.js';
import { CONTENT_SECURITY_POLICY, renderHtml } from '../reporters/html/page.js';
import { renderJson } from '../reporters/json.js';
import { clockPass, httpThroughDeadProxy, proxyDown, result, runDocument, tcpThroughDeadProxy } from './support/documents.js';
import { HOSTILE, hostileDocument } from './support/hostile-document.js';

const LEAF = '11:'.repeat(31) + '11';
const ZSCALER = '22:'.repeat(31) + '22';

function cert(sha256: string, commonName: string, issuerCommonName: string): CertificateDescription {
  return {
    subject: `CN=${commonName}`, issuer: `CN=${issuerCommonName}`, commonName, issuerCommonName, serialNumber: '0A', notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z', sha256, signatureAlgorithm: 'sha256WithRSAEncryption', signatureDigest: 'sha256', keyType: 'rsa', keyBits: 2048,
    curve: null, isCertificateAuthority: false, sans: [], crlUrls: [], ocspUrls: [], caIssuersUrls: [], unreadableExtensions: [], unreadable: null,
  };
}

/** One host as the lab's inspected connector host: a 2-hop CNAME chain, tcp, a re-signed handshake, a block page. */
function inspectedHost(): CheckResult[] {
  const host = 'autoupdate.msappproxy.net';
  return [
    result({
      id: `dns:${host}`, check: 'dns', host, status: 'pass', code: 'DNS_OK', durationMs: 120, message: `${host} resolves through 2 CNAME hops to 203.0.113.7`,
      evidence: {
        chain: [
          { name: host, type: 'CNAME', value: 'x1.privatelink.identity.example.net', ttl: 300 },
          { name: 'x1.privatelink.identity.example.net', type: 'CNAME', value: 'x1.tm.edge.trafficmanager.net', ttl: 60 },
          { name: 'x1.tm.edge.trafficmanager.net', type: 'A', value: '203.0.113.7', ttl: 30 },
        ],
        addresses: ['203.0.113.7'], suffixes: ['msappproxy.net', 'example.net', 'edge.trafficmanager.net'], resolvers: ['10.0.0.53:53'], ede: [],
        purpose: 'connector to the cloud service', wildcard: '*.msappproxy.net',
      },
    }),
    result({ id: `tcp:${host}@203.0.113.7:443`, check: 'tcp', host, address: '203.0.113.7', port: 443, status: 'pass', code: 'TCP_OK', durationMs: 20, evidence: { connectMs: 20 } }),
    result({
      id: `tls:${host}@203.0.113.7:443`, check: 'tls', host, address: '203.0.113.7', port: 443, status: 'fail', code: 'TLS_UNTRUSTED', durationMs: 1480,
      message: 'the chain leads to "Zscaler Root CA"', remediation: 'Exempt the host from inspection.',
      evidence: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', connectMs: 80, handshakeMs: 1400, chain: [LEAF, ZSCALER] },
    }),
    result({
      id: `inspection:${host}@203.0.113.7:443`, check: 'inspection', host, address: '203.0.113.7', port: 443, status: 'fail', code: 'TLS_INSPECTED', durationMs: 0,
      message: 'TLS is inspected (zscaler)', remediation: 'Exempt autoupdate.msappproxy.net from TLS inspection on Zscaler.',
      evidence: {
        vendor: 'zscaler', observedIssuer: 'Zscaler Intermediate Root CA', chain: [LEAF, ZSCALER], pathEnd: 'missing-issuer',
        path: [{ sha256: LEAF, source: 'presented' }, { sha256: ZSCALER, source: 'presented' }], expectedIssuers: ['DigiCert Global Root G2', 'Microsoft RSA Root Certificate Authority 2017'],
      },
    }),
    result({
      id: 'http:http://autoupdate.msappproxy.net/', check: 'http', host, port: 80, url: 'http://autoupdate.msappproxy.net/', status: 'fail', code: 'HTTP_BLOCK_PAGE', durationMs: 300,
      message: 'an HTML page titled "Web Page Blocked"', remediation: 'Allow the URL in the web policy.',
      evidence: {
        fetch: { url: 'http://autoupdate.msappproxy.net/', hops: [{ url: 'http://autoupdate.msappproxy.net/', method: 'GET', proxy: null, connectMs: 40, answer: { status: 200, statusText: 'OK', headersMs: 60, contentType: 'text/html' } }], body: { readMs: 5 }, totalMs: 300 },
        page: { kind: 'html', title: 'Web Page Blocked', markers: ['text: web page blocked'], excerpt: null },
      },
    }),
  ];
}

function inspectedDocument() {
  return { ...runDocument([clockPass, ...inspectedHost()]), certificates: { [LEAF]: cert(LEAF, 'autoupdate.msappproxy.net', 'Zscaler Intermediate Root CA'), [ZSCALER]: cert(ZSCALER, 'Zscaler Intermediate Root CA', 'Zscaler Root CA') } };
}

/** The markup of the element that starts at the first match of `start` (up to `length` characters: enough for these fixtures). */
function sectionAfter(page: string, start: string | RegExp, length = 4000): string {
  const index = typeof start === 'string' ? page.indexOf(start) : page.search(start);
  expect(index, `${String(start)} in the page`).toBeGreaterThanOrEqual(0);
  return page.slice(index, index + length);
}

describe('HTML report: self-contained', () => {
  for (const [name, doc] of [['the inspected host', inspectedDocument()], ['the hostile document', hostileDocument()]] as const) {
    it(`${name}: no script, no external resource, a CSP that forbids every fetch, a viewport for phones`, () => {
      const page = renderHtml(doc);
      expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
      // In an attribute the quotes of 'none' are character references; the browser reads the policy as written.
      expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">`);
      expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; style-src 'unsafe-inline';/);
      expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(page).not.toMatch(/<(script|link|img|iframe|object|embed|svg|base|form|meta http-equiv="refresh")/i);
      // Inside a tag (text has no raw `<`): no attribute that fetches.
      expect(page).not.toMatch(/<[^>]*\s(src|srcset|action|formaction|data|poster|background|ping)=/i);
      const style = /<style>([^]*?)<\/style>/.exec(page)?.[1] ?? '';
      expect(style).not.toMatch(/@import|url\(|@font-face/i);
      // Every link stays in the page.
      for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#[A-Za-z0-9_-]+$/);
      expect(page).toContain('@media print');
      expect(page).toContain('@media (max-width: 40rem)');
    });
  }
});

describe('HTML report: summary first', () => {
  it('the verdict and the counts come before any host section', () => {
    const page = renderHtml(inspectedDocument());
    expect(page).toMatch(/<p class="headline">Fails: 3 checks failed<\/p>/);
    expect(page).toContain('<li class="pass"><span class="n">3</span> passed</li>');
    expect(page.indexOf('class="verdict')).toBeLessThan(page.indexOf('id="failures"'));
    expect(page.indexOf('id="failures"')).toBeLessThan(page.indexOf('id="endpoints"'));
  });

  it('a run where everything passed says so; a run with only skips says nothing was tested', () => {
    expect(renderHtml(runDocument([clockPass]))).toContain('<p class="headline">Passes: every check that ran passed</p>');
    const skipped = result({ id: 'tcp:a:443', check: 'tcp', host: 'a', port: 443, status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run: --only dns' });
    expect(renderHtml(runDocument([skipped]))).toContain('<p class="headline">Nothing was tested: no check reached a verdict</p>');
  });

  it('--fail-on warning: a warning-only run fails, and the page says what the run fails on', () => {
    const stale = result({ id: 'crl:http://c/x.crl', check: 'crl', host: 'c', url: 'http://c/x.crl', status: 'warn', code: 'CRL_STALE', message: 'stale' });
    expect(renderHtml(runDocument([stale]))).toContain('Passes with 1 warning');
    const strict = renderHtml(runDocument([stale]), { failOn: ['warning'] });
    expect(strict).toContain('<p class="headline">Fails on warnings: 1 check warned (--fail-on warning)</p>');
    expect(strict).toContain('the run fails on: warning');
  });

  it('one dead proxy is one cause with its fix, and what failed through it is listed under it, not as causes of their own', () => {
    const page = renderHtml(runDocument([proxyDown, tcpThroughDeadProxy('a.example'), httpThroughDeadProxy('b.example')]));
    expect(page).toContain('Failures <small>(1 cause)</small>');
    const card = sectionAfter(page, '<article class="finding fail">');
    expect(card).toContain('<span class="kind">proxy</span>');
    expect(card).toContain(`<strong>Fix:</strong> Check the proxy&#39;s address and port in --proxy`);
    expect(card).toContain('Because of this: 2 more failed or warned');
    expect(card).toMatch(/<span class="kind">tcp<\/span> a\.example <span class="target">port 443<\/span> <a class="code" href="#code-PROXY_UNREACHABLE">/);
    expect(card).toMatch(/<span class="kind">http<\/span> b\.example/);
  });

  it('the inspection finding explains the untrusted handshake on the same address', () => {
    const page = renderHtml(inspectedDocument());
    const card = sectionAfter(page, /<article class="finding fail">\s*<h3><span class="badge fail">fail<\/span> <span class="kind">inspection/);
    expect(card).toContain('Because of this: 1 more failed or warned');
    expect(card).toContain('<a class="code" href="#code-TLS_UNTRUSTED"><code>TLS_UNTRUSTED</code></a>');
  });
});

describe('HTML report: per endpoint host', () => {
  const page = renderHtml(inspectedDocument());
  const host = sectionAfter(page, 'id="host-autoupdate_2emsappproxy_2enet"', 20_000);

  it('draws the CNAME chain hop by hop with the TTL and registrable suffix, down to the address', () => {
    const chain = sectionAfter(host, '<ol class="chain"', 2500);
    const names = [...chain.matchAll(/<span class="name">([^<]*)<\/span> <span class="suffix" title="registrable suffix">([^<]*)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(names).toEqual([
      ['autoupdate.msappproxy.net', 'msappproxy.net'],
      ['x1.privatelink.identity.example.net', 'example.net'],
      ['x1.tm.edge.trafficmanager.net', 'edge.trafficmanager.net'],
    ]);
    expect([...chain.matchAll(/<span class="rr">CNAME<\/span> <span class="ttl">TTL (\d+) s<\/span>/g)].map((m) => m[1])).toEqual(['300', '60']);
    expect(chain).toMatch(/<span class="rr">A<\/span> <span class="value">203\.0\.113\.7<\/span> <span class="ttl">TTL 30 s<\/span>/);
  });

  it('where the lookup broke: the name that failed, the query type, what the resolver said, and any Extended DNS Error', () => {
    const broken = result({
      id: 'dns:ns.example', check: 'dns', host: 'ns.example', status: 'fail', code: 'DNS_NXDOMAIN', message: 'x.tm.example.net does not exist (NXDOMAIN)',
      evidence: {
        chain: [{ name: 'ns.example', type: 'CNAME', value: 'x.tm.example.net', ttl: 300 }], addresses: [], suffixes: ['ns.example', 'example.net'],
        failure: { code: 'DNS_NXDOMAIN', name: 'x.tm.example.net', queryType: 'A', detail: 'x.tm.example.net does not exist (NXDOMAIN)', resolver: '10.0.0.53:53' },
        ede: [{ code: 15, name: 'Blocked', text: 'policy: newly registered domains' }],
      },
    });
    const page = renderHtml(runDocument([broken]));
    expect(page).toContain('<li class="hop broken"><span class="name">x.tm.example.net</span> <span class="rr">A</span> does not exist (NXDOMAIN) <code>DNS_NXDOMAIN</code></li>');
    expect(page).toContain('<li>Extended DNS Error 15 (Blocked): <q>policy: newly registered domains</q></li>');
    expect(page).toContain('Resolver: 10.0.0.53:53');
  });

  it('shows tcp, tls and inspection verdicts side by side per address', () => {
    const row = sectionAfter(host, '<tr><th scope="row">203.0.113.7:443</th>', 1200);
    expect(row.indexOf('TCP_OK')).toBeLessThan(row.indexOf('TLS_UNTRUSTED'));
    expect(row.indexOf('TLS_UNTRUSTED')).toBeLessThan(row.indexOf('TLS_INSPECTED'));
    expect(row).toContain('re-signed by Zscaler Intermediate Root CA (zscaler)');
  });

  it('puts the presented issuer chain next to the expected issuers', () => {
    const block = sectionAfter(host, '<div class="chain-compare">', 3000);
    expect(block).toContain('vendor: zscaler');
    expect(block).toMatch(/Presented chain \(leaf first\)<\/h5><ol class="certs"><li class="cert">\s*<div class="subject">autoupdate\.msappproxy\.net<\/div>\s*<div class="issuer observed">issued by Zscaler Intermediate Root CA<\/div>/);
    expect(block).toMatch(/<h5>Expected issuers<\/h5><ul class="expected"><li>DigiCert Global Root G2<\/li><li>Microsoft RSA Root Certificate Authority 2017<\/li><\/ul>/);
  });

  it('shows the port-80 result with the block page title', () => {
    const fetch = sectionAfter(host, '<div class="port80">', 2000);
    expect(fetch).toContain('→ <strong>200 OK</strong>');
    expect(fetch).toContain('titled <q class="page-title">Web Page Blocked</q>');
    expect(fetch).toContain('it mentions: text: web page blocked');
  });

  it('draws a waterfall to one scale: the slow handshake is the longest bar, starting after DNS', () => {
    const bars = sectionAfter(host, '<ol class="bars">', 4000);
    const rows = [...bars.matchAll(/<span class="label">([^<]*)<\/span><span class="track"><span class="bar" style="margin-left:([\d.]+)%;width:([\d.]+)%">/g)]
      .map((m) => ({ label: m[1], start: Number(m[2]), width: Number(m[3]) }));
    expect(rows.map((r) => r.label)).toEqual(['dns', 'tcp 203.0.113.7:443', 'tls 203.0.113.7:443', 'http http://autoupdate.msappproxy.net/']);
    const tls = rows.find((r) => r.label.startsWith('tls'))!;
    expect(tls.start + tls.width).toBeCloseTo(100, 1);
    expect(rows.every((r) => r.label === 'dns' ? r.start === 0 : r.start > 0)).toBe(true);
    expect(bars).toContain('class="seg tls" style="width:94.59%" title="TLS handshake 1.4 s"');
  });

  it('lists a result of a kind no section draws instead of dropping it', () => {
    const spec = result({ id: 'spec > login resolves', check: 'spec' as CheckResult['check'], host: 'autoupdate.msappproxy.net', status: 'fail', code: 'SPEC_FAILED' as CheckResult['code'], message: 'expected it to resolve' });
    expect(renderHtml(runDocument([...inspectedHost(), spec]))).toMatch(/<span class="kind">spec<\/span>[^]*expected it to resolve/);
  });
});

describe('HTML report: the catalogue text for every failing code', () => {
  it('each failing code links to its explanation, which says what to change and the Microsoft requirement', () => {
    const page = renderHtml(inspectedDocument());
    for (const code of ['TLS_INSPECTED', 'TLS_UNTRUSTED', 'HTTP_BLOCK_PAGE']) {
      expect(page).toContain(`href="#code-${code}"`);
      const entry = sectionAfter(page, `<article class="explanation" id="code-${code}">`, 3000);
      expect(entry).toContain('<strong>What to change:</strong>');
      expect(entry).toMatch(/<p class="requirement">Microsoft: /);
      expect(entry).toContain(`<code>preflight explain ${code}</code>`);
    }
    expect(page).not.toContain('id="code-TCP_OK"');
  });
});

describe('HTML report: server text is text', () => {
  const page = renderHtml(hostileDocument());

  it('hostile certificate names, block page title and excerpt, EDE text and host name appear escaped', () => {
    expect(page).toContain('&lt;script&gt;window.__pwned = &quot;subject&quot;&lt;/script&gt;');
    expect(page).toContain('&quot;&#39;&gt;&lt;img src=x onerror=&quot;window.__pwned=&#39;issuer&#39;&quot;&gt;');
    expect(page).toContain('<q class="page-title">&lt;/style&gt;&lt;/title&gt;&lt;script&gt;window.__pwned = &quot;title&quot;&lt;/script&gt;</q>');
    expect(page).toContain('&lt;iframe src=&quot;https://attacker.example/&quot;&gt;');
    expect(page).toContain('blocked \\u202egnp.exe\\u202c by &lt;b&gt;policy&lt;/b&gt;\\x1b[31m');
    expect(page).toContain('evil&quot;&gt;&lt;svg onload=&quot;window.__pwned=1&quot;&gt;.example');
  });

  it('no raw control or bidi character, and the very long reason is cut', () => {
    expect(page).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]/);
    expect(page).not.toContain('A'.repeat(2000));
    expect(page).not.toContain('late()');
  });

  it('the one </style> and </title> of the page are its own', () => {
    expect(page.match(/<\/style>/g)).toHaveLength(1);
    expect(page.match(/<\/title>/g)).toHaveLength(1);
  });
});

describe('HTML report: renders from the document alone', () => {
  it('a document written with --json and read back renders the same report', () => {
    const doc = inspectedDocument();
    const read = parseResultDocument(renderJson(doc), 'result.json');
    expect(renderHtml(read)).toBe(renderHtml(doc));
  });

  it('evidence of the wrong shape (a hand-edited file) reads as absent, never breaks the page', () => {
    const odd = result({ id: 'dns:odd', check: 'dns', host: 'odd', status: 'fail', code: 'DNS_NXDOMAIN', evidence: { chain: 'nope', suffixes: [1, null], ede: [{ code: 'x' }], failure: [] } });
    const tls = result({ id: 'tls:odd@1.2.3.4:443', check: 'tls', host: 'odd', address: '1.2.3.4', port: 443, status: 'fail', code: 'TLS_UNTRUSTED', evidence: { chain: ['00:11'], connectMs: 'slow' } });
    const page = renderHtml(runDocument([odd, tls]));
    expect(page).toContain('00:11</span> (not described in the document)');
    expect(page).toContain('Extended DNS Error ? (unknown)');
  });
});
