// The admin page: raters (create, reset password, change queue or role, disable), queues (depth,
// fill with random pairs, clear), agreement between raters, and the export. Uses the admin API of
// docs/rater.md and nothing else.
import { api, ApiError, setCsrf, el, withTz, signOut } from '/ui/api.js';

const $ = (id) => document.getElementById(id);
const messageEl = $('message');
let me = null;

function say(message, ok = false) {
  messageEl.textContent = message;
  messageEl.classList.toggle('ok', ok);
  messageEl.classList.toggle('error', !ok && !!message);
}

function failed(what, e) {
  if (e instanceof ApiError && e.status === 401) return; // on the way to sign-in
  say(`${what}: ${e.message}${e.field ? ` (${e.field})` : ''}`);
}

const pct = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`);
const num = (x, digits = 3) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(digits));
const day = (iso) => (iso ? new Date(iso).toLocaleDateString() : '–');

// ---- raters -------------------------------------------------------------------------------

async function loadRaters() {
  const { raters } = await api('GET', withTz('/api/admin/raters'));
  const body = $('raters').tBodies[0];
  body.replaceChildren(...raters.map(raterRow));
}

function raterRow(r) {
  const self = r.username === me.username;
  const password = el('input', { type: 'password', placeholder: 'new password', minlength: '10', autocomplete: 'new-password', 'aria-label': `New password for ${r.username}` });
  const queue = el('input', { value: r.queue ?? '', size: '10', 'aria-label': `Queue of ${r.username}`, spellcheck: 'false' });
  const patch = async (change, done) => {
    try {
      await api('PATCH', `/api/admin/raters/${encodeURIComponent(r.username)}`, change);
      say(done, true);
      await loadRaters();
    } catch (e) {
      failed(`${r.username}`, e);
    }
  };
  // A form of its own, so that password managers see a password field where they expect one.
  const reset = el('form', {
    class: 'actions',
    onsubmit: (e) => {
      e.preventDefault();
      if (password.value.length < 10) {
        say(`${r.username}: a password needs at least 10 characters`);
        password.focus();
        return;
      }
      patch({ password: password.value }, `${r.username}: password reset`);
    },
  },
  el('input', { type: 'text', name: 'username', value: r.username, autocomplete: 'username', hidden: true, readonly: true }),
  password,
  el('button', { type: 'submit' }, 'Reset password'));
  const actions = el('div', { class: 'actions' },
    reset,
    queue,
    el('button', { type: 'button', onclick: () => patch({ queue: queue.value.trim() }, `${r.username}: queue ${queue.value.trim()}`) }, 'Set queue'),
    el('button', {
      type: 'button',
      onclick: () => patch({ role: r.role === 'admin' ? 'rater' : 'admin' }, `${r.username}: role ${r.role === 'admin' ? 'rater' : 'admin'}`),
      disabled: self,
    }, r.role === 'admin' ? 'Make rater' : 'Make admin'),
    el('button', {
      type: 'button',
      class: r.disabled ? '' : 'danger',
      disabled: self && !r.disabled,
      title: self ? 'You cannot disable your own account' : null,
      onclick: () => {
        if (!r.disabled && !confirm(`Disable ${r.username}? Their sessions end within 30 s.`)) return;
        patch({ disabled: !r.disabled }, `${r.username}: ${r.disabled ? 'enabled' : 'disabled'}`);
      },
    }, r.disabled ? 'Enable' : 'Disable'));
  return el('tr', { class: r.disabled ? 'disabled' : null },
    el('td', {}, el('strong', { text: r.username }), self ? ' (you)' : ''),
    el('td', { text: r.role }),
    el('td', { text: r.queue ?? '' }),
    el('td', { text: r.disabled ? 'disabled' : 'active' }),
    el('td', { class: 'num', text: String(r.today ?? 0) }),
    el('td', { class: 'num', text: String(r.total ?? 0) }),
    el('td', { text: day(r.createdAt) }),
    el('td', {}, actions));
}

$('create-rater').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const data = Object.fromEntries(new FormData(form));
  const body = { username: data.username.trim(), password: data.password, role: data.role };
  if (data.queue.trim()) body.queue = data.queue.trim();
  try {
    const r = await api('POST', '/api/admin/raters', body);
    say(`Created ${r.username} (${r.role}, queue ${r.queue}).`, true);
    form.reset();
    await loadRaters();
  } catch (err) {
    failed('Cannot create the rater', err);
  }
});

// ---- queues -------------------------------------------------------------------------------

async function loadQueues() {
  const { queues } = await api('GET', '/api/admin/queues');
  const body = $('queues').tBodies[0];
  body.replaceChildren(...queues.map(queueRow));
}

function queueRow(q) {
  const iterations = Object.entries(q.iterations ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '–';
  const n = el('input', { type: 'number', min: '1', max: '10000', value: '50', size: '6', 'aria-label': `Random pairs to add to ${q.name}` });
  return el('tr', {},
    el('td', {}, el('strong', { text: q.name })),
    el('td', { class: 'num', text: String(q.depth) }),
    el('td', { class: 'num', text: String(q.leased) }),
    el('td', { text: iterations }),
    el('td', {}, el('div', { class: 'actions' },
      n,
      el('button', { type: 'button', onclick: () => fill(q.name, Number(n.value), 'manual') }, 'Add random pairs'),
      el('button', {
        type: 'button',
        class: 'danger',
        disabled: q.depth === 0,
        onclick: async () => {
          if (!confirm(`Remove all ${q.depth} pairs from queue ${q.name}?`)) return;
          try {
            const r = await api('DELETE', `/api/admin/queues/${encodeURIComponent(q.name)}`);
            say(`Queue ${q.name}: ${r.removed} pairs removed.`, true);
            await loadQueues();
          } catch (e) {
            failed(`Cannot clear ${q.name}`, e);
          }
        },
      }, 'Clear'))));
}

async function fill(queue, random, iteration, ratingsWanted) {
  if (!Number.isInteger(random) || random < 1 || random > 10000) {
    say('The number of pairs must be from 1 to 10000.');
    return;
  }
  const body = { iteration: iteration || 'manual', random };
  if (ratingsWanted) body.ratingsWanted = ratingsWanted;
  try {
    say(`Adding ${random} random pairs to ${queue}…`, true);
    const r = await api('POST', `/api/admin/queues/${encodeURIComponent(queue)}/pairs`, body);
    say(`Queue ${queue}: ${r.added} pairs added${r.added < random ? ' (the index had fewer new pairs)' : ''}.`, true);
    await loadQueues();
  } catch (e) {
    failed(`Cannot fill ${queue}`, e);
  }
}

$('fill-queue').addEventListener('submit', (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.currentTarget));
  fill(data.queue.trim(), Number(data.random), data.iteration.trim(), data.ratingsWanted ? Number(data.ratingsWanted) : 0);
});

// ---- agreement ----------------------------------------------------------------------------

async function loadAgreement() {
  const stats = await api('GET', withTz('/api/stats'));
  const a = stats.agreement ?? { pairs: 0, dimensions: {} };
  $('agreement-summary').textContent = a.pairs
    ? `${a.pairs} pairs rated by two or more raters (ratings shown the other way round are turned first; figures refresh every 30 s).`
    : 'No pair has been rated by two raters yet: agreement needs overlap (rater.overlap).';
  const body = $('agreement').tBodies[0];
  body.replaceChildren(...Object.entries(a.dimensions ?? {}).map(([name, d]) => el('tr', {},
    el('td', { text: name }),
    el('td', { class: 'num', text: String(d.pairs ?? 0) }),
    el('td', { class: 'num', text: pct(d.sameSide) }),
    el('td', { class: 'num', text: pct(d.exact) }),
    el('td', { class: 'num', text: num(d.alpha) }))));
}

// ---- start --------------------------------------------------------------------------------

async function refresh() {
  const results = await Promise.allSettled([loadRaters(), loadQueues(), loadAgreement()]);
  const bad = results.find((r) => r.status === 'rejected');
  if (bad) failed('Cannot load everything', bad.reason);
}

async function main() {
  try {
    me = await api('GET', '/api/me');
  } catch (e) {
    failed('Cannot load your account', e);
    return;
  }
  setCsrf(me.csrf, me.username);
  $('who').textContent = me.username;
  $('test-model').hidden = !me.testModel;
  $('refresh').addEventListener('click', () => { say(''); refresh(); });
  $('sign-out').addEventListener('click', () => signOut().catch((e) => failed('Cannot sign out', e)));
  await refresh();
}

main();
