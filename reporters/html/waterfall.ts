// A timing waterfall per host: DNS, then each connection, handshake and port-80 fetch after it, bars drawn to one
// scale for the whole report so that the slow hop, and the slow host, stand out. The checks run concurrently and
// the document records durations, not start times: each bar starts when its step could start (after the name
// resolved) and lasts as long as it took. Widths are numbers computed here, never text from the document.
import type { CheckResult } from '../../model/result.js';
import { targetOf } from './badges.js';
import { html, type Html } from './escape.js';
import { ms, num, obj, objects } from './evidence.js';

type Phase = 'dns' | 'connect' | 'tls' | 'wait' | 'read' | 'other';

export interface WaterfallRow {
  label: string;
  status: CheckResult['status'];
  startMs: number;
  segments: Array<{ phase: Phase; ms: number }>;
}

const PHASE_NAMES: Readonly<Record<Phase, string>> = {
  dns: 'DNS', connect: 'TCP connect', tls: 'TLS handshake', wait: 'waiting for the answer', read: 'reading the body', other: 'other',
};

/** The rows of one host's waterfall, from its results' durations and evidence. */
export function waterfallRows(results: readonly CheckResult[]): WaterfallRow[] {
  const ran = results.filter((r) => r.status !== 'skip');
  const dns = ran.find((r) => r.check === 'dns');
  const dnsEnd = dns === undefined ? 0 : dns.durationMs;
  const rows: WaterfallRow[] = dns === undefined ? [] : [{ label: 'dns', status: dns.status, startMs: 0, segments: [{ phase: 'dns', ms: dns.durationMs }] }];
  for (const result of ran) {
    const e = result.evidence;
    const label = `${result.check} ${targetOf(result)}`;
    if (result.check === 'tcp') {
      rows.push({ label, status: result.status, startMs: dnsEnd, segments: [{ phase: 'connect', ms: num(e['connectMs']) ?? result.durationMs }] });
    } else if (result.check === 'tls') {
      const connect = num(e['connectMs']);
      const handshake = num(e['handshakeMs']);
      const segments = connect === null && handshake === null ? [{ phase: 'tls' as const, ms: result.durationMs }]
        : [{ phase: 'connect' as const, ms: connect ?? 0 }, { phase: 'tls' as const, ms: handshake ?? 0 }];
      rows.push({ label, status: result.status, startMs: dnsEnd, segments });
    } else if (result.check === 'http' || result.check === 'crl' || result.check === 'ocsp') {
      rows.push({ label, status: result.status, startMs: dnsEnd, segments: fetchSegments(result) });
    }
  }
  return rows.filter((row) => row.segments.some((s) => s.ms > 0));
}

/** A fetch's total split into its first hop's connect, wait for headers and body read; what is left is "other". */
function fetchSegments(result: CheckResult): WaterfallRow['segments'] {
  const fetch = obj(result.evidence['fetch']);
  const total = (fetch === null ? null : num(fetch['totalMs'])) ?? result.durationMs;
  const hop = fetch === null ? undefined : objects(fetch['hops'])[0];
  const answer = hop === undefined ? null : obj(hop['answer']);
  const body = fetch === null ? null : obj(fetch['body']);
  const parts: WaterfallRow['segments'] = [
    { phase: 'connect', ms: (hop === undefined ? null : num(hop['connectMs'])) ?? 0 },
    { phase: 'wait', ms: (answer === null ? null : num(answer['headersMs'])) ?? 0 },
    { phase: 'read', ms: (body === null ? null : num(body['readMs'])) ?? 0 },
  ].filter((p) => p.ms > 0) as WaterfallRow['segments'];
  const known = parts.reduce((sum, p) => sum + p.ms, 0);
  if (known > total) return [{ phase: 'other', ms: total }];
  return total - known > 0.05 ? [...parts, { phase: 'other', ms: total - known }] : parts;
}

/** Where the longest row of the report ends: the scale every waterfall shares. */
export function waterfallScale(rows: readonly WaterfallRow[]): number {
  return Math.max(1, ...rows.map((row) => row.startMs + row.segments.reduce((sum, s) => sum + s.ms, 0)));
}

export function waterfallSection(rows: readonly WaterfallRow[], scaleMs: number): Html | '' {
  if (rows.length === 0) return '';
  const percent = (value: number) => Math.max(0, Math.min(100, (value / scaleMs) * 100)).toFixed(2);
  return html`<div class="waterfall"><h4>Timing</h4>
<ol class="bars">${rows.map((row) => {
    const total = row.segments.reduce((sum, s) => sum + s.ms, 0);
    return html`<li class="${row.status}"><span class="label">${row.label}</span><span class="track"><span class="bar" style="margin-left:${percent(row.startMs)}%;width:${percent(total)}%">${row.segments.map((s) => html`<span class="seg ${s.phase}" style="width:${total > 0 ? ((s.ms / total) * 100).toFixed(2) : '0'}%" title="${PHASE_NAMES[s.phase]} ${ms(s.ms)}"></span>`)}</span><span class="ms">${ms(total)}</span></span></li>`;
  })}</ol></div>`;
}

/** The key to the bar colours, once per report. */
export function waterfallLegend(): Html {
  const phases: Phase[] = ['dns', 'connect', 'tls', 'wait', 'read', 'other'];
  return html`<p class="legend">${phases.map((p) => html`<span><span class="seg ${p}"></span> ${PHASE_NAMES[p]}</span> `)}· bars start after the name resolved and share one scale (the longest step: see each bar's time); the checks ran concurrently.</p>`;
}
