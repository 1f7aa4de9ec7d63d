// The read-only dashboard: renders GET /status, follows GET /events/stream (or polls when the daemon has
// no event stream) and opens a detail view per instance. Plain DOM; every value goes in as text, never
// as HTML. The server replaces data-reconcile / data-events on <html> with what it serves.
//
// A daemon of several environments (issue 15) answers /status as { ready, notReady, environments: [...] }:
// the page then shows a summary row per environment and a switcher, and the table, the problems and
// the events of the chosen one. The choice is the URL's hash (#env=NAME), so a link opens it.

const root = document.documentElement;
const features = { reconcile: root.dataset.reconcile === 'on', events: root.dataset.events === 'on' };
const $ = (id) => document.getElementById(id);

/** How often /status is read: without a stream, and as a safety net while one is open. */
const pollMs = { noStream: 5000, withStream: 30000 };
/** Events arriving together cause one read of /status. */
const debounceMs = 250;

const state = { daemon: null, doc: null, events: [], selected: null, streamOpen: false, error: null };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

function ago(iso) {
  if (!iso) return '';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

function time(iso) {
  return el('time', { datetime: iso ?? '', title: iso ?? '' }, ago(iso));
}

function show(value) {
  if (value === undefined || value === null) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const badge = (phase) => el('span', { class: `badge phase-${phase}` }, phase);

// ---- fetching -------------------------------------------------------------------------------------

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401) {
    window.location.assign('/login');
    throw new Error('login needed');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

/** /status as { ready, notReady, environments, named }; an older daemon's one document is the environment `default`. */
function daemonOf(answer) {
  if (Array.isArray(answer?.environments)) return { ready: answer.ready, notReady: answer.notReady ?? [], environments: answer.environments, named: true };
  return { ready: answer.ready, notReady: answer.ready ? [] : ['default'], environments: [{ name: 'default', ...answer }], named: false };
}

/** The environment the URL's hash names (#env=NAME), or undefined. */
function hashEnvironment() {
  return new URLSearchParams(window.location.hash.slice(1)).get('env') ?? undefined;
}

/** The environment shown: the hash's when the daemon has it, else the first. */
function chosenEnvironment(daemon) {
  const wanted = hashEnvironment();
  return daemon.environments.find((environment) => environment.name === wanted) ?? daemon.environments[0];
}

/** The events panel's query: with several environments only the chosen one's (an older daemon knows no `environment`). */
function eventsPath(daemon) {
  const several = daemon !== null && daemon.named && daemon.environments.length > 1;
  const environment = several ? chosenEnvironment(daemon)?.name : undefined;
  return environment === undefined ? '/events?limit=50' : `/events?limit=50&environment=${encodeURIComponent(environment)}`;
}

async function refresh() {
  try {
    const daemon = daemonOf(await getJson('/status'));
    const path = eventsPath(daemon);
    const events = features.events ? await getJson(path) : null;
    state.daemon = daemon;
    state.doc = chosenEnvironment(daemon) ?? null;
    // the hash may have changed while the events were read: those of another environment are not shown
    if (events !== null && eventsPath(daemon) === path) state.events = Array.isArray(events) ? events : (events.events ?? []);
    state.error = null;
  } catch (e) {
    state.error = `cannot read the daemon's status (${e.message})`;
  }
  render();
}

let pending;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(refresh, debounceMs);
}

let pollTimer;
function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    await refresh();
    schedulePoll();
  }, state.streamOpen ? pollMs.withStream : pollMs.noStream);
}

function follow() {
  if (!features.events || typeof EventSource !== 'function') return;
  // every environment's events, not only the chosen one's: each may change the summary row of its
  // environment; the events panel is read filtered (eventsPath)
  const stream = new EventSource('/events/stream');
  const onEvent = () => refreshSoon();
  stream.onmessage = onEvent;
  // a stream that names its events (`event: action-succeeded`) does not call onmessage
  for (const kind of eventKinds) stream.addEventListener(kind, onEvent);
  stream.onopen = () => {
    state.streamOpen = true;
    renderLive();
    schedulePoll();
    refreshSoon();
  };
  stream.onerror = () => {
    // EventSource reconnects by itself; poll faster meanwhile
    state.streamOpen = false;
    renderLive();
    schedulePoll();
  };
}

const eventKinds = ['revision-seen', 'revision-applied', 'revision-converged', 'action-succeeded', 'action-failed', 'drift-detected', 'drift-healed',
  'instance-blocked', 'instance-failed', 'removals-refused', 'twin-removed', 'source-not-ready', 'source-ready', 'credentials-rejected',
  'leader-elected', 'leader-lost'];

// ---- rendering ------------------------------------------------------------------------------------

function renderLive() {
  $('live').textContent = state.streamOpen ? '● live' : features.events ? '○ reconnecting…' : `↻ every ${pollMs.noStream / 1000} s`;
}

