#!/usr/bin/env node
// Browser test of the rating page, by keyboard (one click aside), against a running rater app whose
// dimensions are usefulness, memeness and aesthetics:
//   npm ci --prefix rater-web/src/test/ui
//   node rater-web/src/test/ui/rater-test.mjs --base-url http://localhost:PORT --user U --password P --out DIR
//        [--chromium /usr/bin/chromium] [--timeout MS]
// Signs in on /login, rates exactly 20 pairs with varied keys, undoes one rating with Backspace and
// rates that pair again with other values, rates one pair starting with a mouse click and one
// ending with a double click (whose second click must not choose on the next pair), skips one
// pair with Space right after a mouse click on the outbox button (which must not keep the focus and
// take the Space), ends one rating with two keys queued at once (the second must not choose on the
// next pair, which was not on screen when it was pressed), types one on a Cyrillic layout (the
// keys' places decide), ends one with Enter on a focused
// button held down (its repeats must not choose on the next pair), undoes a rating whose reply
// was lost (it must go from the server too; that pair is left unrated), has one rating refused (the
// notice must stay while the rater skips the next pair), checks a second tab is told
// that another tab rates, waits until the outbox is empty, rates and undoes one pair on a second
// device (a second Backspace there must not undo the first device's rating), checks that a pair
// whose image cannot be loaded is shown without rating keys (on a third device), checks that a
// session ending while a rating is only in the page's memory (storage refused) keeps the page open
// with a link to sign in again, and that the rating is sent once signed in (a fourth device, which
// then undoes it), and writes
// DIR/rater-result.json:
//   {"ratings":[{left,right,scores}] (the 20 final ratings), "undone":{left,right,scores (the
//    original ones)}, "skipped":{left,right}}
// Any console error (CSP violations included), uncaught exception, HTTP 5xx or failed request
// fails it. Exit status: 0 passed, 1 failed (the reason on stderr), 2 could not run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { options, launch, watch, check, signIn, keyMap, pairShown, pressed, outboxEmpty, sleep } from './lib.mjs';

const NAME = 'rater-test';
const { values: opts } = options(NAME, { out: { type: 'string', required: true } },
  'node rater-test.mjs --base-url URL --user U --password P --out DIR [--chromium PATH] [--timeout MS]');
const BASE = opts['base-url'];
const OUT = resolve(opts.out);
const TIMEOUT = Number(opts.timeout);
const DIMENSIONS = ['usefulness', 'memeness', 'aesthetics'];
const RATINGS = 20;
const UNDO_AFTER = 4; // Backspace after the 4th rating
const SKIP_AT = 9; // Space on the pair shown after the 9th rating
const DOUBLE_CLICK_AT = 14; // the 15th rating ends with a double click on its last value
const QUEUED_KEY_AT = 16; // the 17th rating's last key has a second key queued behind it
const FOCUSED_ENTER_AT = 18; // the 19th rating ends with Enter on a focused button, held down
const CYRILLIC_AT = 12; // the 13th rating is typed on a Cyrillic layout (e.key 'й' on the Q key)
// What a Russian (ЙЦУКЕН) layout gives on the keys that carry these Latin letters.
const CYRILLIC = Object.fromEntries([...'qwertyuiopasdfghjklzxcvbnm'].map((c, i) => [c, 'йцукенгшщзфывапролдячсмить'[i]]));
mkdirSync(OUT, { recursive: true });

const browser = await launch(NAME, opts.chromium, BASE);
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
context.setDefaultTimeout(TIMEOUT);
const problems = await watch(context);
let failed = null;

