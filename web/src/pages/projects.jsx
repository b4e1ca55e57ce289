// Projects, a project with its metrics and sprints, and a sprint with its
// burndown drawn as a chart.
import { useState } from 'preact/hooks';
import { del, get, patch, post, request } from '../api.js';
import { announce, fmtDate, go, newKey, useLoad } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select } from '../ui.jsx';
import { projectPanels } from '../extensions.js';
import { useTeam } from '../teams.js';
import { TaskRow } from './tasks.jsx';

const PSTATUS = [['discovery', 'Discovery'], ['active', 'Active'], ['paused', 'Paused'], ['closed', 'Closed']];
const SSTATUS = [['planned', 'Planned'], ['active', 'Active'], ['closed', 'Closed']];
const CADENCE = [['weekly', 'Weekly'], ['biweekly', 'Every two weeks'], ['monthly', 'Monthly'], ['custom', 'Custom']];
const today = (d = 0) => new Date(Date.now() + d * 864e5).toISOString().slice(0, 10);
const orNull = (v) => (v === '' ? null : v);

export function Projects() {
  const list = useLoad(() => get('projects?limit=200'), []);
  const [name, setName] = useState('');
  const [err, setErr] = useState(null);
  const create = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      const { data } = await request('POST', 'projects', { name: name.trim() }, { idempotencyKey: newKey() });
      setName(''); announce(`Project "${data.name}" created.`); go(`/projects/${data.id}`);
    } catch (x) { setErr(x); }
  };
  return (
    <section>
      <PageTitle>Projects</PageTitle>
      <form class="quick-add" onSubmit={create}>
        <Field label="New project name" error={err && err.fields.name}><input value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={200} /></Field>
        <button type="submit" disabled={!name.trim()}>Create project</button>
      </form>
      <ErrorBox error={err || list.error} />
      {list.loading && !list.data ? <Loading what="projects" /> : (
        <ul class="cards">
          {(list.data ? list.data.items : []).map((p) => (
            <li key={p.id} class="card">
              <a href={`#/projects/${p.id}`}><strong>{p.name}</strong></a>
              <span class={`badge ps-${p.status}`}>{p.status}</span>
              <a href={`#/projects/${p.id}/board`} aria-label={`Board of ${p.name}`}>Board</a>
            </li>
          ))}
          {list.data && !list.data.items.length && <li class="muted">No projects yet.</li>}
        </ul>
      )}
    </section>
  );
}

function Metrics({ id }) {
  const m = useLoad(() => get(`projects/${id}/metrics`), [id]);
  if (!m.data) return <ErrorBox error={m.error} />;
  const d = m.data;
  return (
    <section aria-labelledby="metrics-h">
      <h2 id="metrics-h">Metrics</h2>
      <dl class="metrics">
        <div><dt>Tasks</dt><dd>{d.total_tasks}</dd></div>
        <div><dt>Done</dt><dd>{Math.round(d.completion_percentage)} %</dd></div>
        <div><dt>Blocked</dt><dd>{Math.round(d.blocked_percentage)} %</dd></div>
        <div><dt>Health</dt><dd><span class={`health h-${d.health_status}`}>{d.health_status}</span></dd></div>
      </dl>
      <div class="bar" role="img" aria-label={`${Math.round(d.completion_percentage)} percent done`}>
        <span class="bar-fill" style={{ width: `${Math.min(100, d.completion_percentage)}%` }} />
      </div>
    </section>
  );
}

function ProjectForm({ p, onSaved }) {
  const [f, setF] = useState({ name: p.name, description: p.description || '', status: p.status, start_date: p.start_date || '', target_end_date: p.target_end_date || '' });
  const [err, setErr] = useState(null);
  const set = (k) => (e) => { const v = e.currentTarget ? e.currentTarget.value : e; setF((o) => ({ ...o, [k]: v })); };
  const save = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      const { data } = await request('PATCH', `projects/${p.id}`, { ...f, start_date: orNull(f.start_date), target_end_date: orNull(f.target_end_date) }, { ifMatch: p.version });
      announce('Project saved.'); onSaved(data);
    } catch (x) {
      setErr(x.status === 412 ? Object.assign(x, { message: 'This project was changed elsewhere; the form now shows the current version. Make your change again.' }) : x);
      if (x.status === 412) get(`projects/${p.id}`).then(onSaved);
    }
  };
  return (
    <form class="stack" onSubmit={save}>
      <ErrorBox error={err} />
      <Field label="Name" error={err && err.fields.name}><input value={f.name} onInput={set('name')} required maxLength={200} /></Field>
      <Field label="Description" error={err && err.fields.description}><textarea rows={3} value={f.description} onInput={set('description')} /></Field>
      <div class="row">
        <Field label="Status" error={err && err.fields.status}><Select value={f.status} onChange={set('status')} options={PSTATUS} /></Field>
        <Field label="Start date" error={err && err.fields.start_date}><input type="date" value={f.start_date} onInput={set('start_date')} /></Field>
        <Field label="Target end date" error={err && err.fields.target_end_date}><input type="date" value={f.target_end_date} onInput={set('target_end_date')} /></Field>
      </div>
      <div class="actions"><button type="submit">Save project</button></div>
    </form>
  );
}

