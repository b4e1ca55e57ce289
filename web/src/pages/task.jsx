// One task: edit with optimistic locking. Saves send If-Match with the
// version the form was loaded from; a 412 shows what changed on the server
// and lets the person keep their values or take the server's. Nothing is
// ever overwritten silently.
import { useEffect, useState } from 'preact/hooks';
import { del, get, request, session, userName } from '../api.js';
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, announce, fromLocalInput, go, toLocalInput, useLive } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select, StatusBadge, StatusButtons } from '../ui.jsx';
import { taskPanels } from '../extensions.js';
import { useTeam } from '../teams.js';
import { moveTask } from './tasks.jsx';

const EDITABLE = ['title', 'description', 'priority', 'due_at', 'tags', 'estimate_points', 'project_id', 'sprint_id', 'assignee_id'];
const LABEL = { title: 'Title', description: 'Description', priority: 'Priority', due_at: 'Due', tags: 'Tags',
  estimate_points: 'Estimate (points)', project_id: 'Project', sprint_id: 'Sprint', assignee_id: 'Assignee', status: 'Status' };

const toForm = (t) => ({
  title: t.title, description: t.description || '', priority: t.priority, due_at: toLocalInput(t.due_at),
  tags: (t.tags || []).join(', '), estimate_points: t.estimate_points === null || t.estimate_points === undefined ? '' : String(t.estimate_points),
  project_id: t.project_id || '', sprint_id: t.sprint_id || '', assignee_id: t.assignee_id || '',
});
const fromForm = (f) => ({
  title: f.title.trim(), description: f.description, priority: f.priority, due_at: fromLocalInput(f.due_at),
  tags: f.tags.split(',').map((s) => s.trim()).filter(Boolean),
  estimate_points: f.estimate_points === '' ? null : Number(f.estimate_points),
  project_id: f.project_id || null, sprint_id: f.sprint_id || null, assignee_id: f.assignee_id || null,
});
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
// The fields of `mine` that differ from `base` (what the person changed).
function changed(mine, base) {
  const m = fromForm(mine); const b = fromForm(toForm(base)); const out = {};
  for (const k of EDITABLE) if (!same(m[k], b[k])) out[k] = m[k];
  return out;
}
const show = (k, v, names) => {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return '—';
  if (k === 'due_at') return new Date(v).toLocaleString();
  if (k === 'tags') return v.join(', ');
  if (k === 'priority') return PRIORITY_LABEL[v];
  if (k === 'status') return STATUS_LABEL[v];
  if ((k === 'project_id' || k === 'sprint_id' || k === 'assignee_id') && names[v]) return names[v];
  return String(v);
};

