// The shell: sign-in screen, navigation and the routes table.
import { html, render, useEffect, useRef, useState } from './lib.js';
import { t } from './i18n.js';
import { HOME, link, navigate, useRoute } from './router.js';
import { sessionEndReason, signIn, signOut, useSession } from './session.js';
import { ErrorBox, Field, Page, Toasts } from './components.js';
import OverviewPage from './pages/overview.js';
import VideoSourcesPage from './pages/video-sources.js';
import VideoGroupsPage from './pages/video-groups.js';
import BatchTasksPage from './pages/batch-tasks.js';
import WizardPage from './pages/wizard.js';
import TasksPage from './pages/tasks.js';
import AlgorithmsPage from './pages/algorithms.js';
import EventsPage from './pages/events.js';
import EventDetailPage from './pages/event-detail.js';
import DeliveriesPage from './pages/deliveries.js';

// The navigation: the six centres, two of them with their own pages.
const NAV = [
  { path: '/overview', label: 'nav.overview' },
  {
    path: '/video/sources',
    label: 'nav.video',
    section: 'video',
    children: [
      { path: '/video/sources', label: 'nav.videoSources' },
      { path: '/video/groups', label: 'nav.videoGroups' },
    ],
  },
  {
    path: '/tasks/batch',
    label: 'nav.taskCenter',
    section: 'tasks',
    children: [
      { path: '/tasks/batch', label: 'nav.batchTasks' },
      { path: '/tasks/list', label: 'nav.tasks' },
    ],
  },
  { path: '/algorithms', label: 'nav.algorithms' },
  { path: '/events', label: 'nav.events' },
  { path: '/deliveries', label: 'nav.deliveries' },
];

// The routes table: #/overview, #/video/sources[/<id>], #/video/groups, #/tasks/batch,
// #/tasks/batch/new, #/tasks/batch/<id>/edit, #/tasks/list, #/algorithms, #/events[/<id>],
// #/deliveries. A page gets { route } and may read deeper parts itself.
function pageFor([first, second, third, fourth]) {
  switch (first) {
    case 'overview':
      return OverviewPage;
    case 'video':
      if (second === 'groups') return VideoGroupsPage;
      if (second === 'sources') return VideoSourcesPage;
      return null;
    case 'tasks':
      if (second === 'list') return TasksPage;
      if (second !== 'batch') return null;
      if (third === 'new' || fourth === 'edit') return WizardPage;
      return BatchTasksPage;
    case 'algorithms':
      return AlgorithmsPage;
    case 'events':
      return second ? EventDetailPage : EventsPage;
    case 'deliveries':
      return DeliveriesPage;
    default:
      return null;
  }
}

