// Shared pieces: the task workflow, routing, staying current, messages.
import { useEffect, useState, useCallback, useRef } from 'preact/hooks';

export const STATUSES = ['new', 'ready', 'in_progress', 'blocked', 'review', 'done', 'dropped'];
export const PRIORITIES = ['p0', 'p1', 'p2', 'p3'];
export const PRIORITY_LABEL = { p0: 'P0 urgent', p1: 'P1 high', p2: 'P2 normal', p3: 'P3 low' };
export const STATUS_LABEL = {
  new: 'New', ready: 'Ready', in_progress: 'In progress', blocked: 'Blocked',
  review: 'Review', done: 'Done', dropped: 'Dropped',
};
// API.md section 3: every other change is 409 invalid-transition.
export const TRANSITIONS = {
  new: ['ready', 'in_progress', 'dropped'],
  ready: ['in_progress', 'dropped'],
  in_progress: ['blocked', 'review', 'done', 'dropped'],
  blocked: ['in_progress', 'dropped'],
  review: ['in_progress', 'done', 'dropped'],
  done: ['ready'],
  dropped: ['ready'],
};
export const canMove = (from, to) => (TRANSITIONS[from] || []).includes(to);
// The verb on a button that moves a task to a status.
export const ACTION_LABEL = {
  ready: 'Ready', in_progress: 'Start', blocked: 'Block', review: 'Review',
  done: 'Done', dropped: 'Drop',
};
export const actionLabel = (from, to) =>
  to === 'ready' ? (from === 'done' ? 'Reopen' : from === 'dropped' ? 'Restore' : 'Ready') : ACTION_LABEL[to];

// --- routing: the hash, so that nginx serves one page at "/" only ----------
export function parseRoute() {
  const h = (location.hash || '#/tasks').slice(1);
  const [p, q = ''] = h.split('?');
  return { path: p.split('/').filter(Boolean), query: new URLSearchParams(q) };
}
export function useRoute() {
  const [r, setR] = useState(parseRoute());
  useEffect(() => {
    const on = () => setR(parseRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return r;
}
export const go = (h) => { location.hash = h; };

// --- staying current --------------------------------------------------------
// Every screen that shows server data registers a reload function here.
// The source of "something may have changed" is pluggable: today a timer
// that only runs while the tab is visible (and fires when it becomes
// visible again); when GET /api/v1/changes exists, a source that follows
// the feed can call notify() only when something changed.
const reloaders = new Set();
export const changes = {
  interval: 15000,
  notify() { for (const fn of reloaders) fn(); },
  source: null,
};
function timerSource() {
  let t = 0;
  const arm = () => {
    clearInterval(t);
    if (document.visibilityState === 'visible') t = setInterval(() => changes.notify(), changes.interval);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') changes.notify();
    arm();
  });
  arm();
}
export function startChanges(source = timerSource) { if (!changes.source) changes.source = source() || true; }

export function useLive(fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const f = () => ref.current(true);
    reloaders.add(f);
    return () => reloaders.delete(f);
  }, []);
}

// useLoad(fn, deps): {data, error, loading, reload}; reloads when changes
// notify (quietly: no loading state, errors kept out of the way).
export function useLoad(fn, deps) {
  const [st, setSt] = useState({ data: null, error: null, loading: true });
  const gen = useRef(0);
  const reload = useCallback((quiet) => {
    const g = ++gen.current;
    if (!quiet) setSt((s) => ({ ...s, loading: true }));
    return fn().then(
      (data) => { if (g === gen.current) setSt({ data, error: null, loading: false }); },
      (error) => { if (g === gen.current && !quiet) setSt({ data: null, error, loading: false }); },
    );
  }, deps);
  useEffect(() => { reload(false); }, [reload]);
  useLive(reload);
  return { ...st, reload, set: (data) => setSt((s) => ({ ...s, data })) };
}

// --- messages: one polite and one assertive live region in the layout ------
const announcers = new Set();
export function announce(text, kind = 'status') { for (const a of announcers) a(text, kind); }
export function useAnnouncer() {
  const [m, setM] = useState({ status: '', alert: '' });
  useEffect(() => {
    // A message stays for 8 s (long enough to read; the live region has
    // already been read out), then the toast goes.
    const timers = {};
    const a = (text, kind) => {
      const k = kind === 'alert' ? 'alert' : 'status';
      setM((o) => ({ ...o, [k]: text }));
      clearTimeout(timers[k]);
      timers[k] = setTimeout(() => setM((o) => ({ ...o, [k]: '' })), 8000);
    };
    announcers.add(a);
    return () => { announcers.delete(a); clearTimeout(timers.status); clearTimeout(timers.alert); };
  }, []);
  return m;
}

export const fmtDate = (s) => (s ? new Date(s).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : '');
// <input type=datetime-local> <-> RFC 3339 UTC
export const toLocalInput = (s) => {
  if (!s) return '';
  const d = new Date(s);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};
export const fromLocalInput = (v) => (v ? new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z') : null);
export const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
