// The HTML pages of change windows and fleets, rendered from documents built by hand: `diff --html` (regressions
// first, then fixed, still failing, new, gone, untested), `run --baseline --html` (the comparison under the
// verdict), `merge --html` (the host × runner matrix, then each runner's failures) and `watch --html` (the
// timeline). Hostile runner names, ids, codes and messages stay text; nothing is fetched, nothing links away.
import type { RunPlan } from '../config/plan.js';
import { timelineJson } from '../cli/watch-output.js';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../model/comparison.js';
import { mergeDocuments } from '../model/merge.js';
import { parseResultDocument } from '../model/read-document.js';
import type { CheckResult } from '../model/result.js';
import { WatchTimeline } from '../model/watch-timeline.js';
import { renderDiffHtml } from '../reporters/html/diff-page.js';
import { renderMergeHtml } from '../reporters/html/matrix.js';
import { renderHtml } from '../reporters/html/page.js';
import { renderTimelineHtml } from '../reporters/html/timeline.js';
import { renderJson } from '../reporters/json.js';
import { result, runDocument } from './support/documents.js';

/** Markup, script and bidi text where a runner name, an id, a code or a message goes. */
const EVIL = {
  runner: '<img src=x onerror="window.__pwned=1">agent',
  host: 'evil"><svg onload="window.__pwned=2">.example',
  code: '<b>TCP_X</b>',
  message: '</style><script>window.__pwned=3</script> \u202Eexe.txt',
  remediation: '<a href="https://attacker.example/">click</a>',
} as const;

const tcp = (host: string, status: CheckResult['status'], code: CheckResult['code'], extra: Partial<CheckResult> = {}) =>
  result({ id: `tcp:${host}@127.0.0.2:443`, check: 'tcp', host, address: '127.0.0.2', port: 443, status, code, ...extra });
const refused = (host: string) => tcp(host, 'fail', 'TCP_REFUSED', { message: `connection to ${host} refused`, remediation: `Allow TCP 443 to ${host}.` });
const dns = (host: string, status: CheckResult['status'] = 'pass', code: CheckResult['code'] = 'DNS_OK') => result({ id: `dns:${host}`, check: 'dns', host, status, code });

function expectSelfContained(page: string): void {
  expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(page).toContain('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;;');
  expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(page).not.toMatch(/<(script|link|img|iframe|object|embed|svg|base|form)[\s>]/i);
  expect(page).not.toMatch(/<[^>]*\s(src|srcset|action|formaction|data|poster|background|ping)=/i);
  for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#[A-Za-z0-9_-]+$/);
  expect(page.match(/<\/style>/g)).toHaveLength(1);
  expect(page).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
}

/** Where each marker first appears: they must come in this order. */
function expectInOrder(page: string, markers: readonly string[]): void {
  const at = markers.map((marker) => page.indexOf(marker));
  at.forEach((index, i) => expect(index, markers[i]).toBeGreaterThanOrEqual(0));
  expect(at).toEqual([...at].sort((a, b) => a - b));
}

