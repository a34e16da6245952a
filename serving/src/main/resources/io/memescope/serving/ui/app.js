// Memescope search UI: one ES module, no framework, no build step. The API it speaks is described
// in docs/serving.md; the UI is described in docs/search-ui.md.

const PAGE_SIZE = 30;
const MIN_COLUMN = 180; // px; as many columns as fit, at least two
const GAP = 8; // px between tiles, both ways
const RATIO_MIN = 0.25; // height / width of a tile: extreme images are cropped to these
const RATIO_MAX = 2.5;
const THEME_KEY = 'memescope.theme';
const SEARCH_DELAY = 300; // ms between the last change of a term or filter and its search
const MAX_AUTO_RETRIES = 3; // of one search after a 429 or 503
const MAX_EMPTY_PAGES = 20; // pages in a row that add nothing before a search counts as ended (each at most 3 windows on)
const THUMBNAIL_RETRIES = 3;
const UPLOAD_AS_IS = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp']);
const UPLOAD_MAX_BYTES = 4 << 20; // larger images are scaled down before upload
// The API takes 8 MiB of images per request (serving.max-upload), all of a search's images
// together, and each page sends them again: this much is left for them, the rest for the body.
const UPLOAD_TOTAL_BYTES = 6 << 20;
const UPLOAD_MAX_SIDE = 1600;
const TILE_TYPE = 'application/x-memescope-image-id'; // a result dragged onto the page

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('search-form'),
  input: $('search-input'),
  addTerm: $('add-term'),
  upload: $('upload-input'),
  terms: $('terms'),
  urlNote: $('url-note'),
  minQuality: $('filter-min-quality'),
  sort: $('filter-sort'),
  since: $('filter-since'),
  theme: $('theme-toggle'),
  status: $('status'),
  progress: $('progress'),
  wall: $('wall'),
  sentinel: $('sentinel'),
  end: $('end'),
  drop: $('drop'),
  detail: $('detail'),
  detailImage: $('detail-image'),
  detailTitle: $('detail-title'),
  detailTitles: $('detail-titles'),
  detailFacts: $('detail-facts'),
  detailUrls: $('detail-urls'),
  detailError: $('detail-error'),
  detailOriginal: $('detail-original'),
  detailMore: $('detail-more'),
  detailAdd: $('detail-add'),
  detailClose: $('detail-close'),
};

// ---------------------------------------------------------------------------------------------
// Theme: the system's until the toggle is used, then the stored choice.

const darkMedia = matchMedia('(prefers-color-scheme: dark)');

function storedTheme() {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === 'dark' || t === 'light' ? t : null;
  } catch {
    return null;
  }
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  ui.theme.setAttribute('aria-pressed', String(theme === 'dark'));
  ui.theme.title = theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme';
}

applyTheme(storedTheme() ?? (darkMedia.matches ? 'dark' : 'light'));
darkMedia.addEventListener('change', () => {
  if (!storedTheme()) applyTheme(darkMedia.matches ? 'dark' : 'light');
});
ui.theme.addEventListener('click', () => {
  const theme = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Private mode without storage: the toggle still works for this page.
  }
  applyTheme(theme);
});

// ---------------------------------------------------------------------------------------------
// The query: the search box's text (a term of weight 1), the terms list, the filters.
// A term is {kind: 'text' | 'imageId' | 'image', value, weight > 0, negative, key?, name?};
// an image term's base64 lives in `images` under its key, never in the URL or history.

let terms = [];
const images = new Map(); // key -> {data (base64), preview (object URL), name, bytes}
let imageSeq = 0;
// Keys name this page load too: history entries from before a reload name keys of images this
// load does not have, and must not find a new upload under the same name.
const imageLoad = Math.random().toString(36).slice(2, 8);
// Uploads kept for going back and forward: at most these, the oldest not in the query going first
// (their history entries then restore without them, and say so).
const KEPT_IMAGES = 32;
const KEPT_IMAGE_BYTES = 48 * 1024 * 1024;
let droppedImages = 0; // image terms a restored query had to leave out

function readFilters() {
  const q = ui.minQuality.value.trim();
  return {
    minQuality: q === '' ? null : Number(q),
    since: ui.since.value || '',
    sort: ui.sort.value === 'quality' ? 'quality' : '',
  };
}

function currentQuery() {
  return { box: ui.input.value.trim(), terms: terms.map((t) => ({ ...t })), filters: readFilters() };
}

function isRandom(q) {
  return !q.box && q.terms.length === 0;
}

function signedWeight(t) {
  return t.negative ? -t.weight : t.weight;
}

function termName(t) {
  if (t.kind === 'text') return `“${t.value}”`;
  if (t.kind === 'imageId') return `image ${t.value.slice(0, 8)}`;
  return t.name || 'uploaded image';
}

/** The body of POST /api/search, and which term each of its terms came from (for `field`). */
function requestBody(q, cursor) {
  const body = { terms: [], limit: PAGE_SIZE };
  const owners = [];
  if (q.box) {
    body.terms.push({ text: q.box, weight: 1 });
    owners.push(null);
  }
  for (const t of q.terms) {
    const weight = signedWeight(t);
    if (t.kind === 'text') body.terms.push({ text: t.value, weight });
    else if (t.kind === 'imageId') body.terms.push({ imageId: t.value, weight });
    else body.terms.push({ image: images.get(t.key).data, weight });
    owners.push(t);
  }
  if (cursor) body.cursor = cursor;
  const filters = {};
  if (q.filters.minQuality !== null) filters.minQuality = q.filters.minQuality;
  if (q.filters.since) filters.since = `${q.filters.since}T00:00:00Z`;
  if (Object.keys(filters).length) body.filters = filters;
  if (q.filters.sort) body.sort = q.filters.sort;
  return { body, owners };
}

