// A project's members and invitations (a panel on the project page), and
// the invitations addressed to me (a page, with a count in the menu).
// Managers see the controls to invite, revoke, change roles and remove;
// everyone but the owner may leave. The API checks all of it again.
import { useState } from 'preact/hooks';
import { del, forgetMembers, get, patch, request, session, userName } from '../api.js';
import { announce, changes, fmtDate, go, newKey, useLoad } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select } from '../ui.jsx';
import { ROLES, ROLE_LABEL, useTeam } from '../teams.js';

function InviteForm({ projectId, onSent }) {
  const [who, setWho] = useState('');
  const [role, setRole] = useState('editor');
  const [err, setErr] = useState(null);
  const send = async (e) => {
    e.preventDefault(); setErr(null);
    const w = who.trim();
    // an address has an @, a username never does
    const body = w.includes('@') ? { email: w, role } : { username: w, role };
    try {
      await request('POST', `projects/${projectId}/invitations`, body, { idempotencyKey: newKey() });
      setWho(''); announce(`Invitation sent to ${w}.`); onSent();
    } catch (x) { setErr(x); }
  };
  return (
    <form class="quick-add" onSubmit={send} aria-labelledby="invite-h">
      <h3 id="invite-h" class="full">Invite someone</h3>
      <Field label="E-mail or username" error={err && (err.fields.email || err.fields.username)}>
        <input value={who} onInput={(e) => setWho(e.currentTarget.value)} maxLength={320} autocomplete="off" />
      </Field>
      <Field label="Role for the invitation" error={err && err.fields.role}>
        <Select value={role} onChange={setRole} options={ROLES} />
      </Field>
      <button type="submit" disabled={!who.trim()}>Send invitation</button>
      <div class="full"><ErrorBox error={err} /></div>
    </form>
  );
}

function Pending({ projectId }) {
  const inv = useLoad(() => get(`projects/${projectId}/invitations?limit=200`), [projectId]);
  const [err, setErr] = useState(null);
  const revoke = async (i) => {
    setErr(null);
    try { await del(`projects/${projectId}/invitations/${i.id}`); announce(`Invitation to ${i.email || i.username} revoked.`); inv.reload(true); } catch (x) { setErr(x); }
  };
  const items = inv.data ? inv.data.items : [];
  return (
    <section aria-labelledby="pending-h">
      <h3 id="pending-h">Pending invitations</h3>
      <ErrorBox error={err || inv.error} />
      <ul class="plain-list">
        {items.map((i) => (
          <li key={i.id} class="member">
            <span><strong>{i.email || i.username}</strong> <span class="muted">as {ROLE_LABEL[i.role]}, until {fmtDate(i.expires_at)}</span></span>
            <button type="button" class="small secondary" onClick={() => revoke(i)} aria-label={`Revoke the invitation to ${i.email || i.username}`}>Revoke</button>
          </li>
        ))}
        {inv.data && !items.length && <li class="muted">None.</li>}
      </ul>
      <InviteForm projectId={projectId} onSent={() => inv.reload(true)} />
    </section>
  );
}

