// The person's path through the app, in one browser, against the real
// stack: register -> sign in -> project, sprint, tasks -> board -> the same
// task edited in two tabs (412) -> search -> complete -> lists, profile,
// admin -> sign out. Each step checks the screen and the database; every
// page is photographed at 375 and 1440 px and checked with axe-core.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { URL, capture, launch, sql, sqlOne, watch, writeJSON } from './lib.mjs';

const run = Date.now().toString(36);
const EMAIL = `ada-${run}@example.test`;
const PASSWORD = 'correct horse battery';
const XSS = '<img src=x onerror="window.__xss=1">';
let ctx; let page; let uid;
const problems = [];       // CSP violations, page errors
const a11y = [];           // serious/critical axe violations
const heading = (p, name) => p.getByRole('heading', { level: 1, name });
const toast = (p, text) => p.locator('.toast', { hasText: text });
// poll until fn() returns want (5 s at most), then assert it
async function eventually(fn, want) {
  let got;
  for (let i = 0; i < 50; i++) {
    got = fn();
    if (got === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got, want);
}
const nav = (p, name) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('web app scenario', { concurrency: false }, () => {
  before(async () => {
    ctx = await launch();
    page = watch(ctx.pages()[0] || await ctx.newPage(), problems);
  });
  after(async () => {
    writeJSON('a11y.json', a11y);
    await ctx?.close();
  });

  test('sign-in page; a wrong password is a readable error', async () => {
    await page.goto(`${URL}/`);
    await heading(page, 'Sign in').waitFor();
    a11y.push(...await capture(page, 'signin'));
    await page.getByLabel('Email').fill('nobody@example.test');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error[role=alert]').waitFor();
    assert.match(await page.locator('.error[role=alert]').innerText(), /invalid credentials/i);
  });

  test('register: the account is in the database and the person is signed in', async () => {
    await page.getByRole('link', { name: 'Create an account' }).click();
    await heading(page, 'Create an account').waitFor();
    a11y.push(...await capture(page, 'register'));
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Username (optional)').fill(`ada${run}`);
    await page.getByLabel('Display name (optional)').fill('Ada');
    await page.getByRole('button', { name: 'Create account' }).click();
    await heading(page, 'Tasks').waitFor();
    const row = sql('SELECT id, username, display_name, role FROM users WHERE lower(email) = lower($1)', EMAIL)[0];
    assert.ok(row, 'user row');
    [uid] = row;
    assert.deepEqual(row.slice(1), [`ada${run}`, 'Ada', 'user']);
    assert.equal(await page.locator('.who').innerText().then((t) => t.includes('Ada')), true);
  });

  test('sign out, then sign in: the session is only the HttpOnly cookie', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in').waitFor();
    await page.getByText('You are signed out.').waitFor();
    assert.equal(sqlOne('SELECT count(*) FROM refresh_sessions WHERE user_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()', uid), '0');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Tasks').waitFor();
    const c = (await ctx.cookies()).find((k) => k.name === 'taskman_refresh');
    assert.ok(c, 'refresh cookie');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.path, '/api/v1/auth');
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0, 'nothing in storage or script-visible cookies');
    assert.equal(sqlOne('SELECT count(*) FROM refresh_sessions WHERE user_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()', uid), '1');
    // A reload keeps the person signed in (silent refresh from the cookie).
    await page.reload();
    await heading(page, 'Tasks').waitFor();
  });

  test('a 401 from the API is answered by a silent refresh and a retry', async () => {
    let once = true;
    await page.route('**/api/v1/tasks?*', (route) => {
      if (once) {
        once = false;
        return route.fulfill({ status: 401, contentType: 'application/problem+json', body: '{"type":"https://taskman.dev/problems/unauthorized","title":"Unauthorized","status":401,"detail":"token expired"}' });
      }
      return route.continue();
    });
    const refreshed = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/refresh') && r.method() === 'POST');
    await page.getByLabel('Sort').selectOption('title');
    await refreshed;
    await page.getByText('0 tasks').waitFor();
    assert.equal(once, false);
    await page.unroute('**/api/v1/tasks?*');
    assert.equal(await page.locator('.error[role=alert]').count(), 0, 'no error shown');
  });

  test('create a project and a sprint; a 422 names the field', async () => {
    await nav(page, 'Projects').click();
    await heading(page, 'Projects').waitFor();
    await page.getByLabel('New project name').fill('Launch');
    await page.getByRole('button', { name: 'Create project' }).click();
    await heading(page, 'Launch').waitFor();
    assert.equal(sqlOne('SELECT count(*) FROM projects WHERE owner_id = $1 AND name = $2', uid, 'Launch'), '1');
    // end before start: the server's 422 is shown naming the field
    await page.getByLabel('Sprint name').fill('Sprint 1');
    await page.getByLabel('Sprint start').fill('2026-12-10');
    await page.getByLabel('Sprint end').fill('2026-12-01');
    await page.getByRole('button', { name: 'Create sprint' }).click();
    const err = page.locator('form .error[role=alert]');
    await err.waitFor();
    assert.match(await err.innerText(), /end.date/i);
    assert.equal(await page.getByLabel('Sprint end').getAttribute('aria-invalid'), 'true');
    assert.equal(sqlOne('SELECT count(*) FROM sprints WHERE owner_id = $1', uid), '0');
    const today = new Date().toISOString().slice(0, 10);
    const end = new Date(Date.now() + 13 * 864e5).toISOString().slice(0, 10);
    await page.getByLabel('Sprint start').fill(today);
    await page.getByLabel('Sprint end').fill(end);
    await page.getByRole('button', { name: 'Create sprint' }).click();
    await page.getByRole('link', { name: 'Sprint 1' }).waitFor();
    assert.equal(sqlOne('SELECT count(*) FROM sprints s JOIN projects p ON p.id = s.project_id WHERE s.owner_id = $1 AND p.name = $2 AND s.name = $3', uid, 'Launch', 'Sprint 1'), '1');
    a11y.push(...await capture(page, 'project'));
    await nav(page, 'Projects').click();
    await page.getByRole('link', { name: 'Launch' }).first().waitFor();
    a11y.push(...await capture(page, 'projects'));
  });

  test('add tasks to the sprint; the burndown is drawn; user text is text', async () => {
    await page.getByRole('link', { name: 'Launch' }).first().click();
    await page.getByRole('link', { name: 'Sprint 1' }).click();
    await heading(page, 'Sprint 1').waitFor();
    for (const [t, pts] of [['Write the release notes', '3'], ['Fix login bug', '5'], [XSS, '2']]) {
      await page.getByLabel('New sprint task').fill(t);
      await page.getByLabel('Points', { exact: true }).fill(pts);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.locator('.task-title', { hasText: t }).waitFor();
    }
    const rows = sql('SELECT t.title, t.estimate_points, t.status FROM tasks t JOIN sprints s ON s.id = t.sprint_id WHERE t.owner_id = $1 AND s.name = $2 ORDER BY t.title', uid, 'Sprint 1');
    assert.deepEqual(rows, [[XSS, '2', 'new'], ['Fix login bug', '5', 'new'], ['Write the release notes', '3', 'new']]);
    const chart = page.locator('figure.burndown svg[role=img]');
    await page.waitForFunction(() => /10 points/.test(document.querySelector('figure.burndown svg')?.getAttribute('aria-label') || ''));
    assert.match(await chart.getAttribute('aria-label'), /10 of 10 points remain/);
    assert.equal(await page.locator('figure.burndown line.ideal').count(), 1);
    assert.equal(await page.locator('figure.burndown polyline.actual').count(), 1);
    // the markup-looking title is shown as typed, and nothing ran
    assert.equal(await page.locator('.task-title', { hasText: 'onerror' }).innerText(), XSS);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    a11y.push(...await capture(page, 'sprint'));
  });

  test('board: drag a task to an allowed column; a forbidden drop changes nothing', async () => {
    await page.getByRole('link', { name: '← Project' }).click();
    await page.getByRole('link', { name: 'Open board' }).click();
    await heading(page, 'Board: Launch').waitFor();
    const col = (s) => page.locator(`section.column[data-status="${s}"]`);
    assert.equal(await col('new').locator('.board-card').count(), 3);
    await page.dragAndDrop('.board-card:has-text("Fix login bug")', 'section.column[data-status="in_progress"]');
    await col('in_progress').locator('.board-card', { hasText: 'Fix login bug' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('.board-card[data-id] button:disabled'));
    await toast(page, 'is now In progress').waitFor();
    assert.equal(sqlOne('SELECT status FROM tasks WHERE owner_id = $1 AND title = $2', uid, 'Fix login bug'), 'in_progress');
    // new -> review is not in the transition table
    await page.dragAndDrop('.board-card:has-text("Write the release notes")', 'section.column[data-status="review"]');
    await page.waitForTimeout(300);
    assert.equal(await col('review').locator('.board-card').count(), 0);
    assert.equal(await col('new').locator('.board-card', { hasText: 'Write the release notes' }).count(), 1);
    assert.equal(sqlOne('SELECT status FROM tasks WHERE owner_id = $1 AND title = $2', uid, 'Write the release notes'), 'new');
    // the card's buttons offer only the allowed moves
    const card = col('in_progress').locator('.board-card', { hasText: 'Fix login bug' });
    assert.deepEqual(await card.locator('button').allInnerTexts(), ['Block', 'Review', 'Done', 'Drop']);
    a11y.push(...await capture(page, 'board'));
  });

  test('the same task edited in two tabs: 412, see what changed, keep mine / take theirs', async () => {
    const id = sqlOne('SELECT id FROM tasks WHERE owner_id = $1 AND title = $2', uid, 'Write the release notes');
    const a = page;
    const b = watch(await ctx.newPage(), problems);
    await a.goto(`${URL}/#/tasks/${id}`);
    await b.goto(`${URL}/#/tasks/${id}`);
    await heading(a, 'Write the release notes').waitFor();
    await heading(b, 'Write the release notes').waitFor();
    // Both edit version 1 (a form being edited is never replaced by the
    // background refresh, so the order below is deterministic); A saves first.
    await b.getByLabel('Title', { exact: true }).fill('Release notes (B)');
    await a.getByLabel('Title', { exact: true }).fill('Write the release notes v2');
    await a.getByRole('button', { name: 'Save' }).click();
    await heading(a, 'Write the release notes v2').waitFor();
    assert.deepEqual(sql('SELECT title, version FROM tasks WHERE id = $1', id)[0], ['Write the release notes v2', '2']);
    // tab B still has version 1: its save is refused and the difference shown
    await b.getByRole('button', { name: 'Save' }).click();
    const box = b.locator('.conflict');
    await box.waitFor();
    assert.deepEqual(await box.locator('tr[data-field="title"] td').allInnerTexts(), ['Release notes (B)', 'Write the release notes v2']);
    assert.deepEqual(sql('SELECT title, version FROM tasks WHERE id = $1', id)[0], ['Write the release notes v2', '2'], 'no silent overwrite');
    a11y.push(...await capture(b, 'task-conflict'));
    // tab A, at version 2, starts changing the description meanwhile
    await a.getByLabel('Description').fill('Notes from A');
    await b.getByRole('button', { name: 'Keep mine' }).click();
    await heading(b, 'Release notes (B)').waitFor();
    assert.equal(await box.count(), 0);
    assert.deepEqual(sql('SELECT title, version FROM tasks WHERE id = $1', id)[0], ['Release notes (B)', '3']);
    // A's save is refused in turn; A takes theirs
    await a.getByRole('button', { name: 'Save' }).click();
    await a.locator('.conflict').waitFor();
    assert.deepEqual(await a.locator('.conflict tr[data-field="title"] td').allInnerTexts(), ['Write the release notes v2', 'Release notes (B)']);
    await a.getByRole('button', { name: 'Take theirs' }).click();
    await heading(a, 'Release notes (B)').waitFor();
    assert.equal(await a.getByLabel('Title', { exact: true }).inputValue(), 'Release notes (B)');
    assert.equal(await a.getByLabel('Description').inputValue(), '');
    assert.deepEqual(sql("SELECT title, coalesce(description, ''), version FROM tasks WHERE id = $1", id)[0], ['Release notes (B)', '', '3']);
    a11y.push(...await capture(a, 'task'));
    await b.close();
  });

  test('search, then complete with the keyboard (/, j, x)', async () => {
    await nav(page, 'Tasks').click();
    await heading(page, 'Tasks').waitFor();
    await page.locator('.task-title').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.type), 'search');
    await page.keyboard.type('login');
    await page.keyboard.press('Enter');
    await page.getByText('1 task matching "login"').waitFor();
    assert.deepEqual(await page.locator('.task-title').allInnerTexts(), ['Fix login bug']);
    assert.equal(sqlOne("SELECT count(*) FROM tasks WHERE owner_id = $1 AND title ILIKE '%login%'", uid), '1');
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await toast(page, '"Fix login bug" completed').waitFor();
    assert.equal(await page.locator('.task-row input[type=checkbox]').first().isChecked(), true);
    assert.deepEqual(sql('SELECT status, completed_at IS NOT NULL FROM tasks WHERE owner_id = $1 AND title = $2', uid, 'Fix login bug')[0], ['done', 't']);
    // n focuses quick-add; Enter adds
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('n');
    await page.keyboard.type('Buy milk');
    await page.keyboard.press('Enter');
    await toast(page, 'Task "Buy milk" added.').waitFor();
    assert.equal(sqlOne('SELECT status FROM tasks WHERE owner_id = $1 AND title = $2', uid, 'Buy milk'), 'new');
    a11y.push(...await capture(page, 'tasks'));
  });

  test('action list: add items and reorder them', async () => {
    await nav(page, 'Lists').click();
    await page.getByLabel('New list title').fill('Release checklist');
    await page.getByRole('button', { name: 'Create list' }).click();
    await heading(page, 'Release checklist').waitFor();
    for (const t of ['tag the release', 'publish notes', 'tell everyone']) {
      await page.getByLabel('New item').fill(t);
      await page.getByRole('button', { name: 'Add item' }).click();
      await page.locator('.item-text', { hasText: t }).waitFor();
    }
    await page.getByRole('button', { name: 'Move down: tag the release' }).click();
    await toast(page, '"tag the release" moved to position 2 of 3.').waitFor();
    assert.deepEqual(await page.locator('.item-text').allInnerTexts(), ['publish notes', 'tag the release', 'tell everyone']);
    await page.getByLabel('Done: tell everyone').check();
    await toast(page, '"tell everyone" done.').waitFor();
    const items = JSON.parse(sqlOne("SELECT items::text FROM action_lists WHERE owner_id = $1 AND title = 'Release checklist'", uid));
    assert.deepEqual(items.map((i) => [i.text, i.done]), [['publish notes', false], ['tag the release', false], ['tell everyone', true]]);
    a11y.push(...await capture(page, 'list'));
    await page.getByRole('link', { name: '← All lists' }).click();
    await page.getByRole('link', { name: 'Release checklist' }).waitFor();
    a11y.push(...await capture(page, 'lists'));
  });

  test('profile: display name and password', async () => {
    await nav(page, 'Profile').click();
    await heading(page, 'Profile').waitFor();
    await page.getByRole('textbox', { name: 'Display name' }).fill('Ada L.');
    await page.getByRole('button', { name: 'Save name' }).click();
    await toast(page, 'Display name saved.').waitFor();
    assert.equal(sqlOne('SELECT display_name FROM users WHERE id = $1', uid), 'Ada L.');
    await page.locator('.who', { hasText: 'Ada L.' }).waitFor();
    // a wrong current password is refused with a readable message
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('another long password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('form .error[role=alert]').waitFor();
    const hash = sqlOne('SELECT password_hash FROM users WHERE id = $1', uid);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await toast(page, 'Password changed').waitFor();
    assert.notEqual(sqlOne('SELECT password_hash FROM users WHERE id = $1', uid), hash);
    a11y.push(...await capture(page, 'profile'));
  });

  test('admin page: only for admins; change a role and disable a user', async () => {
    assert.equal(await nav(page, 'Admin').count(), 0);
    const other = `bob-${run}@example.test`;
    const r = await fetch(`${URL}/api/v1/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: other, password: 'bobs long password' }) });
    assert.equal(r.status, 201);
    // the users guard lets only an admin session change roles (as the
    // integration tests do it)
    sql("BEGIN; SELECT set_config('taskman.role', 'admin', true); UPDATE users SET role = 'admin' WHERE id = $1; COMMIT", uid);
    await page.reload();  // a new access token carries the new role
    await nav(page, 'Admin').click();
    await heading(page, 'Administration').waitFor();
    await page.getByLabel(`Role of ${other}`).selectOption('readonly');
    await toast(page, `${other} updated.`).waitFor();
    assert.equal(sqlOne('SELECT role FROM users WHERE lower(email) = lower($1)', other), 'readonly');
    await page.getByLabel(`Disabled: ${other}`).check();
    await eventually(() => sqlOne('SELECT disabled FROM users WHERE lower(email) = lower($1)', other), 't');
    assert.equal(await page.getByLabel(`Disabled: ${other}`).isChecked(), true);
    a11y.push(...await capture(page, 'admin'));
  });

  test('sign out: the session is revoked and a reload stays signed out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in').waitFor();
    assert.equal(sqlOne('SELECT count(*) FROM refresh_sessions WHERE user_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()', uid), '0');
    await page.reload();
    await heading(page, 'Sign in').waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
  });

  test('no CSP violation or script error on any page; no serious/critical axe violation', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(a11y, []);
  });
});
