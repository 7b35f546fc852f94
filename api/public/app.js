// The deploy engine's web page: sign in with an API token, list projects, create one, deploy,
// roll back, and watch a deployment's steps and live log. Plain DOM, no framework, no build step.
// Everything the API returns is shown as text (textContent / text nodes), never as HTML.

const TOKEN_KEY = 'deploy-engine.token';
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'superseded']);
const DEPLOY_STEPS = ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'];
const ROLLBACK_STEPS = ['verify_image', 'commit_release', 'await_live'];
const STEP_LABELS = {
  resolve_source: 'Resolve source',
  build: 'Build',
  verify_image: 'Verify image',
  commit_release: 'Commit release',
  await_live: 'Await live',
};
const PAGE_SIZE = 20;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A DOM element; string children become text nodes. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name === 'on') for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Replaces an element's children; null/undefined/false children are left out. */
const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));

/** Only http(s) links from the API become hrefs (never javascript: or data:). */
function safeUrl(value) {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const fmtTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : '—');
const shortSha = (sha) => (sha ? sha.slice(0, 10) : '—');
function duration(from, to) {
  if (!from || !to) return '';
  const s = Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
const statusRank = (s) => (s === 'queued' || s === 'pending' ? 0 : s === 'running' ? 1 : s ? 2 : -1);
const badge = (status, label = status) => h('span', { class: `badge badge-${status}`, text: label.replaceAll('_', ' ') });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const state = {
  token: null,
  projects: [],
  projectsCursor: null,
  projectId: null,
  deployments: [],
  deploymentsCursor: null,
  deploymentId: null,
  /** The selected deployment's JSON, merged with what the live log said since. */
  deployment: null,
  /** Step statuses from the live log, by step name (never moved backwards by an older JSON). */
  liveSteps: new Map(),
  stream: null,
  pollTimer: undefined,
};

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${state.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'network', 'The API did not answer (network error); try again.');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `The API answered ${res.status}`, data?.error?.details);
    if (res.status === 401 && state.token) signOut('The API refused the token (invalid, expired or revoked): sign in again.');
    throw error;
  }
  return data;
}

function showBanner(message) {
  $('banner-text').textContent = message;
  $('banner').hidden = false;
}
const reportFailure = (error) => {
  if (error instanceof ApiError && error.status === 401) return; // signOut() said it already
  showBanner(error instanceof Error ? error.message : String(error));
};

// ---------------------------------------------------------------------------------------------
// Live log: one WebSocket at a time; every (re)connection gets a new single-use ticket and
// resumes from the bytes already shown, so the log has no gap and no duplicate.

class LogStream {
  constructor(deploymentId, handlers) {
    this.id = deploymentId;
    this.handlers = handlers;
    this.offset = 0; // UTF-8 bytes of the log shown so far
    this.ended = false;
    this.stopped = false;
    this.failures = 0;
    this.ws = null;
    this.timer = undefined;
  }