export function MembersPanel({ project }) {
  const team = useTeam(project.id);
  const [err, setErr] = useState(null);
  const me = session.user;
  const manager = team.at('manager');
  const done = (msg) => { announce(msg); forgetMembers(project.id); team.reload(); };
  const act = async (fn) => { setErr(null); try { await fn(); } catch (x) { setErr(x); } };
  const setRole = (m, role) => act(async () => {
    await patch(`projects/${project.id}/members/${m.user.id}`, { role });
    done(`${userName(m.user)} is now ${ROLE_LABEL[role]}.`);
  });
  const remove = (m) => act(async () => {
    if (!confirm(`Remove ${userName(m.user)} from "${project.name}"? Their tasks here are unassigned.`)) return;
    await del(`projects/${project.id}/members/${m.user.id}`);
    done(`${userName(m.user)} removed.`);
  });
  const leave = () => act(async () => {
    if (!confirm(`Leave "${project.name}"? You will no longer see it.`)) return;
    await del(`projects/${project.id}/members/${me.id}`);
    forgetMembers(project.id); announce(`You left "${project.name}".`); go('/projects');
  });
  const mine = team.items.find((m) => me && m.user.id === me.id);
  return (
    <section aria-labelledby="members-h" class="panel">
      <h2 id="members-h">Members</h2>
      <ErrorBox error={err} />
      {!team.ready ? <Loading what="members" /> : (
        <ul class="plain-list" aria-label="Members">
          {team.items.map((m) => {
            const name = userName(m.user);
            return (
              <li key={m.user.id} class="member" data-user={m.user.username || m.user.id}>
                <span>
                  <strong>{name}</strong>{m.user.id === me?.id && ' (you)'}
                  {m.user.username && m.user.username !== name && <span class="muted"> @{m.user.username}</span>}
                  {m.user.email && <span class="muted"> · {m.user.email}</span>}
                </span>
                {m.owner ? <span class="badge owner">Owner</span>
                  : manager ? (
                    <span class="member-actions">
                      <label class="sr-only" for={`role-${m.user.id}`}>Role of {name}</label>
                      <Select id={`role-${m.user.id}`} value={m.role} onChange={(v) => setRole(m, v)} options={ROLES} />
                      {m.user.id !== me?.id && <button type="button" class="small danger" onClick={() => remove(m)} aria-label={`Remove ${name}`}>Remove</button>}
                    </span>
                  ) : <span class="badge">{ROLE_LABEL[m.role]}</span>}
              </li>
            );
          })}
        </ul>
      )}
      {mine && !mine.owner && <p><button type="button" class="secondary" onClick={leave}>Leave project</button></p>}
      {manager && <Pending projectId={project.id} />}
    </section>
  );
}

// --- my invitations -----------------------------------------------------------
export function InvitationsCount() {
  const n = useLoad(() => get('invitations?limit=1').then((r) => r.total), []);
  return (
    <>Invitations{n.data > 0 && <> <span class="pill" aria-hidden="true">{n.data}</span><span class="sr-only"> ({n.data} pending)</span></>}</>
  );
}

export function Invitations() {
  const inv = useLoad(() => get('invitations?limit=200'), []);
  const [err, setErr] = useState(null);
  const [joined, setJoined] = useState([]);
  const answer = async (i, accept) => {
    setErr(null);
    try {
      await request('POST', `invitations/${i.id}/${accept ? 'accept' : 'decline'}`, {});
      if (accept) setJoined((j) => [...j, i.project]);
      announce(accept ? `You joined "${i.project.name}".` : `Invitation to "${i.project.name}" declined.`);
      changes.notify();   // the count in the menu, the lists
    } catch (x) { setErr(x); inv.reload(true); }
  };
  const items = inv.data ? inv.data.items : [];
  return (
    <section>
      <PageTitle>Invitations</PageTitle>
      <ErrorBox error={err || inv.error} />
      {joined.length > 0 && (
        <ul class="plain-list" aria-label="Projects you joined">
          {joined.map((p) => <li key={p.id}>You joined <a href={`#/projects/${p.id}`}>{p.name}</a>.</li>)}
        </ul>
      )}
      {inv.loading && !inv.data ? <Loading what="invitations" /> : (
        <ul class="cards" aria-label="Invitations for you">
          {items.map((i) => (
            <li key={i.id} class="card invitation">
              <span><strong>{i.project.name}</strong><br />
                <span class="muted">as {ROLE_LABEL[i.role]}, from {userName(i.invited_by)}, until {fmtDate(i.expires_at)}</span></span>
              <span class="actions">
                <button type="button" class="small" onClick={() => answer(i, true)} aria-label={`Accept the invitation to ${i.project.name}`}>Accept</button>
                <button type="button" class="small secondary" onClick={() => answer(i, false)} aria-label={`Decline the invitation to ${i.project.name}`}>Decline</button>
              </span>
            </li>
          ))}
          {inv.data && !items.length && <li class="muted">No invitations for you.</li>}
        </ul>
      )}
    </section>
  );
}
