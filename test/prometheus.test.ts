// --prometheus: the text exposition format node_exporter's textfile collector reads, checked by real parsers
// (the npm package parse-prometheus-text-format, and Prometheus's own promtool), hostile label values included.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderPrometheus, renderPrometheusDocument } from '../reporters/prometheus.js';
import { writeReports } from '../reporters/write.js';
import { result, runDocument } from './support/documents.js';

interface Family { name: string; help: string; type: string; metrics: Array<{ labels?: Record<string, string>; value: string }> }
const parse = (text: string) => (parsePrometheusTextFormat as unknown as (text: string) => Family[])(text);

/** promtool's own parser and linter (Debian's prometheus package, installed by scripts/install-system-deps.sh). */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const HOSTILE = 'evil"} 1\nfake_metric{a="b\\" 2\r\x1b[2J';

const tlsFail = result({
  id: 'tls:login.microsoftonline.com@127.0.1.4:443', check: 'tls', host: 'login.microsoftonline.com', address: '127.0.1.4', port: 443,
  status: 'fail', code: 'TLS_UNTRUSTED', durationMs: 1534.2,
});
const dnsPass = result({ id: 'dns:login.microsoftonline.com', check: 'dns', host: 'login.microsoftonline.com', status: 'pass', code: 'DNS_OK', durationMs: 12 });
const hostile = result({ id: `tcp:${HOSTILE}:443`, check: 'tcp', host: HOSTILE, port: 443, status: 'warn', code: HOSTILE as never, durationMs: 3 });

describe('prometheus text format', () => {
  it('one HELP and TYPE per family; a status, failed flag and duration per check; run time and counts', async () => {
    const doc = { ...runDocument([tlsFail, dnsPass]), startedAt: '2026-11-29T05:41:37.125Z', durationMs: 7229 };
    const text = await renderPrometheusDocument(doc);
    const families = parse(text);
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['egress_preflight_check_status', 'GAUGE'],
      ['egress_preflight_check_failed', 'GAUGE'],
      ['egress_preflight_check_duration_seconds', 'GAUGE'],
      ['egress_preflight_checks', 'GAUGE'],
      ['egress_preflight_run_timestamp_seconds', 'GAUGE'],
      ['egress_preflight_run_duration_seconds', 'GAUGE'],
    ]);
    expect(text.match(/^# HELP /gm)).toHaveLength(6);
    const family = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
    expect(family('egress_preflight_check_status')[0]).toEqual({
      labels: { runner: 'agent-01', id: tlsFail.id, check: 'tls', host: 'login.microsoftonline.com', address: '127.0.1.4', port: '443', code: 'TLS_UNTRUSTED', status: 'fail' },
      value: '1',
    });
    expect(family('egress_preflight_check_failed').map((m) => [m.labels?.['check'], m.value])).toEqual([['tls', '1'], ['dns', '0']]);
    expect(family('egress_preflight_check_duration_seconds')[0]?.value).toBe('1.5342');
    // A check without an address or port has them empty: an empty label is no label to PromQL.
    expect(family('egress_preflight_check_status')[1]?.labels).toMatchObject({ address: '', port: '' });
    expect(family('egress_preflight_checks').map((m) => [m.labels?.['status'], m.value])).toEqual([['pass', '1'], ['fail', '1'], ['warn', '0'], ['skip', '0']]);
    expect(family('egress_preflight_run_timestamp_seconds')[0]?.value).toBe('1795930897.125');
    expect(family('egress_preflight_run_duration_seconds')[0]?.value).toBe('7.229');
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
  });

  it('hostile label values stay inside their label: escaped as the format says, and read back by both parsers', async () => {
    const text = await renderPrometheus([{ runner: 'runner\\"x', startedAt: '2026-01-01T00:00:00Z', durationMs: 1, results: [hostile], comparison: null }]);
    // No injected line: every line is a comment or a sample of our families.
    for (const line of text.split('\n').filter((l) => l !== '')) expect(line).toMatch(/^(# (HELP|TYPE) egress_preflight_|egress_preflight_)/);
    expect(text).not.toMatch(/[\r\x1b]/);
    const status = parse(text).find((f) => f.name === 'egress_preflight_check_status')?.metrics[0];
    // LF, quote and backslash come back as they were; CR and ESC as visible escapes.
    const shown = 'evil"} 1\nfake_metric{a="b\\" 2\\x0d\\x1b[2J';
    expect(status?.labels).toMatchObject({ runner: 'runner\\"x', host: shown, code: shown, status: 'warn' });
    expect(promtoolCheck(text).status).toBe(0);
  });

  it('a comparison with a baseline adds the regressions gauge', async () => {
    const text = await renderPrometheus([{ runner: 'agent-01', startedAt: '2026-01-01T00:00:00Z', durationMs: 1, results: [tlsFail], comparison: { regressions: [{ id: tlsFail.id }], fixed: [] } }]);
    expect(parse(text).find((f) => f.name === 'egress_preflight_regressions')?.metrics).toEqual([{ labels: { runner: 'agent-01' }, value: '1' }]);
  });

  it('promtool rejects what is not the format (the check can fail)', () => {
    expect(promtoolCheck('egress_preflight_checks{status="pass" 1\n').status).not.toBe(0);
  });

  it('is written to a temporary name and renamed: the directory never holds a partial .prom file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'textfile-'));
    const file = path.join(dir, 'egress_preflight.prom');
    writeFileSync(file, 'old contents\n');
    await writeReports(runDocument([tlsFail]), { prometheus: file }, { stdout: () => {} });
    expect(readdirSync(dir)).toEqual(['egress_preflight.prom']);
    expect(readFileSync(file, 'utf8')).toContain('egress_preflight_check_failed{runner="agent-01"');
  });
});
