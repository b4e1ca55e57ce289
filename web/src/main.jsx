// Entry point: the layout, the routes and the session gate.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './app.css';
import { logout, refresh, session } from './api.js';
import { go, startChanges, useAnnouncer, useRoute } from './util.js';
import { navItems, routes } from './extensions.js';
import './teams.jsx';
import { TaskList } from './pages/tasks.jsx';
import { TaskDetail } from './pages/task.jsx';
import { Board } from './pages/board.jsx';
import { ProjectDetail, Projects, SprintDetail } from './pages/projects.jsx';
import { ActionList, ActionLists } from './pages/lists.jsx';
import { Admin, Profile, Register, SignIn } from './pages/account.jsx';

const PUBLIC = new Set(['signin', 'register']);

function Page({ route }) {
  const [a, b, c] = route.path;
  if (routes[a]) return routes[a](route);
  switch (a) {
    case 'tasks': return b ? <TaskDetail id={b} /> : <TaskList key={route.query.toString()} route={route} />;
    case 'projects': return b ? (c === 'board' ? <Board id={b} /> : <ProjectDetail id={b} />) : <Projects />;
    case 'sprints': return <SprintDetail id={b} />;
    case 'lists': return b ? <ActionList id={b} /> : <ActionLists />;
    case 'profile': return <Profile />;
    case 'admin': return <Admin />;
    default: return <section><h1>Not found</h1><p><a href="#/tasks">Go to your tasks</a></p></section>;
  }
}

function App() {
  const route = useRoute();
  const msg = useAnnouncer();
  const [user, setUser] = useState(session.user);
  const [ready, setReady] = useState(false);
  const [note, setNote] = useState('');
  useEffect(() => session.subscribe((u) => setUser(u)), []);
  useEffect(() => {
    refresh().catch(() => false).then(() => { setReady(true); startChanges(); });
  }, []);
  useEffect(() => {
    if (!ready) return;
    const pub = PUBLIC.has(route.path[0]);
    if (!user && !pub) go('/signin');
    if (user && pub) go('/tasks');
  }, [ready, user, route]);
  useEffect(() => {
    if (ready) performance.mark('taskman:first-render');
  }, [ready]);

  const signOut = async () => { await logout(); setNote('You are signed out.'); go('/signin'); };
  const sec = route.path[0] || 'tasks';
  const nav = [
    { href: '#/tasks', label: 'Tasks', match: 'tasks' },
    { href: '#/projects', label: 'Projects', match: 'projects' },
    { href: '#/lists', label: 'Lists', match: 'lists' },
    ...navItems,
    { href: '#/profile', label: 'Profile', match: 'profile' },
    ...(user && user.role === 'admin' ? [{ href: '#/admin', label: 'Admin', match: 'admin' }] : []),
  ];
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/tasks">taskman</a>
        {user && (
          <nav aria-label="Main">
            <ul>{nav.map((n) => <li key={n.href}><a href={n.href} aria-current={sec === n.match || (n.match === 'projects' && sec === 'sprints') ? 'page' : undefined}>{n.label}</a></li>)}</ul>
          </nav>
        )}
        {user && (
          <div class="who">
            <span class="muted">{user.display_name || user.username || user.email}</span>
            <button type="button" class="secondary small" onClick={signOut}>Sign out</button>
          </div>
        )}
      </header>
      <div class="toasts">
        <p class="toast" role="status" aria-live="polite">{msg.status}</p>
        <p class="toast toast-alert" role="alert" aria-live="assertive">{msg.alert}</p>
      </div>
      <main id="main" tabIndex={-1}>
        {!ready ? <p class="muted" role="status">Loading…</p>
          : !user ? (route.path[0] === 'register' ? <Register /> : <SignIn note={note} />)
            : <Page route={route} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app'));
