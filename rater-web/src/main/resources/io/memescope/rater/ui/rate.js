// The rating page. Two images side by side; one key per dimension and point of the scale; when
// every dimension has its point the pair goes to the outbox and the next pair, fetched and decoded
// beforehand, is shown at once. Space skips, Backspace (or Ctrl+Z) undoes the last rating.
//
// The outbox: ratings and skips wait in localStorage and are POSTed one at a time, in order,
// retried with backoff while the server cannot be reached or answers 5xx/429 (a rating is keyed by
// its lease, so a retry never stores it twice). Only one tab of a browser rates at a time (Web
// Locks). For tests: #pair carries data-left / data-right / data-seq / data-state, #outbox carries
// data-pending, and window.__raterBench records the time from the last key of a pair to the next
// pair painted (also as performance measures named "rater:key-to-shown").
import { api, ApiError, setCsrf, el, withTz, signOut, sessionUser, signInAgain, holdSignIn, signInUrl } from '/ui/api.js';

const PREFETCH = 2; // pairs fetched and decoded ahead of the one on screen
const HISTORY = 5; // rated pairs whose decoded images are kept for a quick local undo
const UNDO_DEPTH = 50; // stored ratings whose leases Backspace names, newest last
const STATS_EVERY_MS = 30000;
const EMPTY_RETRY_MS = 15000;
const SYMBOLS = ['«', '‹', '=', '›', '»'];
const LEASE = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i; // leases are time UUIDs

const $ = (id) => document.getElementById(id);
const pairEl = $('pair');
const leftFrame = $('left-frame');
const rightFrame = $('right-frame');
const keysEl = $('keys');
const statusEl = $('status');
const outboxEl = $('outbox');
const progressEl = $('progress');
const problemEl = $('problem');

const bench = {
  samples: [], // ms from the last key of a pair to the next pair painted
  shown: 0,
  get pending() { return outbox.length; },
};
window.__raterBench = bench;

let me = null;
let dims = []; // [{name, label, keys}]
let scale = []; // [{value, label}]
const keyMap = new Map(); // key -> {dim, value}
const buttons = new Map(); // `${dim}|${value}` -> button
let active = false; // this tab holds the rating lock
let switchedTo = null; // the user another tab signed in as: this tab stops, its outbox kept as it is
const rating = () => active && !switchedTo;

let current = null; // {entry, values, touched:Set, previous}
const ahead = []; // prepared entries, next first
const history = new Map(); // lease -> entry, of recently rated pairs
const sentRatings = []; // leases of the ratings the server stored, newest last: what Backspace undoes
// Once this page has stored a rating, Backspace undoes only ratings it names (sentRatings). Before,
// on a fresh page, it undoes the rater's latest rating wherever it was made (e.g. before a reload);
// after, that would take back another tab's or device's rating once this page's list ran out (all
// undone, or one refused as not the latest: a 409 because another device rated since).
let storedHere = false;
let trimmed = false; // sentRatings lost its oldest leases to UNDO_DEPTH
let refused = false; // an undo this page asked was refused (404/409): another rating came after, or too old
let fetching = false;
// When the pair on screen was put there (performance.now()). A key pressed before it (a second key
// queued behind the one that completed the last pair: a double tap, a bouncing key) was meant for
// that pair, not this one, which the rater has not seen; until 2026-12-06 it chose on it.
let shownAt = 0;
// The server may hold pairs for this rater that this page does not know of: on opening (an earlier
// page's), and after a request that could lease one lost its answer (next pair, undo).
let unknownHolds = true;
let emptyMessage = null;
let emptyTimer = null;
let fetchBackoff = 0;
let waitingSince = null; // the key time of the pair whose successor is not ready yet
let busy = false; // an undo is under way
let seq = 0;
const counts = { today: null, total: null, queue: null, depth: null };

// ---- storage ------------------------------------------------------------------------------

const storeKey = (what) => `memescope.rater.${what}:${me.username}`;
let outbox = [];

