// Extension points for what comes with the Teams API (API.md section 6):
// members and invitations, assignees and "my work", comments, activity.
// Nothing here guesses at that API; a module that implements one of these
// pushes an entry, e.g. in main.jsx:
//
//   taskPanels.push({ id: 'comments', component: CommentsPanel });   // <P task={task} />
//   projectPanels.push({ id: 'members', component: MembersPanel });  // <P project={project} />
//   navItems.push({ href: '#/invitations', label: 'Invitations', match: 'invitations' });
//   routes.invitations = (route) => <Invitations route={route} />;
//
// Each panel gets the resource as the server last returned it, renders a
// <section> with its own <h2>, and registers its own reload with useLive().
export const taskPanels = [];
export const projectPanels = [];
export const navItems = [];
export const routes = {};
