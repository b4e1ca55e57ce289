// My work: the tasks assigned to me in every project I am in
// (GET /api/v1/tasks?assignee_id=me), open ones first by due date.
import { useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { STATUSES, STATUS_LABEL, announce, useLoad } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select } from '../ui.jsx';
import { TaskRow } from './tasks.jsx';

const OPEN = 'new,ready,in_progress,blocked,review';

export function MyWork() {
  const [status, setStatus] = useState(OPEN);
  const [more, setMore] = useState({ items: [], next: undefined });
  const list = useLoad(() => get(`tasks${qs({ assignee_id: 'me', status, sort: 'due_at', limit: 50 })}`)
    .then((r) => { setMore({ items: [], next: undefined }); return r; }), [status]);
  const next = more.next === undefined ? list.data && list.data.next_cursor : more.next;
  const loadMore = async () => {
    try {
      const r = await get(`tasks${qs({ assignee_id: 'me', status, sort: 'due_at', limit: 50, cursor: next })}`);
      setMore((m) => ({ items: [...m.items, ...r.items], next: r.next_cursor }));
      announce(`${r.items.length} more tasks loaded.`);
    } catch (e) { announce(e.message, 'alert'); }
  };
  const items = list.data ? [...list.data.items, ...more.items] : [];
  const replace = () => list.reload(true);
  return (
    <section>
      <PageTitle>My work</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Show">
          <Select value={status} onChange={setStatus} options={[[OPEN, 'Open'], ['', 'All'], ...STATUSES.map((s) => [s, STATUS_LABEL[s]])]} />
        </Field>
      </form>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? <Loading what="your tasks" /> : (
        <>
          <p class="muted" aria-live="polite">{list.data ? `${list.data.total} task${list.data.total === 1 ? '' : 's'} assigned to you` : ''}</p>
          <ul class="task-list" aria-label="Tasks assigned to you">
            {items.map((t) => <TaskRow key={t.id} t={t} onChange={replace} onSelect={() => {}} />)}
          </ul>
        </>
      )}
      {next && <button type="button" onClick={loadMore}>Load more</button>}
    </section>
  );
}
