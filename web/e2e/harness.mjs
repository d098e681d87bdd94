// Test plumbing: browser pages that record every problem, screenshots, TAP-like output.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.XIAODIAN_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const OUT = path.join(path.dirname(new URL(import.meta.url).pathname), 'out');
const SHOTS = process.env.XIAODIAN_SCREENSHOTS_DIR ? path.resolve(process.env.XIAODIAN_SCREENSHOTS_DIR) : null;

export const MOBILE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const DESKTOP = { viewport: { width: 1366, height: 860 } };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // A camera for getUserMedia (a test pattern) without a permission prompt: the leader's
      // pickup-code scan (community scenario).
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
}

/**
 * A fresh browser context and page whose problems are recorded in `problems`:
 * page errors, console errors, failed same-origin requests, and API answers >= 400
 * that the scenario did not announce with `expectApiError(method, pathRegex, status)`.
 */
export async function openPage(browser, options) {
  const context = await browser.newContext({ ...options, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const problems = [];
  const expected = [];
  const origin = new URL(BASE).origin;
  const sameOrigin = (url) => url.startsWith(origin);
  const isExpected = (method, url, status) =>
    expected.some((e) => e.method === method && e.status === status && e.path.test(new URL(url).pathname));

  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url || '';
    // Failed loads are judged by the request listeners below (third-party images are not ours).
    if (/^Failed to load resource/.test(msg.text())) return;
    problems.push(`console error: ${msg.text()} ${url}`);
  });
  page.on('requestfailed', (req) => {
    // ERR_ABORTED is the browser cancelling a request itself, when the page navigates away while
    // it is in flight: a read (GET) whose answer nobody waits for any more, or track.js's
    // fire-and-forget client events (keepalive or beacon; the data-platform scenario checks that
    // events arrive). No user sees either; on a busy machine a scenario's next step can land
    // while a page is still loading (a CI run failed on the leader page's batches read). A write
    // cut off, or a server that drops a connection (ERR_EMPTY_RESPONSE, ERR_CONNECTION_RESET...),
    // is still a problem.
    if (req.failure()?.errorText === 'net::ERR_ABORTED' &&
        (req.method() === 'GET' || new URL(req.url()).pathname === '/api/v1/events')) return;
    if (sameOrigin(req.url())) problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    const req = res.request();
    if (!sameOrigin(res.url()) || res.status() < 400) return;
    if (new URL(res.url()).pathname.startsWith('/api/') && isExpected(req.method(), res.url(), res.status())) return;
    problems.push(`HTTP ${res.status()}: ${req.method()} ${res.url()}`);
  });

  return {
    context,
    page,
    problems,
    expectApiError: (method, pathRe, status) => expected.push({ method, path: pathRe, status }),
  };
}

export async function screenshot(page, name, { main = false } = {}) {
  fs.mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  if (main && SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  }
}

/** Fails unless the page is no wider than the screen (a phone page must not scroll sideways). */
export async function fitsTheScreen(page, where) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert(scroll <= inner, `${where}: the page is ${scroll}px wide on a ${inner}px screen`);
}

/** Plain JSON calls for test setup (the UI under test never goes through here). */
export async function apiCall(method, p, { body, token, headers = {} } = {}) {
  const res = await fetch(`${BASE}/api/v1${p}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text.slice(0, 200)}`);
  return data;
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Runs scenarios in order. A scenario is { name, run(ctx) } or { name, skip: reason } or
 * { name, todo: reason }. Prints "ok - name" / "not ok - name" and a summary; returns the fail count.
 */
export async function runAll(scenarios) {
  const browser = await launch();
  const counts = { tests: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
  const pages = [];
  const ctx = {
    browser,
    async page(options, label) {
      const p = await openPage(browser, options);
      p.label = label;
      pages.push(p);
      return p;
    },
  };
  try {
    for (const s of scenarios) {
      counts.tests++;
      if (s.skip) {
        counts.skip++;
        console.log(`ok - ${s.name} # SKIP ${s.skip}`);
        continue;
      }
      if (s.todo) {
        counts.todo++;
        console.log(`not ok - ${s.name} # TODO ${s.todo}`);
        continue;
      }
      pages.length = 0;
      const started = Date.now();
      let error = null;
      try {
        await s.run(ctx);
      } catch (e) {
        error = e;
      }
      const problems = pages.flatMap((p) => p.problems.map((m) => `${p.label}: ${m}`));
      for (const p of pages) {
        await screenshot(p.page, `${s.slug}-${p.label}`).catch(() => {});
        await p.context.close();
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (!error && !problems.length) {
        counts.pass++;
        console.log(`ok - ${s.name} (${secs}s)`);
      } else {
        counts.fail++;
        console.log(`not ok - ${s.name} (${secs}s)`);
        if (error) console.log(`#   ${String(error.stack || error).split('\n').slice(0, 4).join('\n#   ')}`);
        for (const m of problems) console.log(`#   ${m}`);
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`); // the plain form CI tools read
  console.log(`# tests ${counts.tests} pass ${counts.pass} fail ${counts.fail} skip ${counts.skip} todo ${counts.todo}`);
  return counts.fail;
}
