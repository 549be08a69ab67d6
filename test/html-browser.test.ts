// The HTML report in a real browser: Debian's chromium, driven headless by playwright-core (which downloads
// nothing). The lab report made by a real `preflight lab --html` run renders without a console error and without a
// single request beyond its own file; the hostile document shows its hostile text as text; screenshots (desktop and
// phone) and a printed PDF of the lab report are kept in test-results/. The pages of `diff` and `merge` (from the
// lab fixtures, one runner named with markup) render as cleanly; the merge's wide matrix scrolls inside its own box
// on a phone, its host column staying in view.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../model/comparison.js';
import { mergeDocuments } from '../model/merge.js';
import { readResultDocument, type ReadDocument } from '../model/read-document.js';
import { renderDiffHtml } from '../reporters/html/diff-page.js';
import { renderMergeHtml } from '../reporters/html/matrix.js';
import { renderHtml } from '../reporters/html/page.js';
import { HOSTILE, hostileDocument } from './support/hostile-document.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPath = path.join(root, 'dist', 'cli', 'main.js');
const artifacts = path.join(root, 'test-results');
const work = mkdtempSync(path.join(tmpdir(), 'html-browser-'));
/** Debian's package; `scripts/install-system-deps.sh` installs it. */
const CHROMIUM = '/usr/bin/chromium';

let browser: Browser;
let labRun: { code: number | null; stderr: string };

function runLab(html: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // A generous deadline: the machine is shared and the lab's handshakes are slow under load.
    const child = spawn(process.execPath, [cliPath, 'lab', '--timeout', '15000', '--html', html], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  labRun = await runLab(path.join(work, 'lab.html'));
  writeFileSync(path.join(work, 'hostile.html'), renderHtml(hostileDocument()));
  writeComparisonPages();
  // As root (CI containers) chromium refuses to start without --no-sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

const fixtures = path.join(root, 'test', 'fixtures');
/** A runner whose name would run a script if it were markup. */
const EVIL_RUNNER = '<img src=x onerror="window.__pwned=1">connector-00';
/** Enough runners that the matrix is wider than a phone (and than a desktop). */
const FLEET = 24;

/** diff: the v2 lab fixture against itself with login's IPv4 handshake now failing; merge: a fleet of lab runners. */
function writeComparisonPages(): void {
  const before = readResultDocument(path.join(fixtures, 'result-v2-lab.json'));
  const after: ReadDocument = {
    ...before,
    results: before.results.map((r) => (r.id === 'tls:login.microsoftonline.com@127.0.1.4:443' ? { ...r, status: 'fail', code: 'TLS_HANDSHAKE_FAILED', message: 'reset <b>by a firewall</b>' } : r)),
  };
  writeFileSync(path.join(work, 'diff.html'), renderDiffHtml(before, after, compareRuns(before, after.results), after.results));
  const runners = Array.from({ length: FLEET }, (_, i) => ({
    source: `runner-${i}.json`,
    document: { ...(i % 2 === 0 ? before : after), host: { ...before.host, hostname: i === 0 ? EVIL_RUNNER : `connector-server-${String(i).padStart(2, '0')}.corp.contoso.example` } },
  }));
  writeFileSync(path.join(work, 'merge.html'), renderMergeHtml(mergeDocuments(runners, '0.0.0'), { failOn: ['failure'] }));
}

interface Watched {
  page: Page;
  consoleErrors: string[];
  /** Every request other than the report's own file (and data: URLs, of which the report has none). */
  foreignRequests: string[];
}

/** Opens `file` with every request routed through a check, and console errors and page errors recorded. */
async function open(file: string, viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const context = await browser.newContext({ viewport, javaScriptEnabled: true });
  const watched: Watched = { page: await context.newPage(), consoleErrors: [], foreignRequests: [] };
  const isOwn = (url: string) => url.startsWith('file:') || url.startsWith('data:');
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isOwn(url)) return route.continue();
    watched.foreignRequests.push(url);
    return route.abort();
  });
  watched.page.on('request', (request) => {
    if (!isOwn(request.url())) watched.foreignRequests.push(request.url());
  });
  watched.page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') watched.consoleErrors.push(message.text());
  });
  watched.page.on('pageerror', (error) => watched.consoleErrors.push(error.message));
  await watched.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return watched;
}

