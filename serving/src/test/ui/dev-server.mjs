// DEVELOPMENT AID ONLY, not used by any test: a fake serving API for working on the search UI
// without the stack. It serves the UI's files from src/main/resources and makes up 240 images
// with random sizes, SVG thumbnails and toy embeddings (an image is most similar to itself).
//   node serving/src/test/ui/dev-server.mjs [--port 8765] [--latency MS] [--thumb-latency MS] [--busy FRACTION]
// --busy 0.2 answers a fifth of the API's requests with 429 and Retry-After: 1, like a rate limit.
// A text term "error400", "error429" or "error503" answers that error, to see how the UI says it.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: { port: { type: 'string', default: '8765' }, latency: { type: 'string', default: '150' }, 'thumb-latency': { type: 'string', default: '0' }, busy: { type: 'string', default: '0' } },
});
const UI = fileURLToPath(new URL('../../main/resources/io/memescope/serving/ui/', import.meta.url));
const DIM = 16;
const hash = (s) => createHash('sha256').update(s).digest();
const vector = (seed) => { const h = hash(seed); return unit(Array.from({ length: DIM }, (_, i) => h[i] - 127.5)); };
const unit = (v) => { const n = Math.hypot(...v) || 1; return v.map((x) => x / n); };
const rnd = (seed) => hash(seed).readUInt32BE(0) / 2 ** 32;
const pick = (seed, list) => list[Math.floor(rnd(seed) * list.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const WORDS = ['cat', 'dog', 'build', 'friday', 'coffee', 'deploy', 'bug', 'monday', 'pizza', 'cloud', 'java', 'meeting'];
const SHAPES = [[500, 500], [640, 480], [480, 640], [800, 450], [600, 900], [1080, 1350], [700, 300], [300, 900], [1200, 628], [720, 720]];
const SOURCES = ['reddit-memes', 'imgflip', 'local-dir'];
const IMAGES = Array.from({ length: 240 }, (_, i) => {
  const id = hash(`image ${i}`).toString('hex').slice(0, 32);
  const [width, height] = pick(`shape ${i}`, SHAPES);
  const title = `when the ${pick(`a${i}`, WORDS)} meets the ${pick(`b${i}`, WORDS)}`;
  const source = pick(`s${i}`, SOURCES);
  const firstSeen = new Date(Date.UTC(2026, 0, 1) + rnd(`t${i}`) * 320 * 864e5).toISOString().replace(/\.\d+Z$/, 'Z');
  const url = source === 'local-dir' ? `file:///srv/memes/${id}.png` : `https://i.example.org/${id.slice(0, 10)}.jpg`;
  return { id, width, height, title, source, firstSeen, url, quality: Math.round(rnd(`q${i}`) * 100) / 100, vec: vector(`v${i}`), hue: Math.floor(rnd(`h${i}`) * 360) };
});
const BY_ID = new Map(IMAGES.map((im) => [im.id, im]));

const fit = (im, max) => { const s = Math.min(1, max / im.width); return { width: Math.round(im.width * s), height: Math.round(im.height * s) }; };
const thumbs = (im) => ({
  small: { url: `/api/images/${im.id}/thumbnail/small`, ...fit(im, 256) },
  large: { url: `/api/images/${im.id}/thumbnail/large`, ...fit(im, 720) },
});
const result = (im, score) => ({ id: im.id, score, width: im.width, height: im.height, thumbnails: thumbs(im), titles: [im.title], sources: [im.source], urls: [im.url], quality: im.quality, firstSeen: im.firstSeen });

class HttpError extends Error { constructor(status, error, field, headers = {}) { super(error); Object.assign(this, { status, field, headers }); } }

function rank(body) {
  const terms = body.terms ?? [];
  let q = new Array(DIM).fill(0);
  terms.forEach((t, i) => {
    const w = t.weight ?? 1;
    if (w === 0 || typeof w !== 'number') throw new HttpError(400, 'weight must be a non-zero number', `terms[${i}].weight`);
    if (/^error(\d{3})$/.test(t.text ?? '')) {
      const status = Number(t.text.slice(5));
      throw new HttpError(status, status === 400 ? 'this text is refused (a test)' : 'busy (a test)', status === 400 ? `terms[${i}].text` : undefined, { 'Retry-After': '7' });
    }
    let v;
    if (typeof t.text === 'string') v = vector(`text ${t.text.toLowerCase()}`);
    else if (typeof t.imageId === 'string') v = BY_ID.get(t.imageId)?.vec ?? (() => { throw new HttpError(404, `no image ${t.imageId}`, `terms[${i}].imageId`); })();
    else if (typeof t.image === 'string') {
      if (t.image.startsWith('data:') || !/^[A-Za-z0-9+/]+=*$/.test(t.image)) throw new HttpError(400, 'image is not base64', `terms[${i}].image`);
      v = vector(`upload ${t.image.length} ${t.image.slice(-64)}`);
    } else throw new HttpError(400, 'a term needs text, image, imageId or embedding', `terms[${i}]`);
    q = q.map((x, k) => x + w * v[k]);
  });
  const f = body.filters ?? {};
  const pool = IMAGES.filter((im) => (f.minQuality == null || im.quality >= f.minQuality) && (!f.since || im.firstSeen >= f.since)
    && (!f.until || im.firstSeen < f.until) && (!f.sources?.length || f.sources.includes(im.source)));
  if (terms.length === 0) { const seed = body.seed; return pool.map((im) => [im, rnd(`${seed} ${im.id}`)]).sort((a, b) => a[1] - b[1]).map(([im]) => result(im, 0)); }
  q = unit(q);
  return pool.map((im) => [im, im.vec.reduce((s, x, k) => s + x * q[k], 0)]).sort((a, b) => b[1] - a[1]).map(([im, s]) => result(im, Math.round(s * 1e4) / 1e4));
}

function page(body) {
  const limit = body.limit ?? 30;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'limit must be 1 to 100', 'limit');
  const c = body.cursor ? JSON.parse(Buffer.from(body.cursor, 'base64url').toString()) : { o: 0, s: Math.random() };
  const all = rank({ ...body, seed: c.s });
  const next = c.o + limit < all.length ? Buffer.from(JSON.stringify({ o: c.o + limit, s: c.s })).toString('base64url') : null;
  return { results: all.slice(c.o, c.o + limit), cursor: next };
}

const svg = (im, size) => {
  const { width, height } = fit(im, size === 'large' ? 720 : 256);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="hsl(${im.hue} 70% 62%)"/><stop offset="1" stop-color="hsl(${(im.hue + 50) % 360} 60% 38%)"/></linearGradient></defs>`
    + `<rect width="100%" height="100%" fill="url(#g)"/><text x="50%" y="50%" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="${Math.round(width / 17)}" fill="#fff">${im.title.toUpperCase().replace(/ MEETS.*/, '')}</text>`
    + `<text x="50%" y="62%" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="${Math.round(width / 17)}" fill="#fff">${im.title.toUpperCase().replace(/.*(?= MEETS)/, '')}</text>`
    + `<text x="50%" y="${height - 10}" text-anchor="middle" font-family="monospace" font-size="${Math.round(width / 22)}" fill="#fff8">${im.width}×${im.height}</text></svg>`;
};

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const send = (status, body, type = 'application/json', headers = {}) => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
    res.end(type === 'application/json' ? JSON.stringify(body) : body);
  };
  try {
    if (req.method === 'GET' && (url.pathname === '/' || /^\/ui\/app\.(js|css)$/.test(url.pathname))) {
      const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(4);
      return send(200, await readFile(UI + file), TYPES[file.split('.').pop()]);
    }
    if (url.pathname.startsWith('/api/') && Math.random() < Number(opts.busy)) throw new HttpError(429, 'too many requests (mock)', undefined, { 'Retry-After': '1' });
    let m;
    if (req.method === 'POST' && url.pathname === '/api/search') {
      let raw = '';
      for await (const chunk of req) { raw += chunk; if (raw.length > 12 << 20) throw new HttpError(413, 'the body is over the limit'); }
      let body;
      try { body = JSON.parse(raw); } catch { throw new HttpError(400, 'the body is not JSON'); }
      await sleep(Number(opts.latency));
      return send(200, page(body));
    }
    if (req.method === 'GET' && (m = /^\/api\/images\/([0-9a-f]+)(\/similar|\/thumbnail\/(small|large))?$/.exec(url.pathname))) {
      const im = BY_ID.get(m[1]);
      if (!im) throw new HttpError(404, `no image ${m[1]}`);
      if (m[3]) { await sleep(Number(opts['thumb-latency'])); return send(200, svg(im, m[3]), 'image/svg+xml'); }
      await sleep(Number(opts.latency));
      if (m[2]) return send(200, page({ terms: [{ imageId: im.id }], limit: Number(url.searchParams.get('limit') ?? 30), cursor: url.searchParams.get('cursor') }));
      return send(200, {
        id: im.id, width: im.width, height: im.height, format: 'jpeg', byteSize: im.width * im.height / 9 | 0,
        sha256: hash(`sha ${im.id}`).toString('hex'), phash: hash(`ph ${im.id}`).toString('hex').slice(0, 16),
        titles: [im.title, `${im.title} (repost)`], sources: [im.source],
        urls: [{ url: im.url, source: im.source, title: im.title, page: im.url.startsWith('https:') ? 'https://www.example.org/r/memes/' : null, firstSeen: im.firstSeen },
          { url: 'javascript:alert(1)', source: 'hostile', title: 'a link that must not be clickable', page: null, firstSeen: im.firstSeen }],
        firstSeen: im.firstSeen, lastSeen: '2026-11-23T20:00:00Z', quality: im.quality, qualityVersion: 'v1',
        thumbnails: thumbs(im), original: im.source === 'local-dir' ? `/api/images/${im.id}/original` : null,
      });
    }
    throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
  } catch (e) {
    if (!(e instanceof HttpError)) { console.error(e); e = new HttpError(500, 'internal error (mock)'); }
    send(e.status, e.field ? { error: e.message, field: e.field } : { error: e.message }, 'application/json', e.headers);
  }
}

createServer(handle).listen(Number(opts.port), '127.0.0.1', function () {
  console.log(`mock Memescope API on http://127.0.0.1:${this.address().port}/ (development aid, not the real server)`);
});
