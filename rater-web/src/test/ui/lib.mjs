// Shared by rater-test.mjs and rater-bench.mjs: options, Chromium, watching a page for errors, and
// driving the rating page by keyboard.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

export function options(name, spec, usage) {
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    console.error(`usage: ${usage}`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'base-url': { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
        timeout: { type: 'string', default: '30000' },
        ...spec,
      },
    }));
  } catch (e) {
    fail(e.message);
  }
  for (const required of ['base-url', 'user', 'password', ...Object.keys(spec).filter((k) => spec[k].required)]) {
    if (values[required] === undefined) fail(`--${required} is required`);
  }
  values['base-url'] = values['base-url'].replace(/\/+$/, '');
  if (!existsSync(values.chromium)) fail(`${values.chromium} is missing: run infra/bin/ensure-chromium`);
  return { values, fail };
}

export async function launch(name, chromiumPath, base) {
  try {
    await fetch(`${base}/health`, { signal: AbortSignal.timeout(10000) });
  } catch (e) {
    console.error(`${name}: ${base} cannot be reached: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    process.exit(2);
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    console.error(`${name}: playwright-core is missing: run npm ci --prefix rater-web/src/test/ui`);
    process.exit(2);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Records everything that means the page is broken: console errors (CSP violations among them),
 * uncaught exceptions, HTTP 5xx answers and failed requests. `problems` lists them as they come.
 */
export async function watch(context) {
  const problems = [];
  await context.exposeBinding('__reportCspViolation', (_source, v) => {
    problems.push(`CSP violation: ${v.directive} blocked ${v.blocked || 'inline code'} (${v.source}:${v.line})`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber });
    });
  });
  context.on('page', (page) => watchPage(page, problems));
  return problems;
}

function watchPage(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught exception on ${page.url()}: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`HTTP ${r.status()} from ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (!why.includes('ERR_ABORTED')) problems.push(`request failed: ${r.method()} ${r.url()}: ${why}`);
  });
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Signs in on /login with the keyboard only: the username field has focus, Enter submits. */
export async function signIn(page, base, user, password) {
  await page.goto(`${base}/login`);
  await page.waitForFunction(() => document.activeElement?.id === 'username', null, { timeout: 10000 })
    .catch(() => { throw new Error('the sign-in page does not put the focus on the username field'); });
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/`, { timeout: 15000 }).catch(async () => {
    const error = await page.locator('#login-error').textContent().catch(() => '');
    throw new Error(`signing in did not lead to the rating page (${page.url()}): ${error || 'no message'}`);
  });
}

/** The key of each dimension and point, read from the on-screen key map. */
export async function keyMap(page) {
  await page.waitForSelector('#keys button.point[data-key]');
  return page.$$eval('#keys button.point', (buttons) => {
    const dims = {};
    for (const b of buttons) {
      (dims[b.dataset.dim] ??= {})[b.dataset.value] = { key: b.dataset.key, shown: b.querySelector('kbd')?.textContent ?? '' };
    }
    return dims;
  });
}

/** The pair on screen once it is ready: ids, sequence number, whether it is an undone one. */
export async function pairShown(page, { after = 0, timeout = 30000 } = {}) {
  await page.waitForFunction((seq) => {
    const p = document.getElementById('pair');
    return p && p.dataset.state === 'ready' && Number(p.dataset.seq) > seq;
  }, after, { timeout }).catch(async () => {
    const state = await page.$eval('#pair', (p) => `${p.dataset.state} seq ${p.dataset.seq}`).catch(() => '?');
    const status = await page.$eval('#status', (s) => s.textContent).catch(() => '');
    const problem = await page.$eval('#problem', (s) => s.textContent).catch(() => '');
    const empty = await page.$eval('#empty-text', (s) => s.textContent).catch(() => '');
    throw new Error(`no new pair within ${timeout} ms after #${after} (pair ${state}; ${[status, problem, empty].filter(Boolean).join('; ')})`);
  });
  return page.$eval('#pair', (p) => ({
    left: p.dataset.left,
    right: p.dataset.right,
    seq: Number(p.dataset.seq),
    undone: p.dataset.undone === 'true',
    painted: [...p.querySelectorAll('.frame img')].map((img) => img.complete && img.naturalWidth > 0),
  }));
}

/** The values the key map shows as chosen, per dimension. */
export function pressed(page) {
  return page.$$eval('#keys button.point[aria-pressed="true"]', (bs) => Object.fromEntries(bs.map((b) => [b.dataset.dim, Number(b.dataset.value)])));
}

export async function outboxEmpty(page, timeout = 60000) {
  await page.waitForFunction(() => document.getElementById('outbox')?.dataset.pending === '0', null, { timeout })
    .catch(async () => {
      const text = await page.$eval('#outbox', (o) => `${o.dataset.pending} pending: ${o.textContent} (${o.title})`).catch(() => '?');
      throw new Error(`the outbox did not empty within ${timeout} ms: ${text}`);
    });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
