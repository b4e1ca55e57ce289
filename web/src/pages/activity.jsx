// What happened to a task or a project, newest first: who did what to
// which thing, and for changes each field as "old → new". "Load more"
// follows the API's cursor; a background reload puts new entries on top
// and keeps the pages already loaded.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, qs, userName } from '../api.js';
import { PRIORITY_LABEL, STATUS_LABEL, announce, useLive } from '../util.js';
import { ErrorBox, Loading } from '../ui.jsx';
import { ROLE_LABEL, useTeam } from '../teams.js';

const PAGE = 20;
const TYPE = { task: 'task', project: 'project', sprint: 'sprint', action_list: 'list', member: 'member' };
const VERB = {
  created: 'created', updated: 'changed', status_changed: 'changed the status of', assigned: 'changed the assignee of',
  moved: 'moved', deleted: 'deleted', member_added: 'added', member_removed: 'removed', role_changed: 'changed the role of',
  transferred: 'transferred the ownership of', commented: 'commented on',
};
const FIELD = {
  assignee_id: 'Assignee', owner_id: 'Owner', project_id: 'Project', sprint_id: 'Sprint', due_at: 'Due',
  estimate_points: 'Estimate', start_date: 'Start', end_date: 'End', target_end_date: 'Target end', body: 'Text',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-/i;
const label = (f) => FIELD[f] || (f.charAt(0).toUpperCase() + f.slice(1)).replace(/_/g, ' ');

// One value, readably: names for people, labels for enums, short text.
function value(field, v, people) {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? (v.length ? v.join(', ') : '—') : `${v.length} items`;
  if (typeof v === 'object') return '…';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const s = String(v);
  if (field === 'status') return STATUS_LABEL[s] || s;
  if (field === 'priority') return PRIORITY_LABEL[s] || s;
  if (field === 'role') return ROLE_LABEL[s] || s;
  if (UUID.test(s)) return people[s] ? userName(people[s]) : field === 'project_id' ? 'a project' : field === 'sprint_id' ? 'a sprint' : 'someone else';
  if (/_at$/.test(field) && !Number.isNaN(Date.parse(s))) return new Date(s).toLocaleString();
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

// "<who> <verb> <what> <title>" for one entry
function phrase(a) {
  const r = a.resource || {};
  if (r.type === 'comment') {
    return [{ updated: 'edited a comment on', deleted: 'deleted a comment on' }[a.action] || 'commented on', 'task'];
  }
  if (r.type === 'member') {
    const self = a.actor && a.actor.id === r.id;
    if (a.action === 'member_added') return self ? ['joined the project', '', true] : ['added the member', ''];
    if (a.action === 'member_removed') return self ? ['left the project', '', true] : ['removed the member', ''];
    return ['changed the role of', ''];
  }
  return [VERB[a.action] || a.action, TYPE[r.type] || r.type];
}

function Entry({ a, people }) {
  const who = a.actor ? (people[a.actor.id] ? userName(people[a.actor.id]) : a.actor.username || 'someone') : 'The system';
  const r = a.resource || {};
  const [verb, what, untitled] = phrase(a);
  const ch = a.changes && typeof a.changes === 'object' ? Object.entries(a.changes) : [];
  // a comment's text is shown in the comments panel; here only that it changed
  const rows = r.type === 'comment' ? [] : ch;
  return (
    <li class="entry">
      <p><time class="muted" datetime={a.at}>{new Date(a.at).toLocaleString()}</time>{' '}
        <strong>{who}</strong> {verb}{what && ` ${what}`}{!untitled && <> <q>{r.title || '(untitled)'}</q></>}</p>
      {rows.length > 0 && (
        <ul class="changes">
          {rows.map(([f, pair]) => (
            <li key={f}>{label(f)}: <span class="old">{value(f, pair && pair[0], people)}</span>
              {' → '}<span class="new">{value(f, pair && pair[1], people)}</span></li>
          ))}
        </ul>
      )}
    </li>
  );
}

const byNewest = (a, b) => (a.id.length - b.id.length) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ActivityPanel({task} | {project})
export function ActivityPanel({ task, project }) {
  const path = task ? `tasks/${task.id}/activity` : `projects/${project.id}/activity`;
  const team = useTeam(task ? task.project_id : project.id);
  const [st, setSt] = useState({ items: null, next: null, error: null });
  const load = async (quiet) => {
    try {
      const r = await get(`${path}${qs({ limit: PAGE })}`);
      setSt((s) => {
        if (!quiet || !s.items) return { items: r.items, next: r.next_cursor, error: null };
        const seen = new Set(s.items.map((x) => x.id));
        const fresh = r.items.filter((x) => !seen.has(x.id));
        return { ...s, items: [...fresh, ...s.items].sort((a, b) => byNewest(b, a)) };
      });
    } catch (e) { if (!quiet) setSt({ items: [], next: null, error: e }); }
  };
  useEffect(() => { setSt({ items: null, next: null, error: null }); load(false); }, [path]);
  // the task panel's task changes identity on every save: reload then too
  const ver = useRef(task && task.version);
  useEffect(() => {
    if (task && ver.current !== task.version) { ver.current = task.version; load(true); }
  }, [task && task.version]);
  useLive(load);
  const more = async () => {
    try {
      const r = await get(`${path}${qs({ limit: PAGE, cursor: st.next })}`);
      setSt((s) => ({ ...s, items: [...s.items, ...r.items], next: r.next_cursor }));
      announce(`${r.items.length} older entries loaded.`);
    } catch (e) { announce(e.message, 'alert'); }
  };
  return (
    <section aria-labelledby={`activity-h-${task ? 't' : 'p'}`} class="panel">
      <h2 id={`activity-h-${task ? 't' : 'p'}`}>Activity</h2>
      <ErrorBox error={st.error} />
      {!st.items ? <Loading what="activity" /> : (
        <ol class="plain-list activity" aria-label="Activity, newest first">
          {st.items.map((a) => <Entry key={a.id} a={a} people={team.byId} />)}
          {!st.items.length && !st.error && <li class="muted">Nothing yet.</li>}
        </ol>
      )}
      {st.next && <button type="button" class="secondary" onClick={more}>Load more activity</button>}
    </section>
  );
}
