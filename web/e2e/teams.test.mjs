// Two people sharing a project, each in their own browser context (own
// session cookie): the owner creates a project and invites the other by
// e-mail; they accept on their Invitations page; the owner assigns them a
// task; they find it under My work and comment on it (an edit that races
// another change gets a 412 and a reload); the owner sees the comment and
// the activity; made a viewer, they see no edit controls, and the API
// still refuses their writes. Every step checks the database too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { URL, capture, launchBrowser, sql, sqlOne, watch, writeJSON } from './lib.mjs';

const run = Date.now().toString(36);
const PASSWORD = 'correct horse battery';
const OWNER = { email: `olga-${run}@example.test`, username: `olga${run}`, display_name: 'Olga' };
const MEMBER = { email: `max-${run}@example.test`, username: `max${run}`, display_name: 'Max' };
const STRANGER = `nobody-${run}@example.test`;
const TASK = 'Prepare the demo';
let browser; let o; let m;    // the owner's and the member's page
let pid; let tid;
const problems = [];
const a11y = [];
const heading = (p, name) => p.getByRole('heading', { level: 1, name });
const toast = (p, text) => p.locator('.toast', { hasText: text });
const nav = (p, name) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
const api = async (method, path, token, body, headers = {}) => {
  const r = await fetch(`${URL}/api/v1/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};
const token = async (who) => (await api('POST', 'auth/login', null, { email: who.email, password: PASSWORD })).body.access_token;

async function signIn(who) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = watch(await ctx.newPage(), problems);
  page.on('dialog', (d) => d.accept());
  await page.goto(`${URL}/`);
  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Tasks').waitFor();
  return page;
}

describe('teams: two people share a project', { concurrency: false }, () => {
  before(async () => {
    for (const u of [OWNER, MEMBER]) {
      const r = await api('POST', 'auth/register', null, { ...u, password: PASSWORD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      u.id = r.body.id || sqlOne('SELECT id FROM users WHERE lower(email) = lower($1)', u.email);
    }
    browser = await launchBrowser();
    o = await signIn(OWNER);
    m = await signIn(MEMBER);
  });
  after(async () => {
    writeJSON('teams-a11y.json', a11y);
    await browser?.close();
  });

  test('the owner creates a project: marked owner in Members; invites by e-mail; revokes another invitation', async () => {
    await nav(o, 'Projects').click();
    await o.getByLabel('New project name').fill('Shared');
    await o.getByRole('button', { name: 'Create project' }).click();
    await heading(o, 'Shared').waitFor();
    pid = sqlOne('SELECT id FROM projects WHERE owner_id = $1 AND name = $2', OWNER.id, 'Shared');
    const panel = o.getByRole('region', { name: 'Members' });
    await panel.locator('.member', { hasText: 'Olga' }).locator('.badge.owner').waitFor();
    for (const [who, role] of [[MEMBER.email, 'editor'], [STRANGER, 'viewer']]) {
      await o.getByLabel('E-mail or username').fill(who);
      await o.getByLabel('Role for the invitation').selectOption(role);
      await o.getByRole('button', { name: 'Send invitation' }).click();
      await toast(o, `Invitation sent to ${who}.`).waitFor();
      await o.getByRole('button', { name: `Revoke the invitation to ${who}` }).waitFor();
    }
    assert.deepEqual(sql('SELECT email, role FROM invitations WHERE project_id = $1 ORDER BY email', pid),
      [[MEMBER.email, 'editor'], [STRANGER, 'viewer']]);
    await o.getByRole('button', { name: `Revoke the invitation to ${STRANGER}` }).click();
    await toast(o, `Invitation to ${STRANGER} revoked.`).waitFor();
    assert.equal(sqlOne('SELECT count(*) FROM invitations WHERE project_id = $1', pid), '1');
    a11y.push(...await capture(o, 'teams-project-owner'));
  });

  test('the invited person sees a count, accepts on the Invitations page, and the project is in their list', async () => {
    await m.reload();
    await heading(m, 'Tasks').waitFor();
    const link = nav(m, /^Invitations/);
    await m.waitForFunction(() => /Invitations.*1/.test(document.querySelector('nav a[href="#/invitations"]')?.textContent || ''));
    assert.match(await link.innerText(), /1/);
    await link.click();
    await heading(m, 'Invitations').waitFor();
    await m.getByText('from Olga').waitFor();
    a11y.push(...await capture(m, 'teams-invitations'));
    await m.getByRole('button', { name: 'Accept the invitation to Shared' }).click();
    await toast(m, 'You joined "Shared".').waitFor();
    assert.equal(sqlOne('SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2', pid, MEMBER.id), 'editor');
    assert.equal(sqlOne('SELECT count(*) FROM invitations WHERE project_id = $1', pid), '0');
    await m.getByText('No invitations for you.').waitFor();
    await nav(m, 'Projects').click();
    await m.getByRole('link', { name: 'Shared' }).first().waitFor();
  });

  test('inviting a member again is refused with the problem shown', async () => {
    await o.reload();
    await heading(o, 'Shared').waitFor();
    await o.locator('.member', { hasText: 'Max' }).waitFor();
    await o.getByLabel('E-mail or username').fill(MEMBER.username);
    await o.getByRole('button', { name: 'Send invitation' }).click();
    const err = o.locator('form .error[role=alert]');
    await err.waitFor();
    assert.match(await err.innerText(), /member/i);
    assert.equal(sqlOne('SELECT count(*) FROM invitations WHERE project_id = $1', pid), '0');
  });

  test('the owner assigns a task to the member', async () => {
    await o.goto(`${URL}/#/tasks?project_id=${pid}`);
    await heading(o, 'Tasks').waitFor();
    await o.getByLabel('New task').fill(TASK);
    await o.getByRole('button', { name: 'Add task' }).click();
    await o.locator('.task-title', { hasText: TASK }).click();
    await heading(o, TASK).waitFor();
    tid = sqlOne('SELECT id FROM tasks WHERE project_id = $1 AND title = $2', pid, TASK);
    const sel = o.getByLabel('Assignee');
    await o.waitForFunction(() => [...document.querySelectorAll('option')].some((x) => x.textContent === 'Max'));
    await sel.selectOption({ label: 'Max' });
    await o.getByRole('button', { name: 'Save', exact: true }).click();
    await toast(o, 'Task saved.').waitFor();
    assert.equal(sqlOne('SELECT assignee_id FROM tasks WHERE id = $1', tid), MEMBER.id);
  });

  test('the member finds it under My work and comments; an edit racing another change gets 412', async () => {
    await nav(m, 'My work').click();
    await heading(m, 'My work').waitFor();
    await m.locator('.task-title', { hasText: TASK }).click();
    await heading(m, TASK).waitFor();
    await m.getByLabel('New comment').fill('On it.\nDemo on Friday.');
    await m.getByRole('button', { name: 'Add comment' }).click();
    const mine = m.locator('.comment', { hasText: 'On it.' });
    await mine.waitFor();
    const cid = sqlOne('SELECT id FROM comments WHERE task_id = $1 AND author_id = $2', tid, MEMBER.id);
    assert.ok(cid);
    // the comment changes elsewhere while the editor is open
    await mine.getByRole('button', { name: 'Edit comment' }).click();
    await m.getByLabel('Edit your comment').fill('On it. Demo on Thursday.');
    const t = await token(MEMBER);
    assert.equal((await api('PATCH', `comments/${cid}`, t, { body: 'On it (from the phone).' }, { 'If-Match': '"1"' })).status, 200);
    await m.getByRole('button', { name: 'Update comment' }).click();
    await m.locator('.comment .error', { hasText: 'changed meanwhile' }).waitFor();
    await m.locator('.comment-body', { hasText: 'from the phone' }).waitFor();
    assert.equal(sqlOne('SELECT body FROM comments WHERE id = $1', cid), 'On it (from the phone).');
    await m.getByRole('button', { name: 'Update comment' }).click();
    await m.locator('.comment-body', { hasText: 'Demo on Thursday' }).waitFor();
    assert.deepEqual(sql('SELECT body, version FROM comments WHERE id = $1', cid)[0], ['On it. Demo on Thursday.', '3']);
    a11y.push(...await capture(m, 'teams-task-member'));
  });

  test('the owner sees the comment and the activity of the task and the project', async () => {
    await o.reload();
    await heading(o, TASK).waitFor();
    await o.locator('.comment', { hasText: 'Demo on Thursday' }).locator('strong', { hasText: 'Max' }).waitFor();
    const act = o.getByRole('region', { name: 'Activity' });
    await act.locator('.entry', { hasText: 'commented on task' }).first().waitFor();
    const assigned = act.locator('.entry', { hasText: 'changed the assignee of task' });
    await assigned.waitFor();
    assert.match(await assigned.innerText(), /Olga changed the assignee of task \W*Prepare the demo\W*Assignee: — → Max/);
    assert.ok(await act.locator('.entry', { hasText: 'Max edited a comment on task' }).count() >= 2);
    await o.goto(`${URL}/#/projects/${pid}`);
    await heading(o, 'Shared').waitFor();
    const pact = o.getByRole('region', { name: 'Activity' });
    await pact.locator('.entry', { hasText: 'Max joined the project' }).waitFor();
    assert.match(await pact.innerText(), /Role: — → Editor/);
    assert.equal(sqlOne("SELECT count(*) FROM activity WHERE project_id = $1 AND action = 'member_added'", pid), '2');
  });

  test('made a viewer, the member sees no edit controls, and the API still refuses', async () => {
    await o.getByLabel('Role of Max').selectOption('viewer');
    await toast(o, 'Max is now Viewer.').waitFor();
    assert.equal(sqlOne('SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2', pid, MEMBER.id), 'viewer');
    await m.reload();
    await heading(m, TASK).waitFor();
    await m.getByText('changing it needs the editor role').waitFor();
    await m.getByText('Commenting needs the editor role').waitFor();
    for (const name of ['Save', 'Delete task', 'Add comment', 'Start']) {
      assert.equal(await m.getByRole('button', { name, exact: true }).count(), 0, `no ${name} button`);
    }
    assert.equal(await m.getByLabel('Title', { exact: true }).isDisabled(), true);
    assert.equal(await m.getByLabel('Assignee').isDisabled(), true);
    a11y.push(...await capture(m, 'teams-task-viewer'));
    await m.goto(`${URL}/#/projects/${pid}`);
    await heading(m, 'Shared').waitFor();
    await m.getByRole('button', { name: 'Leave project' }).waitFor();
    for (const name of ['Send invitation', 'Create sprint', 'Save project', 'Delete project']) {
      assert.equal(await m.getByRole('button', { name }).count(), 0, `no ${name} button`);
    }
    assert.equal(await m.getByLabel('Role of Olga').count(), 0);
    a11y.push(...await capture(m, 'teams-project-viewer'));
    // what the screen hides, the API refuses
    const t = await token(MEMBER);
    const before = sql('SELECT title, version FROM tasks WHERE id = $1', tid)[0];
    assert.equal((await api('PATCH', `tasks/${tid}`, t, { title: 'hijacked' })).status, 403);
    assert.equal((await api('POST', `tasks/${tid}/comments`, t, { body: 'still here' })).status, 403);
    assert.equal((await api('POST', `projects/${pid}/invitations`, t, { email: STRANGER, role: 'viewer' })).status, 403);
    assert.deepEqual(sql('SELECT title, version FROM tasks WHERE id = $1', tid)[0], before);
    assert.equal(sqlOne('SELECT count(*) FROM comments WHERE task_id = $1', tid), '1');
    assert.equal(sqlOne('SELECT count(*) FROM invitations WHERE project_id = $1', pid), '0');
  });

  test('no CSP violation or script error; no serious/critical axe violation', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(a11y, []);
  });
});