/** A problem the API would refuse anyway, said before asking it; null when there is none. */
function validate(q) {
  for (const t of q.terms) {
    if (!(Number.isFinite(t.weight) && t.weight > 0)) {
      return { message: `The weight of ${termName(t)} must be a number above 0.`, term: t };
    }
  }
  const m = q.filters.minQuality;
  // Text the number field cannot read ("0,5" in an English page) leaves its value empty, which
  // would search without the filter: say so instead.
  if (ui.minQuality.validity?.badInput || (m !== null && !(Number.isFinite(m) && m >= 0 && m <= 1))) {
    return { message: 'Min quality must be a number from 0 to 1.', input: ui.minQuality };
  }
  // A half-typed date (month and day, no year) leaves the value empty too.
  if (ui.since.validity?.badInput) {
    return { message: 'Since must be a whole date: day, month and year (or clear it).', input: ui.since };
  }
  return null;
}

/** A filter holds text its field cannot read: its value looks empty, and must not count as empty. */
const unreadableFilter = () => ui.minQuality.validity.badInput || ui.since.validity.badInput;

// URL: ?q=box text&t=<signed weight>,text|id,<value>&minq=0.2&since=2026-11-01&sort=quality
const TERM_PARAM = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?),(text|id),([\s\S]+)$/i;

function queryToSearchString(q) {
  const p = new URLSearchParams();
  if (q.box) p.set('q', q.box);
  for (const t of q.terms) {
    if (t.kind === 'image') continue;
    p.append('t', `${signedWeight(t)},${t.kind === 'text' ? 'text' : 'id'},${t.value}`);
  }
  if (q.filters.minQuality !== null) p.set('minq', String(q.filters.minQuality));
  if (q.filters.since) p.set('since', q.filters.since);
  if (q.filters.sort) p.set('sort', q.filters.sort);
  const s = p.toString().replace(/%2C/gi, ','); // commas need no escaping in a query
  return s ? `?${s}` : '';
}

function searchStringToQuery(search) {
  const p = new URLSearchParams(search);
  const parsed = [];
  for (const v of p.getAll('t')) {
    const m = TERM_PARAM.exec(v);
    const w = m ? Number(m[1]) : NaN;
    if (!m || !Number.isFinite(w) || w === 0) continue;
    const kind = m[2].toLowerCase() === 'text' ? 'text' : 'imageId';
    parsed.push({ kind, value: m[3], weight: Math.abs(w), negative: w < 0 });
  }
  const minq = p.get('minq');
  const since = p.get('since') || '';
  return {
    box: (p.get('q') || '').trim(),
    terms: parsed,
    filters: {
      minQuality: minq === null || minq === '' || !Number.isFinite(Number(minq)) ? null : Number(minq),
      since: /^\d{4}-\d{2}-\d{2}$/.test(since) ? since : '',
      sort: p.get('sort') === 'quality' ? 'quality' : '',
    },
  };
}

/** What history keeps of a query: image terms by key only (their data stays in `images`). */
function historyState(q) {
  return {
    memescope: 1,
    query: {
      box: q.box,
      terms: q.terms.map(({ kind, value, weight, negative, key, name }) => ({ kind, value, weight, negative, key, name })),
      filters: q.filters,
    },
  };
}

let shownSearch = location.search; // the address's query of the history entry on screen

function recordHistory(q, mode) {
  if (mode === 'none') return;
  const state = historyState(q);
  const url = location.pathname + queryToSearchString(q);
  const same = JSON.stringify(history.state) === JSON.stringify(state);
  if (mode === 'push' && !same) history.pushState(state, '', url);
  else history.replaceState(state, '', url);
  shownSearch = location.search;
}

/** Puts a query into the controls; image terms whose data is gone are left out and counted. */
function showQuery(q) {
  ui.input.value = q.box;
  const kept = q.terms.filter((t) => t.kind !== 'image' || images.has(t.key));
  droppedImages = q.terms.length - kept.length;
  terms = kept.map((t) => ({ ...t }));
  ui.minQuality.value = q.filters.minQuality ?? '';
  ui.since.value = q.filters.since || '';
  ui.sort.value = q.filters.sort === 'quality' ? 'quality' : 'relevance';
  renderTerms();
}

// ---------------------------------------------------------------------------------------------
// The terms list.

function renderTerms() {
  const chips = terms.map((t, i) => {
    const li = document.createElement('li');
    li.className = `term${t.negative ? ' negative' : ''}`;
    li.dataset.testid = 'term';
    li.dataset.kind = t.kind;
    li.dataset.index = String(i);
    const name = termName(t);

    const sign = document.createElement('button');
    sign.type = 'button';
    sign.className = 'sign';
    sign.dataset.testid = 'term-sign';
    sign.textContent = t.negative ? '−' : '+';
    sign.setAttribute('aria-pressed', String(t.negative));
    sign.setAttribute('aria-label', `Negative: push results away from ${name}`);
    sign.title = t.negative ? 'Negative: results move away from it (click to make it positive)'
      : 'Positive: results move towards it (click to make it negative)';
    li.append(sign);

    if (t.kind !== 'text') {
      const img = document.createElement('img');
      img.alt = '';
      img.width = 24;
      img.height = 24;
      img.src = t.kind === 'image' ? images.get(t.key).preview : thumbnailUrl(t.value);
      li.append(img);
    }
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = t.kind === 'text' ? t.value : t.kind === 'imageId' ? 'like this' : 'image';
    label.title = t.kind === 'imageId' ? `Images like ${t.value}` : t.kind === 'image' ? name : t.value;
    li.append(label);

    const weight = document.createElement('input');
    weight.type = 'number';
    weight.className = 'weight';
    weight.dataset.testid = 'term-weight';
    weight.min = '0.1';
    weight.max = '10';
    weight.step = '0.1';
    weight.inputMode = 'decimal';
    weight.value = String(t.weight);
    weight.setAttribute('aria-label', `Weight of ${name}`);
    weight.title = 'Weight';
    li.append(weight);

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove';
    remove.dataset.testid = 'term-remove';
    remove.setAttribute('aria-label', `Remove ${name}`);
    remove.title = 'Remove';
    remove.innerHTML = '<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path d="m6 6 12 12M18 6 6 18" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/></svg>';
    li.append(remove);
    return li;
  });
  ui.terms.replaceChildren(...chips);
  updateUrlNote();
}

