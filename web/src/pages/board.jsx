// A project's tasks by status. Dragging a card highlights only the columns
// the transition table allows; dropping elsewhere is refused before any
// request. Every card also has the same moves as buttons (keyboard, touch).
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { STATUSES, STATUS_LABEL, announce, canMove, useLoad } from '../util.js';
import { ErrorBox, Loading, PageTitle, StatusButtons } from '../ui.jsx';
import { moveTask } from './tasks.jsx';

export function Board({ id }) {
  const project = useLoad(() => get(`projects/${id}`), [id]);
  const tasks = useLoad(() => get(`tasks?project_id=${id}&limit=200&sort=priority`), [id]);
  const [drag, setDrag] = useState(null);
  const [over, setOver] = useState(null);
  const [err, setErr] = useState(null);

  const move = async (t, to) => {
    setErr(null);
    if (!canMove(t.status, to)) {
      announce(`A task cannot go from ${STATUS_LABEL[t.status]} to ${STATUS_LABEL[to]}.`, 'alert');
      return;
    }
    const items = tasks.data.items;
    tasks.set({ ...tasks.data, items: items.map((x) => (x.id === t.id ? { ...x, status: to } : x)) });
    try {
      const n = await moveTask(t, to);
      tasks.set({ ...tasks.data, items: items.map((x) => (x.id === t.id ? n : x)) });
    } catch (e) {
      tasks.set({ ...tasks.data, items });
      setErr(e);
    }
  };

  if (project.error || tasks.error) return <section><PageTitle>Board</PageTitle><ErrorBox error={project.error || tasks.error} /></section>;
  if (!project.data || !tasks.data) return <Loading what="the board" />;
  const by = {};
  for (const s of STATUSES) by[s] = [];
  for (const t of tasks.data.items) (by[t.status] || (by[t.status] = [])).push(t);

  return (
    <section class="board-page">
      <p><a href={`#/projects/${id}`}>← {project.data.name}</a></p>
      <PageTitle>{`Board: ${project.data.name}`}</PageTitle>
      <ErrorBox error={err} />
      <div class="board">
        {STATUSES.map((s) => {
          const allowed = drag && canMove(drag.status, s);
          return (
            <section key={s} class={`column${allowed ? ' allowed' : ''}${drag && !allowed && drag.status !== s ? ' refused' : ''}${over === s ? ' over' : ''}`}
              data-status={s} aria-labelledby={`col-${s}`}
              onDragOver={(e) => { if (drag && canMove(drag.status, s)) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; setOver(s); } }}
              onDragLeave={() => setOver((o) => (o === s ? null : o))}
              onDrop={(e) => { e.preventDefault(); const t = drag; setDrag(null); setOver(null); if (t && t.status !== s) move(t, s); }}>
              <h2 id={`col-${s}`}>{STATUS_LABEL[s]} <span class="count">{by[s].length}</span></h2>
              <ul>
                {by[s].map((t) => (
                  <li key={t.id} class="board-card" draggable data-id={t.id}
                    onDragStart={(e) => { e.dataTransfer.setData('text/plain', t.id); e.dataTransfer.effectAllowed = 'move'; setDrag(t); }}
                    onDragEnd={() => { setDrag(null); setOver(null); }}>
                    <a href={`#/tasks/${t.id}`}>{t.title}</a>
                    <span class={`prio prio-${t.priority}`}>{t.priority.toUpperCase()}</span>
                    <StatusButtons task={t} onMove={move} />
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}