function NewSprint({ projectId, onCreated }) {
  const [f, setF] = useState({ name: '', start_date: today(), end_date: today(13), cadence: 'biweekly' });
  const [err, setErr] = useState(null);
  const set = (k) => (e) => { const v = e.currentTarget ? e.currentTarget.value : e; setF((o) => ({ ...o, [k]: v })); };
  const create = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      const { data } = await request('POST', 'sprints', { project_id: projectId, ...f, name: f.name.trim() }, { idempotencyKey: newKey() });
      setF((o) => ({ ...o, name: '' })); announce(`Sprint "${data.name}" created.`); onCreated(data);
    } catch (x) { setErr(x); }
  };
  return (
    <form class="stack" onSubmit={create} aria-labelledby="new-sprint-h">
      <h3 id="new-sprint-h">New sprint</h3>
      <ErrorBox error={err} />
      <div class="row">
        <Field label="Sprint name" error={err && err.fields.name}><input value={f.name} onInput={set('name')} maxLength={200} /></Field>
        <Field label="Sprint start" error={err && err.fields.start_date}><input type="date" value={f.start_date} onInput={set('start_date')} /></Field>
        <Field label="Sprint end" error={err && err.fields.end_date}><input type="date" value={f.end_date} onInput={set('end_date')} /></Field>
        <Field label="Cadence" error={err && err.fields.cadence}><Select value={f.cadence} onChange={set('cadence')} options={CADENCE} /></Field>
      </div>
      <div class="actions"><button type="submit" disabled={!f.name.trim()}>Create sprint</button></div>
    </form>
  );
}

export function ProjectDetail({ id }) {
  const p = useLoad(() => get(`projects/${id}`), [id]);
  const sprints = useLoad(() => get(`sprints?project_id=${id}&limit=200`), [id]);
  const [err, setErr] = useState(null);
  const team = useTeam(id);
  if (p.error) return <section><PageTitle>Project</PageTitle><ErrorBox error={p.error} /></section>;
  if (!p.data) return <Loading what="the project" />;
  const remove = async () => {
    if (!confirm(`Delete "${p.data.name}" and its sprints? Its tasks stay.`)) return;
    try { await del(`projects/${id}`); announce('Project deleted.'); go('/projects'); } catch (x) { setErr(x); }
  };
  return (
    <section>
      <p><a href="#/projects">← All projects</a></p>
      <PageTitle>{p.data.name}</PageTitle>
      <p class="actions"><a class="button" href={`#/projects/${id}/board`}>Open board</a>
        <a class="button secondary" href={`#/tasks?project_id=${id}`}>Task list</a></p>
      <ErrorBox error={err} />
      <Metrics id={id} />
      <section aria-labelledby="sprints-h">
        <h2 id="sprints-h">Sprints</h2>
        <ul class="cards">
          {(sprints.data ? sprints.data.items : []).map((s) => (
            <li key={s.id} class="card"><a href={`#/sprints/${s.id}`}><strong>{s.name}</strong></a>
              <span class="muted">{fmtDate(s.start_date)} – {fmtDate(s.end_date)}</span><span class="badge">{s.status}</span></li>
          ))}
          {sprints.data && !sprints.data.items.length && <li class="muted">No sprints yet.</li>}
        </ul>
        {team.at('editor') && <NewSprint projectId={id} onCreated={() => sprints.reload()} />}
      </section>
      <section aria-labelledby="edit-h">
        <h2 id="edit-h">Details</h2>
        {team.at('manager') ? <>
          <ProjectForm key={p.data.version} p={p.data} onSaved={(d) => p.set(d)} />
          <p><button type="button" class="danger" onClick={remove}>Delete project</button></p>
        </> : <>
          <dl class="facts">
            <dt>Status</dt><dd>{p.data.status}</dd>
            <dt>Dates</dt><dd>{fmtDate(p.data.start_date) || '—'} – {fmtDate(p.data.target_end_date) || '—'}</dd>
          </dl>
          {p.data.description && <p class="prewrap">{p.data.description}</p>}
        </>}
      </section>
      {projectPanels.map((P) => <P.component key={P.id} project={p.data} />)}
    </section>
  );
}