function loadStore(what) {
  try {
    const v = JSON.parse(localStorage.getItem(storeKey(what)) || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

let outboxKept = true; // the outbox as it is now is in localStorage

function saveOutbox() {
  try {
    localStorage.setItem(storeKey('outbox'), JSON.stringify(outbox));
  } catch (e) {
    outboxKept = false;
    if (!signInHeld) showProblem(`This browser would not keep the unsent ratings (${e.message}); keep this tab open until they are saved.`, 'storage');
    renderOutbox();
    return;
  }
  outboxKept = true;
  clearProblem('storage');
  renderOutbox();
}

/** Unsent ratings that only this page's memory holds: leaving the page loses them. */
const unkept = () => outbox.length > 0 && !outboxKept;

// A 401 (the session ended) while the outbox is only in memory: the sign-in page would lose it.
// The page stays, offers the sign-in in a new tab, looks for the session every few seconds, and
// then sends the outbox and goes on. Until 2026-12-06 it went to the sign-in page, and those
// ratings were lost.
let signInHeld = false;
let heldNotice = null;
const SESSION_POLL_MS = 3000;

function holdForSignIn() {
  if (!unkept() || switchedTo) return false;
  const n = outbox.length;
  showProblem(el('span', {},
    `Your session has ended, and ${n} unsent rating${n === 1 ? ' is' : 's are'} only in this page (this browser would not store ${n === 1 ? 'it' : 'them'}). `,
    el('a', { href: signInUrl({ close: true }), target: '_blank', id: 'sign-in-again', text: 'Sign in again in a new tab' }),
    ` and keep this one open: ${n === 1 ? 'it is' : 'they are'} sent as soon as you have. Closing or reloading this page loses ${n === 1 ? 'it' : 'them'}.`), 'signin');
  if (!signInHeld) {
    signInHeld = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    setTimeout(awaitSignIn, SESSION_POLL_MS);
  }
  return true;
}

async function awaitSignIn() {
  if (!signInHeld || switchedTo) return;
  const fresh = await api('GET', '/api/me', undefined, { redirect401: false }).catch(() => null);
  if (fresh && fresh.username !== me.username) {
    signInHeld = false;
    switched(fresh.username); // the outbox stays in memory; this tab stops (it says what it holds)
    return;
  }
  if (!fresh) {
    setTimeout(awaitSignIn, SESSION_POLL_MS);
    return;
  }
  setCsrf(fresh.csrf, me.username);
  signInHeld = false;
  clearProblem('signin');
  if (heldNotice) showProblem(heldNotice);
  heldNotice = null;
  sendBackoff = 0;
  send();
  fill();
}

addEventListener('beforeunload', (e) => {
  if (unkept()) e.preventDefault(); // the browser asks whether to leave
});

/** Whether the server may have acted on a request that failed: no answer, or a server error. */
const lostAnswer = (e) => !(e instanceof ApiError) || e.network || e.status >= 500;

// Leases handed to this page whose pair is not on screen or prefetched yet (an undo's pair while
// its images decode): kept all the same.
const pendingLeases = new Set();

/** Waits for the entry's images, its lease counted as held meanwhile. */
async function decoded(entry, lease) {
  pendingLeases.add(lease);
  try {
    await entry.ready;
  } finally {
    pendingLeases.delete(lease);
  }
}

/**
 * Every lease this page knows it holds: on screen, prefetched, being prepared, and of ratings not
 * sent yet (the oldest of those left out past 1000).
 */
function knownLeases() {
  const held = [current?.entry.pair.lease, ...ahead.map((e) => e.pair.lease), ...pendingLeases];
  return [...held, ...outbox.map((o) => o.lease).slice(-(1000 - held.length))]
    .filter((l) => typeof l === 'string' && LEASE.test(l));
}

// ---- messages -----------------------------------------------------------------------------

let statusTimer = null;
function say(message, { sticky = false } = {}) {
  clearTimeout(statusTimer);
  statusEl.textContent = message;
  if (!sticky && message) statusTimer = setTimeout(() => { statusEl.textContent = ''; }, 6000);
}

// What #problem says, and of what kind: 'fetch' (the next pair cannot be had) goes as soon as a
// pair comes; 'storage' (the outbox is not kept) when it is kept again; a 'notice' (a rating
// refused and dropped) stays NOTICE_MS at least, and the 'stopped' one (another user signed in)
// for good; 'signin' (the session ended while the outbox is only in memory) until the session is
// back, and nothing else replaces it meanwhile but 'stopped'. Until 2026-12-06 every pair fetched
// cleared whatever was there, so a notice that a rating was dropped went before it could be read.
let problemKind = null;
let problemUntil = 0;
const NOTICE_MS = 20000;

function showProblem(message, kind = 'notice') {
  if (!message && problemKind === 'stopped') return;
  if (message && signInHeld && kind !== 'signin' && kind !== 'stopped') {
    if (kind === 'notice') heldNotice = message; // shown when the session is back
    return;
  }
  problemEl.replaceChildren(message || '');
  problemEl.hidden = !message;
  problemKind = message ? kind : null;
  problemUntil = message && kind === 'notice' ? Date.now() + NOTICE_MS : 0;
}

/** Clears #problem if it says something of {@code kind}, or a notice shown long enough. */
function clearProblem(kind) {
  if (problemKind === kind || (problemKind === 'notice' && Date.now() >= problemUntil)) showProblem('');
}

function describe(scores) {
  return dims.map((d) => `${d.label} ${formatValue(scores[d.name])}`).join(' · ');
}

const formatValue = (v) => (v > 0 ? `+${v}` : String(v));

// ---- the key map --------------------------------------------------------------------------

function buildKeys() {
  keysEl.replaceChildren();
  keyMap.clear();
  buttons.clear();
  const head = el('div', { class: 'dim-row scale-head', 'aria-hidden': 'true' },
    el('span', { class: 'dim-label' }),
    scale.map((p) => el('span', { class: 'scale-label', text: p.label })));
  keysEl.append(head);
  for (const d of dims) {
    const labelId = `dim-${d.name}`;
    const row = el('div', { class: 'dim-row', role: 'group', 'aria-labelledby': labelId, dataset: { dim: d.name } },
      el('span', { class: 'dim-label', id: labelId }, d.label, el('span', { class: 'was', text: 'previous' })));
    scale.forEach((p, i) => {
      const key = (d.keys || '')[i] || '';
      if (key) keyMap.set(key.toLowerCase(), { dim: d.name, value: p.value });
      const b = el('button', {
        type: 'button',
        class: 'point',
        'aria-pressed': 'false',
        'aria-label': `${d.label}: ${p.label}${key ? ` (key ${key.toUpperCase()})` : ''}`,
        'aria-keyshortcuts': key ? key.toUpperCase() : null,
        title: `${p.label}${key ? ` — key ${key.toUpperCase()}` : ''}`,
        dataset: { dim: d.name, value: String(p.value), key },
      }, el('kbd', { text: key.toUpperCase() }), el('span', { class: 'sym', 'aria-hidden': 'true', text: SYMBOLS[i] || String(p.value) }));
      b.addEventListener('click', (e) => {
        if (e.detail > 0) b.blur(); // a mouse click: keep Space and Enter for the page
        // The second click of a double click: the first may have completed the pair, and this one
        // would land on the next pair's button at the same place, a choice the rater never saw.
        if (e.detail > 1) return;
        choose(d.name, p.value, performance.now());
      });
      buttons.set(`${d.name}|${p.value}`, b);
      row.append(b);
    });
    keysEl.append(row);
  }
  if (me.arrowKeys) {
    $('hints').append(' · ', el('kbd', { text: '←' }), ' / ', el('kbd', { text: '→' }), ' left / right better (with ',
      el('kbd', { text: 'Shift' }), ': much better), ', el('kbd', { text: '↓' }), ' tie');
  }
}

function renderButtons() {
  for (const d of dims) {
    const value = current ? current.values[d.name] : undefined;
    const previous = !!current?.previous && !current.touched.has(d.name);
    keysEl.querySelector(`.dim-row[data-dim="${CSS.escape(d.name)}"]`)?.classList.toggle('previous', previous);
    for (const p of scale) {
      const b = buttons.get(`${d.name}|${p.value}`);
      b.setAttribute('aria-pressed', String(value === p.value));
      b.disabled = !current || current.entry.broken;
    }
  }
}

// ---- pairs --------------------------------------------------------------------------------

function image(ref, side) {
  const img = new Image();
  if (ref.width > 0 && ref.height > 0) {
    img.width = ref.width;
    img.height = ref.height;
  }
  img.alt = `${side} image`;
  img.draggable = false;
  img.dataset.id = ref.id;
  img.src = ref.thumbnail || `/images/${ref.id}/large`;
  return img;
}

/**
 * Starts loading and decoding the pair's images; entry.ready resolves when both are decoded, or
 * when one cannot be (an error, or no image within IMAGE_WAIT_MS): then entry.broken is set, and
 * the pair is shown without keys for its values (a rating of a picture the rater never saw would
 * train the model on nothing). Until 2026-12-06 such a pair could be rated, and an image that never
 * came held the page on "Loading…".
 */
const IMAGE_WAIT_MS = 20000;
function prepare(pair) {
  const entry = { pair, left: image(pair.left, 'Left'), right: image(pair.right, 'Right'), decoded: false, broken: false };
  const decode = (img) => {
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('late')), IMAGE_WAIT_MS); });
    return Promise.race([img.decode(), late])
      .catch(() => {
        img.classList.add('broken');
        entry.broken = true;
      })
      .finally(() => clearTimeout(timer));
  };
  entry.ready = Promise.all([decode(entry.left), decode(entry.right)]).then(() => { entry.decoded = true; });
  return entry;
}