function updateUrlNote() {
  const uploads = terms.filter((t) => t.kind === 'image').length;
  if (uploads > 0) {
    ui.urlNote.textContent = 'Uploaded images are not in the link.';
    ui.urlNote.title = 'Uploaded images are not part of the page address: a reload or a shared link leaves them out.';
  } else if (droppedImages > 0) {
    ui.urlNote.textContent = `${droppedImages === 1 ? 'An uploaded image was' : `${droppedImages} uploaded images were`} left out: uploads are not in the link, and the page keeps only its latest ones.`;
    ui.urlNote.title = '';
  }
  ui.urlNote.hidden = uploads === 0 && droppedImages === 0;
}

function termIndexOf(node) {
  const li = node.closest('.term');
  return li ? Number(li.dataset.index) : -1;
}

function focusTermControl(index, selector) {
  const li = ui.terms.children[Math.min(index, ui.terms.children.length - 1)];
  (li?.querySelector(selector) ?? ui.input).focus();
}

ui.terms.addEventListener('click', (e) => {
  const button = e.target.closest('button');
  const i = button ? termIndexOf(button) : -1;
  if (i < 0) return;
  if (button.classList.contains('sign')) {
    terms[i].negative = !terms[i].negative;
    renderTerms();
    focusTermControl(i, '.sign');
  } else if (button.classList.contains('remove')) {
    terms.splice(i, 1);
    renderTerms();
    focusTermControl(i, '.remove');
  }
  scheduleSearch();
});

ui.terms.addEventListener('change', (e) => {
  if (!e.target.classList.contains('weight')) return;
  const i = termIndexOf(e.target);
  terms[i].weight = e.target.value.trim() === '' ? NaN : Number(e.target.value);
  scheduleSearch();
});

ui.terms.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.classList.contains('weight')) {
    e.preventDefault();
    e.target.dispatchEvent(new Event('change', { bubbles: true }));
  }
});

function addTerm(term) {
  const dup = terms.find((t) => t.kind === term.kind && t.kind !== 'image' && t.value === term.value);
  if (dup) return false;
  terms.push({ weight: 1, negative: false, ...term });
  droppedImages = 0;
  renderTerms();
  return true;
}

ui.addTerm.addEventListener('click', () => {
  const text = ui.input.value.trim();
  if (text) {
    ui.input.value = '';
    if (addTerm({ kind: 'text', value: text })) scheduleSearch();
    else setStatus(`${termName({ kind: 'text', value: text })} is a term already.`);
  } else {
    setStatus('Type a text first, then add it as a term to weigh it or make it negative.');
  }
  ui.input.focus();
});

// ---------------------------------------------------------------------------------------------
// Image terms: file upload, drag and drop, paste.

function readAsBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(',') + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Bytes of the images the current terms send with every search. */
function uploadedBytes() {
  return terms.reduce((sum, t) => sum + (t.kind === 'image' ? images.get(t.key)?.bytes ?? 0 : 0), 0);
}

class UploadError extends Error {}

/**
 * The image to upload: the file itself, or a JPEG of it when its type or size calls for one, or
 * when it would not fit in the `room` the other images of the search leave.
 */
async function prepareImage(blob, room) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob); // refuses what is no image
  } catch {
    throw new UploadError(/hei[cf]/i.test(blob.type) || /\.hei[cf]$/i.test(blob.name ?? '')
      ? 'is a HEIC image, which this browser cannot read; export it as JPEG'
      : 'could not be read as an image');
  }
  let out = blob;
  const side = Math.max(bitmap.width, bitmap.height);
  if (!UPLOAD_AS_IS.has(blob.type) || blob.size > Math.min(UPLOAD_MAX_BYTES, room)) {
    const scale = Math.min(1, UPLOAD_MAX_SIDE / side);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    out = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
  }
  bitmap.close();
  if (out.size > room) {
    throw new UploadError('does not fit: the images of one search are sent together, at most ' +
      `${UPLOAD_TOTAL_BYTES >> 20} MiB; remove an image term first`);
  }
  return { data: await readAsBase64(out), preview: URL.createObjectURL(out), bytes: out.size };
}

/** Drops the oldest uploads not in the query while more than KEPT_IMAGES or KEPT_IMAGE_BYTES are kept. */
function forgetOldImages() {
  // The terms on screen, and those of the search shown, whose next pages still send its images.
  const inQuery = new Set([...terms, ...(search.query?.terms ?? [])].filter((t) => t.kind === 'image').map((t) => t.key));
  let count = images.size;
  let bytes = [...images.values()].reduce((sum, i) => sum + i.bytes, 0);
  for (const [key, image] of images) {
    if (count <= KEPT_IMAGES && bytes <= KEPT_IMAGE_BYTES) break;
    if (inQuery.has(key)) continue;
    URL.revokeObjectURL(image.preview);
    images.delete(key);
    count--;
    bytes -= image.bytes;
  }
}

// One batch of files at a time, so that each measures the room the ones before it left: pastes and
// drops come as separate events, and until 2026-12-07 each of several within one image's decoding
// saw the whole budget, and the search they made was refused as too large (413).
let addingImages = Promise.resolve();

function addImages(files) {
  const list = [...files]; // read now: a drop's file list is emptied once its event is over
  // A batch that fails outright says so, and does not stop the ones after it.
  addingImages = addingImages
    .then(() => addImagesNow(list))
    .catch((e) => setStatus(`The image could not be added: ${e?.message ?? e}`, { error: true }));
  return addingImages;
}

async function addImagesNow(files) {
  const list = files.filter((f) => f && (f.type === '' || f.type.startsWith('image/')));
  if (list.length === 0) {
    setStatus('Only image files can be used as query terms.', { error: true });
    return;
  }
  let added = 0;
  const problems = [];
  for (const file of list) {
    const name = file.name && file.name !== 'image.png' ? file.name : 'pasted image';
    try {
      const { data, preview, bytes } = await prepareImage(file, UPLOAD_TOTAL_BYTES - uploadedBytes());
      const key = `img${imageLoad}-${++imageSeq}`;
      images.set(key, { data, preview, name, bytes });
      addTerm({ kind: 'image', key, name });
      forgetOldImages();
      added++;
    } catch (e) {
      problems.push(`${name} ${e instanceof UploadError ? e.message : 'could not be read as an image'}.`);
    }
  }
  if (added) {
    // Said beside the status of the search this starts, which would replace it at once.
    search.notice = problems.join(' ');
    scheduleSearch(0);
  } else if (problems.length) {
    setStatus(problems.join(' '), { error: true });
  }
}