describe('diff --html', () => {
  const before = runDocument([
    dns('a.test'), tcp('a.test', 'pass', 'TCP_OK'), refused('b.test'), refused('d.test'), dns('gone.test'), dns('u.test'),
    tcp(EVIL.host, 'pass', 'TCP_OK'),
  ]);
  const after = {
    ...runDocument([
      dns('a.test'), refused('a.test'), refused('b.test'), tcp('d.test', 'pass', 'TCP_OK'), dns('new.test', 'fail', 'DNS_NXDOMAIN'),
      result({ id: 'dns:u.test', check: 'dns', host: 'u.test', status: 'skip', code: 'SKIPPED_PREREQUISITE', message: 'not run' }),
      tcp(EVIL.host, 'fail', EVIL.code as CheckResult['code'], { message: EVIL.message, remediation: EVIL.remediation }),
    ]),
    host: { hostname: 'agent-02', platform: 'linux' },
  };
  const comparison = compareRuns(before, after.results);
  const page = renderDiffHtml(before, after, comparison, after.results);

  it('regressions first, each "code before → after" with its message and fix; then fixed, still failing, new, gone, untested', () => {
    expect(page).toContain('<p class="headline">Regressions: 2 checks that passed now fail</p>');
    expectInOrder(page, ['class="verdict fail"', 'id="regressions"', 'id="compared-fixed"', 'id="compared-stillFailing"', 'id="compared-new"', 'id="compared-gone"', 'id="compared-untested"', 'id="codes"']);
    const regression = page.slice(page.indexOf('tcp:a.test@127.0.0.2:443'), page.indexOf('</article>', page.indexOf('tcp:a.test@127.0.0.2:443')));
    expect(regression).toMatch(/<p class="change"><span class="side before"><code>TCP_OK<\/code> <span class="badge pass">pass<\/span><\/span> <span class="arrow" aria-label="became">→<\/span> <span class="side after"><a class="code" href="#code-TCP_REFUSED"><code>TCP_REFUSED<\/code><\/a> <span class="badge fail">fail<\/span><\/span><\/p>/);
    expect(regression).toContain('<p class="message">connection to a.test refused</p>');
    expect(regression).toContain('<p class="fix"><strong>Fix:</strong> Allow TCP 443 to a.test.</p>');
    expect(page).toContain('<p class="counts-line">2 regressions, 1 fixed, 1 still failing, 1 new, 1 gone, 1 no longer tested</p>');
    expect(page).toContain('<span class="absent">absent</span>');
    expect(page).toContain('<article class="explanation" id="code-TCP_REFUSED">');
  });

  it('says when the runs are from different hosts, as the console does', () => {
    expect(page).toContain('<li>The two runs are from different hosts: a difference may be the host, not the network.</li>');
  });

  it('hostile hosts, ids, codes and messages are text', () => {
    expectSelfContained(page);
    expect(page).toContain('evil&quot;&gt;&lt;svg onload=&quot;window.__pwned=2&quot;&gt;.example');
    expect(page).toContain('<code>&lt;b&gt;TCP_X&lt;/b&gt;</code>');
    expect(page).toContain('&lt;/style&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt; \\u202eexe.txt');
    expect(page).toContain('&lt;a href=&quot;https://attacker.example/&quot;&gt;click&lt;/a&gt;');
  });

  it('no regression: the verdict passes and the still-failing ones are listed', () => {
    const same = renderDiffHtml(after, after, compareRuns(after, after.results), after.results);
    expect(same).toContain('<p class="headline">No regression: nothing that passed in the baseline fails now</p>');
    expect(same).toContain('No regressions: nothing that passed in the baseline fails now.');
    expect(same).toContain('Still failing <small>(4: ');
  });
});

describe('run --baseline --html', () => {
  it('the comparison comes right under the verdict, before the findings and the endpoints', () => {
    const baseline = runDocument([dns('a.test'), tcp('a.test', 'pass', 'TCP_OK')]);
    const results = [dns('a.test'), refused('a.test')];
    const page = renderHtml({ ...runDocument(results), comparison: compareRuns(baseline, results) });
    expectInOrder(page, ['class="verdict', 'id="comparison"', 'id="regressions"', 'id="failures"', 'id="endpoints"']);
    expect(page).toContain('<p class="counts-line">1 regression, 0 fixed, 0 still failing, 0 new, 0 gone, 0 no longer tested</p>');
  });

  it('--fail-on regression: the verdict is judged against the baseline, as the exit code is', () => {
    const baseline = runDocument([tcp('a.test', 'pass', 'TCP_OK'), refused('b.test')]);
    const broken = [refused('a.test'), refused('b.test')];
    const regressed = renderHtml({ ...runDocument(broken), comparison: compareRuns(baseline, broken) }, { failOn: ['regression'] });
    expect(regressed).toContain('<p class="headline">Fails: 1 regression since the baseline (--fail-on regression)</p>');
    const same = [tcp('a.test', 'pass', 'TCP_OK'), refused('b.test')];
    const tolerated = renderHtml({ ...runDocument(same), comparison: compareRuns(baseline, same) }, { failOn: ['regression'] });
    expect(tolerated).toContain('<section class="verdict warn" aria-label="verdict">\n<p class="headline">Passes on --fail-on regression: 1 check failed, none of them a regression</p>');
    // With the default gate the old failure still fails the run.
    expect(renderHtml({ ...runDocument(same), comparison: compareRuns(baseline, same) })).toContain('<p class="headline">Fails: 1 check failed</p>');
  });

  it('without a baseline, or with a comparison block of another shape read from a file, there is no such section', () => {
    expect(renderHtml(runDocument([refused('a.test')]))).not.toContain('id="comparison"');
    const read = parseResultDocument(renderJson({ ...runDocument([refused('a.test')]), comparison: { regressions: 'x' } as never }), 'odd.json');
    expect(renderHtml(read)).not.toContain('id="comparison"');
  });
});