// The burndown as an SVG line chart: the ideal line from all points at the
// start to none at the end, the actual line from the start to today's
// remaining points, and its projection to the end at the actual rate.
export function Burndown({ b }) {
  const W = 560; const H = 240; const L = 44; const B = 28; const T = 12; const R = 12;
  const days = Math.max(1, b.days_total); const max = Math.max(1, b.total_points);
  const x = (d) => L + (d / days) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const el = Math.min(days, Math.max(0, b.days_elapsed));
  const projEnd = Math.max(0, b.remaining_points - (b.actual_burndown_rate || 0) * (days - el));
  const ticks = [0, max / 2, max];
  const summary = `Burndown: ${b.remaining_points} of ${b.total_points} points remain after ${b.days_elapsed} of ${b.days_total} days; ${b.on_track ? 'on track' : 'behind the ideal line'}.`;
  return (
    <figure class="burndown">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        {ticks.map((v) => <g key={v}><line class="grid" x1={L} x2={W - R} y1={y(v)} y2={y(v)} /><text class="axis" x={L - 6} y={y(v) + 4} text-anchor="end">{Math.round(v * 10) / 10}</text></g>)}
        <text class="axis" x={L} y={H - 8}>day 0</text>
        <text class="axis" x={W - R} y={H - 8} text-anchor="end">day {days}</text>
        <line class="ideal" x1={x(0)} y1={y(max)} x2={x(days)} y2={y(0)} />
        <polyline class="actual" points={`${x(0)},${y(b.total_points)} ${x(el)},${y(b.remaining_points)}`} />
        <line class="projection" x1={x(el)} y1={y(b.remaining_points)} x2={x(days)} y2={y(projEnd)} />
        <circle class="now" cx={x(el)} cy={y(b.remaining_points)} r="4" />
      </svg>
      <figcaption>
        <span class="key ideal-key">Ideal</span> <span class="key actual-key">Actual</span> <span class="key projection-key">Projected</span>
        <br />{summary}
      </figcaption>
    </figure>
  );
}

export function SprintDetail({ id }) {
  const s = useLoad(() => get(`sprints/${id}`), [id]);
  const bd = useLoad(() => get(`sprints/${id}/burndown`), [id]);
  const tasks = useLoad(() => get(`tasks?sprint_id=${id}&limit=200&sort=priority`), [id]);
  const [title, setTitle] = useState('');
  const [points, setPoints] = useState('');
  const [err, setErr] = useState(null);
  const team = useTeam(s.data ? s.data.project_id : undefined);
  if (s.error) return <section><PageTitle>Sprint</PageTitle><ErrorBox error={s.error} /></section>;
  if (!s.data) return <Loading what="the sprint" />;
  const sp = s.data;
  const add = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      const body = { title: title.trim(), project_id: sp.project_id, sprint_id: sp.id };
      if (points !== '') body.estimate_points = Number(points);
      await request('POST', 'tasks', body, { idempotencyKey: newKey() });
      setTitle(''); setPoints(''); announce('Task added to the sprint.'); tasks.reload(true); bd.reload(true);
    } catch (x) { setErr(x); }
  };
  const setStatus = async (v) => {
    try { s.set(await patch(`sprints/${id}`, { status: v }, { ifMatch: sp.version })); announce(`Sprint is now ${v}.`); } catch (x) { setErr(x); s.reload(true); }
  };
  return (
    <section>
      <p><a href={`#/projects/${sp.project_id}`}>← Project</a></p>
      <PageTitle>{sp.name}</PageTitle>
      <p class="muted">{fmtDate(sp.start_date)} – {fmtDate(sp.end_date)} · {sp.cadence}{sp.goal ? ` · ${sp.goal}` : ''}</p>
      <Field label="Sprint status"><Select value={sp.status} onChange={setStatus} options={SSTATUS} disabled={!team.at('editor')} /></Field>
      <ErrorBox error={err || bd.error} />
      <section aria-labelledby="bd-h"><h2 id="bd-h">Burndown</h2>{bd.data ? <Burndown b={bd.data} /> : <Loading what="the burndown" />}</section>
      <section aria-labelledby="st-h">
        <h2 id="st-h">Tasks in this sprint</h2>
        {team.at('editor') && <form class="quick-add" onSubmit={add}>
          <Field label="New sprint task" error={err && err.fields.title}><input value={title} onInput={(e) => setTitle(e.currentTarget.value)} maxLength={500} /></Field>
          <Field label="Points" error={err && err.fields.estimate_points}><input type="number" min="0" step="0.5" class="narrow" value={points} onInput={(e) => setPoints(e.currentTarget.value)} /></Field>
          <button type="submit" disabled={!title.trim()}>Add</button>
        </form>}
        <ul class="task-list" aria-label="Sprint tasks">
          {(tasks.data ? tasks.data.items : []).map((t) => <TaskRow key={t.id} t={t} onChange={() => { tasks.reload(true); bd.reload(true); }} onSelect={() => {}} />)}
        </ul>
      </section>
    </section>
  );
}
