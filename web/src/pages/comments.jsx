// A task's comments, oldest first: add (editors, or the owner of a
// personal task), edit your own (If-Match with the version it was shown
// at; a 412 reloads and says so), delete your own or, as a manager of the
// project, anyone's.
import { useState } from 'preact/hooks';
import { del, get, qs, request, session, userName } from '../api.js';
import { announce, newKey, useLoad } from '../util.js';
import { ErrorBox, Field, Loading } from '../ui.jsx';
import { useTeam } from '../teams.js';

const PAGE = 50;
const when = (s) => new Date(s).toLocaleString();

function Comment({ c, mine, canDelete, onChanged }) {
  const [text, setText] = useState(null);   // null: not editing
  const [from, setFrom] = useState(0);      // the version the edit started from
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const name = userName(c.author);
  const save = async (e) => {
    e.preventDefault(); setErr(null); setBusy(true);
    try {
      await request('PATCH', `comments/${c.id}`, { body: text }, { ifMatch: from });
      setText(null); announce('Comment updated.'); onChanged();
    } catch (x) {
      if (x.status === 412) {
        setErr(Object.assign(x, { message: 'This comment was changed meanwhile. It is reloaded above; your text is still here: update again to replace it.' }));
        // the next update replaces the version now shown, knowingly
        await get(`comments/${c.id}`).then((n) => setFrom(n.version), () => {});
        onChanged();
      } else setErr(x);
    } finally { setBusy(false); }
  };
  const remove = async () => {
    if (!confirm(`Delete this comment by ${name}?`)) return;
    setErr(null);
    try { await del(`comments/${c.id}`); announce('Comment deleted.'); onChanged(); } catch (x) { setErr(x); }
  };
  return (
    <li class="comment" data-id={c.id}>
      <p class="comment-head"><strong>{name}</strong> <time class="muted" datetime={c.created_at}>{when(c.created_at)}</time>
        {c.edited && <span class="muted"> (edited)</span>}</p>
      <p class="prewrap comment-body">{c.body}</p>
      {text !== null ? (
        <form onSubmit={save}>
          <Field label="Edit your comment" error={err && err.fields.body}>
            <textarea rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={10000} required />
          </Field>
          <ErrorBox error={err} />
          <div class="actions">
            <button type="submit" class="small" disabled={busy || !text.trim()}>Update comment</button>
            <button type="button" class="small secondary" onClick={() => { setText(null); setErr(null); }}>Cancel</button>
          </div>
        </form>
      ) : (
        <>
          <ErrorBox error={err} />
          {(mine || canDelete) && (
            <div class="actions">
              {mine && <button type="button" class="small secondary" onClick={() => { setText(c.body); setFrom(c.version); }}>Edit comment</button>}
              <button type="button" class="small danger" onClick={remove}>Delete comment</button>
            </div>
          )}
        </>
      )}
    </li>
  );
}

export function CommentsPanel({ task }) {
  const team = useTeam(task.project_id);
  const [n, setN] = useState(PAGE);   // how many are shown: a reload keeps them
  const list = useLoad(() => get(`tasks/${task.id}/comments${qs({ limit: Math.min(200, n) })}`), [task.id, n]);
  const [body, setBody] = useState('');
  const [err, setErr] = useState(null);
  const me = session.user;
  const add = async (e) => {
    e.preventDefault(); setErr(null);
    try {
      await request('POST', `tasks/${task.id}/comments`, { body }, { idempotencyKey: newKey() });
      setBody(''); announce('Comment added.'); list.reload(true);
    } catch (x) { setErr(x); }
  };
  const items = list.data ? list.data.items : [];
  // a manager of the project deletes anyone's; on a personal task only the author
  const manager = task.project_id && team.at('manager');
  return (
    <section aria-labelledby="comments-h" class="panel">
      <h2 id="comments-h">Comments{list.data ? ` (${list.data.total})` : ''}</h2>
      <ErrorBox error={list.error} />
      {list.loading && !list.data ? <Loading what="comments" /> : (
        <ol class="plain-list comments" aria-label="Comments, oldest first">
          {items.map((c) => <Comment key={c.id} c={c} mine={!!me && me.role !== 'readonly' && !!c.author && c.author.id === me.id}
            canDelete={manager} onChanged={() => list.reload(true)} />)}
          {!items.length && <li class="muted">No comments yet.</li>}
        </ol>
      )}
      {list.data && list.data.total > items.length && n < 200 && (
        <button type="button" class="secondary" onClick={() => setN(n + PAGE)}>Show more comments</button>
      )}
      {team.at('editor') ? (
        <form onSubmit={add}>
          <Field label="New comment" error={err && err.fields.body}>
            <textarea rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} maxLength={10000} />
          </Field>
          <ErrorBox error={err} />
          <button type="submit" disabled={!body.trim()}>Add comment</button>
        </form>
      ) : team.ready && <p class="muted">Commenting needs the editor role in this project.</p>}
    </section>
  );
}