export function TaskDetail({ id }) {
  const [base, setBase] = useState(null);      // the server's task the form started from
  const [form, setForm] = useState(null);
  const [err, setErr] = useState(null);
  const [conflict, setConflict] = useState(null); // {server, mine}
  const [busy, setBusy] = useState(false);
  const [projects, setProjects] = useState([]);
  const [sprints, setSprints] = useState([]);

  const load = async (quiet) => {
    try {
      const t = await get(`tasks/${id}`);
      // A quiet refresh only replaces an untouched form.
      setBase((b) => {
        if (quiet && b && form && Object.keys(changed(form, b)).length) return b;
        setForm(toForm(t));
        return t;
      });
    } catch (e) { if (!quiet) setErr(e); }
  };
  useEffect(() => { setBase(null); setForm(null); setConflict(null); load(false); }, [id]);
  useLive((q) => { if (!conflict) load(q); });
  useEffect(() => { get('projects?limit=200').then((r) => setProjects(r.items), () => {}); }, []);
  const pid = form && form.project_id;
  // the role on the task's project decides what is shown; the project
  // chosen in the form decides whom it can be assigned to
  const team = useTeam(base ? base.project_id : undefined);
  const target = useTeam(pid || null);
  useEffect(() => {
    if (!pid) { setSprints([]); return; }
    get(`sprints?project_id=${pid}&limit=200`).then((r) => setSprints(r.items), () => setSprints([]));
  }, [pid]);

  if (err && !base) return <section><PageTitle>Task</PageTitle><ErrorBox error={err} /></section>;
  if (!base || !form) return <Loading what="the task" />;

  const names = {};
  for (const p of projects) names[p.id] = p.name;
  for (const s of sprints) names[s.id] = s.name;
  for (const [uid, u] of Object.entries({ ...team.byId, ...target.byId })) names[uid] = userName(u);
  const me = session.user;
  const canEdit = team.at('editor');
  // a project's members; a personal task: its owner (me) or nobody
  const people = form.project_id ? target.items.map((m) => [m.user.id, userName(m.user)])
    : me ? [[me.id, `Me (${userName(me)})`]] : [];
  if (form.assignee_id && !people.some(([v]) => v === form.assignee_id)) people.push([form.assignee_id, names[form.assignee_id] || 'Someone no longer in the project']);
  const set = (k) => (e) => { const v = e.currentTarget ? e.currentTarget.value : e; setForm((f) => ({ ...f, [k]: v, ...(k === 'project_id' ? { sprint_id: '' } : {}) })); };
  const dirty = Object.keys(changed(form, base)).length > 0;

  const save = async (fields, version) => {
    setBusy(true); setErr(null);
    try {
      const { data } = await request('PATCH', `tasks/${id}`, fields, { ifMatch: version });
      setBase(data); setForm(toForm(data)); setConflict(null);
      announce('Task saved.');
    } catch (e) {
      if (e.status === 412 || (e.status === 409 && /version/.test(e.problem.type || ''))) {
        const server = await get(`tasks/${id}`);
        setConflict({ server, mine: form, base });
        announce('Someone else changed this task. Compare and choose what to keep.', 'alert');
      } else setErr(e);
    } finally { setBusy(false); }
  };
  const onSubmit = (e) => { e.preventDefault(); const c = changed(form, base); if (Object.keys(c).length) save(c, base.version); };

  // Keep mine: the fields this person changed (against the version they
  // started from) go on top of the server's current version.
  const keepMine = () => {
    const { server, mine, base: b } = conflict;
    const c = changed(mine, b);
    setBase(server);
    if (Object.keys(c).length) save(c, server.version); else { setForm(toForm(server)); setConflict(null); }
  };
  const takeTheirs = () => {
    setBase(conflict.server); setForm(toForm(conflict.server)); setConflict(null);
    announce('The server\'s version is shown; your changes were discarded.');
  };
  const move = async (t, to) => {
    setBusy(true); setErr(null);
    try { const n = await moveTask(t, to); setBase(n); if (!dirty) setForm(toForm(n)); } catch (e) { setErr(e); } finally { setBusy(false); }
  };
  const remove = async () => {
    if (!confirm(`Delete "${base.title}"?`)) return;
    try { await del(`tasks/${id}`, { ifMatch: base.version }); announce('Task deleted.'); go('/tasks'); } catch (e) { setErr(e); }
  };

  return (
    <section>
      <p><a href="#/tasks">← All tasks</a></p>
      <PageTitle>{base.title}</PageTitle>
      <p class="task-meta"><StatusBadge status={base.status} /> <span class="muted">version {base.version}</span>
        {base.completed_at && <span class="muted"> · completed {new Date(base.completed_at).toLocaleString()}</span>}</p>
      {canEdit ? <StatusButtons task={base} busy={busy} onMove={move} />
        : team.ready && <p class="muted" id="ro-note">You can read this task; changing it needs the editor role in its project.</p>}
      {conflict && (
        <div class="conflict" role="alert">
          <h2>This task was changed elsewhere</h2>
          <p>It is now at version {conflict.server.version}; you edited version {conflict.base.version}.
            Keep mine saves the fields you changed on top of it; take theirs drops your changes.</p>
          <table>
            <caption>Fields that differ</caption>
            <thead><tr><th scope="col">Field</th><th scope="col">Yours</th><th scope="col">On the server now</th></tr></thead>
            <tbody>
              {EDITABLE.concat(['status']).filter((k) => k === 'status'
                ? conflict.server.status !== conflict.base.status
                : !same(fromForm(conflict.mine)[k], fromForm(toForm(conflict.server))[k]))
                .map((k) => (
                  <tr key={k} data-field={k}><th scope="row">{LABEL[k]}</th>
                    <td>{k === 'status' ? show(k, conflict.base.status, names) : show(k, fromForm(conflict.mine)[k], names)}</td>
                    <td>{show(k, conflict.server[k], names)}</td></tr>
                ))}
            </tbody>
          </table>
          <button type="button" onClick={keepMine} disabled={busy}>Keep mine</button>{' '}
          <button type="button" class="secondary" onClick={takeTheirs} disabled={busy}>Take theirs</button>
        </div>
      )}
      <ErrorBox error={err} />
      <form class="stack" onSubmit={onSubmit}>
        <fieldset class="plain" disabled={!canEdit} aria-describedby={!canEdit && team.ready ? 'ro-note' : undefined}>
        <Field label="Title" error={err && err.fields.title}><input value={form.title} onInput={set('title')} required maxLength={500} /></Field>
        <Field label="Description" error={err && err.fields.description}><textarea rows={5} value={form.description} onInput={set('description')} /></Field>
        <div class="row">
          <Field label="Priority" error={err && err.fields.priority}>
            <Select value={form.priority} onChange={set('priority')} options={PRIORITIES.map((p) => [p, PRIORITY_LABEL[p]])} />
          </Field>
          <Field label="Due" error={err && err.fields.due_at}><input type="datetime-local" value={form.due_at} onInput={set('due_at')} /></Field>
          <Field label="Estimate (points)" error={err && err.fields.estimate_points}><input type="number" min="0" step="0.5" value={form.estimate_points} onInput={set('estimate_points')} /></Field>
        </div>
        <Field label="Tags" hint="Separated by commas" error={err && err.fields.tags}><input value={form.tags} onInput={set('tags')} /></Field>
        <div class="row">
          <Field label="Project" error={err && err.fields.project_id}>
            <Select value={form.project_id} onChange={set('project_id')} options={[['', 'None'], ...projects.map((p) => [p.id, p.name])]} />
          </Field>
          <Field label="Sprint" error={err && err.fields.sprint_id}>
            <Select value={form.sprint_id} onChange={set('sprint_id')} disabled={!form.project_id} options={[['', 'None'], ...sprints.map((s) => [s.id, s.name])]} />
          </Field>
          <Field label="Assignee" error={err && err.fields.assignee_id}>
            <Select value={form.assignee_id} onChange={set('assignee_id')} options={[['', 'Nobody'], ...people]} />
          </Field>
        </div>
        </fieldset>
        {canEdit && (
          <div class="actions">
            <button type="submit" disabled={busy || !dirty || !!conflict}>Save</button>
            <button type="button" class="secondary" disabled={!dirty} onClick={() => setForm(toForm(base))}>Undo changes</button>
            <button type="button" class="danger" onClick={remove}>Delete task</button>
          </div>
        )}
      </form>
      {taskPanels.map((P) => <P.component key={P.id} task={base} />)}
    </section>
  );
}
