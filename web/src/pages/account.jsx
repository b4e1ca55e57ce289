// Sign in, register, profile, and the admin page.
import { useState } from 'preact/hooks';
import { get, login, patch, qs, register, session, setUser } from '../api.js';
import { announce, go, useLoad } from '../util.js';
import { ErrorBox, Field, Loading, PageTitle, Select } from '../ui.jsx';

export function SignIn({ note }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault(); setErr(null); setBusy(true);
    try { await login(email.trim(), password); go('/tasks'); } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return (
    <section class="narrow-page">
      <PageTitle>Sign in</PageTitle>
      {note && <p role="status">{note}</p>}
      <form class="stack" onSubmit={submit}>
        <ErrorBox error={err} />
        <Field label="Email" error={err && err.fields.email}><input type="email" autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required /></Field>
        <Field label="Password" error={err && err.fields.password}><input type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></Field>
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <p>New here? <a href="#/register">Create an account</a></p>
    </section>
  );
}

export function Register() {
  const [f, setF] = useState({ email: '', password: '', username: '', display_name: '' });
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => { const v = e.currentTarget.value; setF((o) => ({ ...o, [k]: v })); };
  const submit = async (e) => {
    e.preventDefault(); setErr(null); setBusy(true);
    const body = { email: f.email.trim(), password: f.password };
    if (f.username.trim()) body.username = f.username.trim();
    if (f.display_name.trim()) body.display_name = f.display_name.trim();
    try {
      await register(body);
      await login(body.email, body.password);
      announce('Account created; you are signed in.');
      go('/tasks');
    } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return (
    <section class="narrow-page">
      <PageTitle>Create an account</PageTitle>
      <form class="stack" onSubmit={submit}>
        <ErrorBox error={err} />
        <Field label="Email" error={err && err.fields.email}><input type="email" autocomplete="email" value={f.email} onInput={set('email')} required /></Field>
        <Field label="Password" hint="At least 8 characters" error={err && err.fields.password}><input type="password" autocomplete="new-password" value={f.password} onInput={set('password')} required minLength={8} /></Field>
        <Field label="Username (optional)" error={err && err.fields.username}><input autocomplete="nickname" value={f.username} onInput={set('username')} /></Field>
        <Field label="Display name (optional)" error={err && err.fields.display_name}><input autocomplete="name" value={f.display_name} onInput={set('display_name')} /></Field>
        <button type="submit" disabled={busy}>Create account</button>
      </form>
      <p>Have an account? <a href="#/signin">Sign in</a></p>
    </section>
  );
}

export function Profile() {
  const u = session.user || {};
  const [name, setName] = useState(u.display_name || '');
  const [nErr, setNErr] = useState(null);
  const [pw, setPw] = useState({ current_password: '', password: '' });
  const [pErr, setPErr] = useState(null);
  const saveName = async (e) => {
    e.preventDefault(); setNErr(null);
    try { setUser(await patch('users/me', { display_name: name.trim() })); announce('Display name saved.'); } catch (x) { setNErr(x); }
  };
  const savePw = async (e) => {
    e.preventDefault(); setPErr(null);
    try { await patch('users/me', pw); setPw({ current_password: '', password: '' }); announce('Password changed; your other sessions were signed out.'); } catch (x) { setPErr(x); }
  };
  return (
    <section class="narrow-page">
      <PageTitle>Profile</PageTitle>
      <dl class="facts"><dt>Email</dt><dd>{u.email}</dd><dt>Username</dt><dd>{u.username || '—'}</dd><dt>Role</dt><dd>{u.role}</dd></dl>
      <form class="stack" onSubmit={saveName} aria-labelledby="dn-h">
        <h2 id="dn-h">Display name</h2>
        <ErrorBox error={nErr} />
        <Field label="Display name" error={nErr && nErr.fields.display_name}><input autocomplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></Field>
        <button type="submit">Save name</button>
      </form>
      <form class="stack" onSubmit={savePw} aria-labelledby="pw-h">
        <h2 id="pw-h">Password</h2>
        <ErrorBox error={pErr} />
        <input type="text" autocomplete="username" value={u.email || ''} hidden readOnly aria-hidden="true" />
        <Field label="Current password" error={pErr && pErr.fields.current_password}><input type="password" autocomplete="current-password" value={pw.current_password} onInput={(e) => { const v = e.currentTarget.value; setPw((o) => ({ ...o, current_password: v })); }} required /></Field>
        <Field label="New password" hint="At least 8 characters" error={pErr && pErr.fields.password}><input type="password" autocomplete="new-password" value={pw.password} onInput={(e) => { const v = e.currentTarget.value; setPw((o) => ({ ...o, password: v })); }} required minLength={8} /></Field>
        <button type="submit">Change password</button>
      </form>
    </section>
  );
}

const ROLES = [['user', 'User'], ['readonly', 'Read-only'], ['admin', 'Admin']];

function UserRow({ u, onSaved }) {
  const [err, setErr] = useState(null);
  const me = session.user && session.user.id === u.id;
  const save = async (fields) => {
    setErr(null);
    try { onSaved(await patch(`admin/users/${u.id}`, fields)); announce(`${u.email} updated.`); } catch (x) { setErr(x); announce(x.message, 'alert'); }
  };
  return (
    <tr>
      <th scope="row">{u.email}{u.display_name ? <span class="muted"> ({u.display_name})</span> : null}</th>
      <td><Select value={u.role} aria-label={`Role of ${u.email}`} disabled={me} onChange={(v) => save({ role: v })} options={ROLES} /></td>
      <td><input type="checkbox" checked={u.disabled} disabled={me} aria-label={`Disabled: ${u.email}`} onChange={() => save({ disabled: !u.disabled })} />
        {err && <span class="field-error">{err.message}</span>}</td>
    </tr>
  );
}

export function Admin() {
  const [extra, setExtra] = useState([]);
  const list = useLoad(() => get(`admin/users${qs({ limit: 100 })}`), []);
  if (!session.user || session.user.role !== 'admin') return <section><PageTitle>Administration</PageTitle><p>Only administrators can see this page.</p></section>;
  if (list.error) return <section><PageTitle>Administration</PageTitle><ErrorBox error={list.error} /></section>;
  if (!list.data) return <Loading what="users" />;
  const rows = [...list.data.items, ...extra];
  const next = extra.next === undefined ? list.data.next_cursor : extra.next;
  const more = async () => {
    const r = await get(`admin/users${qs({ limit: 100, cursor: next })}`);
    const n = [...extra, ...r.items]; n.next = r.next_cursor; setExtra(n);
  };
  const replace = (u) => {
    list.set({ ...list.data, items: list.data.items.map((x) => (x.id === u.id ? u : x)) });
    const n = extra.map((x) => (x.id === u.id ? u : x)); n.next = extra.next; setExtra(n);
  };
  return (
    <section>
      <PageTitle>Administration</PageTitle>
      <div class="table-wrap">
        <table class="users">
          <caption>Users ({list.data.total})</caption>
          <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Disabled</th></tr></thead>
          <tbody>{rows.map((u) => <UserRow key={u.id} u={u} onSaved={replace} />)}</tbody>
        </table>
      </div>
      {next && <button type="button" onClick={more}>Load more</button>}
    </section>
  );
}
