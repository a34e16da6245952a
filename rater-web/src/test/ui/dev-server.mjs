#!/usr/bin/env node
// DEVELOPMENT AID ONLY — not a test of the backend. A tiny in-memory imitation of the rater app's
// HTTP API (docs/rater.md) that serves the real pages from src/main/resources, so that the pages,
// rater-test.mjs and rater-bench.mjs can be worked on without Java or Cassandra. It copies the
// contract (routes, JSON shapes, CSP, cookie + X-CSRF-Token, leases, idempotent ratings, undo,
// skip), not the implementation; RaterIT runs the same browser test against the real app.
//   node rater-web/src/test/ui/dev-server.mjs [--port 8766] [--latency MS] [--thumb-latency MS]
//        [--images N] [--queue N] [--fail FRACTION] [--test-model] [--lax-csrf]
// Accounts: admin / "dev password" (admin) and ann / "ann password" (rater, queue "default").
// --fail 0.3 answers 30% of rating and skip POSTs with 503 + Retry-After: 1, to watch the outbox.
// --lax-csrf skips the X-CSRF-Token check, so that a write of a page whose user is no longer the
// cookie's (another sign-in in the same browser) reaches the other user's session and gets 409, as
// it could when sign-ins race (rater-tabs-test.mjs).
// DEV_LOG=1 prints every request with its status.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8766' },
    latency: { type: 'string', default: '20' },
    'thumb-latency': { type: 'string', default: '0' },
    images: { type: 'string', default: '400' },
    queue: { type: 'string', default: '8' },
    fail: { type: 'string', default: '0' },
    'test-model': { type: 'boolean', default: false },
    'lax-csrf': { type: 'boolean', default: false },
  },
});
const UI = fileURLToPath(new URL('../../main/resources/io/memescope/rater/ui/', import.meta.url));
const LATENCY = Number(opts.latency);
const THUMB_LATENCY = Number(opts['thumb-latency']);
const FAIL = Number(opts.fail);
const DIMENSIONS = ['usefulness', 'memeness', 'aesthetics'];
const KEY_ROWS = ['qwert', 'asdfg', 'zxcvb'];
const SCALE = [
  { value: -2, label: 'left much better' }, { value: -1, label: 'left better' }, { value: 0, label: 'tie' },
  { value: 1, label: 'right better' }, { value: 2, label: 'right much better' },
];
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self';"
  + " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const LEASE_MS = 10 * 60 * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hash = (s) => createHash('sha256').update(s).digest();

// ---- images: generated PNGs -----------------------------------------------------------------