/** Keeps PREFETCH pairs ahead, one request at a time (two at once could lease the same pair). */
let fillTimer = null; // the one pending retry of fill()

async function fill() {
  if (!rating() || fetching || fillTimer || emptyMessage !== null || ahead.length >= PREFETCH) return;
  fetching = true;
  try {
    // Pairs held by an earlier page (a reload, a closed tab) or leased by a request whose answer
    // was lost go back; never those this page shows or still has ratings of to send.
    // Not while an undo is under way: the lease it is handed is not known until it answers.
    const release = unknownHolds && !busy;
    if (release) unknownHolds = false;
    let answer;
    try {
      answer = await api('POST', '/api/pairs/next', release ? { keep: knownLeases() } : {});
    } catch (e) {
      if (release || lostAnswer(e)) unknownHolds = true;
      throw e;
    }
    fetchBackoff = 0;
    clearProblem('fetch');
    if (!answer || !answer.pair) {
      emptyMessage = answer?.message || 'Nothing to rate right now.';
      clearTimeout(emptyTimer);
      emptyTimer = setTimeout(() => { emptyMessage = null; fill(); }, EMPTY_RETRY_MS);
      if (!current && ahead.length === 0) showEmpty();
      return;
    }
    const entry = prepare(answer.pair);
    ahead.push(entry);
    if (!current && !busy) advance(waitingSince);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (e instanceof ApiError && e.signedInAs) {
      switched(e.signedInAs);
      return;
    }
    const delay = Math.max(Math.min(30000, 1000 * 2 ** fetchBackoff++), (e.retryAfter || 0) * 1000);
    if (!current) showProblem(`Cannot fetch the next pair: ${e.message}. Trying again in ${Math.round(delay / 1000)} s.`, 'fetch');
    fillTimer = setTimeout(() => { fillTimer = null; fill(); }, delay);
    return;
  } finally {
    fetching = false;
  }
  fill();
}

