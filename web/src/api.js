// The API client and the session.
//
// The access token lives only in this module's memory (never in storage, so
// a script that runs in the page later cannot read one left behind). The
// session itself is the refresh cookie the server sets on login
// (taskman_refresh: HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth):
// on start, before the access token expires and after a 401, the app posts
// to /api/v1/auth/refresh and the browser sends the cookie.
//
// Refresh tokens rotate on every use and a reused one revokes the whole
// family, so two tabs must never present the same cookie at once: every
// refresh runs under a Web Lock shared by all tabs of this origin. The tab
// that waits presents the cookie the first one was given.

const BASE = '/api/v1';
const REFRESH_EARLY_S = 60;

let token = null;
let timer = 0;
let user = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(problem, status));
    this.status = status;
    this.problem = problem || {};
    this.fields = {};
    for (const e of this.problem.errors || []) this.fields[e.field] = e.message;
  }
}

// A readable sentence for any problem+json: the detail, and each field
// named with its message.
export function problemText(p, status) {
  if (!p) return `The server answered ${status}.`;
  const errs = (p.errors || []).map((e) => `${fieldLabel(e.field)}: ${e.message}`);
  let s = p.detail || p.title || `The server answered ${status}.`;
  if (errs.length && !errs.every((e) => s.includes(e.split(': ')[1]))) s += ` (${errs.join('; ')})`;
  else if (errs.length) s = `${errs.join('; ')}.`;
  if (status === 429) s += ' Please wait a moment and try again.';
  return s;
}

export function fieldLabel(f) {
  const s = String(f || '').replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const session = {
  get user() { return user; },
  get signedIn() { return token !== null; },
  subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); },
};

function emit() { for (const fn of listeners) fn(user); }

function setTokens(body) {
  token = body.access_token;
  if (body.user) user = body.user;
  clearTimeout(timer);
  const ms = Math.max(5, (body.expires_in || 900) - REFRESH_EARLY_S) * 1000;
  timer = setTimeout(() => { refresh().catch(() => {}); }, ms);
  emit();
}

function clearSession() {
  token = null;
  user = null;
  clearTimeout(timer);
  emit();
}

async function raw(method, url, body, headers = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (token) h.Authorization = `Bearer ${token}`;
  return fetch(url, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
}

async function parse(res) {
  if (res.status === 204 || res.status === 304) return null;
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) return res.json();
  return null;
}

function withLock(fn) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request('taskman-refresh', fn);
  return fn();
}

let refreshing = null;
// Exchange the refresh cookie for a new access token; false when there is
// no session (the cookie is missing, expired or revoked).
export function refresh() {
  if (!refreshing) {
    refreshing = withLock(async () => {
      const res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{}',
      });
      if (!res.ok) { clearSession(); return false; }
      const body = await res.json();
      setTokens(body);
      if (!body.user) await loadMe();
      return true;
    }).finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function loadMe() {
  const res = await raw('GET', `${BASE}/users/me`);
  if (res.ok) { user = await res.json(); emit(); }
}

// request(method, path, body, {ifMatch, etag}) -> {data, etag, status}
// One silent refresh and retry after a 401.
export async function request(method, path, body, opts = {}) {
  const headers = {};
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = `"${opts.ifMatch}"`;
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  const url = path.startsWith('/') ? path : `${BASE}/${path}`;
  let res = await raw(method, url, body, headers);
  if (res.status === 401 && !opts.noRetry && (await refresh())) res = await raw(method, url, body, headers);
  const data = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  const et = res.headers.get('ETag');
  return { data, status: res.status, etag: et ? et.replace(/^W\//, '').replace(/"/g, '') : null };
}

export const get = (p) => request('GET', p).then((r) => r.data);
export const post = (p, b, o) => request('POST', p, b === undefined ? {} : b, o).then((r) => r.data);
export const patch = (p, b, o) => request('PATCH', p, b, o).then((r) => r.data);
export const del = (p, o) => request('DELETE', p, undefined, o).then((r) => r.data);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function login(email, password) {
  const res = await fetch(`${BASE}/auth/login`, {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  setTokens(body);
  return body.user;
}

export async function register(fields) {
  const res = await raw('POST', `${BASE}/auth/register`, fields);
  const body = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export async function logout() {
  await withLock(() => fetch(`${BASE}/auth/logout`, {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json' }, body: '{}',
  }).catch(() => null));
  clearSession();
}

export function setUser(u) { user = u; emit(); }

// --- Teams (API.md section 6) ------------------------------------------------
// A project's members, shared by the panels of one screen: calls within a
// few seconds reuse one request (the project page and the task page each
// need them two or three times: role, assignee choices, names).
const memberCache = new Map();   // project id -> {at, promise}
export function members(projectId) {
  const c = memberCache.get(projectId);
  if (c && Date.now() - c.at < 3000) return c.promise;
  const promise = get(`projects/${projectId}/members?limit=200`).then((r) => r.items);
  memberCache.set(projectId, { at: Date.now(), promise });
  promise.catch(() => memberCache.delete(projectId));
  return promise;
}
export const forgetMembers = (projectId) => memberCache.delete(projectId);
export const userName = (u) => (u ? u.display_name || u.username || u.email || 'someone' : 'someone');