const SHAPES = [[720, 540], [540, 720], [720, 720], [720, 405], [600, 720], [720, 480]];
const IMAGES = Array.from({ length: Number(opts.images) }, (_, i) => {
  const h = hash(`image ${i}`);
  const [width, height] = SHAPES[h[0] % SHAPES.length];
  return { id: h.toString('hex').slice(0, 32), width, height, hue: h[1] / 255, seed: h[2] };
});
const BY_ID = new Map(IMAGES.map((im) => [im.id, im]));
const pngCache = new Map();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function hsl(h, s, l) {
  const f = (n) => {
    const k = (n + h * 12) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255));
}
/** A gradient with stripes and a little noise, so that it weighs (and decodes) like a photo-ish PNG. */
function png(im, scale = 1) {
  const w = Math.round(im.width * scale);
  const h = Math.round(im.height * scale);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  let noise = im.seed * 2654435761 >>> 0;
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const stripe = ((x + y + im.seed) >> 5) & 1;
      const [r, g, b] = hsl((im.hue + x / w / 3) % 1, 0.55, 0.35 + 0.3 * (y / h) + (stripe ? 0.08 : 0));
      noise = (noise * 1103515245 + 12345) >>> 0;
      const n = (noise >>> 28) - 8;
      raw[row + 1 + x * 3] = Math.max(0, Math.min(255, r + n));
      raw[row + 2 + x * 3] = Math.max(0, Math.min(255, g + n));
      raw[row + 3 + x * 3] = Math.max(0, Math.min(255, b + n));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- state ----------------------------------------------------------------------------------

const raters = new Map(); // username -> {username, password, role, disabled, queue, createdAt}
const sessions = new Map(); // token -> {username, csrf}
const queues = new Map(); // name -> [{left, right, iteration, wanted, raters:Set, leasedBy, leaseUntil}]
const leases = new Map(); // id -> {id, rater, left, right, origin, queue, entry, iteration, ratingId, released, at}
const ratings = []; // {id, rater, lease, left, right, scores, origin, queue, iteration, ratedAt}
const skips = new Map(); // rater -> Set(pairKey)
const failures = new Map(); // username -> [times]

function addRater(username, password, role = 'rater', queue = 'default') {
  const r = { username, password, role, disabled: false, queue, createdAt: new Date().toISOString() };
  raters.set(username, r);
  return r;
}
const pairKey = (a, b) => (a < b ? `${a}|${b}` : `${b}|${a}`);
const leaseId = () => { const u = randomUUID().split(''); u[14] = '1'; return u.join(''); }; // shaped like a time UUID

addRater('admin', 'dev password', 'admin');
addRater('ann', 'ann password');
queues.set('default', []);
for (let i = 0; i < Number(opts.queue); i++) {
  enqueue('default', 'dev-1', [{ left: IMAGES[i].id, right: IMAGES[IMAGES.length - 1 - i].id }], 1);
}

function enqueue(name, iteration, pairs, wanted) {
  if (!queues.has(name)) queues.set(name, []);
  const q = queues.get(name);
  let added = 0;
  for (const p of pairs) {
    if (q.some((e) => pairKey(e.left, e.right) === pairKey(p.left, p.right))) continue;
    q.push({ left: p.left, right: p.right, iteration, wanted: wanted || 1, raters: new Set(), leasedBy: null, leaseUntil: 0 });
    added++;
  }
  return added;
}

function ratedBy(rater) {
  return new Set(ratings.filter((r) => r.rater === rater).map((r) => pairKey(r.left, r.right)));
}
function heldBy(rater) {
  const now = Date.now();
  return new Set([...leases.values()].filter((l) => l.rater === rater && !l.released && !l.ratingId && now - l.at < LEASE_MS)
    .map((l) => pairKey(l.left, l.right)));
}

function release(l) {
  if (l.entry && l.entry.leasedBy === l.rater) { l.entry.leasedBy = null; l.entry.leaseUntil = 0; }
  l.released = true;
}

function record(rater, left, right, origin, queue, entry, iteration) {
  const l = { id: leaseId(), rater, left, right, origin, queue, entry, iteration, ratingId: null, released: false, at: Date.now() };
  leases.set(l.id, l);
  return l;
}

function next(rater) {
  const r = raters.get(rater);
  const taboo = new Set([...ratedBy(rater), ...heldBy(rater), ...(skips.get(rater) ?? [])]);
  const now = Date.now();
  for (const e of queues.get(r.queue) ?? []) {
    if (taboo.has(pairKey(e.left, e.right)) || e.raters.has(rater)) continue;
    if (e.leasedBy && e.leaseUntil > now) continue;
    e.leasedBy = rater;
    e.leaseUntil = now + LEASE_MS;
    return record(rater, e.left, e.right, 'queue', r.queue, e, e.iteration);
  }
  for (let tries = 0; tries < 200; tries++) {
    const a = IMAGES[Math.floor(Math.random() * IMAGES.length)];
    const b = IMAGES[Math.floor(Math.random() * IMAGES.length)];
    if (a === b || taboo.has(pairKey(a.id, b.id))) continue;
    return record(rater, a.id, b.id, 'random', null, null, null);
  }
  return null;
}

const imageRef = (id) => ({ id, thumbnail: `/images/${id}/large`, width: BY_ID.get(id)?.width ?? 0, height: BY_ID.get(id)?.height ?? 0 });
const pairOf = (l) => ({ lease: l.id, origin: l.origin, queue: l.queue, iteration: l.iteration, left: imageRef(l.left), right: imageRef(l.right) });

function counts(rater) {
  const mine = ratings.filter((r) => r.rater === rater);
  const day = new Date().toISOString().slice(0, 10);
  return { today: mine.filter((r) => r.ratedAt.startsWith(day)).length, total: mine.length };
}

function depth(name) {
  return (queues.get(name) ?? []).length;
}

function agreement() {
  const byPair = new Map();
  for (const r of ratings) {
    const k = pairKey(r.left, r.right);
    if (!byPair.has(k)) byPair.set(k, []);
    byPair.get(k).push(r);
  }
  const shared = [...byPair.values()].filter((v) => new Set(v.map((r) => r.rater)).size > 1);
  const dimensions = {};
  for (const d of DIMENSIONS) {
    let same = 0; let exact = 0; let n = 0;
    for (const votes of shared) {
      const turned = votes.map((r) => (r.left < r.right ? r.scores[d] : -r.scores[d]));
      for (let i = 0; i < turned.length; i++) {
        for (let j = i + 1; j < turned.length; j++) {
          n++;
          if (Math.sign(turned[i]) === Math.sign(turned[j])) same++;
          if (turned[i] === turned[j]) exact++;
        }
      }
    }
    dimensions[d] = { pairs: shared.length, sameSide: n ? same / n : null, exact: n ? exact / n : null, alpha: null };
  }
  return { pairs: shared.length, dimensions };
}

// ---- HTTP -----------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, message, field, headers = {}) { super(message); Object.assign(this, { status, field, headers }); }
}
const bad = (field, message) => new HttpError(400, `${field}: ${message}`, field);

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function sessionOf(req) {
  const s = sessions.get(cookies(req).memescope_rater);
  if (!s) return null;
  const r = raters.get(s.username);
  return r && !r.disabled ? { ...s, rater: r } : null;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bad('body', `is not valid JSON: ${e.message}`);
  }
}
const object = (body) => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'must be a JSON object');
  return body;
};
const text = (body, field, max) => {
  const v = body[field];
  if (v === undefined || v === null) throw bad(field, 'is required');
  if (typeof v !== 'string') throw bad(field, 'must be a string');
  if (v.length > max) throw bad(field, `at most ${max} characters`);
  return v;
};

