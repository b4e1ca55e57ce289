// Shared by the end-to-end tests: the browser, the database, artefacts.
//
// Environment (scripts/check sets it, like for the integration binary):
//   TASKMAN_TEST_URL                 the stack's nginx, http://127.0.0.1:PORT
//   TASKMAN_TEST_ADMIN_DATABASE_URL  libpq conninfo of a superuser on taskman
//   TASKMAN_WEB_ARTIFACTS            where screenshots and measurements go
//                                    (default ../var/web-e2e)
//   CHROMIUM                         the browser (default /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
export const URL = (process.env.TASKMAN_TEST_URL || '').replace(/\/$/, '');
export const ADMIN_DB = process.env.TASKMAN_TEST_ADMIN_DATABASE_URL || '';
export const OUT = path.resolve(process.env.TASKMAN_WEB_ARTIFACTS || path.join(here, '..', '..', 'var', 'web-e2e'));
if (!URL || !ADMIN_DB) throw new Error('TASKMAN_TEST_URL and TASKMAN_TEST_ADMIN_DATABASE_URL must be set (scripts/check sets them)');
fs.mkdirSync(path.join(OUT, 'screenshots'), { recursive: true });

// Never a downloaded browser: Debian's Chromium, flags that keep it off
// the network (this machine has none) and a fresh profile per launch
// (Playwright passes it as --user-data-dir). Returns a browser context;
// closing it ends the browser and removes the profile.
export async function launch(options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'taskman-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
    ...options,
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => { await close(); fs.rmSync(profile, { recursive: true, force: true }); };
  return ctx;
}

// One browser for several people: each browser.newContext() is a separate
// session (cookies, storage, Web Locks), all in one Chromium process.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Collects what the page reports that a test must not ignore: CSP
// violations, uncaught errors.
export function watch(page, into) {
  page.on('console', (m) => {
    const t = m.text();
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(t)) into.push(`CSP: ${t}`);
  });
  page.on('pageerror', (e) => into.push(`page error: ${e.message}`));
  return page;
}

// psql as the admin URL; returns the rows as arrays of strings.
export function sql(query, ...params) {
  let q = query;
  // $1... as literals: quote_literal rules (the values are test data).
  params.forEach((v, i) => {
    const lit = v === null ? 'NULL' : `'${String(v).replace(/'/g, "''")}'`;
    q = q.replaceAll(`$${i + 1}`, lit);
  });
  const out = execFileSync('psql', ['-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', ADMIN_DB, '-c', q], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length).map((l) => l.split('\t'));
}
export const sqlOne = (q, ...p) => { const r = sql(q, ...p); return r.length ? r[0][0] : undefined; };

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core in the page (evaluated through the DevTools protocol, which the
// page's CSP does not govern); returns serious and critical violations.
export async function axe(page) {
  // A string is evaluated as a script by the protocol itself: no eval() in
  // the page, which its CSP forbids.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Screenshots at 375 px and 1440 px wide (full page), and at 1440 px in
// the dark scheme, with axe at each; returns the serious/critical
// violations found.
export async function capture(page, name) {
  const found = [];
  const vp = page.viewportSize();
  for (const [w, scheme] of [[375, 'light'], [1440, 'light'], [1440, 'dark']]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: w, height: w === 375 ? 812 : 900 });
    await page.waitForTimeout(150);
    const file = `${name}-${w}${scheme === 'dark' ? '-dark' : ''}.png`;
    await page.screenshot({ path: path.join(OUT, 'screenshots', file), fullPage: true });
    for (const v of await axe(page)) found.push({ page: name, width: w, scheme, ...v });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (vp) await page.setViewportSize(vp);
  return found;
}

export function writeJSON(name, obj) {
  fs.writeFileSync(path.join(OUT, name), `${JSON.stringify(obj, null, 2)}\n`);
}