function readyBadge(isReady) {
  return el('span', { class: `badge ${isReady ? 'phase-in-sync' : 'phase-failed'}` }, isReady ? 'ready' : 'not ready');
}

/** The switcher and one summary row per environment; both hidden with a single environment. */
function renderEnvironments(daemon, doc) {
  const several = daemon.environments.length > 1;
  $('env-switch').hidden = !several;
  $('environments').hidden = !several;
  if (!several) return;
  const select = $('env-select');
  const names = daemon.environments.map((environment) => environment.name);
  if ([...select.options].map((option) => option.value).join('\n') !== names.join('\n')) {
    select.replaceChildren(...names.map((name) => el('option', { value: name }, name)));
  }
  select.value = doc.name;
  $('env-table').tBodies[0].replaceChildren(...daemon.environments.map((environment) => {
    const current = environment.name === doc.name;
    const counts = Object.entries(environment.summary ?? {}).filter(([phase, n]) => phase !== 'total' && n > 0);
    return el('tr', { dataset: { environment: environment.name }, ...(current ? { 'aria-current': 'true', class: 'current' } : {}) },
      el('th', { scope: 'row' }, el('a', { href: `#env=${encodeURIComponent(environment.name)}`, 'aria-label': `show environment ${environment.name}` }, environment.name)),
      el('td', {}, readyBadge(environment.ready)),
      el('td', {}, String(environment.summary?.total ?? environment.instances.length)),
      el('td', { class: 'phases' }, ...(counts.length === 0 ? ['–'] : counts.map(([phase, n]) => el('span', { class: `badge phase-${phase}` }, `${phase} ${n}`)))),
      el('td', { class: environment.api?.condition === 'ok' ? '' : 'phase-failed', title: environment.api?.message ?? '' }, environment.api?.condition ?? '–'));
  }));
}

function renderHeader(doc) {
  const daemon = state.daemon;
  const ready = $('ready');
  ready.textContent = daemon.ready ? 'ready' : 'not ready';
  ready.className = `badge ${daemon.ready ? 'phase-in-sync' : 'phase-failed'}`;
  $('revision').textContent = doc.source?.revision ?? doc.revision ?? '–';
  const source = doc.source;
  const commit = source && (source.subject || source.author);
  $('commit-row').hidden = !commit;
  if (commit) $('commit').textContent = [source.commit?.slice(0, 7), source.subject, source.author && `(${source.author})`].filter(Boolean).join(' ');
  const problems = [];
  if (state.error) problems.push(state.error);
  if (daemon.environments.length > 1 && daemon.notReady.length > 0) problems.push(`Not ready: ${daemon.notReady.join(', ')}`);
  if (doc.suspended) problems.push(`Daemon suspended since ${doc.suspended.since}${doc.suspended.reason ? `: ${doc.suspended.reason}` : ''}`);
  if (doc.api && doc.api.condition !== 'ok') problems.push(`Rancher API: ${doc.api.message}`);
  if (source && source.ready === false && source.lastError) problems.push(`Source: ${source.lastError.message}`);
  if (doc.removalsRefused) problems.push(`Removals refused: ${doc.removalsRefused.message}`);
  $('banner').hidden = problems.length === 0;
  $('banner').textContent = problems.join(' · ');
  const counts = $('counts');
  counts.replaceChildren(
    el('li', {}, el('button', { type: 'button', onclick: () => setPhase('') }, `all ${doc.summary.total}`)),
    ...Object.entries(doc.summary).filter(([phase]) => phase !== 'total').map(([phase, n]) =>
      el('li', {}, el('button', { type: 'button', class: `count phase-${phase}`, 'aria-pressed': String($('phase-filter').value === phase), onclick: () => setPhase(phase) }, `${phase} ${n}`))),
  );
}

function setPhase(phase) {
  $('phase-filter').value = phase;
  render();
}

function matches(instance) {
  const phase = $('phase-filter').value;
  if (phase && instance.phase !== phase) return false;
  const text = $('text-filter').value.trim().toLowerCase();
  if (!text) return true;
  return [instance.name, instance.id, instance.reason, instance.message, instance.liveState].some((v) => typeof v === 'string' && v.toLowerCase().includes(text));
}

function renderTable(doc) {
  const rows = doc.instances.filter(matches).map((instance) => {
    const open = () => openDetail(instance.name);
    return el('tr', {
      tabindex: '0', dataset: { name: instance.name, phase: instance.phase }, 'aria-label': `${instance.name}, ${instance.phase}`,
      onclick: open, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } },
    },
    el('td', { class: 'name' }, instance.name),
    el('td', {}, instance.id ?? '–'),
    el('td', {}, instance.liveState ?? '–'),
    el('td', {}, badge(instance.phase)),
    el('td', { title: instance.message }, instance.reason),
    el('td', {}, instance.lastAction ?? '–'),
    el('td', {}, time(instance.updatedAt)));
  });
  // keep the focused row focused across a re-render (live updates must not steal the keyboard)
  const focused = document.activeElement?.closest?.('tr')?.dataset.name;
  $('instances').tBodies[0].replaceChildren(...rows);
  if (focused) $('instances').querySelector(`tr[data-name="${CSS.escape(focused)}"]`)?.focus();
  $('empty').hidden = rows.length !== 0;
}