  start() {
    void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'viewer left');
  }

  async connect() {
    if (this.stopped || this.ended) return;
    this.handlers.onState(this.failures > 0 ? 'Reconnecting…' : 'Connecting…');
    let ticket;
    try {
      ({ ticket } = await api('POST', `/v1/deployments/${encodeURIComponent(this.id)}/log-tickets`));
    } catch (error) {
      if (this.stopped) return;
      if (error.status === 0 || error.status === 429 || error.status >= 500) return this.retry(`no log ticket: ${error.message}`);
      this.stopped = true;
      this.handlers.onState(`Log unavailable: ${error.message}`);
      return;
    }
    if (this.stopped) return;
    const url = new URL(`/v1/deployments/${encodeURIComponent(this.id)}/logs`, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = new URLSearchParams({ ticket, offset: String(this.offset) }).toString();
    const ws = new WebSocket(url);
    this.ws = ws;
    let progressed = false;
    ws.onopen = () => {
      if (this.ws === ws) this.handlers.onState('Streaming');
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      progressed = true;
      this.failures = 0;
      this.receive(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || this.ended) return;
      // 4008: the server cut us off for reading too slowly; anything else is a drop.
      if (event.code === 4008) this.retry('the viewer fell behind', progressed ? 0 : undefined);
      else this.retry(event.code === 1006 ? 'connection lost' : `connection closed (${event.code})`);
    };
  }

  retry(reason, delay) {
    if (this.stopped || this.ended) return;
    const wait = delay ?? Math.min(10_000, 500 * 2 ** this.failures) * (0.75 + Math.random() * 0.5);
    this.failures += 1;
    this.handlers.onState(wait > 0 ? `Reconnecting in ${Math.ceil(wait / 1000)} s (${reason})…` : `Reconnecting (${reason})…`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), wait);
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    switch (message.type) {
      case 'log':
        return this.receiveLog(message);
      case 'step':
        return this.handlers.onStep(message.name, message.status);
      case 'status':
        return this.handlers.onStatus(message.status);
      case 'end':
        this.ended = true;
        return this.handlers.onEnd(message.status);
      case 'error':
        return this.handlers.onState(`Log stream: ${message.message ?? message.code}`);
      default:
        return undefined;
    }
  }

  receiveLog({ offset, text }) {
    if (typeof text !== 'string' || !Number.isSafeInteger(offset)) return;
    const bytes = encoder.encode(text);
    const end = offset + bytes.length;
    if (end <= this.offset) return; // shown already
    if (offset > this.offset) {
      // Bytes are missing: resume from what is shown, on a new connection.
      const ws = this.ws;
      this.ws = null;
      ws?.close(1000, 'gap');
      return this.retry('missing bytes', 0);
    }
    const fresh = offset === this.offset ? text : decoder.decode(bytes.subarray(this.offset - offset));
    this.offset = end;
    this.handlers.onLog(fresh);
  }
}

// ---------------------------------------------------------------------------------------------
// Sign in / out

function showSignedIn(signedIn) {
  $('signin-view').hidden = signedIn;
  $('app-view').hidden = !signedIn;
  $('session').hidden = !signedIn;
}

