// The rater app's fetch wrapper, shared by its pages: JSON in and out, the session's CSRF token on
// every write, errors as ApiError (status, message, field, retryAfter), and 401 sending the browser
// to the sign-in page (coming back here afterwards).

let csrf = null;
let user = null; // who this page is for: a write is never retried under someone else's session

/**
 * Sets the CSRF token that writes carry (from /api/login or /api/me) and, when given, the user the
 * page belongs to.
 */
export function setCsrf(token, username) {
  csrf = token || null;
  if (username !== undefined) user = username || null;
}

export class ApiError extends Error {
  constructor(status, message, { field = null, retryAfter = 0, network = false, signedInAs = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
    this.network = network;
    /** Set when the browser's session now belongs to this other user (a sign-in in another tab). */
    this.signedInAs = signedInAs;
  }

  /** Worth trying again later: no answer at all, or the server said "not now". */
  get transient() {
    return this.network || this.status === 503 || this.status === 502 || this.status === 504 || this.status === 429;
  }
}

let signInHold = null;

/**
 * Lets a page keep itself open on a 401 instead of going to the sign-in page: {@code hold} is
 * asked first, and returns true when leaving would lose something the page cannot keep elsewhere
 * (it then offers the sign-in some other way).
 */
export function holdSignIn(hold) {
  signInHold = hold;
}

/** The sign-in page's address, coming back to this page (or closing itself: `then=close`). */
export function signInUrl({ close = false } = {}) {
  const here = location.pathname + location.search;
  return '/login?next=' + encodeURIComponent(here) + (close ? '&then=close' : '');
}

/** Where a 401 goes: the sign-in page, which comes back to this page; unless the page holds it. */
export function signInAgain() {
  if (signInHold && signInHold()) return;
  location.assign(signInUrl());
}

/**
 * Calls the API. `body` (an object) is sent as JSON. Resolves to the parsed answer (null for 204).
 * Options: redirect401 (default true), signal, keepalive.
 */
export async function api(method, path, body, { redirect401 = true, signal, keepalive = false, retriedCsrf = false } = {}) {
  const headers = { Accept: 'application/json' };
  const write = method !== 'GET' && method !== 'HEAD';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (write && csrf) headers['X-CSRF-Token'] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
      keepalive,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the server cannot be reached', { network: true });
  }
  if (response.status === 204) return null;
  const text = await response.text().catch(() => '');
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const message = (data && typeof data.error === 'string' && data.error) || `HTTP ${response.status}`;
  const retryAfter = Number(response.headers.get('Retry-After')) || (data && Number(data.retryAfter)) || 0;
  if (response.status === 401 && redirect401) {
    signInAgain();
  }
  // A sign-in in another tab gives the cookie a new session and a new token: fetch it, try once
  // more, but only if the session is still this page's user's. Someone else's session must never
  // carry this page's writes (their ratings would go to the wrong account, or be refused and lost).
  if (response.status === 403 && write && /csrf/i.test(message) && !retriedCsrf) {
    const me = await api('GET', '/api/me', undefined, { redirect401, signal });
    if (user && me && me.username !== user) {
      throw new ApiError(403, `you are signed in as ${me.username} in another tab of this browser: reload this page`,
        { signedInAs: me.username });
    }
    setCsrf(me.csrf);
    return api(method, path, body, { redirect401, signal, keepalive, retriedCsrf: true });
  }
  throw new ApiError(response.status, message, { field: data && data.field, retryAfter });
}

/**
 * Whose session the browser's cookie holds now: the username, null when signed out, undefined when
 * the server cannot say (unreachable, 5xx).
 */
export async function sessionUser() {
  try {
    const me = await api('GET', '/api/me', undefined, { redirect401: false });
    return me && typeof me.username === 'string' ? me.username : undefined;
  } catch (e) {
    return e instanceof ApiError && e.status === 401 ? null : undefined;
  }
}

/** The browser's IANA time zone for ?tz= (today's count), or '' when it has none worth sending. */
export function timeZone() {
  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    return /^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/.test(tz) && tz !== 'Etc/Unknown' ? tz : '';
  } catch {
    return '';
  }
}

/** `path` with ?tz= added when the browser knows its zone. */
export function withTz(path) {
  const tz = timeZone();
  return tz ? `${path}${path.includes('?') ? '&' : '?'}tz=${encodeURIComponent(tz)}` : path;
}

/** Creates an element: el('p', {class: 'x', text: 'hi'}, child...). No innerHTML anywhere. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Signs out and goes to the sign-in page. */
export async function signOut() {
  try {
    await api('POST', '/api/logout', undefined, { redirect401: false });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
  location.assign('/login');
}