ui.upload.addEventListener('change', () => {
  const files = [...ui.upload.files];
  ui.upload.value = '';
  addImages(files);
});

document.addEventListener('paste', (e) => {
  // The detail view is modal: what is pasted there does not change the search under it.
  if (ui.detail.open) return;
  // Every file, not only those typed as images: a HEIC or a PDF copied in a file manager (often
  // with no type at all) gets the message a drop of it gets, not silence (until 2026-12-07).
  const files = [...(e.clipboardData?.items ?? [])]
    .filter((item) => item.kind === 'file')
    .map((item) => item.getAsFile())
    .filter(Boolean);
  if (files.length === 0) return; // text goes where it was pasted
  // Office and some editors put a picture of copied rich text beside the text: pasted into a text
  // field, the text is what was meant. Not for a copied image (its HTML is one <img>) or a file
  // copied in a file manager (its name as plain text, no HTML).
  const text = (e.clipboardData.getData('text/plain') || '').trim();
  const html = (e.clipboardData.getData('text/html') || '')
    .replace(/<!--[\s\S]*?-->|<\/?(?:html|head|body|meta)\b[^>]*>/gi, '').trim();
  const rich = e.clipboardData.types.includes('text/rtf') || (html !== '' && !/^<img\b[^>]*>$/i.test(html));
  if (takesText(e.target) && text && rich) return;
  e.preventDefault();
  addImages(files);
});

let dragDepth = 0;
const droppable = (e) => [...(e.dataTransfer?.types ?? [])].some((t) => t === 'Files' || t === TILE_TYPE);
document.addEventListener('dragenter', (e) => {
  if (!droppable(e)) return;
  e.preventDefault();
  dragDepth++;
  document.body.classList.add('dragging');
});
document.addEventListener('dragover', (e) => {
  if (!droppable(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', (e) => {
  if (!droppable(e)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  if (!droppable(e)) return;
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  // The detail view is modal: a file dropped on it does not change the search under it (until
  // 2026-12-07 it did, and closing it lost the focus with the tile it came from).
  if (ui.detail.open) return;
  const id = e.dataTransfer.getData(TILE_TYPE);
  if (id) {
    // A result already in the query: said, as the detail's "Add to query" says it (until
    // 2026-12-07 the drop did nothing).
    if (addTerm({ kind: 'imageId', value: id })) scheduleSearch(0);
    else setStatus('This image is in the query already.');
  } else {
    addImages(e.dataTransfer.files);
  }
});

// ---------------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.field = field ?? null;
    this.retryAfter = retryAfter ?? null;
  }
}

function parseRetryAfter(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - Date.now()) / 1000));
}

async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: said below.
  }
  if (!response.ok) {
    const message = typeof data?.error === 'string' && data.error ? data.error : `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message, data?.field, parseRetryAfter(response.headers.get('Retry-After')));
  }
  if (data === null || typeof data !== 'object') throw new ApiError(response.status, 'The server answered something that is not JSON.');
  return data;
}

function thumbnailUrl(id, size = 'small') {
  return `/api/images/${encodeURIComponent(id)}/thumbnail/${size}`;
}

// ---------------------------------------------------------------------------------------------
// Status line.

function setStatus(text, { error = false } = {}) {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

/**
 * What a field the API blames is on the page: `terms[2].weight` counts the search box as term 0,
 * so it names the box or the chip ("the weight of “cat”"); other fields as they are.
 */
function fieldName(field) {
  const m = /^terms\[(\d+)\](?:\.(\w+))?$/.exec(field);
  const i = m ? Number(m[1]) : -1;
  if (!m || i >= search.owners.length) return field;
  const owner = search.owners[i];
  const name = owner ? termName(owner) : 'the search box';
  return m[2] ? `the ${m[2]} of ${name}` : name;
}

function errorText(e) {
  let text = e.message.trim().replace(/[.!]+$/, '');
  if (e.field) {
    // The API's message begins with the field already ("terms[1].weight: must be ...").
    const name = fieldName(e.field);
    text = text.startsWith(`${e.field}:`) ? `${name}:${text.slice(e.field.length + 1)}` : `${text} (${name})`;
  }
  text = `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  if ((e.status === 429 || e.status === 503) && !/\b(retry|try again)\b/i.test(text)) {
    text += e.retryAfter ? ` Try again in ${e.retryAfter} s.` : ' Try again shortly.';
  }
  return text;
}

function markInvalid(problem) {
  for (const li of ui.terms.children) li.removeAttribute('aria-invalid');
  ui.minQuality.removeAttribute('aria-invalid');
  ui.since.removeAttribute('aria-invalid');
  if (!problem) return;
  if (problem.term) {
    const i = terms.findIndex((t) => t.kind === problem.term.kind && t.value === problem.term.value && t.key === problem.term.key);
    ui.terms.children[i]?.setAttribute('aria-invalid', 'true');
  }
  problem.input?.setAttribute('aria-invalid', 'true');
}

// ---------------------------------------------------------------------------------------------
// Searching and paging.

const search = {
  generation: 0,
  controller: null,
  query: null,
  owners: [],
  cursor: undefined, // undefined: no page yet; a string: the next page's; null: no more pages
  loading: false,
  failed: false,
  retries: 0,
  retryTimer: 0,
  seen: new Set(), // ids on the wall: a page never adds one twice
  focusFirst: false,
  notice: '', // a problem to say beside the next search's status (an upload left out)
  shown: '', // that problem, said beside this search's status
};

/** The status line of the search, with the problem that came with it (an upload left out). */
function setSearchStatus(text, { error = false } = {}) {
  setStatus(search.shown ? `${text} ${search.shown}` : text, { error: error || !!search.shown });
}
let searchTimer = 0;

function scheduleSearch(delay = SEARCH_DELAY) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = currentQuery();
    // A change that leaves the query as it is (Enter in a weight field, then its change event
    // again on leaving it) would empty the wall and scroll to the top for the same results.
    if (!search.failed && sameQuery(q, search.query) && !unreadableFilter()) return;
    runSearch(q, 'push');
  }, delay);
}

