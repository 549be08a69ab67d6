// The presented certificate chain next to the issuers the profile expects: what a security team needs to see to
// decide whether a device re-signs the traffic. Names come from the document's `certificates` table; every name
// is server-supplied text (a certificate can be made with any subject).
import { pathFingerprints } from '../../model/certificates.js';
import type { CertificateTable, CheckResult } from '../../model/result.js';
import { codeLink, statusBadge, targetOf } from './badges.js';
import { html, type Html } from './escape.js';
import { text, texts } from './evidence.js';

/** Where a link of the built path came from, as the inspection evidence names it. */
const SOURCES: Readonly<Record<string, string>> = {
  presented: 'sent by the server', 'ca-file': 'from --ca-file', store: 'from the trust store', aia: 'fetched (AIA)',
};

/**
 * For inspection findings and failed handshakes: the chain as presented (leaf first), the path the tool built when
 * it differs, and the expected issuers. One block per address and port: tls and inspection there show one chain.
 */
export function certificateSection(results: readonly CheckResult[], certificates: Readonly<CertificateTable>, explained: ReadonlySet<string>): Html | '' {
  const shownAt = new Set<string>();
  const blocks: Html[] = [];
  const candidates = [
    ...results.filter((r) => r.check === 'inspection' && r.status !== 'pass' && r.status !== 'skip'),
    ...results.filter((r) => r.check === 'tls' && r.status !== 'pass' && r.status !== 'skip'),
  ];
  for (const result of candidates) {
    const chain = texts(result.evidence['chain']);
    const at = `${result.address ?? ''}|${result.port ?? ''}`;
    if (chain.length === 0 || shownAt.has(at)) continue;
    shownAt.add(at);
    const expected = result.check === 'inspection' ? texts(result.evidence['expectedIssuers'])
      : texts(results.find((r) => r.check === 'inspection' && r.address === result.address && r.port === result.port)?.evidence['expectedIssuers']);
    blocks.push(comparison(result, chain, expected, certificates, explained));
  }
  return blocks.length === 0 ? '' : html`<div class="certificates">${blocks}</div>`;
}

function comparison(result: CheckResult, chain: readonly string[], expected: readonly string[], certificates: Readonly<CertificateTable>, explained: ReadonlySet<string>): Html {
  const vendor = text(result.evidence['vendor']);
  const observed = text(result.evidence['observedIssuer']);
  const beyond = pathFingerprints(result.evidence).filter((link) => link.source !== 'presented');
  return html`<div class="chain-compare">
<h4>${statusBadge(result.status)} Certificates at ${targetOf(result)} ${codeLink(result.code, explained)}${vendor === null ? '' : html` <span class="vendor">vendor: ${vendor}</span>`}</h4>
<div class="columns">
<div><h5>Presented chain (leaf first)</h5><ol class="certs">${chain.map((fingerprint) => certificateItem(fingerprint, certificates, observed))}</ol>
${beyond.length === 0 ? '' : html`<p class="path">Completed by: ${beyond.map((link, i) => html`${i > 0 ? '; ' : ''}${nameOf(link.sha256 ?? '', certificates)} (${SOURCES[link.source ?? ''] ?? link.source ?? ''})`)}</p>`}
${text(result.evidence['pathEnd']) === null ? '' : html`<p class="path">Path ends: ${text(result.evidence['pathEnd'])}</p>`}</div>
<div><h5>Expected issuers</h5>${expected.length === 0 ? html`<p>none recorded for this check</p>` : html`<ul class="expected">${expected.map((name) => html`<li>${name}</li>`)}</ul>`}</div>
</div>
${text(result.evidence['reason']) === null ? '' : html`<p class="reason">${text(result.evidence['reason'])}</p>`}
</div>`;
}

function certificateItem(fingerprint: string, certificates: Readonly<CertificateTable>, observedIssuer: string | null): Html {
  const c = Object.hasOwn(certificates, fingerprint) ? certificates[fingerprint] : undefined;
  if (c === undefined) return html`<li><span class="fp">${fingerprint}</span> (not described in the document)</li>`;
  const issuerName = c.issuerCommonName ?? c.issuer;
  return html`<li class="cert">
<div class="subject">${c.commonName ?? c.subject}</div>
<div class="issuer${observedIssuer !== null && issuerName === observedIssuer ? ' observed' : ''}">issued by ${issuerName}</div>
<dl><dt>subject</dt><dd>${c.subject}</dd><dt>issuer</dt><dd>${c.issuer}</dd><dt>valid</dt><dd>${c.notBefore} – ${c.notAfter}</dd><dt>key</dt><dd>${c.keyType}${c.keyBits === null ? '' : ` ${c.keyBits}`}${c.signatureAlgorithm === null ? '' : `, ${c.signatureAlgorithm}`}</dd><dt>SHA-256</dt><dd class="fp">${c.sha256}</dd></dl>
</li>`;
}

function nameOf(fingerprint: string, certificates: Readonly<CertificateTable>): string {
  const c = Object.hasOwn(certificates, fingerprint) ? certificates[fingerprint] : undefined;
  return c === undefined ? fingerprint : c.commonName ?? c.subject;
}