/** Shows the next prepared pair, or waits for it; t0 is the key time that asked for it. */
function advance(t0) {
  const entry = ahead[0];
  if (!entry) {
    waitingSince = t0;
    setEmptyOrLoading();
    fill();
    return;
  }
  if (!entry.decoded) {
    waitingSince = t0;
    setEmptyOrLoading();
    entry.ready.then(() => { if (!current && !busy && ahead[0] === entry) advance(waitingSince); });
    return;
  }
  ahead.shift();
  waitingSince = null;
  show(entry, null, t0);
  fill();
}

function setEmptyOrLoading() {
  current = null;
  if (emptyMessage !== null && ahead.length === 0) {
    showEmpty();
    return;
  }
  pairEl.dataset.state = 'loading';
  pairEl.setAttribute('aria-busy', 'true');
  renderButtons();
}

function showEmpty() {
  pairEl.dataset.state = 'empty';
  pairEl.dataset.left = '';
  pairEl.dataset.right = '';
  pairEl.setAttribute('aria-busy', 'false');
  leftFrame.replaceChildren();
  rightFrame.replaceChildren();
  $('empty-text').textContent = emptyMessage;
  $('empty').hidden = false;
  renderButtons();
}

/** Puts the entry on screen; `previous`: the scores of an undone rating, pre-selected. */
function show(entry, previous, t0) {
  const { pair } = entry;
  $('empty').hidden = true;
  leftFrame.replaceChildren(entry.left);
  rightFrame.replaceChildren(entry.right);
  current = { entry, values: previous ? { ...previous } : {}, touched: new Set(), previous: previous || null };
  seq += 1;
  pairEl.dataset.left = pair.left.id;
  pairEl.dataset.right = pair.right.id;
  pairEl.dataset.seq = String(seq);
  pairEl.dataset.undone = previous ? 'true' : 'false';
  pairEl.dataset.broken = entry.broken ? 'true' : 'false';
  pairEl.dataset.state = 'ready';
  shownAt = performance.now();
  pairEl.setAttribute('aria-busy', 'false');
  $('pair-meta').textContent = pair.origin === 'queue'
    ? `Queue ${pair.queue}${pair.iteration ? ` · ${pair.iteration}` : ''}`
    : 'Random pair from the index';
  renderButtons();
  if (entry.broken) say(BROKEN, { sticky: true });
  else if (statusEl.textContent === BROKEN) say('');
  bench.shown = seq;
  if (t0 != null) {
    // Painted: the frame that draws the swap has run once the task after its rAF runs.
    requestAnimationFrame(() => setTimeout(() => {
      const end = performance.now();
      bench.samples.push(end - t0);
      try {
        performance.measure('rater:key-to-shown', { start: t0, end });
      } catch {
        // an old browser without measure options: the samples are enough
      }
    }, 0));
  }
}

// ---- rating, skipping, undoing ------------------------------------------------------------

const BROKEN = 'An image of this pair could not be loaded, so it cannot be rated. Space skips it.';

function choose(dim, value, t) {
  if (!rating() || !current || busy) return;
  if (current.entry.broken) {
    say(BROKEN, { sticky: true });
    return;
  }
  current.values[dim] = value;
  current.touched.add(dim);
  renderButtons();
  const complete = current.previous
    ? dims.every((d) => current.touched.has(d.name))
    : dims.every((d) => current.values[d.name] !== undefined);
  if (complete) submit(t);
}

function submit(t) {
  const c = current;
  const scores = {};
  for (const d of dims) scores[d.name] = c.values[d.name];
  outbox.push({ kind: 'rate', lease: c.entry.pair.lease, scores, pair: c.entry.pair, at: Date.now() });
  saveOutbox();
  history.set(c.entry.pair.lease, c.entry);
  while (history.size > HISTORY) history.delete(history.keys().next().value);
  current = null;
  // Said before the next pair is shown: a pair that cannot be rated says so, last.
  say(`Rated: ${describe(scores)}. Backspace undoes it.`);
  advance(t);
  send();
}

function skip(t) {
  if (!rating() || !current || busy) return;
  const c = current;
  outbox.push({ kind: 'skip', lease: c.entry.pair.lease, pair: c.entry.pair, at: Date.now() });
  saveOutbox();
  current = null;
  say('Skipped: you will not see that pair again.');
  advance(t);
  send();
}