function validScores(scores) {
  if (!scores || typeof scores !== 'object') throw bad('scores', 'is required: an object of dimension to -2..2');
  for (const k of Object.keys(scores)) if (!DIMENSIONS.includes(k)) throw bad(`scores.${k}`, 'is not a dimension');
  for (const d of DIMENSIONS) {
    if (!Number.isInteger(scores[d]) || scores[d] < -2 || scores[d] > 2) throw bad(`scores.${d}`, 'must be an integer from -2 to 2');
  }
  return Object.fromEntries(DIMENSIONS.map((d) => [d, scores[d]]));
}

function account(s) {
  return { username: s.rater.username, role: s.rater.role, csrf: s.csrf };
}
function raterJson(r) {
  return { username: r.username, role: r.role, disabled: r.disabled, queue: r.queue, createdAt: r.createdAt };
}

const routes = [];
const route = (method, pattern, access, handler) => {
  const names = [];
  const re = new RegExp(`^${pattern.replace(/\{(\w+)\}/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
  routes.push({ method, re, names, access, handler });
};

route('POST', '/api/login', 'public', async (req, body, res) => {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'body: send JSON (Content-Type: application/json)', 'body');
  body = object(body);
  const username = text(body, 'username', 64);
  const password = text(body, 'password', 256);
  const now = Date.now();
  const recent = (failures.get(username) ?? []).filter((t) => now - t < 60000);
  if (recent.length >= 5) throw new HttpError(429, 'too many sign-in attempts; wait a minute', null, { 'Retry-After': '60' });
  const r = raters.get(username);
  if (!r || r.disabled || r.password !== password) {
    failures.set(username, [...recent, now]);
    throw new HttpError(401, 'wrong username or password');
  }
  const token = randomBytes(32).toString('base64url');
  const s = { username, csrf: randomBytes(24).toString('base64url') };
  sessions.set(token, s);
  res.setHeader('Set-Cookie', `memescope_rater=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200`);
  return account({ ...s, rater: r });
});
route('POST', '/api/logout', 'rater', async (req, body, res, s) => {
  sessions.delete(cookies(req).memescope_rater);
  res.setHeader('Set-Cookie', 'memescope_rater=; Path=/; Max-Age=0');
  return [204];
});
route('GET', '/api/me', 'rater', async (req, body, res, s) => ({
  ...account(s),
  dimensions: DIMENSIONS.map((d, i) => ({ name: d, label: d[0].toUpperCase() + d.slice(1).replace(/_/g, ' '), keys: KEY_ROWS[i] })),
  scale: SCALE,
  arrowKeys: DIMENSIONS.length === 1,
  testModel: opts['test-model'],
}));
route('POST', '/api/pairs/next', 'rater', async (req, body, res, s) => {
  body = body ?? {};
  const me = s.rater.username;
  if (body.reset === true) {
    for (const l of leases.values()) if (l.rater === me && !l.released) release(l);
  } else if (body.release !== undefined) {
    if (!Array.isArray(body.release) || body.release.length > 100) throw bad('release', 'must be a list of at most 100 leases');
    for (const id of body.release) {
      const l = leases.get(id);
      if (l && l.rater === me && !l.released) release(l);
    }
  } else if (body.keep !== undefined) {
    if (!Array.isArray(body.keep) || body.keep.length > 1000) throw bad('keep', 'must be a list of at most 1000 leases');
    const keep = new Set(body.keep);
    for (const l of leases.values()) if (l.rater === me && !l.released && !l.ratingId && !keep.has(l.id)) release(l);
  }
  const l = next(me);
  return l ? { pair: pairOf(l) } : { pair: null, message: 'Nothing to rate: the queue is empty and the index has no pair of images you have not rated yet.' };
});
route('POST', '/api/pairs/skip', 'rater', async (req, body, res, s) => {
  const l = leases.get(text(object(body), 'lease', 64));
  if (!l || l.rater !== s.rater.username) throw new HttpError(409, 'unknown or expired lease', 'lease');
  if (l.ratingId) throw new HttpError(409, 'this pair was rated already; undo it instead', 'lease');
  if (!skips.has(l.rater)) skips.set(l.rater, new Set());
  skips.get(l.rater).add(pairKey(l.left, l.right));
  release(l);
  return [204];
});
route('POST', '/api/ratings', 'rater', async (req, body, res, s) => {
  body = object(body);
  const id = text(body, 'lease', 64);
  const scores = validScores(body.scores);
  const l = leases.get(id);
  if (!l || l.rater !== s.rater.username) throw new HttpError(409, 'unknown or expired lease', 'lease');
  if (!l.ratingId) {
    l.ratingId = randomUUID();
    l.released = true;
    ratings.push({ id: l.ratingId, rater: l.rater, lease: l.id, left: l.left, right: l.right, scores, origin: l.origin,
      queue: l.queue, iteration: l.iteration, ratedAt: new Date().toISOString() });
    if (l.entry) {
      l.entry.raters.add(l.rater);
      l.entry.leasedBy = null;
      const q = queues.get(l.queue);
      if (l.entry.raters.size >= l.entry.wanted && q) q.splice(q.indexOf(l.entry), 1);
    }
  } else {
    const r = ratings.find((x) => x.id === l.ratingId);
    if (r) r.scores = scores;
  }
  return [201, { id: l.ratingId, ...counts(l.rater) }];
});
route('POST', '/api/ratings/undo', 'rater', async (req, body, res, s) => {
  const me = s.rater.username;
  let i = ratings.length - 1;
  while (i >= 0 && ratings[i].rater !== me) i--;
  if (i < 0 || Date.now() - Date.parse(ratings[i].ratedAt) > 3600e3) throw new HttpError(404, 'nothing to undo');
  if (body?.lease !== undefined && body.lease !== ratings[i].lease) throw new HttpError(409, 'nothing undone: that rating is not your latest one', 'lease');
  const [r] = ratings.splice(i, 1);
  const old = leases.get(r.lease);
  leases.delete(r.lease);
  let entry = null;
  if (r.origin === 'queue') {
    if (!queues.has(r.queue)) queues.set(r.queue, []);
    entry = old?.entry ?? { left: r.left, right: r.right, iteration: r.iteration, wanted: 1, raters: new Set() };
    entry.raters.delete(me);
    if (!queues.get(r.queue).includes(entry)) queues.get(r.queue).unshift(entry);
    entry.leasedBy = me;
    entry.leaseUntil = Date.now() + LEASE_MS;
  }
  const l = record(me, r.left, r.right, r.origin, r.queue, entry, r.iteration);
  return { pair: pairOf(l), scores: r.scores };
});
route('GET', '/api/stats', 'rater', async (req, body, res, s) => ({
  me: counts(s.rater.username),
  queue: { name: s.rater.queue, depth: depth(s.rater.queue) },
  raters: [...raters.values()].map((r) => ({ username: r.username, ...counts(r.username) })),
  agreement: agreement(),
}));
route('GET', '/images/{id}/{size}', 'rater', async (req, body, res, s, p) => {
  if (!/^[0-9a-f]{32}$/.test(p.id)) throw bad('id', 'must be an image id (32 lower-case hex digits)');
  if (p.size !== 'small' && p.size !== 'large') throw bad('size', 'must be small or large');
  const im = BY_ID.get(p.id);
  if (!im) throw new HttpError(404, `no ${p.size} thumbnail of ${p.id}`);
  const key = `${p.id}/${p.size}`;
  if (!pngCache.has(key)) pngCache.set(key, png(im, p.size === 'large' ? 1 : 0.35));
  if (THUMB_LATENCY) await sleep(THUMB_LATENCY);
  res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'private, max-age=31536000, immutable' });
  res.end(pngCache.get(key));
  return null;
});
route('GET', '/api/admin/raters', 'admin', async () => ({
  raters: [...raters.values()].map((r) => ({ ...raterJson(r), ...counts(r.username) })),
}));
route('POST', '/api/admin/raters', 'admin', async (req, body) => {
  body = object(body);
  const username = text(body, 'username', 64);
  const password = text(body, 'password', 256);
  if (!/^[a-z0-9][a-z0-9._-]{1,31}$/.test(username)) throw bad('username', 'must be 2 to 32 of a-z 0-9 . _ -');
  if (password.length < 10) throw bad('password', 'at least 10 characters');
  if (raters.has(username)) throw new HttpError(409, `username: ${username} exists`, 'username');
  const role = body.role === undefined ? 'rater' : text(body, 'role', 16);
  if (!['rater', 'admin'].includes(role)) throw bad('role', 'must be rater or admin');
  const queue = body.queue === undefined || body.queue === null || body.queue === '' ? 'default' : text(body, 'queue', 64);
  return [201, raterJson(addRater(username, password, role, queue))];
});
route('PATCH', '/api/admin/raters/{username}', 'admin', async (req, body, res, s, p) => {
  body = object(body);
  const r = raters.get(p.username);
  if (!r) throw new HttpError(404, `no rater named ${p.username}`);
  if (body.disabled !== undefined) {
    if (typeof body.disabled !== 'boolean') throw bad('disabled', 'must be true or false');
    if (body.disabled && r.username === s.rater.username) throw bad('disabled', 'you cannot disable your own account');
  }
  if (body.password !== undefined) {
    const pw = text(body, 'password', 256);
    if (pw.length < 10) throw bad('password', 'at least 10 characters');
    r.password = pw;
  }
  if (body.role !== undefined && body.role !== 'admin' && r.username === s.rater.username) {
    throw bad('role', 'you cannot take the admin role from your own account; another admin can');
  }
  if (body.role !== undefined) r.role = text(body, 'role', 16);
  if (body.disabled !== undefined) r.disabled = body.disabled;
  if (body.queue !== undefined) r.queue = text(body, 'queue', 64);
  return raterJson(r);
});
route('GET', '/api/admin/queues', 'admin', async () => ({
  queues: [...queues.entries()].map(([name, q]) => ({
    name,
    depth: q.length,
    leased: q.filter((e) => e.leasedBy && e.leaseUntil > Date.now()).length,
    iterations: q.reduce((m, e) => ({ ...m, [e.iteration]: (m[e.iteration] ?? 0) + 1 }), {}),
  })),
}));
route('POST', '/api/admin/queues/{name}/pairs', 'admin', async (req, body, res, s, p) => {
  body = object(body);
  const iteration = body.iteration === undefined ? 'manual' : text(body, 'iteration', 100);
  let pairs;
  if (body.random !== undefined) {
    if (!Number.isInteger(body.random) || body.random < 1 || body.random > 10000) throw bad('random', 'must be an integer from 1 to 10000');
    pairs = Array.from({ length: body.random }, () => {
      const a = IMAGES[Math.floor(Math.random() * IMAGES.length)];
      let b = IMAGES[Math.floor(Math.random() * IMAGES.length)];
      if (b === a) b = IMAGES[(IMAGES.indexOf(a) + 1) % IMAGES.length];
      return { left: a.id, right: b.id };
    });
  } else {
    if (!Array.isArray(body.pairs) || body.pairs.length === 0) throw bad('pairs', 'is required: a list of 1 to 10000 {left, right} (or give random)');
    pairs = body.pairs;
  }
  return [201, { added: enqueue(p.name, iteration, pairs, body.ratingsWanted) }];
});
route('DELETE', '/api/admin/queues/{name}', 'admin', async (req, body, res, s, p) => {
  const removed = (queues.get(p.name) ?? []).length;
  queues.set(p.name, []);
  return { removed };
});
route('GET', '/api/admin/export', 'admin', async (req, body, res) => {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Content-Disposition': 'attachment; filename="ratings.jsonl"' });
  res.end(ratings.map((r) => JSON.stringify({ id: r.id, rater: r.rater, left: r.left, right: r.right, scores: r.scores,
    origin: r.origin, queue: r.queue ?? 'default', iteration: r.iteration, ratedAt: r.ratedAt })).join('\n') + (ratings.length ? '\n' : ''));
  return null;
});
route('GET', '/health', 'public', async () => ({ status: 'ok' }));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

async function page(res, name) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(await readFile(join(UI, `${name}.html`)));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (process.env.DEV_LOG) res.on('finish', () => console.log(`${req.method} ${url.pathname} ${res.statusCode}`));
  const path = url.pathname;
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  if (path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
  try {
    if (req.method === 'GET' && (path === '/' || path === '/admin' || path === '/login')) {
      const s = sessionOf(req);
      if (path !== '/login' && !s) {
        res.writeHead(302, { Location: `/login?next=${path}` });
        res.end();
        return;
      }
      if (path === '/admin' && s.rater.role !== 'admin') throw new HttpError(403, 'This page is for admins.');
      await page(res, path === '/' ? 'rate' : path.slice(1));
      return;
    }
    if (req.method === 'GET' && path.startsWith('/ui/')) {
      const file = normalize(path.slice(4));
      if (file.startsWith('..') || file.includes('\0')) throw new HttpError(404, 'no such file');
      const bytes = await readFile(join(UI, file)).catch(() => { throw new HttpError(404, 'no such file'); });
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
      res.end(bytes);
      return;
    }
    for (const r of routes) {
      const m = r.method === req.method && r.re.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const write = req.method !== 'GET';
      if (write && req.headers.origin && new URL(req.headers.origin).host !== req.headers.host) {
        throw new HttpError(403, `cross-origin request refused (Origin ${req.headers.origin})`);
      }
      let s = null;
      if (r.access !== 'public') {
        s = sessionOf(req);
        if (!s) throw new HttpError(401, 'sign in');
        if (r.access === 'admin' && s.rater.role !== 'admin') throw new HttpError(403, 'this needs the admin role');
        if (write && !opts['lax-csrf'] && req.headers['x-csrf-token'] !== s.csrf) throw new HttpError(403, 'CSRF token missing or wrong');
      }
      const body = await readBody(req);
      if (path.startsWith('/api/')) await sleep(LATENCY);
      if (FAIL > 0 && (path === '/api/ratings' || path === '/api/pairs/skip') && Math.random() < FAIL) {
        throw new HttpError(503, 'Cassandra is unavailable; retry in a few seconds (dev-server --fail)', null, { 'Retry-After': '1' });
      }
      const out = await r.handler(req, body, res, s, params);
      if (out === null) return;
      const [status, json] = Array.isArray(out) ? out : [200, out];
      if (status === 204) {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      }
      return;
    }
    throw new HttpError(404, `no such endpoint: ${req.method} ${path}`);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    if (status === 500) console.error(e);
    res.writeHead(status, { 'Content-Type': 'application/json', ...(e.headers ?? {}) });
    res.end(JSON.stringify({ error: e.message, ...(e.field ? { field: e.field } : {}) }));
  }
});

server.listen(Number(opts.port), '127.0.0.1', () => {
  console.log(`rater dev server (development aid, in-memory; not the real backend) on http://localhost:${server.address().port}/`);
  console.log('sign in as admin / "dev password" or ann / "ann password"');
});