async function signIn(token) {
  state.token = token;
  $('signin-error').textContent = '';
  try {
    await loadProjects();
  } catch (error) {
    if (error.status !== 401) $('signin-error').textContent = `Could not sign in: ${error.message}`;
    state.token = null;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  showSignedIn(true);
  const wanted = new URLSearchParams(location.hash.slice(1));
  const projectId = wanted.get('project');
  if (projectId && state.projects.some((p) => p.id === projectId)) {
    await selectProject(projectId, wanted.get('deployment'));
  } else {
    $('projects-title').focus();
  }
}

function signOut(message = '') {
  state.stream?.stop();
  clearTimeout(state.pollTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, {
    token: null,
    projects: [],
    projectsCursor: null,
    projectId: null,
    deployments: [],
    deploymentsCursor: null,
    deploymentId: null,
    deployment: null,
    stream: null,
  });
  state.liveSteps.clear();
  $('project-list').replaceChildren();
  $('deployment-list').replaceChildren();
  $('log').replaceChildren();
  $('project-panel').hidden = true;
  $('deployments-placeholder').hidden = false;
  $('detail').hidden = true;
  $('detail-placeholder').hidden = false;
  $('project-created').hidden = true;
  $('banner').hidden = true;
  history.replaceState(null, '', location.pathname);
  showSignedIn(false);
  $('signin-error').textContent = message;
  $('token').focus();
}

function updateHash() {
  const params = new URLSearchParams();
  if (state.projectId) params.set('project', state.projectId);
  if (state.deploymentId) params.set('deployment', state.deploymentId);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

// ---------------------------------------------------------------------------------------------
// Projects

async function loadProjects({ more = false } = {}) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (more && state.projectsCursor) query.set('cursor', state.projectsCursor);
  const page = await api('GET', `/v1/projects?${query}`);
  state.projects = more ? [...state.projects, ...page.items] : page.items;
  state.projectsCursor = page.nextCursor;
  renderProjects();
}

function renderProjects() {
  $('projects-empty').hidden = state.projects.length > 0;
  $('projects-more').hidden = !state.projectsCursor;
  $('project-list').replaceChildren(
    ...state.projects.map((p) => {
      const selected = p.id === state.projectId;
      const live = safeUrl(p.liveUrl);
      const status = p.liveDeployment ? badge('live') : badge('none', 'not deployed');
      return h(
        'li',
        { class: `row${selected ? ' selected' : ''}`, 'data-testid': 'project-row', 'data-project-id': p.id },
        h(
          'button',
          { type: 'button', class: 'row-main', 'aria-current': selected ? 'true' : null, on: { click: () => void selectProject(p.id).catch(reportFailure) } },
          h('span', { class: 'row-title' }, h('strong', { text: p.name }), h('span', { class: 'muted', text: ` · ${p.userId}` })),
          status,
        ),
        h(
          'div',
          { class: 'row-sub' },
          live ? h('a', { href: live, target: '_blank', rel: 'noopener noreferrer', text: p.liveUrl }) : h('span', { class: 'muted', text: 'no live URL yet' }),
          p.autoDeployPaused ? h('span', { class: 'paused', title: p.autoDeployPaused.reason ?? '', text: 'auto-deploy paused' }) : null,
        ),
      );
    }),
  );
}

function renderProjectSummary() {
  const p = state.projects.find((x) => x.id === state.projectId);
  if (!p) return;
  const live = safeUrl(p.liveUrl);
  fill(
    $('project-summary'),
    h('p', { class: 'project-name' }, h('strong', { text: `${p.userId}/${p.name}` }), h('span', { class: 'muted', text: ` · ${p.appName}` })),
    h('p', { class: 'muted small-text' }, `${p.repoUrl} @ ${p.branch} · port ${p.appPort}`),
    live ? h('p', { class: 'small-text' }, 'Live: ', h('a', { href: live, target: '_blank', rel: 'noopener noreferrer', text: p.liveUrl })) : null,
    p.autoDeployPaused ? h('p', { class: 'paused small-text', text: `Auto-deploy paused: ${p.autoDeployPaused.reason ?? ''}` }) : null,
  );
}

async function selectProject(projectId, deploymentId = null) {
  if (state.projectId !== projectId) {
    selectDeployment(null);
    state.deployments = [];
    state.deploymentsCursor = null;
    $('deployment-list').replaceChildren();
  }
  state.projectId = projectId;
  $('action-error').textContent = '';
  $('action-status').textContent = '';
  $('deployments-placeholder').hidden = true;
  $('project-panel').hidden = false;
  renderProjects();
  renderProjectSummary();
  updateHash();
  await loadDeployments();
  if (deploymentId && state.projectId === projectId) selectDeployment(deploymentId);
}

async function createProject(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const fields = ['name', 'userId', 'repoUrl', 'branch', 'appPort'];
  for (const field of fields) {
    $(`f-${field}-error`).textContent = '';
    $(`f-${field}`).removeAttribute('aria-invalid');
  }
  $('project-form-error').textContent = '';
  $('project-created').hidden = true;
  const value = (field) => /** @type {HTMLInputElement} */ ($(`f-${field}`)).value;
  const port = value('appPort').trim();
  const body = {
    name: value('name').trim(),
    userId: value('userId').trim(),
    repoUrl: value('repoUrl').trim(),
    branch: value('branch').trim(),
    appPort: port === '' ? undefined : Number(port),
  };
  const submit = $('project-create');
  submit.disabled = true;
  try {
    const created = await api('POST', '/v1/projects', body);
    form.reset();
    fill(
      $('project-created'),
      h('p', {}, 'Created ', h('strong', { text: created.appName }), created.host ? ` (served at ${created.host} once deployed)` : '', '.'),
      created.webhookSecret ? h('p', {}, 'Webhook secret, shown only now: ', h('code', { class: 'secret', text: created.webhookSecret })) : null,
    );
    $('project-created').hidden = false;
    await loadProjects();
    await selectProject(created.id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    $('project-form-error').textContent = error.message;
    let first = null;
    for (const issue of Array.isArray(error.details) ? error.details : []) {
      const field = String(issue.field ?? '').split('.')[0];
      if (!fields.includes(field)) continue;
      const errorEl = $(`f-${field}-error`);
      errorEl.textContent = errorEl.textContent ? `${errorEl.textContent}; ${issue.rule}` : String(issue.rule);
      $(`f-${field}`).setAttribute('aria-invalid', 'true');
      first ??= $(`f-${field}`);
    }
    first?.focus();
  } finally {
    submit.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Deployments

async function loadDeployments({ more = false } = {}) {
  const projectId = state.projectId;
  if (!projectId) return;
  const query = new URLSearchParams({ limit: String(more ? PAGE_SIZE : Math.min(100, Math.max(PAGE_SIZE, state.deployments.length))) });
  if (more && state.deploymentsCursor) query.set('cursor', state.deploymentsCursor);
  const page = await api('GET', `/v1/projects/${encodeURIComponent(projectId)}/deployments?${query}`);
  if (state.projectId !== projectId) return; // another project was selected meanwhile
  state.deployments = more ? [...state.deployments, ...page.items] : page.items;
  state.deploymentsCursor = page.nextCursor;
  // The selected one may know more already (from its live log) than this list.
  const selected = state.deployment;
  if (selected)
    state.deployments = state.deployments.map((d) =>
      d.id === selected.id && statusRank(selected.status) > statusRank(d.status) ? { ...d, status: selected.status } : d,
    );
  renderDeployments();
  schedulePoll();
}

/** The list follows running deployments (every 3 s), otherwise looks again every 15 s. */
function schedulePoll() {
  clearTimeout(state.pollTimer);
  if (!state.projectId || !state.token) return;
  const active = state.deployments.some((d) => !FINAL.has(d.status));
  state.pollTimer = setTimeout(
    () => {
      if (document.hidden) return schedulePoll();
      loadDeployments().catch((error) => {
        reportFailure(error);
        schedulePoll();
      });
    },
    active ? 3_000 : 15_000,
  );
}

function renderDeployments() {
  $('deployments-empty').hidden = state.deployments.length > 0;
  $('deployments-more').hidden = !state.deploymentsCursor;
  $('deployment-list').replaceChildren(
    ...state.deployments.map((d) => {
      const selected = d.id === state.deploymentId;
      const took = duration(d.startedAt, d.finishedAt);
      return h(
        'li',
        { class: `row${selected ? ' selected' : ''}`, 'data-testid': 'deployment-row', 'data-deployment-id': d.id, 'data-status': d.status },
        h(
          'button',
          { type: 'button', class: 'row-main', 'aria-current': selected ? 'true' : null, on: { click: () => selectDeployment(d.id) } },
          h(
            'span',
            { class: 'row-title' },
            h('strong', { text: d.kind === 'rollback' ? 'Rollback' : 'Deploy' }),
            h('span', { class: 'muted', text: ` · ${d.trigger} · ` }),
            h('code', { text: d.commitSha ? d.commitSha.slice(0, 7) : (d.branch ?? '') }),
          ),
          badge(d.status),
        ),
        h(
          'div',
          { class: 'row-sub muted' },
          h('time', { datetime: d.queuedAt, text: fmtTime(d.queuedAt) }),
          took ? ` · took ${took}` : '',
          d.requestedBy ? ` · by ${d.requestedBy}` : '',
        ),
      );
    }),
  );
}

let flashTimer;
/** A short-lived confirmation in the polite status region. */
function flash(message) {
  $('action-status').textContent = message;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => {
    $('action-status').textContent = '';
  }, 5_000);
}

async function requestDeployment(kind) {
  const projectId = state.projectId;
  if (!projectId) return;
  const button = $(kind === 'deploy' ? 'deploy' : 'rollback');
  $('action-error').textContent = '';
  $('action-status').textContent = '';
  button.disabled = true;
  try {
    const path = kind === 'deploy' ? 'deployments' : 'rollback';
    const deployment = await api('POST', `/v1/projects/${encodeURIComponent(projectId)}/${path}`);
    if (state.projectId !== projectId) return;
    flash(kind === 'deploy' ? 'Deployment queued.' : 'Rollback queued.');
    state.deployments = [deployment, ...state.deployments.filter((d) => d.id !== deployment.id)];
    renderDeployments();
    selectDeployment(deployment.id);
    schedulePoll();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // 409/422: the API's reason (nothing to roll back to, already live, ...).
    $('action-error').textContent = `${kind === 'deploy' ? 'Deploy' : 'Roll back'} refused: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// One deployment: steps, details, live log

function selectDeployment(deploymentId) {
  state.stream?.stop();
  state.stream = null;
  state.liveSteps.clear();
  state.deploymentId = deploymentId;
  state.deployment = state.deployments.find((d) => d.id === deploymentId) ?? null;
  resetLog();
  renderDeployments();
  updateHash();
  if (!deploymentId) {
    $('detail').hidden = true;
    $('detail-placeholder').hidden = false;
    return;
  }
  $('detail-placeholder').hidden = true;
  $('detail').hidden = false;
  renderDetail();
  void refreshDetail();
  const stream = new LogStream(deploymentId, {
    onLog: (text) => appendLog(text),
    onStep: (name, status) => {
      if (state.stream !== stream) return;
      if (statusRank(status) >= statusRank(state.liveSteps.get(name))) state.liveSteps.set(name, status);
      renderSteps();
    },
    onStatus: (status) => {
      if (state.stream !== stream) return;
      setStatus(status);
      void refreshDetail();
    },
    onEnd: (status) => {
      if (state.stream !== stream) return;
      flushLog();
      setStatus(status);
      $('log-state').textContent = `Log complete (${status}).`;
      void refreshDetail();
      loadProjects().then(renderProjectSummary).catch(reportFailure);
    },
    onState: (text) => {
      if (state.stream === stream) $('log-state').textContent = text;
    },
  });
  state.stream = stream;
  stream.start();
}

function setStatus(status) {
  const d = state.deployment;
  if (!d || statusRank(status) < statusRank(d.status)) return;
  if (d.status !== status) {
    d.status = status;
    state.deployments = state.deployments.map((x) => (x.id === d.id ? { ...x, status } : x));
    renderDeployments();
  }
  renderDetail();
}

let detailRefresh = null;
let detailAgain = false;
/** GET the selected deployment (coalesced: one request at a time, one more if asked meanwhile). */
function refreshDetail() {
  if (detailRefresh) {
    detailAgain = true;
    return detailRefresh;
  }
  detailRefresh = (async () => {
    do {
      detailAgain = false;
      const id = state.deploymentId;
      if (!id) return;
      try {
        if (state.deployment?.id === id && state.deployment.lagging) await sleep(250);
        const fresh = await api('GET', `/v1/deployments/${encodeURIComponent(id)}`);
        if (id !== state.deploymentId) continue;
        const known = state.deployment;
        // A status from the live log newer than this JSON wins until the JSON catches up.
        if (known?.id === id && statusRank(known.status) > statusRank(fresh.status)) {
          fresh.status = known.status;
          fresh.lagging = true;
          detailAgain = true;
        }
        state.deployment = fresh;
        state.deployments = state.deployments.map((d) => (d.id === id ? fresh : d));
        renderDeployments();
        renderDetail();
      } catch (error) {
        reportFailure(error);
        return;
      }
    } while (detailAgain);
  })().finally(() => {
    detailRefresh = null;
  });
  return detailRefresh;
}

function renderDetail() {
  const d = state.deployment;
  if (!d) {
    $('detail-status').textContent = '…';
    return;
  }
  const status = $('detail-status');
  status.textContent = d.status;
  status.className = `badge badge-${d.status}`;
  $('detail-kind').textContent = `${d.kind === 'rollback' ? 'Rollback' : 'Deploy'} ${d.id.slice(0, 8)} · ${d.trigger}`;

  const live = d.status === 'succeeded' ? safeUrl(d.liveUrl) : null;
  $('detail-live').hidden = !live;
  const link = /** @type {HTMLAnchorElement} */ ($('detail-live-url'));
  if (live) {
    link.href = live;
    link.textContent = d.liveUrl;
  } else {
    link.removeAttribute('href');
    link.textContent = '';
  }

  $('detail-error').hidden = !d.error;
  $('error-step').textContent = d.error?.step ?? '';
  $('error-type').textContent = d.error?.type ?? '';
  $('error-message').textContent = d.error?.message ?? '';

  renderSteps();
  const image = d.imageRepository ? `${d.imageRepository}:${d.imageTag ?? '?'}` : null;
  const rows = [
    ['Branch', d.branch],
    ['Commit', d.commitSha ? h('code', { title: d.commitSha, text: shortSha(d.commitSha) }) : null],
    ['Framework', d.framework],
    ['Image', image ? h('code', { class: 'wrap', text: image }) : null],
    ['Digest', d.imageDigest ? h('code', { class: 'wrap', title: d.imageDigest, text: `${d.imageDigest.slice(0, 19)}…` }) : null],
    ['Jenkins build', d.jenkinsBuildNumber ? `#${d.jenkinsBuildNumber}` : null],
    ['GitOps commit', d.gitopsCommitSha ? h('code', { title: d.gitopsCommitSha, text: shortSha(d.gitopsCommitSha) }) : null],
    ['Restores / retries', d.targetDeploymentId ? h('code', { title: d.targetDeploymentId, text: d.targetDeploymentId.slice(0, 8) }) : null],
    ['Requested by', d.requestedBy],
    ['Queued', fmtTime(d.queuedAt)],
    ['Started', d.startedAt ? fmtTime(d.startedAt) : null],
    ['Finished', d.finishedAt ? `${fmtTime(d.finishedAt)} (${duration(d.startedAt ?? d.queuedAt, d.finishedAt)})` : null],
  ];
  $('detail-meta').replaceChildren(
    ...rows.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]),
  );
}

function renderSteps() {
  const d = state.deployment;
  if (!d) return;
  const fromJson = new Map((d.steps ?? []).map((s) => [s.name, s]));
  const names = d.steps?.length ? d.steps.map((s) => s.name) : d.kind === 'rollback' ? ROLLBACK_STEPS : DEPLOY_STEPS;
  $('step-list').replaceChildren(
    ...names.map((name) => {
      const json = fromJson.get(name);
      const live = state.liveSteps.get(name);
      const status = statusRank(live) > statusRank(json?.status) ? live : (json?.status ?? 'pending');
      const took = duration(json?.startedAt, json?.finishedAt);
      return h(
        'li',
        { class: `step step-${status}`, 'data-testid': `step-${name}`, 'data-status': status },
        h('span', { class: 'step-name', text: STEP_LABELS[name] ?? name }),
        badge(status),
        took ? h('span', { class: 'muted step-time', text: took }) : null,
        json?.detail ? h('span', { class: 'step-detail muted', text: json.detail }) : null,
      );
    }),
  );
}

// The log: text nodes only, appended at most once per frame, following the end unless the
// reader scrolled up.
let pendingLog = '';
let flushScheduled = false;
function resetLog() {
  pendingLog = '';
  $('log').replaceChildren();
  $('log-state').textContent = '';
}
function appendLog(text) {
  pendingLog += text;
  if (!flushScheduled) {
    flushScheduled = true;
    requestAnimationFrame(flushLog);
  }
}
function flushLog() {
  flushScheduled = false;
  if (!pendingLog) return;
  const log = $('log');
  const following = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
  log.append(document.createTextNode(pendingLog));
  pendingLog = '';
  if (following) log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Wiring

function wire() {
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = /** @type {HTMLInputElement} */ ($('token')).value.trim();
    if (!token) {
      $('signin-error').textContent = 'Enter an API token.';
      return;
    }
    void signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('banner-close').addEventListener('click', () => {
    $('banner').hidden = true;
  });
  $('projects-refresh').addEventListener('click', () => void loadProjects().then(renderProjectSummary).catch(reportFailure));
  $('projects-more').addEventListener('click', () => void loadProjects({ more: true }).catch(reportFailure));
  $('deployments-more').addEventListener('click', () => void loadDeployments({ more: true }).catch(reportFailure));
  $('project-form').addEventListener('submit', (event) => void createProject(event).catch(reportFailure));
  $('deploy').addEventListener('click', () => void requestDeployment('deploy').catch(reportFailure));
  $('rollback').addEventListener('click', () => void requestDeployment('rollback').catch(reportFailure));
  /** @type {HTMLButtonElement} */ ($('signin-form').querySelector('button[type=submit]')).disabled = false;

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void signIn(saved);
  else $('token').focus();
}

wire();