describe('merge --html', () => {
  const runner = (hostname: string, results: CheckResult[]) => parseResultDocument(renderJson({ ...runDocument(results), host: { hostname, platform: 'linux' } }), `${hostname}.json`);
  const merged = mergeDocuments([
    { source: 'a.json', document: runner('agent-01', [dns('login.test'), tcp('login.test', 'pass', 'TCP_OK'), dns('crl.test')]) },
    { source: 'b.json', document: runner(EVIL.runner, [dns('login.test'), tcp('login.test', 'fail', EVIL.code as CheckResult['code'], { message: EVIL.message, remediation: EVIL.remediation })]) },
    { source: 'c.json', document: runner('agent-03', [dns('login.test'), tcp('login.test', 'warn', 'TLS_WEAK_CRYPTO' as CheckResult['code']), dns(EVIL.host, 'fail', 'DNS_NXDOMAIN')]) },
  ], '1.0.0');
  const page = renderMergeHtml(merged, { failOn: ['failure'] });

  it('the verdict, then the matrix, the runners, each runner\'s failures and the codes', () => {
    expect(page).toContain('<p class="headline">2 of 3 runners with failures</p>');
    expectInOrder(page, ['class="verdict fail"', 'id="matrix"', 'id="runners"', 'id="failures"', 'id="codes"']);
  });

  it('no runner fails but some warn: the headline says so, not "all pass"', () => {
    const warned = mergeDocuments([
      { source: 'a.json', document: runner('agent-01', [dns('login.test')]) },
      { source: 'b.json', document: runner('agent-02', [dns('login.test'), tcp('login.test', 'warn', 'TLS_WEAK_CRYPTO' as CheckResult['code'])]) },
    ], '1.0.0');
    expect(renderMergeHtml(warned, { failOn: ['failure'] })).toContain('<p class="headline">No runner fails; 1 warning to read</p>');
  });

  it('one row per endpoint host, one column per runner, the worst status in each cell; — where a runner has no check', () => {
    const matrix = page.slice(page.indexOf('<table class="matrix">'), page.indexOf('</table>', page.indexOf('<table class="matrix">')));
    expect(matrix.match(/<th scope="col" class="runner"/g)).toHaveLength(3);
    const login = matrix.slice(matrix.indexOf('<tr><th scope="row">login.test</th>'), matrix.indexOf('</tr>', matrix.indexOf('<tr><th scope="row">login.test</th>')));
    expect([...login.matchAll(/<td class="cell (\w+)">/g)].map((m) => m[1])).toEqual(['pass', 'fail', 'warn']);
    const crl = matrix.slice(matrix.indexOf('<tr><th scope="row">crl.test</th>'));
    expect(crl.slice(0, crl.indexOf('</tr>'))).toContain('<td class="cell none">—</td>');
    expect(page).toContain('<div class="matrix-box" role="region"');
  });

  it('each runner\'s failures with message and fix, its id as the runner wrote it; a runner with none says so', () => {
    expect(page).toMatch(/<section class="runner-block pass" id="runner-agent-01">\s*<h3><span class="badge pass">pass<\/span> agent-01 <small>\(nothing fails\)<\/small>/);
    const third = page.slice(page.indexOf('id="runner-agent-03"'));
    expect(third).toContain('<span class="target">dns:evil&quot;&gt;&lt;svg');
    expect(third).toContain('<a class="code" href="#code-DNS_NXDOMAIN"><code>DNS_NXDOMAIN</code></a>');
  });

  it('hostile runner names, hosts, codes and messages are text; links stay in the page', () => {
    expectSelfContained(page);
    expect(page).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;agent');
    expect(page).toContain('<code>&lt;b&gt;TCP_X&lt;/b&gt;</code>');
    expect(page).toContain('&lt;/style&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;');
    expect(page).toContain('<strong>Fix:</strong> &lt;a href=&quot;https://attacker.example/&quot;&gt;click&lt;/a&gt;');
  });
});

