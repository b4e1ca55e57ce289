// The Teams screens (API.md section 6), plugged into the extension points:
// members and activity under a project, assignee (in the task form),
// comments and activity under a task, Invitations and My work in the menu.
import { navItems, projectPanels, routes, taskPanels } from './extensions.js';
import { Invitations, InvitationsCount, MembersPanel } from './pages/members.jsx';
import { CommentsPanel } from './pages/comments.jsx';
import { ActivityPanel } from './pages/activity.jsx';
import { MyWork } from './pages/mywork.jsx';

projectPanels.push({ id: 'members', component: MembersPanel });
projectPanels.push({ id: 'activity', component: ActivityPanel });
taskPanels.push({ id: 'comments', component: CommentsPanel });
taskPanels.push({ id: 'activity', component: ActivityPanel });
navItems.push({ href: '#/mywork', label: 'My work', match: 'mywork' });
navItems.push({ href: '#/invitations', label: <InvitationsCount />, match: 'invitations' });
routes.mywork = () => <MyWork />;
routes.invitations = () => <Invitations />;