/** Back to the pair rated last, its values pre-selected. */
async function undo() {
  if (!rating() || busy) return;
  busy = true;
  try {
    for (;;) {
      // Not sent yet: take it out of the outbox, no server needed.
      let i = outbox.length - 1;
      while (i >= 0 && outbox[i].kind !== 'rate') i--;
      if (i >= 0 && outbox[i] !== inFlight && outbox[i].attempted) {
        // Sent before without an answer (a 5xx, a lost connection): the server may have stored it,
        // so taking it out here could leave it stored. Send it now, then undo on the server.
        const waited = outbox[i];
        if (sending) {
          await inFlightDone; // another item is on its way; look again after it
          continue;
        }
        say('Undoing: sending the last rating to the server first…', { sticky: true });
        await send();
        if (!rating()) {
          say('');
          return;
        }
        if (outbox.includes(waited)) {
          say(`Cannot undo now: the last rating has not reached the server (${sendError || 'no answer'}). Try again in a moment.`);
          return;
        }
        if (waited.refused) {
          say('Nothing undone: the server refused that rating (see above), so it is not saved.');
          return;
        }
        continue;
      }
      if (i >= 0 && outbox[i] !== inFlight) {
        const [item] = outbox.splice(i, 1);
        saveOutbox();
        let entry = history.get(item.lease);
        if (!entry) entry = prepare(item.pair);
        await decoded(entry, item.lease);
        putBack();
        show(entry, item.scores, null);
        say(`Undone, never sent: ${describe(item.scores)}. Change any value, or press Enter to keep them.`);
        return;
      }
      if (i >= 0) {
        // Being sent right now: wait for the answer, then undo on the server (or locally, if it failed).
        const waited = outbox[i];
        say('Undoing: waiting for the last rating to reach the server…', { sticky: true });
        await inFlightDone;
        if (!rating()) {
          say('');
          return;
        }
        if (waited.refused) {
          // Dropped: undoing now would undo the rating before it, which is not what was asked.
          say('Nothing undone: the server refused that rating (see above), so it is not saved.');
          return;
        }
        continue;
      }
      break;
    }
    // The rating meant, by its lease: sent again after a lost answer, an undo that was done
    // already is refused (409) instead of taking back the rating before it.
    const meant = sentRatings.at(-1);
    if (!meant && storedHere) {
      say(refused
        ? 'Nothing more to undo here: the server refused some of this page\'s ratings (a rating made elsewhere came after them, or they are over an hour old). To undo one made elsewhere, reload the page first.'
        : trimmed
          ? `Nothing more to undo: Backspace takes back this page's last ${UNDO_DEPTH} ratings.`
          : 'Nothing more to undo: every rating made on this page is undone. To undo one made elsewhere, reload the page first.');
      return;
    }
    say('Undoing…', { sticky: true });
    let answer;
    try {
      answer = await api('POST', '/api/ratings/undo', meant ? { lease: meant } : {});
    } catch (e) {
      if (lostAnswer(e)) unknownHolds = true; // it may have been undone, its pair leased anew
      if (e instanceof ApiError && (e.status === 404 || e.status === 409) && meant) {
        sentRatings.pop();
        refused = true;
      }
      if (e instanceof ApiError && e.signedInAs) switched(e.signedInAs);
      else if (e instanceof ApiError && e.status === 404) say('Nothing to undo: only your ratings of the last hour can be undone.');
      else if (e instanceof ApiError && e.status === 409) say('Nothing undone: your last rating here was undone already, or another one came after it.');
      else if (!(e instanceof ApiError && e.status === 401)) say(`Cannot undo now: ${e.message}`);
      return;
    }
    if (meant && sentRatings.at(-1) === meant) sentRatings.pop();
    const entry = prepare(answer.pair);
    await decoded(entry, answer.pair.lease);
    putBack();
    show(entry, answer.scores, null);
    say(`Undone: ${describe(answer.scores)}. Change any value, or press Enter to keep them.`);
  } finally {
    busy = false;
    if (!current && rating()) advance(waitingSince);
  }
}

/** The pair on screen goes back to the front of the line (its half-made choices are dropped). */
function putBack() {
  if (current) {
    ahead.unshift(current.entry);
    current = null;
  }
}

function keepPrevious(t) {
  if (!current?.previous || busy || current.entry.broken) return;
  if (dims.every((d) => current.values[d.name] !== undefined)) submit(t);
}

// ---- the outbox ---------------------------------------------------------------------------

let sending = false;
let inFlight = null;
let inFlightDone = Promise.resolve();
let retryTimer = null;
let retryAt = 0;
let sendBackoff = 0;
let sendError = '';

