// The task list: filters, sort, search, keyset paging, quick-add, keyboard.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, qs, request } from '../api.js';
import { STATUSES, PRIORITIES, STATUS_LABEL, PRIORITY_LABEL, announce, fmtDate, go, newKey, useLive } from '../util.js';
import { ErrorBox, Field, PageTitle, Select, StatusBadge, StatusButtons } from '../ui.jsx';

const SORTS = [['-created_at', 'Newest first'], ['created_at', 'Oldest first'], ['-updated_at', 'Recently updated'],
  ['due_at', 'Due date'], ['priority', 'Priority'], ['title', 'Title A–Z']];

export async function moveTask(task, to) {
  const t = await post(`tasks/${task.id}/status`, { status: to });
  announce(`"${task.title}" is now ${STATUS_LABEL[to]}.`);
  return t;
}

export function TaskRow({ t, selected, onChange, onSelect }) {
  const [busy, setBusy] = useState(false);
  const act = async (fn) => {
    setBusy(true);
    try { onChange(await fn()); } catch (e) { announce(e.message, 'alert'); } finally { setBusy(false); }
  };
  const done = t.status === 'done';
  return (
    <li class={`task-row${selected ? ' selected' : ''}${done ? ' is-done' : ''}`} data-id={t.id} aria-current={selected ? 'true' : undefined}>
      <input type="checkbox" checked={done} disabled={busy || t.status === 'dropped'}
        aria-label={`Complete ${t.title}`} onFocus={onSelect}
        onChange={() => act(() => post(`tasks/${t.id}/complete`).then((r) => { announce(`"${t.title}" ${r.status === 'done' ? 'completed' : 'reopened'}.`); return r; }))} />
      <div class="task-main">
        <a href={`#/tasks/${t.id}`} class="task-title" onFocus={onSelect}>{t.title}</a>
        <div class="task-meta">
          <StatusBadge status={t.status} />
          <span class={`prio prio-${t.priority}`}>{PRIORITY_LABEL[t.priority]}</span>
          {t.due_at && <span>due {fmtDate(t.due_at)}</span>}
          {t.estimate_points !== null && t.estimate_points !== undefined && <span>{t.estimate_points} pts</span>}
          {(t.tags || []).map((g) => <span class="tag" key={g}>#{g}</span>)}
        </div>
      </div>
      <StatusButtons task={t} busy={busy} onMove={(task, to) => act(() => moveTask(task, to))} />
    </li>
  );
}

export function TaskList({ route }) {
  const q0 = route.query;
  const [f, setF] = useState({
    status: q0.get('status') || '', priority: q0.get('priority') || '', project_id: q0.get('project_id') || '',
    sort: q0.get('sort') || '-created_at', q: q0.get('q') || '',
  });
  const limit = Math.min(200, Math.max(1, Number(q0.get('limit')) || 50));
  const [search, setSearch] = useState(f.q);
  const [st, setSt] = useState({ items: [], next: null, total: 0, loading: true, error: null });
  const [sel, setSel] = useState(-1);
  const [projects, setProjects] = useState([]);
  const [title, setTitle] = useState('');
  const [addErr, setAddErr] = useState(null);
  const addRef = useRef(null);
  const searchRef = useRef(null);
  const listRef = useRef(null);
  const gen = useRef(0);

  const params = (extra) => qs({ ...f, limit, ...extra });
  const load = async (quiet) => {
    const g = ++gen.current;
    if (!quiet) setSt((s) => ({ ...s, loading: true }));
    try {
      // A quiet refresh keeps as many rows as are shown (up to 200).
      const n = quiet ? Math.min(200, Math.max(limit, st.items.length)) : limit;
      const r = await get(`tasks${params({ limit: n })}`);
      if (g === gen.current) setSt({ items: r.items, next: r.next_cursor, total: r.total, loading: false, error: null });
    } catch (e) {
      if (g === gen.current && !quiet) setSt({ items: [], next: null, total: 0, loading: false, error: e });
    }
  };
  useEffect(() => { load(false); }, [f.status, f.priority, f.project_id, f.sort, f.q]);
  useLive(load);
  useEffect(() => { get('projects?limit=200').then((r) => setProjects(r.items), () => {}); }, []);
  useEffect(() => {
    if (!st.loading && !st.error) performance.mark('taskman:list-ready', { detail: { count: st.items.length } });
  }, [st]);

  const more = async () => {
    try {
      const r = await get(`tasks${qs({ ...f, q: f.q, limit, cursor: st.next })}`);
      setSt((s) => ({ ...s, items: [...s.items, ...r.items], next: r.next_cursor }));
      announce(`${r.items.length} more tasks loaded.`);
    } catch (e) { announce(e.message, 'alert'); }
  };

  const add = async (e) => {
    e.preventDefault();
    setAddErr(null);
    try {
      const body = { title: title.trim() };
      if (f.project_id) body.project_id = f.project_id;
      const { data } = await request('POST', 'tasks', body, { idempotencyKey: newKey() });
      setTitle('');
      setSt((s) => ({ ...s, items: [data, ...s.items], total: s.total + 1 }));
      announce(`Task "${data.title}" added.`);
    } catch (err) { setAddErr(err); }
  };

  const replace = (t) => setSt((s) => ({ ...s, items: s.items.map((x) => (x.id === t.id ? t : x)) }));

  // n new, / search, j/k move, x complete, o open. One listener for the
  // page's life, reading the current rows and selection from refs: keys
  // pressed in quick succession must not reach a listener of an older render.
  const now = useRef({});
  now.current = { items: st.items, sel };
  useEffect(() => {
    const onKey = (e) => {
      const { items, sel } = now.current;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const tag = e.target.tagName;
      const typing = tag === 'INPUT' && e.target.type !== 'checkbox' || tag === 'TEXTAREA' || tag === 'SELECT';
      if (typing) { if (e.key === 'Escape') e.target.blur(); return; }
      const rows = items;
      const focusRow = (i) => {
        now.current.sel = i;
        setSel(i);
        const el = listRef.current && listRef.current.querySelectorAll('.task-title')[i];
        if (el) el.focus();
      };
      if (e.key === 'n') { e.preventDefault(); addRef.current && addRef.current.focus(); }
      else if (e.key === '/') { e.preventDefault(); searchRef.current && searchRef.current.focus(); }
      else if (e.key === 'j' && rows.length) { e.preventDefault(); focusRow(Math.min(rows.length - 1, sel + 1)); }
      else if (e.key === 'k' && rows.length) { e.preventDefault(); focusRow(Math.max(0, sel - 1)); }
      else if (e.key === 'x' && rows[sel]) {
        e.preventDefault();
        const t = rows[sel];
        if (t.status === 'dropped') { announce('A dropped task cannot be completed; restore it first.', 'alert'); return; }
        post(`tasks/${t.id}/complete`).then((r) => { replace(r); announce(`"${t.title}" ${r.status === 'done' ? 'completed' : 'reopened'}.`); },
          (err) => announce(err.message, 'alert'));
      } else if ((e.key === 'o') && rows[sel]) go(`/tasks/${rows[sel].id}`);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const set = (k) => (v) => { setF((o) => ({ ...o, [k]: v })); setSel(-1); };

  return (
    <section>
      <PageTitle>Tasks</PageTitle>
      <form class="quick-add" onSubmit={add}>
        <Field label="New task" error={addErr && addErr.fields.title} hint="Press n to come here, Enter to add.">
          <input ref={addRef} value={title} onInput={(e) => setTitle(e.currentTarget.value)} maxLength={500}
            placeholder="What needs doing?" autocomplete="off" />
        </Field>
        <button type="submit" disabled={!title.trim()}>Add task</button>
      </form>
      <ErrorBox error={addErr} />
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); set('q')(search.trim()); }}>
        <Field label="Search">
          <input type="search" ref={searchRef} value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="Press / to search" />
        </Field>
        <button type="submit">Search</button>
        <Field label="Status">
          <Select value={f.status} onChange={set('status')} options={[['', 'Any'], ['new,ready,in_progress,blocked,review', 'Open'], ...STATUSES.map((s) => [s, STATUS_LABEL[s]])]} />
        </Field>
        <Field label="Priority">
          <Select value={f.priority} onChange={set('priority')} options={[['', 'Any'], ...PRIORITIES.map((p) => [p, PRIORITY_LABEL[p]])]} />
        </Field>
        <Field label="Project">
          <Select value={f.project_id} onChange={set('project_id')} options={[['', 'Any'], ...projects.map((p) => [p.id, p.name])]} />
        </Field>
        <Field label="Sort">
          <Select value={f.sort} onChange={set('sort')} options={SORTS} />
        </Field>
      </form>
      <ErrorBox error={st.error} />
      <p class="muted" aria-live="polite">
        {st.loading ? 'Loading tasks…' : `${st.total} task${st.total === 1 ? '' : 's'}${f.q ? ` matching "${f.q}"` : ''}`}
      </p>
      <ul class="task-list" ref={listRef} aria-label="Tasks">
        {st.items.map((t, i) => <TaskRow key={t.id} t={t} selected={i === sel} onChange={replace} onSelect={() => setSel(i)} />)}
      </ul>
      {st.next && <button type="button" onClick={more}>Load more</button>}
      <p class="muted shortcuts">Keys: <kbd>n</kbd> new · <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>x</kbd> complete · <kbd>o</kbd> open</p>
    </section>
  );
}