function SignIn() {
  const [form, setForm] = useState({ user: '', password: '', domain: '', project: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const reason = sessionEndReason();
  const firstField = useRef(null);
  useEffect(() => firstField.current?.focus(), []);
  const change = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn({ ...form, user: form.user.trim(), domain: form.domain.trim(), project: form.project.trim() });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return html`
    <main class="signin" id="main">
      <form class="signin-card" onSubmit=${submit} aria-labelledby="signin-title">
        <h1 id="signin-title">${t('signin.title')}</h1>
        <p class="signin-intro">${t('signin.intro')}</p>
        ${reason === 'expired' && !error ? html`<p class="notice" role="status">${t('signin.expired')}</p>` : null}
        ${reason === 'signed-out' && !error ? html`<p class="notice" role="status">${t('signin.signedOut')}</p>` : null}
        <${ErrorBox} error=${error} title=${t('signin.failed')} />
        <${Field} label=${t('signin.user')}>
          <input name="user" ref=${firstField} autocomplete="username" required value=${form.user} onInput=${change('user')} />
        </${Field}>
        <${Field} label=${t('signin.password')}>
          <input name="password" type="password" autocomplete="current-password" required value=${form.password} onInput=${change('password')} />
        </${Field}>
        <${Field} label=${t('signin.domain')}>
          <input name="domain" autocomplete="organization" required value=${form.domain} onInput=${change('domain')} />
        </${Field}>
        <${Field} label=${t('signin.project')} hint=${t('signin.projectHint')}>
          <input name="project" required value=${form.project} onInput=${change('project')} />
        </${Field}>
        <button type="submit" class="primary" disabled=${busy}>${busy ? t('signin.busy') : t('signin.submit')}</button>
      </form>
    </main>
  `;
}

function isActive(item, route) {
  if (item.section) return route.parts[0] === item.section;
  return route.path === item.path || route.path.startsWith(`${item.path}/`);
}

function Nav({ route, open, onNavigate }) {
  return html`
    <nav id="main-nav" class=${`main-nav ${open ? 'open' : ''}`} aria-label=${t('app.mainNav')}>
      <ul>
        ${NAV.map(
          (item) => html`
            <li key=${item.path} class=${isActive(item, route) ? 'active' : ''}>
              <a href=${link(item.path)} aria-current=${!item.children && isActive(item, route) ? 'page' : undefined} onClick=${onNavigate}>
                ${t(item.label)}
              </a>
              ${item.children
                ? html`<ul class="sub-nav">
                    ${item.children.map(
                      (child) => html`<li key=${child.path}>
                        <a href=${link(child.path)} aria-current=${isActive(child, route) ? 'page' : undefined} onClick=${onNavigate}>${t(child.label)}</a>
                      </li>`,
                    )}
                  </ul>`
                : null}
            </li>
          `,
        )}
      </ul>
    </nav>
  `;
}

function NotFound() {
  return html`<${Page} title=${t('app.notFound')}><p><a href=${link(HOME)}>${t('app.toOverview')}</a></p></${Page}>`;
}

function Shell({ session }) {
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef(null);
  const [signingOut, setSigningOut] = useState(false);

  const focusHeading = useRef(false);

  useEffect(() => {
    if (!route.path) navigate(HOME);
  }, [route.path]);
  useEffect(() => {
    setMenuOpen(false);
    // After a choice in the navigation, the keyboard continues on the new page's heading.
    if (!focusHeading.current) return;
    focusHeading.current = false;
    requestAnimationFrame(() => main.current?.querySelector('h1')?.focus({ preventScroll: true }));
  }, [route.path]);
  useEffect(() => {
    if (!menuOpen) return undefined;
    const closeOnEscape = (event) => event.key === 'Escape' && setMenuOpen(false);
    document.addEventListener('keydown', closeOnEscape);
    return () => document.removeEventListener('keydown', closeOnEscape);
  }, [menuOpen]);

  const skip = (event) => {
    event.preventDefault();
    (main.current?.querySelector('h1') ?? main.current)?.focus();
  };
  const leave = async () => {
    setSigningOut(true);
    await signOut();
  };
  const Current = route.path ? pageFor(route.parts) ?? NotFound : null;
  return html`
    <a class="skip-link" href="#main" onClick=${skip}>${t('app.skip')}</a>
    <header class="top-bar">
      <button type="button" class="menu-button" aria-expanded=${menuOpen} aria-controls="main-nav" onClick=${() => setMenuOpen(!menuOpen)}>
        <span class="menu-icon" aria-hidden="true"></span>${t('app.menu')}
      </button>
      <a class="brand" href=${link(HOME)}>${t('app.name')}</a>
      <div class="who">
        <span class="who-user" title=${t('app.signedInAs', { user: session.user.name, domain: session.domain.name })}>
          <span class="who-label">${t('app.user')}</span> <span>${session.user.name}</span>
        </span>
        <span class="who-project" title=${session.project.id}>
          <span class="who-label">${t('app.project')}</span> <span>${session.project.name}</span>
        </span>
        <button type="button" class="sign-out" onClick=${leave} disabled=${signingOut}>${t('app.signOut')}</button>
      </div>
    </header>
    <div class="layout">
      <${Nav}
        route=${route}
        open=${menuOpen}
        onNavigate=${() => {
          focusHeading.current = true;
          setMenuOpen(false);
        }}
      />
      <main id="main" class="content" tabindex="-1" ref=${main}>
        ${Current ? html`<${Current} key=${route.parts.slice(0, 2).join('/')} route=${route} />` : null}
      </main>
    </div>
  `;
}

function App() {
  const session = useSession();
  return html`
    ${session ? html`<${Shell} session=${session} />` : html`<${SignIn} />`}
    <${Toasts} />
  `;
}

render(html`<${App} />`, document.getElementById('app'));