async function send() {
  if (sending || !rating()) return;
  clearTimeout(retryTimer);
  retryTimer = null;
  sending = true;
  try {
    while (outbox.length) {
      const item = outbox[0];
      inFlight = item;
      let done;
      inFlightDone = new Promise((r) => { done = r; });
      renderOutbox();
      try {
        if (item.kind === 'rate') {
          const r = await api('POST', withTz('/api/ratings'), { lease: item.lease, scores: item.scores });
          if (r && typeof r.total === 'number') {
            counts.today = r.today;
            counts.total = r.total;
            renderProgress();
          }
          const at = sentRatings.indexOf(item.lease);
          if (at >= 0) sentRatings.splice(at, 1); // sent again with other scores: still one rating
          sentRatings.push(item.lease);
          storedHere = true;
          if (sentRatings.length > UNDO_DEPTH) {
            sentRatings.shift();
            trimmed = true;
          }
        } else {
          await api('POST', '/api/pairs/skip', { lease: item.lease });
        }
        drop(item);
        sendBackoff = 0;
        sendError = '';
      } catch (e) {
        const retry = (error) => {
          const delay = Math.max(Math.min(30000, 1000 * 2 ** sendBackoff++), (error.retryAfter || 0) * 1000);
          sendError = error.network ? 'the server cannot be reached' : error.message;
          retryAt = Date.now() + delay;
          retryTimer = setTimeout(send, delay);
        };
        // A CSRF refusal even with a fresh token: sign-ins in other tabs raced; try again later.
        const csrfRace = e instanceof ApiError && e.status === 403 && !e.signedInAs && /csrf/i.test(e.message);
        if (e instanceof ApiError && (e.transient || e.status >= 500 || csrfRace)) {
          if (!csrfRace && !item.attempted) {
            // No answer, or a server error: it may be stored all the same (see undo).
            item.attempted = true;
            saveOutbox();
          }
          retry(e);
          break;
        }
        if (e instanceof ApiError && e.status === 401) break; // signing in again; the outbox waits
        if (e instanceof ApiError && e.signedInAs) {
          switched(e.signedInAs); // kept for when this user signs in here again
          break;
        }
        // Refused (409: the lease is unknown). Only for good if the session is still this user's:
        // under another user's session every lease of this one is unknown.
        const who = await sessionUser();
        if (who !== me.username) {
          if (who) switched(who);
          else if (who === null) signInAgain();
          else retry(new ApiError(0, 'the server cannot be reached', { network: true }));
          break;
        }
        // Refused for good (the lease is unknown or expired, or the rating malformed): keeping it
        // would block every rating after it.
        item.refused = true;
        drop(item);
        if (!(item.kind === 'skip' && e.status === 409)) {
          showProblem(`A ${item.kind === 'rate' ? 'rating' : 'skip'} was refused by the server and dropped: ${e.message}`);
        }
      } finally {
        inFlight = null;
        done();
      }
    }
  } finally {
    sending = false;
    renderOutbox();
    if (!outbox.length) statsSoon();
  }
}

/**
 * Someone else signed in in another tab of this browser: the cookie is theirs now. This tab stops
 * (no sending, no new pairs, no keys) and leaves this user's outbox in localStorage untouched, to be
 * sent when they sign in here again.
 */
function switched(who) {
  if (switchedTo) return;
  switchedTo = who;
  releaseTab();
  clearTimeout(retryTimer);
  retryTimer = null;
  clearTimeout(fillTimer);
  fillTimer = null;
  clearTimeout(emptyTimer);
  pairEl.dataset.state = 'other-user';
  pairEl.setAttribute('aria-busy', 'false');
  current = null;
  renderButtons();
  const n = outbox.length;
  const kept = !n ? ''
    : outboxKept ? ` ${me.username}'s ${n} unsent rating(s) stay in this browser and are sent when ${me.username} signs in here again.`
      : ` ${me.username}'s ${n} unsent rating(s) are only in this page, as this browser would not store them: reloading or closing it loses them.`;
  showProblem(`You are now signed in as ${who} in another tab of this browser, so this tab has stopped rating as ${me.username}. `
    + `Reload the page to rate as ${who}.${kept}`, 'stopped');
  say('');
  renderOutbox();
}

/** The queue's depth changes as pairs are rated: ask again a little after the outbox empties. */
let statsTimer = null;
let statsAt = 0;
function statsSoon() {
  if (statsTimer) return;
  const delay = Math.max(2000, statsAt + 10000 - Date.now());
  statsTimer = setTimeout(() => { statsTimer = null; refreshStats(); }, delay);
}

function drop(item) {
  const i = outbox.indexOf(item);
  if (i >= 0) {
    outbox.splice(i, 1);
    saveOutbox();
  }
}

