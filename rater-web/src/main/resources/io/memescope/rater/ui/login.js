// Sign-in page: JSON POST to /api/login, then back to ?next= (a path of this app) or the rating page.
import { api, ApiError } from '/ui/api.js';

const form = document.getElementById('login-form');
const username = document.getElementById('username');
const password = document.getElementById('password');
const button = document.getElementById('sign-in');
const error = document.getElementById('login-error');
let lockedUntil = 0;
let countdown = null;

/**
 * Only a path of this app: never another site (an open redirect). The browser's own parser decides,
 * not prefix checks: it drops tabs and line breaks and reads "\\" as "/", so "/<tab>/evil.example"
 * would pass a check for "//" and still lead to //evil.example.
 */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return '/';
  }
  if (!next.startsWith('/') || url.origin !== location.origin || url.pathname.startsWith('/login')) return '/';
  // Absolute: a path the parser normalised to "//host" ("/.//host") must not be read again as
  // a protocol-relative URL.
  return url.href;
}

function showError(message) {
  error.textContent = message;
  error.hidden = false;
}

function lockFor(seconds) {
  lockedUntil = Date.now() + seconds * 1000;
  clearInterval(countdown);
  const tick = () => {
    const left = Math.ceil((lockedUntil - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(countdown);
      button.disabled = false;
      showError('You can try again now.');
      return;
    }
    button.disabled = true;
    showError(`Too many sign-in attempts. Try again in ${left} s.`);
  };
  tick();
  countdown = setInterval(tick, 1000);
}


form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (Date.now() < lockedUntil) return;
  if (!username.value.trim() || !password.value) {
    showError('Enter your username and password.');
    (username.value.trim() ? password : username).focus();
    return;
  }
  button.disabled = true;
  button.textContent = 'Signing in…';
  error.hidden = true;
  try {
    await api('POST', '/api/login', { username: username.value.trim(), password: password.value }, { redirect401: false });
    if (new URLSearchParams(location.search).get('then') === 'close') {
      // Opened by a rating page that stayed open (its unsent ratings are only in its memory): it
      // carries on by itself once the session is back; this tab has nothing more to do.
      window.close(); // allowed where the browser opened this tab for the link; else it says so
      const done = document.createElement('p');
      done.id = 'signed-in';
      done.setAttribute('role', 'status');
      done.textContent = 'Signed in. Close this tab: the rating page goes on by itself.';
      form.replaceWith(done);
      return;
    }
    location.replace(nextPath());
    return;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showError('Wrong username or password.');
      password.value = '';
      password.focus();
    } else if (e instanceof ApiError && e.status === 429) {
      lockFor(e.retryAfter || 60);
    } else if (e instanceof ApiError && e.network) {
      showError('The server cannot be reached. Check the connection and try again.');
    } else if (e instanceof ApiError && e.status === 503) {
      showError(`The server is busy (${e.message}). Try again in ${e.retryAfter || 5} s.`);
    } else {
      showError(`Sign-in failed: ${e.message}`);
    }
  } finally {
    button.textContent = 'Sign in';
    if (Date.now() >= lockedUntil) button.disabled = false;
  }
});
