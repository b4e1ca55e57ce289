// Who the signed-in person is in a project, for hiding what their role
// does not allow. The API enforces every rule by itself (docs/TEAMS.md);
// this only keeps buttons that would answer 403 off the screen.
import { useEffect, useState } from 'preact/hooks';
import { members, session } from './api.js';
import { useLive } from './util.js';

const LEVEL = { viewer: 1, editor: 2, manager: 3, owner: 4 };
export const ROLES = [['viewer', 'Viewer'], ['editor', 'Editor'], ['manager', 'Manager']];
export const ROLE_LABEL = { viewer: 'Viewer', editor: 'Editor', manager: 'Manager', owner: 'Owner' };

// useTeam(projectId) -> {items, role, byId, ready, reload, at(least)}.
// Without a project (a personal task) the person is its owner: nobody
// else can see it. A readonly account may not write anywhere.
export function useTeam(projectId) {
  const [st, setSt] = useState({ pid: undefined, items: [] });
  const load = (quiet) => {
    if (!projectId) return;
    members(projectId).then((items) => setSt({ pid: projectId, items }),
      () => { if (!quiet) setSt({ pid: projectId, items: [] }); });
  };
  useEffect(() => { load(false); }, [projectId]);
  useLive(load);
  const me = session.user;
  const items = projectId && st.pid === projectId ? st.items : [];
  const mine = items.find((m) => me && m.user.id === me.id);
  const role = !projectId ? 'owner' : mine ? (mine.owner ? 'owner' : mine.role) : null;
  const byId = {};
  for (const m of items) byId[m.user.id] = m.user;
  if (me) byId[me.id] = byId[me.id] || me;
  const readonly = me && me.role === 'readonly';
  return {
    items, role, byId,
    ready: !projectId || st.pid === projectId,
    reload: () => load(false),
    at: (r) => !!role && LEVEL[role] >= LEVEL[r] && !readonly,
  };
}
