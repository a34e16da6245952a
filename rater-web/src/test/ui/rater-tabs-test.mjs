#!/usr/bin/env node
// Browser test of the rating page across tabs, against a running rater app (dev-server.mjs will do):
//   node rater-web/src/test/ui/rater-tabs-test.mjs --base-url URL --user U --password P
//        --other-user U2 --other-password P2 [--chromium /usr/bin/chromium] [--timeout MS]
// 1. Another user signs in in a second tab of the same browser while U's tab is open: U's next
//    rating must not be sent under U2's session nor dropped. The tab stops (#pair data-state
//    other-user), the rating stays in localStorage under U's key, and once U signs in again in a new
//    tab (which rates at once: the stopped tab let go of the tab lock), the new tab sends it (U's
//    total grows by one, nothing refused).
//    Against dev-server.mjs --lax-csrf the write gets through to U2's session and is answered 409:
//    the same must hold.
// 2. Without Web Locks (removed by an init script), tabs opened together and the tabs left when the
//    active one closes elect exactly one active tab over the BroadcastChannel.
// Console errors other than the 403/409 answers this provokes fail it. Exit status: 0 passed,
// 1 failed, 2 could not run.
import { options, launch, watch, check, signIn, keyMap, pairShown, outboxEmpty, sleep } from './lib.mjs';

const NAME = 'rater-tabs-test';
const { values: opts } = options(NAME, {
  'other-user': { type: 'string', required: true },
  'other-password': { type: 'string', required: true },
}, 'node rater-tabs-test.mjs --base-url URL --user U --password P --other-user U2 --other-password P2 [--chromium PATH] [--timeout MS]');
const BASE = opts['base-url'];
const TIMEOUT = Number(opts.timeout);
const step = (message) => console.log(`${NAME}: ${message}`);
const expected = (p) => /status of (403|409)/.test(p);

const browser = await launch(NAME, opts.chromium, BASE);
let failed = null;
const contexts = [];
const newContext = async () => {
  const c = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  c.setDefaultTimeout(TIMEOUT);
  contexts.push(c);
  return { context: c, problems: await watch(c) };
};
const noProblems = (problems) => {
  const real = problems.filter((p) => !expected(p));
  check(real.length === 0, real.join('\n'));
};
const total = (page) => page.evaluate(async () => (await (await fetch('/api/stats')).json()).me.total);

try {
  // ---- 1. someone else signs in in another tab (with Web Locks, then with the election) ----
  for (const locks of [true, false]) {
    const { context, problems } = await newContext();
    if (!locks) await context.addInitScript(() => { delete Navigator.prototype.locks; });
    const page = await context.newPage();
    await signIn(page, BASE, opts.user, opts.password);
    const keys = await keyMap(page);
    const rate = async (value) => {
      for (const d of Object.keys(keys)) await page.keyboard.press(keys[d][value].key);
    };
    let shown = await pairShown(page, { timeout: TIMEOUT });
    await rate(1);
    shown = await pairShown(page, { after: shown.seq });
    await outboxEmpty(page);
    const before = await total(page);

    const other = await context.newPage();
    await signIn(other, BASE, opts['other-user'], opts['other-password']);
    await other.close();
    step(`${opts['other-user']} signed in in a second tab`);

    await rate(-1);
    await page.waitForFunction(() => document.getElementById('pair').dataset.state === 'other-user', null, { timeout: 15000 })
      .catch(async () => {
        const p = await page.$eval('#problem', (e) => e.textContent);
        throw new Error(`the first tab did not stop after another user signed in (problem: ${p || 'none'})`);
      });
    const problem = await page.$eval('#problem', (e) => (e.hidden ? '' : e.textContent));
    check(problem.includes(opts['other-user']), `the stopped tab does not name the other user: ${problem}`);
    check(!/refused/.test(problem), `the stopped tab says a rating was refused: ${problem}`);
    const kept = await page.evaluate((u) => JSON.parse(localStorage.getItem(`memescope.rater.outbox:${u}`) || '[]'), opts.user);
    check(kept.length === 1 && kept[0].kind === 'rate', `the outbox in localStorage holds ${JSON.stringify(kept)}, not the one rating`);
    await sleep(500);
    check(await page.$eval('#outbox', (o) => o.dataset.pending) === '1', 'the stopped tab no longer shows its unsent rating');
    step(`the first tab stopped and kept its rating (lease ${kept[0].lease})`);

    // The stopped tab let go of the tab lock: a new tab of U rates at once, with the old one still
    // open (until 2026-12-06 it waited until that one was closed).
    const again = await context.newPage();
    await signIn(again, BASE, opts.user, opts.password);
    await pairShown(again, { timeout: TIMEOUT });
    check(await again.$eval('#other-tab', (e) => e.hidden), 'the new tab waits for the stopped one');
    await page.close();
    await outboxEmpty(again);
    check(await again.$eval('#problem', (e) => e.hidden), `the new tab shows a problem: ${await again.$eval('#problem', (e) => e.textContent)}`);
    const after = await total(again);
    check(after === before + 1, `${opts.user}'s total went from ${before} to ${after}, not up by the kept rating`);
    step(`signed in again as ${opts.user}${locks ? '' : ' (no Web Locks)'}: the kept rating was sent (total ${before} -> ${after})`);
    await sleep(300);
    noProblems(problems);
    await context.close();
  }

  // ---- 2. no Web Locks: one tab rates ----
  {
    const { context, problems } = await newContext();
    await context.addInitScript(() => { delete Navigator.prototype.locks; });
    const first = await context.newPage();
    await signIn(first, BASE, opts.user, opts.password);
    check(await first.evaluate(() => !navigator.locks), 'Web Locks are still there');
    const settle = () => sleep(4000); // a takeover whose bye was lost waits for the next look (2 s + 1 s)
    const activeOf = async (pages) => {
      const states = await Promise.all(pages.map((p) => p.$eval('#pair', (e) => e.dataset.state)));
      return { active: pages.filter((_, i) => states[i] !== 'other-tab'), states };
    };
    const expectOne = async (pages, what) => {
      await settle();
      const { active, states } = await activeOf(pages);
      check(active.length === 1, `${what}: ${active.length} tabs rate (states ${states.join(', ')}), not one`);
      return active[0];
    };
    let pages = [first, ...(await Promise.all([1, 2, 3].map(() => context.newPage())))];
    await Promise.all(pages.slice(1).map((p) => p.goto(`${BASE}/`)));
    let winner = await expectOne(pages, 'three tabs opened next to an active one');
    check(winner === first, 'the first tab lost its place to a newcomer');
    for (let round = 1; round <= 2; round++) {
      await winner.close();
      pages = pages.filter((p) => p !== winner);
      winner = await expectOne(pages, `after the active tab closed (${round})`);
    }
    step('without Web Locks one tab rates, and one takes over when it closes');
    await Promise.all(pages.map((p) => p.close()));
    pages = await Promise.all([1, 2, 3].map(() => context.newPage()));
    await Promise.all(pages.map((p) => p.goto(`${BASE}/`)));
    await expectOne(pages, 'three tabs opened at once');
    step('three tabs opened at once: one rates');
    noProblems(problems);
    await context.close();
  }
  step('passed');
} catch (e) {
  failed = e;
} finally {
  await browser.close().catch(() => {});
}
if (failed) {
  console.error(`${NAME}: FAILED: ${failed.message}`);
  process.exit(1);
}