describe('the lab report in chromium', () => {
  it('a real `preflight lab --html` run wrote the report', () => {
    // 0: every simulated fault came out as built; 1 when the loaded machine turned a fault into a timeout. Either way the report is written.
    expect([0, 1], labRun.stderr).toContain(labRun.code);
    expect(statSync(path.join(work, 'lab.html')).size).toBeGreaterThan(10_000);
  });

  it('renders with no console error and no request beyond its own file; a screenshot is kept', async () => {
    const { page, consoleErrors, foreignRequests } = await open(path.join(work, 'lab.html'));
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await page.title()).toMatch(/^Egress preflight: entra-cloud-sync on /);
    expect(await page.locator('.verdict .headline').textContent()).toMatch(/^(Fails|Passes)/);
    // Every simulated fault host has its section, with the DNS chain drawn.
    for (const host of ['autoupdate.msappproxy.net', 'www.microsoft.com', 'mscrl.microsoft.com']) {
      await expect.poll(() => page.locator('section.endpoint h3', { hasText: host }).count()).toBe(1);
    }
    expect(await page.locator('.chain .hop').count()).toBeGreaterThan(10);
    expect(await page.locator('.bars li').count()).toBeGreaterThan(10);
    await page.screenshot({ path: path.join(artifacts, 'lab-report.png'), fullPage: true });
    expect(statSync(path.join(artifacts, 'lab-report.png')).size).toBeGreaterThan(50_000);
    await page.context().close();
  }, 60_000);

  it('on a phone: one column, nothing wider than the screen', async () => {
    const { page, consoleErrors } = await open(path.join(work, 'lab.html'), { width: 390, height: 844 });
    expect(consoleErrors).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(artifacts, 'lab-report-phone.png'), fullPage: false });
    await page.context().close();
  }, 60_000);

  it('printed: the print styles apply and a PDF comes out', async () => {
    const { page, consoleErrors } = await open(path.join(work, 'lab.html'));
    await page.emulateMedia({ media: 'print' });
    // The print sheet drops the page margins and the link colour.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('main')!).paddingLeft)).toBe('0px');
    await page.pdf({ path: path.join(artifacts, 'lab-report.pdf'), format: 'A4' });
    expect(statSync(path.join(artifacts, 'lab-report.pdf')).size).toBeGreaterThan(20_000);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  }, 60_000);
});

describe('the hostile-certificate page in chromium', () => {
  it('shows the hostile text as text: no injected element, nothing ran, the styles intact', async () => {
    const { page, consoleErrors, foreignRequests } = await open(path.join(work, 'hostile.html'));
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await page.evaluate(() => document.querySelectorAll('script, img, iframe, svg, object, embed, link, base, form').length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelectorAll('style').length)).toBe(1);
    expect(await page.evaluate(() => getComputedStyle(document.body).display)).toBe('block');
    expect(await page.locator('.page-title').textContent()).toBe(HOSTILE.pageTitle);
    expect(await page.locator('.excerpt').textContent()).toBe(HOSTILE.excerpt);
    expect(await page.locator('.cert .subject').first().textContent()).toBe(HOSTILE.subjectCn);
    expect(await page.locator('.cert .issuer').first().textContent()).toBe(`issued by ${HOSTILE.issuerCn}`);
    // Bidi overrides and the escape character are shown as escapes, not obeyed.
    expect(await page.locator('.ede li').textContent()).toBe('Extended DNS Error 17 (Filtered): blocked \\u202egnp.exe\\u202c by <b>policy</b>\\x1b[31m');
    expect(await page.locator('section.endpoint h3').first().textContent()).toContain(HOSTILE.host);
    await page.screenshot({ path: path.join(artifacts, 'hostile-report.png'), fullPage: true });
    await page.context().close();
  }, 60_000);
});

describe('the diff and merge pages in chromium', () => {
  it('diff: no console error, no request; the regression first, its hostile message as text', async () => {
    const { page, consoleErrors, foreignRequests } = await open(path.join(work, 'diff.html'));
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await page.locator('.verdict .headline').textContent()).toBe('Regressions: 1 check that passed now fails');
    const regression = page.locator('article.regression').first();
    expect(await regression.locator('.target').textContent()).toBe('tls:login.microsoftonline.com@127.0.1.4:443');
    expect(await regression.locator('.change').textContent()).toBe('TLS_OK pass → TLS_HANDSHAKE_FAILED fail');
    expect(await regression.locator('.message').textContent()).toBe('reset <b>by a firewall</b>');
    expect(await page.evaluate(() => document.querySelectorAll('script, img, iframe, svg, b').length)).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'diff-report.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('merge: no console error, no request; the hostile runner name is text; every runner a column', async () => {
    const { page, consoleErrors, foreignRequests } = await open(path.join(work, 'merge.html'));
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await page.locator('table.matrix thead th.runner').count()).toBe(FLEET);
    expect(await page.locator('table.matrix thead th.runner').first().textContent()).toBe(EVIL_RUNNER);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelectorAll('script, img, iframe, svg').length)).toBe(0);
    // login fails on the runners that have the broken handshake (the odd ones), passes on the others.
    const login = page.locator('table.matrix tbody tr', { hasText: 'login.microsoftonline.com' }).locator('td');
    expect(await login.evaluateAll((cells) => cells.slice(0, 4).map((cell) => cell.className))).toEqual(['cell pass', 'cell fail', 'cell pass', 'cell fail']);
    await page.screenshot({ path: path.join(artifacts, 'merge-report.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('merge on a phone: the page no wider than the screen, the matrix scrolling in its box with the host column in view', async () => {
    const { page, consoleErrors } = await open(path.join(work, 'merge.html'), { width: 390, height: 844 });
    expect(consoleErrors).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const box = page.locator('.matrix-box');
    const { scrollWidth, clientWidth } = await box.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    expect(scrollWidth).toBeGreaterThan(clientWidth);
    const hostCell = page.locator('table.matrix tbody th').first();
    const leftBefore = (await hostCell.boundingBox())?.x;
    await box.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    await expect.poll(() => box.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
    expect((await hostCell.boundingBox())?.x).toBe(leftBefore);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(artifacts, 'merge-report-phone.png'), fullPage: false });
    await page.context().close();
  }, 60_000);
});