try {
  const page = await context.newPage();
  const step = (message) => console.log(`${NAME}: ${message}`);
  const noProblems = () => check(problems.length === 0, problems.join('\n'));

  // ?next= leads only to a path of this app. The browser drops a tab in a URL, so "/<tab>/host"
  // is "//host" to it: a prefix check for "//" let that through to another site; and "/.//host"
  // normalises to the path "//host", which must stay a path of this app. In a context of
  // its own, whose failed navigation elsewhere is no problem of the page under test.
  for (const [next, want] of [['/\t/example.org/x', '/'], ['/\\example.org/x', '/'], ['/.//example.org/x', '//example.org/x'],
    ['/?from=next#top', '/?from=next#top']]) {
    const other = await browser.newContext();
    await other.route('**/api/pairs/**', (route) => route.abort()); // the rating page leases no pair
    try {
      const p = await other.newPage();
      await p.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
      await p.fill('#username', opts.user);
      await p.fill('#password', opts.password);
      await Promise.all([p.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: TIMEOUT }), p.press('#password', 'Enter')]);
      const at = new URL(p.url());
      check(at.origin === new URL(BASE).origin && at.pathname + at.search + at.hash === want,
        `signing in with next=${JSON.stringify(next)} led to ${p.url()}, not ${want} on this app`);
    } finally {
      await other.close();
    }
  }
  step('sign-in leads back only to a path of this app');

  await signIn(page, BASE, opts.user, opts.password);
  step('signed in by keyboard');
  const keys = await keyMap(page);
  for (const d of DIMENSIONS) {
    check(keys[d], `the key map has no row for ${d} (rows: ${Object.keys(keys).join(', ')})`);
    for (const v of [-2, -1, 0, 1, 2]) {
      const k = keys[d][v];
      check(k && k.key && k.shown.toLowerCase() === k.key.toLowerCase(), `${d} ${v}: no key shown on its button`);
    }
  }
  const press = async (scores) => {
    for (const d of DIMENSIONS) await page.keyboard.press(keys[d][scores[d]].key);
  };
  // Varied: every point of every dimension comes up, in different combinations.
  const scoresFor = (n) => Object.fromEntries(DIMENSIONS.map((d, i) => [d, ((n * 3 + i * 2 + Math.floor(n / 5)) % 5) - 2]));

  const ratings = []; // final ratings in order: {left, right, scores}
  let undone = null;
  let skipped = null;
  let shown = await pairShown(page, { timeout: TIMEOUT });
  let made = 0;
  while (ratings.length < RATINGS) {
    check(shown.painted.length === 2 && shown.painted.every(Boolean), `pair #${shown.seq} is on screen without both images loaded`);
    check(/^[0-9a-f]{32}$/.test(shown.left) && /^[0-9a-f]{32}$/.test(shown.right) && shown.left !== shown.right,
      `pair #${shown.seq} has odd ids: ${shown.left} / ${shown.right}`);
    if (ratings.length === SKIP_AT && !skipped) {
      skipped = { left: shown.left, right: shown.right };
      // A button clicked with the mouse keeps the focus in Chromium, and the Space meant for the
      // page would press it again (here: send the outbox now) instead of skipping the pair.
      await page.click('#outbox');
      await page.keyboard.press('Space');
      shown = await pairShown(page, { after: shown.seq });
      check(!(shown.left === skipped.left && shown.right === skipped.right), 'Space did not move on from the pair');
      const after = await pressed(page);
      check(Object.values(after).every((v) => v === null || v === undefined),
        `after Space the new pair shows ${JSON.stringify(after)} pressed: a focused button took the key`);
      step(`skipped ${skipped.left} / ${skipped.right}`);
      continue;
    }
    const scores = scoresFor(made++);
    if (ratings.length === SKIP_AT - 1) {
      // The rating before the skip starts with a mouse click on its first value.
      const [first, ...rest] = DIMENSIONS;
      await page.click(`button.point[data-dim="${first}"][data-value="${scores[first]}"]`);
      for (const d of rest) await page.keyboard.press(keys[d][scores[d]].key);
    } else if (ratings.length === DOUBLE_CLICK_AT) {
      // Its first click completes the pair and the next one appears at once, under the pointer:
      // the second click must not choose on a pair the rater has not looked at.
      const last = DIMENSIONS.at(-1);
      for (const d of DIMENSIONS.slice(0, -1)) await page.keyboard.press(keys[d][scores[d]].key);
      await page.dblclick(`button.point[data-dim="${last}"][data-value="${scores[last]}"]`);
    } else if (ratings.length === QUEUED_KEY_AT) {
      // Two keydowns queued before the page runs either (a double tap, a bouncing key): the first
      // completes the pair and puts the next one on screen; the second was pressed before that.
      const last = DIMENSIONS.at(-1);
      for (const d of DIMENSIONS.slice(0, -1)) await page.keyboard.press(keys[d][scores[d]].key);
      await page.waitForTimeout(1000); // the next pair decoded, so that it goes on screen at once
      const seqs = await page.evaluate(([k1, k2]) => {
        const pair = document.getElementById('pair');
        const [first, second] = [k1, k2].map((key) => new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
        const before = Number(pair.dataset.seq);
        document.body.dispatchEvent(first);
        const between = Number(pair.dataset.seq);
        document.body.dispatchEvent(second);
        return { before, between };
      }, [keys[last][scores[last]].key, keys[DIMENSIONS[0]][2].key]);
      check(seqs.between > seqs.before,
        `the next pair was not on screen when the queued key was handled (seq ${seqs.before} then ${seqs.between}): this check tests nothing`);
    } else if (ratings.length === CYRILLIC_AT) {
      const presses = DIMENSIONS.map((d) => {
        const k = keys[d][scores[d]].key.toLowerCase();
        return [CYRILLIC[k], `Key${k.toUpperCase()}`];
      });
      await page.evaluate((all) => {
        for (const [key, code] of all) {
          document.body.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
        }
      }, presses);
      await page.waitForFunction((seq) => Number(document.getElementById('pair').dataset.seq) > seq, shown.seq, { timeout: 5000 })
        .catch(() => check(false, `keys typed on a Cyrillic layout (${JSON.stringify(presses)}) did not rate the pair`));
      step('a rating typed on a Cyrillic layout went by the keys\' places');
    } else if (ratings.length === FOCUSED_ENTER_AT) {
      // A keyboard rater who tabbed to a point button: Enter presses it and completes the pair,
      // and the focus stays on the button over the next pair.
      const last = DIMENSIONS.at(-1);
      for (const d of DIMENSIONS.slice(0, -1)) await page.keyboard.press(keys[d][scores[d]].key);
      await page.waitForTimeout(1000); // the next pair decoded, so that it goes on screen at once
      await page.focus(`button.point[data-dim="${last}"][data-value="${scores[last]}"]`);
      await page.keyboard.down('Enter');
    } else {
      await press(scores);
    }
    const rated = { left: shown.left, right: shown.right, scores };
    ratings.push(rated);
    shown = await pairShown(page, { after: shown.seq });
    if (ratings.length === DOUBLE_CLICK_AT + 1) {
      const after = await pressed(page);
      check(Object.values(after).every((v) => v === null || v === undefined),
        `after a double click the next pair shows ${JSON.stringify(after)} pressed: the second click chose on it`);
    }
    if (ratings.length === QUEUED_KEY_AT + 1) {
      const after = await pressed(page);
      check(Object.values(after).every((v) => v === null || v === undefined),
        `after two queued keys the next pair shows ${JSON.stringify(after)} pressed: the second key chose on it`);
      step('a key queued behind the one that completed a pair did not choose on the next one');
    }
    if (ratings.length === FOCUSED_ENTER_AT + 1) {
      // Enter still held: the key repeats, on the button that still has the focus.
      check(await page.evaluate(() => document.activeElement?.classList.contains('point')),
        'the point button lost the focus when the pair changed: the held Enter below tests nothing');
      await page.keyboard.down('Enter'); // a repeat
      await page.keyboard.down('Enter');
      await page.keyboard.up('Enter');
      await page.waitForTimeout(300);
      const after = await pressed(page);
      check(Object.values(after).every((v) => v === null || v === undefined),
        `after a held Enter on a focused button the next pair shows ${JSON.stringify(after)} pressed: the repeat chose on it`);
      await page.evaluate(() => document.activeElement?.blur());
      step('a held Enter on the focused button that completed a pair did not choose on the next one');
    }
    if (ratings.length === UNDO_AFTER && !undone) {
      await page.keyboard.press('Backspace');
      shown = await pairShown(page, { after: shown.seq });
      check(shown.undone, 'Backspace did not bring back an undone pair');
      check(shown.left === rated.left && shown.right === rated.right,
        `Backspace brought back ${shown.left} / ${shown.right}, not the pair rated last (${rated.left} / ${rated.right})`);
      const before = await pressed(page);
      check(JSON.stringify(before) === JSON.stringify(scores),
        `the undone pair shows ${JSON.stringify(before)} pre-selected, not its old values ${JSON.stringify(scores)}`);
      ratings.pop();
      undone = rated;
      const again = Object.fromEntries(DIMENSIONS.map((d) => [d, ((scores[d] + 4) % 5) - 2]));
      await press(again);
      ratings.push({ left: rated.left, right: rated.right, scores: again });
      shown = await pairShown(page, { after: shown.seq });
      step(`undid ${JSON.stringify(scores)} and rated the pair again with ${JSON.stringify(again)}`);
    }
    noProblems();
  }
  step(`rated ${ratings.length} pairs`);

  // A reply lost after the server stored the rating (a proxy's 503, a dropped connection): the
  // page keeps the rating to send again, and Backspace must then take it back on the server, not
  // only out of the page's outbox (where it would have stayed stored, and counted).
  {
    const pattern = /\/api\/ratings(\?|$)/;
    let reached;
    const stored = new Promise((r) => { reached = r; });
    const loseReply = async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const real = await route.fetch();
      reached(real.status());
      // Retry-After keeps the page from sending it again on its own before Backspace.
      await route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '120' },
        body: JSON.stringify({ error: 'the reply was lost on the way (test)' }) });
    };
    // Every earlier rating on the server first: the lost reply must be this rating's, not that
    // of one still waiting in the outbox.
    await outboxEmpty(page, Math.max(TIMEOUT, 60000));
    await page.route(pattern, loseReply);
    const lost = { left: shown.left, right: shown.right };
    await press(scoresFor(made++));
    const status = await stored;
    check(status === 201, `the rating whose reply is lost was answered ${status} by the server, not 201`);
    shown = await pairShown(page, { after: shown.seq });
    await page.waitForFunction(() => /reply was lost/.test(document.getElementById('outbox')?.title ?? ''))
      .catch(() => { throw new Error('the page did not keep the rating whose reply was lost for a retry'); });
    await page.unroute(pattern, loseReply);
    await page.keyboard.press('Backspace');
    shown = await pairShown(page, { after: shown.seq });
    check(shown.undone && shown.left === lost.left && shown.right === lost.right,
      `Backspace brought back ${shown.left} / ${shown.right}, not the pair whose reply was lost (${lost.left} / ${lost.right})`);
    const said = await page.$eval('#status', (e) => e.textContent);
    check(said.startsWith('Undone:'), `undoing the rating whose reply was lost said: ${said}`);
    // The lost reply's 503 is this scenario's own; anything else still counts.
    for (let i = problems.length - 1; i >= 0; i--) {
      if (/^HTTP 503 from POST .*\/api\/ratings|status of 503/.test(problems[i])) problems.splice(i, 1);
    }
    noProblems();
    step('a rating whose reply was lost was taken back on the server by Backspace (its pair is left unrated)');
  }

  // A rating the server refuses for good is dropped, and the page says so; the notice stays while
  // the rater goes on (here: skips the next pair, which fetches another), long enough to be read.
  {
    await outboxEmpty(page, Math.max(TIMEOUT, 60000));
    const pattern = /\/api\/ratings(\?|$)/;
    const refuse = (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: 'refused for the test' }) })
      : route.continue());
    await page.route(pattern, refuse);
    await press(scoresFor(made++));
    shown = await pairShown(page, { after: shown.seq });
    await page.waitForFunction(() => /refused by the server and dropped/.test(document.getElementById('problem')?.textContent ?? ''))
      .catch(() => { throw new Error('a rating refused for good was dropped without a word'); });
    await page.unroute(pattern, refuse);
    await page.keyboard.press('Space');
    shown = await pairShown(page, { after: shown.seq });
    await outboxEmpty(page, Math.max(TIMEOUT, 60000));
    await page.waitForTimeout(500);
    const notice = await page.$eval('#problem', (e) => (e.hidden ? '' : e.textContent));
    check(/refused by the server and dropped/.test(notice), `the notice of a dropped rating went as the next pair came (now: "${notice}")`);
    for (let i = problems.length - 1; i >= 0; i--) {
      if (/^HTTP 409 from POST .*\/api\/ratings|status of 409/.test(problems[i])) problems.splice(i, 1);
    }
    noProblems();
    step('a rating refused for good is dropped, and the notice stays while the rater goes on');
  }

  // Only one tab rates: a second one says so and shows no pair.
  const second = await context.newPage();
  await second.goto(`${BASE}/`);
  await second.waitForSelector('#other-tab:not([hidden])', { timeout: 10000 })
    .catch(() => { throw new Error('a second tab does not say that another tab is rating'); });
  const state = await second.$eval('#pair', (p) => p.dataset.state);
  check(state === 'other-tab', `the second tab's pair is in state ${state}, not other-tab`);
  await second.close();
  step('a second tab waits for the first');

  await outboxEmpty(page, Math.max(TIMEOUT, 60000));
  step('outbox empty: every rating is on the server');

  // The same rater on another device (a browser context of its own: its own storage and tab
  // lock), signed in; its problems and its undo requests are counted apart.
  const openDevice = async () => {
    const device = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    device.setDefaultTimeout(TIMEOUT);
    const deviceProblems = await watch(device);
    const other = await device.newPage();
    const undos = [];
    other.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/ratings/undo') undos.push(r.postData());
    });
    // Pairs the page was handed (the one on screen, then those fetched ahead).
    let leased = 0;
    other.on('requestfinished', async (r) => {
      if (new URL(r.url()).pathname !== '/api/pairs/next') return;
      const answer = await r.response().catch(() => null);
      if (answer && answer.status() === 200) leased++;
    });
    await signIn(other, BASE, opts.user, opts.password);
    return { device, deviceProblems, other, undos, leased: () => leased };
  };

  // The same rater on another device (a context of its own: its own storage and tab lock). Once
  // its page has stored a rating and undone it, Backspace must not ask the server for "the latest
  // rating, whichever": that is now the first page's last one, and would be taken back (RaterIT
  // then finds 19 ratings, not 20).
  {
    const { device, deviceProblems, other, undos } = await openDevice();
    try {
      const first = await pairShown(other, { timeout: TIMEOUT });
      for (const d of DIMENSIONS) await other.keyboard.press(keys[d][1].key);
      const next = await pairShown(other, { after: first.seq });
      await outboxEmpty(other, Math.max(TIMEOUT, 60000));
      await other.keyboard.press('Backspace');
      const back = await pairShown(other, { after: next.seq });
      check(back.undone && back.left === first.left && back.right === first.right,
        `on the second device Backspace brought back ${back.left} / ${back.right}, not its rated pair ${first.left} / ${first.right}`);
      check(undos.length === 1, `undoing the second device's stored rating sent ${undos.length} undo requests, not 1`);
      await other.keyboard.press('Backspace');
      await other.waitForFunction(() => /Nothing more to undo/.test(document.getElementById('status')?.textContent ?? ''))
        .catch(async () => {
          const said = await other.$eval('#status', (e) => e.textContent).catch(() => '?');
          throw new Error(`a second Backspace on the second device, its only rating undone, said: ${said}`);
        });
      check(undos.length === 1,
        `a second Backspace on the second device asked the server to undo again (${undos.at(-1)}): the first device's rating`);
      check(deviceProblems.length === 0, deviceProblems.join('\n'));
      step('a second device undoes its own rating, and no rating of the first');
    } finally {
      await device.close();
    }
  }
  // A pair whose images cannot be loaded (taken down since it was queued, a thumbnail missing):
  // shown, said so, and not rated by its keys. On a device of its own whose image requests fail;
  // the page's own 404s there are the scenario, not problems. Its pair is left leased, unrated.
  {
    const device = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    device.setDefaultTimeout(TIMEOUT);
    try {
      await device.route(/\/images\//, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'gone' }));
      const other = await device.newPage();
      const posted = [];
      other.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/ratings') posted.push(r.url());
      });
      await signIn(other, BASE, opts.user, opts.password);
      const broken = await pairShown(other, { timeout: TIMEOUT });
      const flag = await other.$eval('#pair', (p) => p.dataset.broken);
      check(flag === 'true', `a pair without its images is shown as data-broken=${flag}`);
      for (const d of DIMENSIONS) await other.keyboard.press(keys[d][0].key);
      await other.waitForTimeout(500);
      check(posted.length === 0, `a pair whose images did not load was rated (${posted.length} rating requests)`);
      const chosen = await pressed(other);
      check(Object.keys(chosen).length === 0, `a pair whose images did not load shows ${JSON.stringify(chosen)} chosen`);
      const said = await other.$eval('#status', (e) => e.textContent);
      check(/could not be loaded/.test(said), `a pair whose images did not load said: ${said}`);
      const disabled = await other.$$eval('#keys button.point', (bs) => bs.every((b) => b.disabled));
      check(disabled, 'the value buttons of a pair whose images did not load are enabled');
      step(`a pair whose images did not load (${broken.left} / ${broken.right}) cannot be rated`);
    } finally {
      await device.close();
    }
  }

  // The session ends while a rating is only in the page's memory (this browser would not store
  // the outbox): the sign-in page would lose it. The page stays, says so with a link to sign in
  // in a new tab, and sends the rating once the session is back. On a device of its own; the
  // rating is then undone, so that the first device's 20 stay the only ones.
  {
    const { device, deviceProblems, other, undos, leased } = await openDevice();
    try {
      const first = await pairShown(other, { timeout: TIMEOUT });
      // The next pair fetched ahead before the session ends (every API call answered 401 from
      // then on): on a loaded machine its request was once still in flight, and no next pair came.
      for (const until = Date.now() + TIMEOUT; leased() < 2;) {
        check(Date.now() < until, `the page fetched no pair ahead of the first in ${TIMEOUT} ms`);
        await sleep(50);
      }
      await other.evaluate(() => {
        const real = Storage.prototype.setItem;
        Storage.prototype.setItem = function setItem(key, value) {
          if (/outbox/.test(key)) throw new DOMException('the storage is full (test)', 'QuotaExceededError');
          return real.call(this, key, value);
        };
      });
      // The session ended: every API call is answered 401 until it is back.
      let signedOut = true;
      await device.route(/\/api\//, (route) => (signedOut && !/\/api\/login$/.test(new URL(route.request().url()).pathname)
        ? route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'sign in (test)' }) })
        : route.continue()));
      for (const d of DIMENSIONS) await other.keyboard.press(keys[d][1].key);
      const next = await pairShown(other, { after: first.seq }); // prefetched before the session ended
      await other.waitForSelector('#problem a#sign-in-again', { timeout: 10000 })
        .catch(async () => {
          const said = await other.$eval('#problem', (e) => e.textContent).catch(() => '?');
          throw new Error(`the session ended with a rating only in memory, and the page said: ${said} (at ${other.url()})`);
        });
      await other.waitForTimeout(1000);
      const at = new URL(other.url());
      check(at.pathname === '/', `the page went to ${at.pathname} with a rating it could not store: it is lost`);
      const pending = await other.$eval('#outbox', (o) => o.dataset.pending);
      check(pending === '1', `the page holds ${pending} unsent ratings, not the 1 rated`);
      const link = new URL(await other.$eval('#sign-in-again', (a) => a.href));
      check(link.pathname === '/login' && link.searchParams.get('then') === 'close',
        `the sign-in link is ${link.href}, not the sign-in page that closes itself`);
      // Signed in again by that link, in another tab: it closes itself or says to close it.
      const signin = await device.newPage();
      await signin.goto(link.href);
      await signin.fill('#username', opts.user);
      await signin.fill('#password', opts.password);
      await signin.press('#password', 'Enter');
      await signin.waitForSelector('#signed-in:text("Signed in. Close this tab")', { state: 'visible', timeout: 10000 })
        .catch((e) => { if (!signin.isClosed()) throw new Error(`the sign-in tab opened from the rating page neither closed nor said to close it: ${e.message}`); });
      check(signin.isClosed() || new URL(signin.url()).pathname === '/login', `the sign-in tab went on to ${signin.url()}`);
      signedOut = false; // the new session is the server's; the page finds it by itself
      await outboxEmpty(other, Math.max(TIMEOUT, 60000));
      await other.waitForFunction(() => !/session has ended/.test(document.getElementById('problem')?.textContent ?? ''), null, { timeout: 10000 })
        .catch(() => { throw new Error('the page still says the session has ended after sending its rating'); });
      await other.keyboard.press('Backspace');
      const back = await pairShown(other, { after: next.seq });
      check(back.undone && back.left === first.left && back.right === first.right,
        `after the session came back Backspace brought back ${back.left} / ${back.right}, not the rated pair`);
      check(undos.length === 1, `undoing the rating sent after the session came back sent ${undos.length} undo requests, not 1`);
      // The 401s are this scenario's own; anything else still counts.
      const others = deviceProblems.filter((p) => !/401|sign in \(test\)|storage is full/.test(p));
      check(others.length === 0, others.join('\n'));
      step('a session that ended while a rating was only in memory: the page stayed and sent it once signed in again');
    } finally {
      await device.close();
    }
  }

  await page.waitForTimeout(300); // a late error still counts
  noProblems();

  const keysOf = new Set(ratings.map((r) => `${r.left}|${r.right}`));
  check(keysOf.size === RATINGS, `the ${RATINGS} ratings are not of ${RATINGS} different pairs`);
  writeFileSync(join(OUT, 'rater-result.json'), JSON.stringify({ ratings, undone, skipped }, null, 2) + '\n');
  await page.screenshot({ path: join(OUT, 'rater-page.png') }).catch(() => {});
  step(`passed; ${join(OUT, 'rater-result.json')}`);
} catch (e) {
  failed = e;
  for (const p of context.pages()) {
    await p.screenshot({ path: join(OUT, 'rater-failure.png') }).catch(() => {});
    break;
  }
} finally {
  await browser.close().catch(() => {});
}
if (failed) {
  console.error(`${NAME}: FAILED: ${failed.message}`);
  if (problems.length) console.error(`${NAME}: problems seen in the browser:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