function sameQuery(a, b) {
  return !!a && !!b && JSON.stringify(historyState(a)) === JSON.stringify(historyState(b));
}

/** Shows the first page of `q`; historyMode 'push', 'replace' or 'none' says what history gets. */
function runSearch(q, historyMode, { focusFirst = false } = {}) {
  clearTimeout(searchTimer);
  const problem = validate(q);
  markInvalid(problem);
  if (problem) {
    // The wall stays, but nothing more of the old search comes in under the edited controls: no
    // answer in flight, no next page, no retry replaces this message.
    search.generation++;
    search.controller?.abort();
    search.failed = true;
    clearTimeout(search.retryTimer);
    search.retryTimer = 0;
    search.loading = false;
    ui.progress.hidden = true;
    ui.wall.removeAttribute('aria-busy');
    if (ui.end.classList.contains('error')) ui.end.hidden = true; // its Try again is for the old search
    // An upload left out is said now: no search of this query will say it.
    setStatus(search.notice ? `${problem.message} ${search.notice}` : problem.message, { error: true });
    search.notice = '';
    return;
  }
  recordHistory(q, historyMode);
  document.title = q.box ? `${q.box} · Memescope` : 'Memescope';
  search.generation++;
  search.controller?.abort();
  search.controller = new AbortController();
  search.query = q;
  search.cursor = undefined;
  search.loading = false;
  search.failed = false;
  search.retries = 0;
  search.emptyPages = 0;
  clearTimeout(search.retryTimer);
  search.retryTimer = 0;
  search.seen = new Set();
  search.focusFirst = focusFirst;
  search.shown = search.notice;
  search.notice = '';
  clearWall();
  ui.end.hidden = true;
  setSearchStatus(isRandom(q) ? 'Loading a random sample…' : 'Searching…');
  if (window.scrollY > 0) window.scrollTo({ top: 0 });
  loadPage();
}

async function loadPage() {
  if (!search.query || search.loading || search.failed || search.cursor === null) return;
  const generation = search.generation;
  const { body, owners } = requestBody(search.query, search.cursor);
  search.owners = owners;
  search.loading = true;
  ui.progress.hidden = false;
  ui.wall.setAttribute('aria-busy', 'true');
  let ok = false;
  try {
    const answer = await api('/api/search', { method: 'POST', body, signal: search.controller.signal });
    if (generation !== search.generation) return;
    const added = appendResults(Array.isArray(answer.results) ? answer.results : []);
    const next = typeof answer.cursor === 'string' && answer.cursor ? answer.cursor : null;
    // A page may add nothing while its cursor goes on (hits whose metadata is not written yet,
    // or a cursor whose place moved far: docs/serving.md, "Freshness"): go on, but not forever.
    search.emptyPages = added === 0 && body.cursor ? search.emptyPages + 1 : 0;
    search.cursor = next === body.cursor || search.emptyPages >= MAX_EMPTY_PAGES ? null : next;
    search.retries = 0;
    ok = true;
    showCount();
  } catch (e) {
    if (e.name === 'AbortError' || generation !== search.generation) return;
    search.failed = true;
    setSearchStatus(errorText(e), { error: true });
    if (e.field) {
      const m = /^terms\[(\d+)\]/.exec(e.field);
      const owner = m ? search.owners[Number(m[1])] : null;
      if (owner) markInvalid({ term: owner });
    }
    if ((e.status === 429 || e.status === 503 || e.status === 0) && search.retries < MAX_AUTO_RETRIES) {
      search.retries++;
      search.retryTimer = setTimeout(() => {
        search.retryTimer = 0;
        search.failed = false;
        recheckSentinel();
        // → was pressed for the next page: it is wanted whether or not the wall's end is in view.
        if (detail.wantNext && ui.detail.open) loadPage();
      }, (e.retryAfter ?? 3) * 1000);
    }
    // Deep in the wall the status line is out of sight: say it where the next page would be.
    if (body.cursor) showPageError(e, search.retryTimer !== 0);
    if (detail.wantNext && ui.detail.open) {
      ui.detailError.textContent = `The next results could not be loaded: ${errorText(e)}`;
      ui.detailError.hidden = false;
    }
  } finally {
    if (generation === search.generation) {
      search.loading = false;
      ui.progress.hidden = true;
      ui.wall.removeAttribute('aria-busy');
      if (ok) {
        ui.end.classList.remove('error');
        if (search.cursor === null) {
          ui.end.hidden = wall.items.length === 0;
          ui.end.textContent = `That is all: ${wall.items.length} image${wall.items.length === 1 ? '' : 's'}.`;
        } else {
          ui.end.hidden = true;
          recheckSentinel();
        }
        openWantedNext();
      }
    }
  }
}

/** A later page failed: the error at the foot of the wall, and a way on unless a retry is due. */
function showPageError(e, retrying) {
  ui.end.replaceChildren(`${errorText(e)} `);
  if (!retrying) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'retry';
    button.dataset.testid = 'retry';
    button.textContent = 'Try again';
    const generation = search.generation;
    button.addEventListener('click', () => {
      if (generation !== search.generation) return; // another search since
      // The button hides with its line: a focus left on it fell to <body>, and a keyboard or
      // screen-reader user lost their place (until 2026-12-07). The last image shown takes it.
      if (document.activeElement === button) {
        (ui.wall.querySelector('.tile:last-child') || ui.input).focus();
      }
      ui.end.hidden = true;
      search.failed = false;
      search.retries = 0;
      loadPage();
    });
    ui.end.append(button);
  }
  ui.end.classList.add('error');
  ui.end.hidden = false;
}

function showCount() {
  const n = wall.items.length;
  if (n === 0) {
    setSearchStatus(search.query.filters.minQuality !== null || search.query.filters.since
      ? 'No images match this search and its filters.' : 'No images match this search.');
  } else {
    setSearchStatus(`${isRandom(search.query) ? 'A random sample: ' : ''}${n} image${n === 1 ? '' : 's'}`);
  }
}

// The sentinel below the wall asks for the next page when it comes within a screen of view.
const sentinelObserver = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadPage();
}, { rootMargin: '0px 0px 100% 0px' });
sentinelObserver.observe(ui.sentinel);