let outboxTicker = null;
function renderOutbox() {
  const n = outbox.length;
  outboxEl.dataset.pending = String(n);
  clearInterval(outboxTicker);
  if (switchedTo && n > 0) {
    outboxEl.dataset.state = 'error';
    outboxEl.textContent = `${n} unsent · kept for ${me.username}`;
    outboxEl.title = `Kept in this browser; sent when ${me.username} signs in here again`;
    return;
  }
  if (n === 0) {
    outboxEl.dataset.state = 'idle';
    outboxEl.textContent = 'All saved';
    outboxEl.title = 'Every rating of this page is saved on the server';
    return;
  }
  if (retryTimer) {
    // The countdown is hidden from screen readers: in the live region, each second's text would be
    // read out again (until 2026-12-06). They hear "N unsent" when the count changes.
    const countdown = el('span', { 'aria-hidden': 'true' });
    outboxEl.replaceChildren(`${n} unsent`, countdown);
    const tick = () => {
      const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      countdown.textContent = ` · retry in ${s} s`;
    };
    outboxEl.dataset.state = 'error';
    outboxEl.title = `Kept in this browser and sent as soon as the server answers (${sendError}). Click to retry now.`;
    tick();
    outboxTicker = setInterval(tick, 1000);
    return;
  }
  outboxEl.dataset.state = 'sending';
  outboxEl.textContent = `Saving ${n}…`;
  outboxEl.title = 'Kept in this browser until the server has it';
}

// ---- progress -----------------------------------------------------------------------------

async function refreshStats() {
  if (switchedTo) return; // the figures would be the other user's
  statsAt = Date.now();
  try {
    const s = await api('GET', withTz('/api/stats'));
    counts.today = s.me?.today ?? counts.today;
    counts.total = s.me?.total ?? counts.total;
    counts.queue = s.queue?.name ?? counts.queue;
    counts.depth = s.queue?.depth ?? counts.depth;
    renderProgress();
  } catch (e) {
    // figures can wait for the next round; the rating itself is what matters
  }
}

function renderProgress() {
  const parts = [];
  if (counts.today !== null) parts.push(`Today ${counts.today}`);
  if (counts.total !== null) parts.push(`Total ${counts.total}`);
  if (counts.depth !== null) parts.push(`Queue ${counts.queue}: ${counts.depth} left`);
  progressEl.textContent = parts.join(' · ') || '…';
}

// ---- keys ---------------------------------------------------------------------------------

function onKey(e) {
  if (!rating() || e.isComposing) return;
  const target = e.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  const onButton = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
  const k = e.key;
  if ((k === 'z' || k === 'Z') && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
    e.preventDefault();
    if (!e.repeat) undo();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const early = e.timeStamp <= shownAt;
  if (k === 'Backspace') {
    e.preventDefault();
    if (!e.repeat) undo();
    return;
  }
  if (k === ' ' || k === 'Spacebar' || k === 'Enter') {
    if (onButton) {
      // Pressing the focused button, under the letter keys' rules: the focus stays on a point
      // button when its press completes the pair, and until 2026-12-07 a held Enter rated pair
      // after pair with it, and a bounce chose on a pair not yet on screen.
      if (e.repeat || early) e.preventDefault();
      return;
    }
    e.preventDefault();
    if (!e.repeat && !early) (k === 'Enter' ? keepPrevious : skip)(e.timeStamp);
    return;
  }
  if (me.arrowKeys && dims.length === 1 && k.startsWith('Arrow')) {
    const v = { ArrowLeft: e.shiftKey ? -2 : -1, ArrowRight: e.shiftKey ? 2 : 1, ArrowDown: 0, ArrowUp: 0 }[k];
    if (v !== undefined) {
      e.preventDefault();
      if (!e.repeat && !early) choose(dims[0].name, v, e.timeStamp);
    }
    return;
  }
  // A layout without Latin letters (Cyrillic, Greek) gives 'й' where the key marked Q is: then
  // the key's place decides (e.code). Until 2026-12-07 only Space and Backspace worked there.
  // Latin layouts keep their letters (AZERTY's A is the binding shown as A).
  const hit = keyMap.get(k.length === 1 ? k.toLowerCase() : '')
    || (k.length === 1 && !/^[\x20-\x7e]$/.test(k) && /^Key[A-Z]$/.test(e.code || '')
      ? keyMap.get(e.code.slice(3).toLowerCase()) : undefined);
  if (hit) {
    e.preventDefault();
    if (!e.repeat && !early) choose(hit.dim, hit.value, e.timeStamp);
  }
}

// ---- one tab at a time --------------------------------------------------------------------

function start() {
  if (active || switchedTo) return;
  active = true;
  $('other-tab').hidden = true;
  outbox = loadStore('outbox').filter((o) => o && typeof o.lease === 'string' && (o.kind === 'rate' || o.kind === 'skip'));
  renderOutbox();
  send();
  setEmptyOrLoading();
  fill();
}

function waitForOtherTab() {
  $('other-tab').hidden = false;
  pairEl.dataset.state = 'other-tab';
  pairEl.setAttribute('aria-busy', 'false');
}

// The tab lock is held until the tab goes, or until it stops because another user signed in
// (switched): then another tab of this user may rate. Until 2026-12-06 a stopped tab kept it.
let releaseTab = () => {};
const forever = () => new Promise((resolve) => { releaseTab = resolve; });

function claimTab() {
  const name = `memescope-rater:${me.username}`;
  if (navigator.locks) {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (lock) {
        start();
        return forever();
      }
      waitForOtherTab();
      navigator.locks.request(name, () => {
        start();
        return forever();
      });
      return undefined;
    });
    return;
  }
  // No Web Locks (a page not served from a secure context): an election over a channel. A tab
  // that looks for the active one says hello with its random id; the active tab answers "here";
  // every other waiting tab joins the round with its own hello (and answers a newcomer's). After
  // the window, unless someone answered "here", the tab with the lowest id seen (ids start with the
  // time the tab opened: the oldest wins) starts and the others wait, looking again once in case
  // the winner went away meanwhile, and every few seconds. So a closing tab's "bye", or tabs opened
  // together, start one.
  const WINDOW_MS = 300;
  const RECHECK_MS = 2000;
  const RECHECK_WINDOW_MS = 1000;
  const channel = new BroadcastChannel(name);
  const id = `${Date.now().toString(36).padStart(9, '0')}-${Math.random().toString(36).slice(2)}`;
  let round = null; // {seen: Set of ids, answered}
  let again = null;
  let left = false; // stopped: out of the election, the channel closed
  // A periodic look uses a longer window (which joiners adopt): a busy active tab must not lose its
  // place for answering late.
  const begin = (window = WINDOW_MS) => {
    if (active || round || left) return;
    clearTimeout(again);
    round = { seen: new Set([id]), answered: false };
    channel.postMessage({ type: 'hello', id, window });
    setTimeout(decide, window);
  };
  const decide = () => {
    const r = round;
    round = null;
    if (active || !r || left) return;
    const lowest = [...r.seen].sort()[0];
    if (!r.answered && lowest === id) {
      start();
      return;
    }
    waitForOtherTab();
    // Look again: soon if the winner has yet to answer, else now and then, in case the active tab
    // went away without a bye (a crash, or a bye lost as the tab closed).
    again = r.answered ? setTimeout(begin, RECHECK_MS, RECHECK_WINDOW_MS) : setTimeout(begin, 3 * WINDOW_MS);
  };
  channel.onmessage = (m) => {
    const msg = m.data || {};
    if (msg.type === 'hello' && typeof msg.id === 'string') {
      if (active) channel.postMessage({ type: 'here' });
      else {
        // Join the round, or tell a newcomer that this tab is in it too (once per id).
        if (!round) begin(Math.min(Math.max(Number(msg.window) || WINDOW_MS, WINDOW_MS), RECHECK_WINDOW_MS));
        else if (!round.seen.has(msg.id)) channel.postMessage({ type: 'hello', id });
        round.seen.add(msg.id);
      }
    } else if (msg.type === 'here') {
      if (round) round.answered = true;
    } else if (msg.type === 'bye' && !active) {
      if (round) round.answered = false; // the tab that answered is gone
      else begin();
    }
  };
  addEventListener('pagehide', () => { if (active && !left) channel.postMessage({ type: 'bye' }); });
  // Stopped (another user signed in): out of the election, so that another tab of this user rates.
  releaseTab = () => {
    if (left) return;
    clearTimeout(again);
    if (active) channel.postMessage({ type: 'bye' });
    left = true;
    channel.close();
  };
  begin();
}

