// `--verbose`: every check on its own line, with one line of what it observed under it (the CNAME chain, the
// presented chain by name, the connection time…), before the usual summary.
import type { CertificateTable, CheckResult, RunDocument } from '../model/result.js';
import { INDENT, MARKS, shown, textLines, where, type LineStyle } from './console-lines.js';
import { oneLine } from './text.js';
import { wrap } from './wrap.js';

/** The evidence line is a summary: the whole evidence is in the JSON report. */
const EVIDENCE_MAX = 400;

export function everyCheckSection(doc: RunDocument, style: LineStyle): string[] {
  if (doc.results.length === 0) return [];
  const lines = doc.results.flatMap((result) => {
    const head = `${MARKS[result.status]} ${where(result)}  ${shown(result.code)}  ${shown(result.message)}`;
    const headLines = wrap(head, style.width, INDENT.result, INDENT.detail);
    headLines[0] = headLines[0]!.replace(MARKS[result.status], () => style.paint(result.status, MARKS[result.status]));
    const evidence = evidenceLine(result, doc.certificates);
    return [...headLines, ...(evidence === '' ? [] : textLines(`evidence: ${shown(oneLine(evidence, EVIDENCE_MAX))}`, style, INDENT.detail, INDENT.remediation))];
  });
  return ['', style.paint('heading', `Every check (${doc.results.length})`), ...lines];
}

/** What the check observed, in the words of its kind; other kinds list their simple evidence fields. */
export function evidenceLine(result: CheckResult, certificates: CertificateTable): string {
  const e = result.evidence;
  const chain = e['chain'];
  if (result.check === 'dns' && Array.isArray(chain)) {
    const hops = chain.map((hop) => (typeof hop === 'object' && hop !== null && !Array.isArray(hop) ? `${hop['type']} ${hop['value']} (ttl ${hop['ttl']})` : String(hop)));
    return [result.host, ...hops].join(' → ');
  }
  if ((result.check === 'tls' || result.check === 'inspection') && Array.isArray(chain)) {
    const names = chain.map((fingerprint) => {
      const certificate = typeof fingerprint === 'string' && Object.hasOwn(certificates, fingerprint) ? certificates[fingerprint] : undefined;
      return certificate ? `"${certificate.commonName ?? certificate.subject}"` : String(fingerprint);
    });
    const protocol = typeof e['protocol'] === 'string' ? `${e['protocol']}, ` : '';
    return `${protocol}chain ${names.length > 0 ? names.join(' < ') : '(none)'}`;
  }
  return Object.entries(e)
    .filter(([, value]) => value === null || typeof value !== 'object')
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
}