function renderIssues(doc) {
  $('issues').hidden = doc.manifestIssues.length === 0;
  $('issue-list').replaceChildren(...doc.manifestIssues.map((i) => el('li', {}, el('code', {}, `${i.file}:${i.line}:${i.col}`), ` ${i.message}`)));
}

function eventItem(event) {
  return el('li', { class: `severity-${event.severity}` },
    time(event.time), ' ', el('span', { class: 'kind' }, event.kind), event.key ? el('span', { class: 'key' }, ` ${event.key}`) : null, ` ${event.message ?? ''}`);
}

function renderTimeline() {
  $('timeline').hidden = state.events.length === 0;
  $('event-list').replaceChildren(...[...state.events].reverse().map(eventItem));
}

function list(section, items, item = (text) => el('li', {}, text)) {
  const node = $(section);
  node.hidden = !items || items.length === 0;
  node.querySelector('ul, ol').replaceChildren(...(items ?? []).map(item));
}

function renderDetail() {
  const instance = state.doc?.instances.find((i) => i.name === state.selected);
  if (!instance) return;
  $('detail-name').replaceChildren(instance.name, ' ', badge(instance.phase));
  const fields = [['Rancher id', instance.id ?? '–'], ['Rancher state', instance.liveState ?? '–'], ['Reason', instance.reason], ['Message', instance.message],
    ['Last action', instance.lastAction ?? '–'], ['Attempts', instance.attempts], ['Next retry', instance.nextRetryAt ?? '–'], ['Revision', instance.revision ?? '–'],
    ['Updated', instance.updatedAt ?? '–']];
  $('detail-fields').replaceChildren(...fields.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, String(value))]));
  const changes = instance.changes ?? [];
  $('detail-changes').hidden = changes.length === 0;
  $('detail-changes').querySelector('tbody').replaceChildren(...changes.map((c) =>
    el('tr', { class: 'differs', dataset: { field: c.field } }, el('td', {}, c.field), el('td', { class: 'declared' }, c.sensitive ? '(sensitive)' : show(c.to)), el('td', { class: 'live' }, c.sensitive ? '(sensitive)' : show(c.from)))));
  list('detail-notices', instance.notices);
  list('detail-notes', instance.notes);
  list('detail-events', instance.events ? [...instance.events].reverse() : [], eventItem);
}

function openDetail(name) {
  state.selected = name;
  renderDetail();
  if (!$('detail').open) $('detail').showModal();
}

function render() {
  renderLive();
  if (!state.doc) {
    $('banner').hidden = !state.error;
    $('banner').textContent = state.error ?? '';
    return;
  }
  renderEnvironments(state.daemon, state.doc);
  renderHeader(state.doc);
  renderTable(state.doc);
  renderIssues(state.doc);
  renderTimeline();
  if ($('detail').open) renderDetail();
}

// ---- reconcile now --------------------------------------------------------------------------------

async function reconcileNow(token) {
  const result = $('reconcile-result');
  result.textContent = 'sending…';
  const response = await fetch('/reconcile', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, credentials: 'same-origin' });
  result.textContent = response.status === 202 ? 'reconcile requested' : response.status === 401 ? 'wrong token' : `failed (${response.status})`;
  if (response.status === 202) refreshSoon();
}

function setUpReconcile() {
  if (!features.reconcile) return;
  const button = $('reconcile');
  button.hidden = false;
  button.addEventListener('click', () => $('token-dialog').showModal());
  $('token-dialog').addEventListener('close', () => {
    const token = $('token').value;
    $('token').value = '';
    if ($('token-dialog').returnValue === 'send' && token) void reconcileNow(token);
  });
}

// ---- start ----------------------------------------------------------------------------------------

$('filters').addEventListener('submit', (e) => e.preventDefault());
$('text-filter').addEventListener('input', () => render());
$('phase-filter').addEventListener('change', () => render());
$('detail').addEventListener('close', () => { state.selected = null; });
$('env-select').addEventListener('change', (e) => { window.location.hash = `env=${encodeURIComponent(e.target.value)}`; });
// the hash is the choice (a link, the summary rows, the select, back and forward): show it at once, then read its events
window.addEventListener('hashchange', () => {
  if (state.daemon === null) return;
  const doc = chosenEnvironment(state.daemon);
  if (doc === state.doc) return;
  state.doc = doc;
  state.events = [];
  if ($('detail').open) $('detail').close();
  render();
  refreshSoon();
});
setUpReconcile();
follow();
void refresh().then(schedulePoll);