/** Observing anew reports the sentinel's state at once: the next page if it is still in reach. */
function recheckSentinel() {
  sentinelObserver.unobserve(ui.sentinel);
  sentinelObserver.observe(ui.sentinel);
}

// ---------------------------------------------------------------------------------------------
// The wall: tiles sized from the stored aspect ratio before their thumbnail loads, each placed
// at the bottom of the shortest column; everything is placed again when the width changes.

const wall = {
  items: [], // {id, r (the result), el, ratio, col, row, x, y, w, h}
  byId: new Map(),
  columns: [], // items per column, top to bottom
  heights: [],
  count: 0,
  width: 0,
  columnWidth: 0,
};

function clearWall() {
  wall.items = [];
  wall.byId.clear();
  ui.wall.replaceChildren();
  resetColumns();
  ui.wall.style.height = '';
}

function resetColumns() {
  const width = ui.wall.clientWidth;
  const count = Math.max(2, Math.floor((width + GAP) / (MIN_COLUMN + GAP)));
  wall.width = width;
  wall.count = count;
  wall.columnWidth = (width - GAP * (count - 1)) / count;
  wall.heights = new Array(count).fill(0);
  wall.columns = Array.from({ length: count }, () => []);
}

function place(item) {
  let col = 0;
  for (let c = 1; c < wall.count; c++) if (wall.heights[c] < wall.heights[col] - 0.5) col = c;
  item.col = col;
  item.row = wall.columns[col].length;
  item.w = wall.columnWidth;
  item.h = Math.round(wall.columnWidth * item.ratio);
  item.x = col * (wall.columnWidth + GAP);
  item.y = wall.heights[col];
  wall.columns[col].push(item);
  wall.heights[col] += item.h + GAP;
  const s = item.el.style;
  s.width = `${item.w}px`;
  s.height = `${item.h}px`;
  s.transform = `translate(${item.x}px, ${item.y}px)`;
}

function updateWallHeight() {
  ui.wall.style.height = wall.items.length ? `${Math.max(...wall.heights) - GAP}px` : '';
}

function aspectRatio(r) {
  const small = r.thumbnails?.small;
  const [w, h] = r.width > 0 && r.height > 0 ? [r.width, r.height]
    : small?.width > 0 && small?.height > 0 ? [small.width, small.height] : [1, 1];
  return Math.min(RATIO_MAX, Math.max(RATIO_MIN, h / w));
}

function firstTitle(r) {
  return (Array.isArray(r.titles) ? r.titles : []).find((t) => typeof t === 'string' && t.trim())?.trim() ?? '';
}

function makeTile(r) {
  const tile = document.createElement('button');
  tile.type = 'button';
  tile.className = 'tile';
  tile.tabIndex = 0;
  tile.draggable = true;
  tile.dataset.testid = 'result';
  tile.dataset.id = r.id;
  const title = firstTitle(r);
  const img = document.createElement('img');
  img.loading = 'lazy';
  img.decoding = 'async';
  img.alt = title || 'Untitled image';
  const small = r.thumbnails?.small;
  if (small?.url) {
    img.width = small.width > 0 ? small.width : 256;
    img.height = small.height > 0 ? small.height : Math.round(256 * aspectRatio(r));
    img.addEventListener('load', () => tile.classList.add('loaded'), { once: true });
    let retries = 0;
    img.addEventListener('error', () => {
      // The API may have said 429 or 503: a few more tries, further apart, then give up.
      if (retries === THUMBNAIL_RETRIES || !tile.isConnected) {
        tile.classList.add('broken');
        return;
      }
      setTimeout(() => { img.src = small.url; }, 2000 * 2 ** retries++ * (1 + Math.random()));
    });
    img.src = small.url;
  } else {
    tile.classList.add('broken');
  }
  tile.append(img);
  if (title) {
    const caption = document.createElement('span');
    caption.className = 'caption';
    caption.setAttribute('aria-hidden', 'true');
    caption.textContent = title;
    tile.append(caption);
  }
  return tile;
}

function appendResults(results) {
  if (wall.width !== ui.wall.clientWidth) relayout();
  const fragment = document.createDocumentFragment();
  let added = 0;
  for (const r of results) {
    if (!r || typeof r.id !== 'string' || search.seen.has(r.id)) continue;
    search.seen.add(r.id);
    const item = { id: r.id, r, el: makeTile(r), ratio: aspectRatio(r) };
    place(item); // sized and placed before it is in the page
    wall.items.push(item);
    wall.byId.set(item.id, item);
    fragment.append(item.el);
    added++;
  }
  ui.wall.append(fragment);
  updateWallHeight();
  if (search.focusFirst && wall.items.length) {
    search.focusFirst = false;
    if (document.activeElement === document.body || document.activeElement === null) wall.items[0].el.focus();
  }
  return added;
}

function relayout() {
  resetColumns();
  for (const item of wall.items) place(item);
  updateWallHeight();
}

let resizeFrame = 0;
new ResizeObserver(() => {
  if (ui.wall.clientWidth === wall.width) return;
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    relayout();
    recheckSentinel();
  });
}).observe(ui.wall);

ui.wall.addEventListener('click', (e) => {
  const tile = e.target.closest('.tile');
  if (tile) openDetail(wall.byId.get(tile.dataset.id));
});

ui.wall.addEventListener('dragstart', (e) => {
  const tile = e.target.closest?.('.tile');
  if (!tile) return;
  e.dataTransfer.setData(TILE_TYPE, tile.dataset.id);
  e.dataTransfer.effectAllowed = 'copy';
});

/** The tile beside `item` in the next column over (dir ±1): the one nearest its middle. */
function neighbour(item, dir) {
  const column = wall.columns[item.col + dir];
  if (!column) return null;
  const middle = item.y + item.h / 2;
  let best = null;
  let bestDistance = Infinity;
  for (const other of column) {
    const distance = middle < other.y ? other.y - middle : middle > other.y + other.h ? middle - other.y - other.h : 0;
    if (distance < bestDistance) {
      best = other;
      bestDistance = distance;
    }
  }
  return best;
}