describe('watch --html', () => {
  const up = tcp('flaky.test', 'pass', 'TCP_OK');
  const down = tcp('flaky.test', 'fail', 'TCP_REFUSED', { message: 'connection to flaky.test refused', remediation: 'Allow TCP 443 to flaky.test.' });
  const evil = (status: CheckResult['status'], code: string) => tcp(EVIL.host, status, code as CheckResult['code'], { message: EVIL.message, remediation: EVIL.remediation });
  const base = { startedAt: '2026-11-29T02:00:00.000Z', host: { hostname: 'agent-01' }, results: [up, evil('pass', 'TCP_OK')] };
  const timeline = new WatchTimeline(base);
  const rounds: CheckResult[][] = [[down, evil('pass', 'TCP_OK')], [up, evil('pass', 'TCP_OK')], [up, evil('pass', 'TCP_OK')], [up, evil('pass', 'TCP_OK')], [down, evil('fail', EVIL.code)]];
  rounds.forEach((results, i) => timeline.observe(new Date(Date.parse('2026-11-29T02:14:07.000Z') + i * 30_000), 850, results));
  const doc = timelineJson(timeline, {
    baselineFile: 'before.json', baseline: parseResultDocument(renderJson(runDocument(base.results)), 'before.json'), plan: { profile: 'entra-cloud-sync' } as RunPlan,
    startedAt: new Date('2026-11-29T02:14:00.000Z'), endedAt: new Date('2026-11-29T02:17:00.000Z'), endedBy: 'interrupt', schedule: { intervalMs: 30_000, until: null },
  });
  const page = renderTimelineHtml(doc);

  it('the verdict and the regressions still open come first, then the rounds with their changes, then the comparison', () => {
    expect(page).toContain('<p class="headline">2 regressions against the baseline still open</p>');
    expectInOrder(page, ['class="verdict fail"', 'id="open"', 'id="timeline"', 'id="comparison"', 'id="codes"']);
    const open = page.slice(page.indexOf('id="open"'), page.indexOf('id="timeline"'));
    expect(open).toContain('<span class="target">tcp:flaky.test@127.0.0.2:443</span>');
    expect(open).toMatch(/<span class="since">since <time datetime="2026-11-29T02:16:07\.000Z">\d\d:\d\d:07<\/time><\/span>/);
    expect(open).toContain('<p class="fix"><strong>Fix:</strong> Allow TCP 443 to flaky.test.</p>');
  });

  it('each change with its time and kind: regression, fixed, the quiet rounds folded, then regression and flapping', () => {
    const line = page.slice(page.indexOf('id="timeline"'), page.indexOf('id="comparison"'));
    const kinds = [...line.matchAll(/<li class="event (\w+)"><span class="when"><time datetime="([^"]+)">/g)].map((m) => [m[1], m[2]]);
    expect(kinds).toEqual([
      ['regression', '2026-11-29T02:14:07.000Z'], ['fixed', '2026-11-29T02:14:37.000Z'],
      ['regression', '2026-11-29T02:16:07.000Z'], ['regression', '2026-11-29T02:16:07.000Z'], ['flapping', '2026-11-29T02:16:07.000Z'],
    ]);
    expect(line).toMatch(/rounds 3–4: no change <small>\(2 checks: 2 passed, 0 failed, 0 warned, 0 not run\)<\/small>/);
    expect(line).toContain('3 changes since the watch began');
  });

  it('hostile ids, codes and messages are text; self-contained', () => {
    expectSelfContained(page);
    expect(page).toContain('evil&quot;&gt;&lt;svg onload=&quot;window.__pwned=2&quot;&gt;.example');
    expect(page).toContain('&lt;b&gt;TCP_X&lt;/b&gt;');
    expect(page).toContain('&lt;/style&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;');
  });

  it('a watch that ended before its first round says nothing was tested', () => {
    expect(renderTimelineHtml({ ...doc, rounds: [], events: [], comparison: null, openRegressions: [] })).toContain('<p class="headline">Nothing was tested: the watch ended before its first round finished</p>');
  });
});
