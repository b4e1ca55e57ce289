// Action lists with reorderable items (buttons, and drag and drop).
import { useEffect, useState } from 'preact/hooks';
import { del, get, request } from '../api.js';
import { announce, go, newKey, useLoad } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select } from '../ui.jsx';

const LSTATUS = [['active', 'Active'], ['completed', 'Completed'], ['archived', 'Archived']];

export function ActionLists() {
  const lists = useLoad(() => get('action-lists?limit=200'), []);
  const [title, setTitle] = useState('');
  const [err, setErr] = useState(null);
  const create = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      const { data } = await request('POST', 'action-lists', { title: title.trim(), items: [] }, { idempotencyKey: newKey() });
      setTitle(''); announce(`List "${data.title}" created.`); go(`/lists/${data.id}`);
    } catch (x) { setErr(x); }
  };
  return (
    <section>
      <PageTitle>Action lists</PageTitle>
      <form class="quick-add" onSubmit={create}>
        <Field label="New list title" error={err && err.fields.title}><input value={title} onInput={(e) => setTitle(e.currentTarget.value)} maxLength={200} /></Field>
        <button type="submit" disabled={!title.trim()}>Create list</button>
      </form>
      <ErrorBox error={err || lists.error} />
      {!lists.data ? <Loading what="lists" /> : (
        <ul class="cards">
          {lists.data.items.map((l) => (
            <li key={l.id} class="card"><a href={`#/lists/${l.id}`}><strong>{l.title}</strong></a>
              <span class="muted">{l.items.filter((i) => i.done).length}/{l.items.length} done</span><span class="badge">{l.status}</span></li>
          ))}
          {!lists.data.items.length && <li class="muted">No lists yet.</li>}
        </ul>
      )}
    </section>
  );
}

export function ActionList({ id }) {
  const l = useLoad(() => get(`action-lists/${id}`), [id]);
  const [items, setItems] = useState(null);
  const [text, setText] = useState('');
  const [err, setErr] = useState(null);
  const [dragI, setDragI] = useState(-1);
  const [busy, setBusy] = useState(false);   // one save at a time: each needs the last version
  useEffect(() => { if (l.data && items === null) setItems(l.data.items.map((i) => ({ ...i }))); }, [l.data]);
  if (l.error) return <section><PageTitle>Action list</PageTitle><ErrorBox error={l.error} /></section>;
  if (!l.data || !items) return <Loading what="the list" />;

  // Every change is saved at once with If-Match; a 412 reloads the list and
  // says so (the person then repeats the one change they made).
  const save = async (next, what) => {
    if (busy) return;
    const prev = items;
    setItems(next); setErr(null); setBusy(true);
    try {
      const { data } = await request('PATCH', `action-lists/${id}`, { items: next.map(({ text: t, done, task_id }) => ({ text: t, done, task_id: task_id || null })) }, { ifMatch: l.data.version });
      l.set(data); setItems(data.items.map((i) => ({ ...i })));
      if (what) announce(what);
    } catch (x) {
      if (x.status === 412) {
        const cur = await get(`action-lists/${id}`);
        l.set(cur); setItems(cur.items.map((i) => ({ ...i })));
        setErr(Object.assign(x, { message: 'This list was changed elsewhere and has been reloaded; please repeat your change.' }));
      } else { setItems(prev); setErr(x); }
    } finally { setBusy(false); }
  };
  const moveItem = (from, to) => {
    if (to < 0 || to >= items.length || from === to) return;
    const n = items.slice(); const [it] = n.splice(from, 1); n.splice(to, 0, it);
    save(n, `"${it.text}" moved to position ${to + 1} of ${n.length}.`);
  };
  const add = (e) => { e.preventDefault(); if (!text.trim()) return; save([...items, { text: text.trim(), done: false, task_id: null }], 'Item added.'); setText(''); };
  const setStatus = async (v) => {
    try { const { data } = await request('PATCH', `action-lists/${id}`, { status: v }, { ifMatch: l.data.version }); l.set(data); announce(`List is now ${v}.`); } catch (x) { setErr(x); }
  };
  const remove = async () => {
    if (!confirm(`Delete "${l.data.title}"?`)) return;
    try { await del(`action-lists/${id}`); go('/lists'); } catch (x) { setErr(x); }
  };
  return (
    <section>
      <p><a href="#/lists">← All lists</a></p>
      <PageTitle>{l.data.title}</PageTitle>
      <Field label="List status"><Select value={l.data.status} onChange={setStatus} options={LSTATUS} /></Field>
      <ErrorBox error={err} />
      <ol class="items" aria-label="Items">
        {items.map((it, i) => (
          <li key={`${i}-${it.text}`} class={`item${dragI === i ? ' dragging' : ''}`} draggable
            onDragStart={(e) => { e.dataTransfer.setData('text/plain', String(i)); setDragI(i); }}
            onDragEnd={() => setDragI(-1)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => { e.preventDefault(); const from = dragI; setDragI(-1); if (from >= 0) moveItem(from, i); }}>
            <span class="grip" aria-hidden="true">⋮⋮</span>
            <input type="checkbox" checked={it.done} disabled={busy} aria-label={`Done: ${it.text}`}
              onChange={() => save(items.map((x, j) => (j === i ? { ...x, done: !x.done } : x)), `"${it.text}" ${it.done ? 'not done' : 'done'}.`)} />
            <span class={`item-text${it.done ? ' is-done' : ''}`}>{it.text}</span>
            <span class="item-buttons">
              <button type="button" class="small" aria-label={`Move up: ${it.text}`} disabled={busy || i === 0} onClick={() => moveItem(i, i - 1)}>↑</button>
              <button type="button" class="small" aria-label={`Move down: ${it.text}`} disabled={busy || i === items.length - 1} onClick={() => moveItem(i, i + 1)}>↓</button>
              <button type="button" class="small danger" aria-label={`Remove: ${it.text}`} disabled={busy} onClick={() => save(items.filter((_, j) => j !== i), 'Item removed.')}>✕</button>
            </span>
          </li>
        ))}
      </ol>
      <form class="quick-add" onSubmit={add}>
        <Field label="New item"><input value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={1000} /></Field>
        <button type="submit" disabled={busy || !text.trim()}>Add item</button>
      </form>
      <p><button type="button" class="danger" onClick={remove}>Delete list</button></p>
    </section>
  );
}