ui.wall.addEventListener('keydown', (e) => {
  const tile = e.target.closest?.('.tile');
  if (!tile || e.altKey || e.ctrlKey || e.metaKey) return;
  const item = wall.byId.get(tile.dataset.id);
  let next = null;
  if (e.key === 'ArrowDown') next = wall.columns[item.col][item.row + 1];
  else if (e.key === 'ArrowUp') next = wall.columns[item.col][item.row - 1];
  else if (e.key === 'ArrowLeft') next = neighbour(item, -1);
  else if (e.key === 'ArrowRight') next = neighbour(item, 1);
  else if (e.key === 'Home') next = wall.items[0];
  else if (e.key === 'End') next = wall.items[wall.items.length - 1];
  else return;
  e.preventDefault();
  next?.el.focus();
});

// ---------------------------------------------------------------------------------------------
// The detail view.

// wantNext: the item shown when → was pressed on the last result loaded; the next page opens its
// successor (the wall's own paging waits for a scroll that the modal view does not make).
const detail = { item: null, opener: null, generation: 0, wantNext: null };

function safeHref(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function formatDate(value) {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function formatBytes(n) {
  if (!(n >= 0)) return '';
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function timeElement(value) {
  const t = document.createElement('time');
  t.dateTime = value;
  t.textContent = formatDate(value);
  return t;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = text;
  return a;
}

function shortUrl(url) {
  try {
    const u = new URL(url);
    const path = decodeURIComponent(u.pathname).replace(/\/$/, '');
    return u.protocol === 'file:' ? path : u.host + (path.length > 48 ? `${path.slice(0, 22)}…${path.slice(-22)}` : path);
  } catch {
    return url;
  }
}

/** Fills the dialog from a search result `r`, and from the image's own record `d` once it came. */
function fillDetail(r, d) {
  const info = d ?? r;
  const titles = (Array.isArray(info.titles) ? info.titles : []).filter((t) => typeof t === 'string' && t.trim());
  ui.detailTitle.textContent = titles[0] ?? 'Untitled image';
  ui.detailTitles.replaceChildren(...titles.slice(1).map((t) => {
    const li = document.createElement('li');
    li.textContent = t;
    return li;
  }));

  const large = info.thumbnails?.large ?? r.thumbnails?.large;
  const small = r.thumbnails?.small;
  const img = ui.detailImage;
  const src = large?.url ?? small?.url ?? thumbnailUrl(r.id, 'large');
  if (img.getAttribute('src') !== src) {
    img.width = large?.width || r.width || 720;
    img.height = large?.height || r.height || 720;
    // The small thumbnail is in the cache already: it shows, blurred by scaling, until the large one is in.
    img.style.backgroundImage = small?.url ? `url(${JSON.stringify(small.url)})` : '';
    img.removeAttribute('src'); // else the previous picture stays until this one has loaded
    img.src = src;
  }
  img.alt = titles[0] ?? 'Untitled image';

  const facts = [];
  const fact = (name, value, mono = false) => {
    if (value === null || value === undefined || value === '') return;
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    if (mono) dd.className = 'mono';
    dd.append(value);
    facts.push(dt, dd);
  };
  if (typeof r.score === 'number') fact('Score', r.score.toFixed(3));
  const w = info.width ?? r.width;
  const h = info.height ?? r.height;
  if (w && h) fact('Size', `${w} × ${h}${d?.format ? ` ${String(d.format).toUpperCase()}` : ''}${d?.byteSize >= 0 ? `, ${formatBytes(d.byteSize)}` : ''}`);
  const sources = Array.isArray(info.sources) ? info.sources : [];
  if (sources.length) fact(sources.length === 1 ? 'Source' : 'Sources', sources.join(', '));
  if (info.firstSeen) fact('First seen', timeElement(info.firstSeen));
  if (d?.lastSeen) fact('Last seen', timeElement(d.lastSeen));
  if (typeof info.quality === 'number') fact('Quality', `${info.quality.toFixed(2)}${d?.qualityVersion ? ` (model ${d.qualityVersion})` : ''}`);
  if (d?.sha256) {
    const span = document.createElement('span');
    span.textContent = `${d.sha256.slice(0, 16)}…`;
    span.title = d.sha256;
    fact('SHA-256', span, true);
  }
  if (d?.phash !== undefined && d?.phash !== null) fact('pHash', String(d.phash), true);
  fact('Id', r.id, true);
  ui.detailFacts.replaceChildren(...facts);

  const urls = (Array.isArray(info.urls) ? info.urls : []).map((u) => (typeof u === 'string' ? { url: u } : u)).filter((u) => u?.url);
  ui.detailUrls.replaceChildren(...(urls.length ? urls : [null]).map((u) => {
    const li = document.createElement('li');
    if (!u) {
      li.textContent = 'No address known.';
      return li;
    }
    const href = safeHref(u.url);
    const label = u.title ? `${u.title}` : shortUrl(u.url);
    if (href) li.append(link(href, label));
    else li.append(label);
    if (u.title || !href) li.title = u.url;
    const meta = [];
    if (u.source) meta.push(document.createTextNode(u.source));
    const page = u.page ? safeHref(u.page) : null;
    if (page) meta.push(link(page, 'page'));
    if (u.firstSeen) meta.push(timeElement(u.firstSeen));
    if (meta.length) {
      const span = document.createElement('span');
      span.className = 'meta';
      meta.forEach((m, i) => span.append(...(i ? [' · ', m] : [m])));
      li.append(span);
    }
    return li;
  }));

  const original = d?.original ? safeHref(d.original) : null;
  ui.detailOriginal.hidden = !original;
  if (original) ui.detailOriginal.href = original;
  else ui.detailOriginal.removeAttribute('href');
}

function openDetail(item) {
  if (!item) return;
  detail.item = item;
  detail.wantNext = null;
  ui.detail.dataset.id = item.id;
  detail.opener = item.el;
  ui.detailError.hidden = true;
  fillDetail(item.r, null);
  if (!ui.detail.open) ui.detail.showModal();
  const generation = ++detail.generation;
  api(`/api/images/${encodeURIComponent(item.id)}`).then((d) => {
    if (generation === detail.generation && ui.detail.open) fillDetail(item.r, d);
  }, (e) => {
    if (generation !== detail.generation || !ui.detail.open) return;
    ui.detailError.textContent = `Details could not be loaded: ${errorText(e)}`;
    ui.detailError.hidden = false;
  });
}

ui.detailClose.addEventListener('click', () => ui.detail.close());
ui.detail.addEventListener('click', (e) => {
  if (e.target === ui.detail) ui.detail.close(); // a click on the backdrop
});
ui.detail.addEventListener('close', () => {
  detail.generation++;
  detail.wantNext = null;
  const opener = detail.opener;
  detail.opener = null;
  if (opener?.isConnected) opener.focus();
});
ui.detail.addEventListener('keydown', (e) => {
  if ((e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') || e.target.closest('input') || !detail.item) return;
  const i = wall.items.indexOf(detail.item) + (e.key === 'ArrowLeft' ? -1 : 1);
  if (wall.items[i]) {
    e.preventDefault();
    openDetail(wall.items[i]);
  } else if (e.key === 'ArrowRight' && search.cursor !== null) {
    e.preventDefault();
    detail.wantNext = detail.item;
    // A page that failed is asked for again, as its Try again would. A search stopped by a term or
    // filter in error (search.failed, no Try again) stays stopped.
    const retry = ui.end.hidden ? null : ui.end.querySelector('.retry');
    if (retry) retry.click();
    else if (search.retryTimer) {
      // A page refused for now (429, 503, no connection) is asked for again by itself, and this
      // view moves on when it comes. Until 2026-12-06 → said nothing meanwhile.
      ui.detailError.textContent = 'The next results are on their way: they are asked for again in a moment.';
      ui.detailError.hidden = false;
    } else loadPage(); // or the page in flight, which looks at wantNext when it is in
  } else {
    // Before the first result or past the very last: said, not nothing (until 2026-12-07).
    e.preventDefault();
    ui.detailError.textContent = e.key === 'ArrowLeft' ? 'This is the first result.' : 'That is all: this is the last result.';
    ui.detailError.hidden = false;
  }
});

/** After a page: the successor of the result → was pressed on, or the page after if it added none. */
function openWantedNext() {
  const from = detail.wantNext;
  const at = wall.items.indexOf(from);
  if (!from || !ui.detail.open || detail.item !== from || at < 0) return;
  const next = wall.items[at + 1];
  if (next) openDetail(next);
  else if (search.cursor !== null) loadPage();
  else {
    detail.wantNext = null;
    ui.detailError.textContent = 'That is all: this is the last result.';
    ui.detailError.hidden = false;
  }
}

ui.detailMore.addEventListener('click', () => {
  const id = detail.item.id;
  detail.opener = null; // its tile is about to go; focus goes to the new first result
  ui.detail.close();
  ui.input.value = '';
  terms = [];
  droppedImages = 0;
  addTerm({ kind: 'imageId', value: id });
  runSearch(currentQuery(), 'push', { focusFirst: true });
});

ui.detailAdd.addEventListener('click', () => {
  const id = detail.item.id;
  if (addTerm({ kind: 'imageId', value: id })) {
    detail.opener = null; // its tile is about to go; focus goes to the new first result
    ui.detail.close();
    runSearch(currentQuery(), 'push', { focusFirst: true });
  } else {
    ui.detail.close();
    setStatus('This image is in the query already.');
  }
});

// ---------------------------------------------------------------------------------------------
// The search box, filters, keyboard, history, start.

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  runSearch(currentQuery(), 'push');
});

ui.minQuality.addEventListener('change', () => scheduleSearch());
ui.since.addEventListener('change', () => scheduleSearch());
// Text a field cannot read (a min quality of "0,5" on an English page, a date without its year)
// leaves its value as it was (empty), so no change event comes: the search that says so runs when
// the field is left. Also once the unreadable text is gone: the value was empty all along.
for (const field of [ui.minQuality, ui.since]) {
  field.addEventListener('blur', () => {
    if (field.validity.badInput || field.hasAttribute('aria-invalid')) scheduleSearch(0);
  });
}
ui.sort.addEventListener('change', () => scheduleSearch(0));

document.querySelector('.brand').addEventListener('click', (e) => {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  showQuery({ box: '', terms: [], filters: { minQuality: null, since: '', sort: '' } });
  runSearch(currentQuery(), 'push');
});

/**
 * Whether typing or pasting at `el` goes into text: a text field, a text area, editable content.
 * The `/` shortcut and the paste rule both ask it (they asked two different questions before
 * 2026-12-06: `/` was not taken in a checkbox, and was in plaintext-only editable content).
 */
function takesText(el) {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement) return true;
  return el instanceof HTMLInputElement
    && !['file', 'checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'range', 'color'].includes(el.type);
}

document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || ui.detail.open) return;
  // A select takes typed letters too (to pick an option by its name).
  if (takesText(e.target) || e.target instanceof HTMLSelectElement) return;
  e.preventDefault();
  ui.input.focus();
  ui.input.select();
});

// The skip link moves focus to the results. As a plain fragment link it made a history entry
// without our state, whose popstate ran the search again from the address, without its uploads.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  ui.wall.focus();
});

window.addEventListener('popstate', (e) => {
  if (!e.state?.memescope && location.search === shownSearch) return; // only the fragment changed
  shownSearch = location.search;
  const q = e.state?.memescope ? e.state.query : searchStringToQuery(location.search);
  if (ui.detail.open) {
    detail.opener = null;
    ui.detail.close();
  }
  showQuery(q);
  runSearch(currentQuery(), 'none');
});

// Reloading keeps history.state; uploads it names are gone by then and are left out.
showQuery(history.state?.memescope ? history.state.query : searchStringToQuery(location.search));
runSearch(currentQuery(), 'replace');

// Say so when the index was built with the random-weight test model: its results are not semantic.
fetch('/api/stats')
  .then((r) => (r.ok ? r.json() : null))
  .then((stats) => {
    const model = stats?.models?.embedding;
    if (!model?.testModel) return;
    const notice = document.getElementById('notice');
    notice.textContent = `The index uses ${model.name}, a random-weight test model: results are not ` +
      'semantic. Install a real model with ./memescope model install.';
    notice.hidden = false;
  })
  .catch(() => {});