// ---- start --------------------------------------------------------------------------------

async function main() {
  try {
    me = await api('GET', '/api/me');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      showProblem(`Cannot load your account: ${e.message}. Reload the page to try again.`, 'stopped');
    }
    return;
  }
  setCsrf(me.csrf, me.username);
  holdSignIn(holdForSignIn);
  dims = me.dimensions || [];
  scale = me.scale || [];
  $('who').textContent = me.username;
  $('admin-link').hidden = me.role !== 'admin';
  $('test-model').hidden = !me.testModel;
  buildKeys();
  renderButtons();
  document.addEventListener('keydown', onKey);
  // A button clicked with the mouse keeps the focus, and Space or Enter then pressed it again
  // (signing out, retrying) instead of skipping or keeping: a mouse click leaves no focus behind.
  // (Keyboard activation has detail 0 and keeps it.)
  document.addEventListener('click', (e) => {
    if (e.detail > 0 && e.target instanceof Element) e.target.closest('button, a')?.blur();
  });
  outboxEl.addEventListener('click', () => { sendBackoff = 0; send(); });
  addEventListener('online', () => {
    sendBackoff = 0;
    fetchBackoff = 0;
    clearTimeout(fillTimer);
    fillTimer = null;
    send();
    fill();
  });
  $('sign-out').addEventListener('click', leave);
  refreshStats();
  setInterval(refreshStats, STATS_EVERY_MS);
  claimTab();
}

async function leave() {
  if (outbox.length && !switchedTo) {
    say('Saving the last ratings before signing out…', { sticky: true });
    send();
    const until = Date.now() + 5000;
    while (outbox.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (outbox.length && !confirm(`${outbox.length} rating(s) are not saved on the server yet. They stay in this browser and are sent when you sign in here again. Sign out anyway?`)) {
      say('');
      return;
    }
  }
  try {
    await signOut();
  } catch (e) {
    say(`Cannot sign out: ${e.message}`);
  }
}

main();
