import { Layout } from './components/layout.js';
import { AgentPage } from './pages/agent.js';
import { AgentsPage } from './pages/agents.js';
import { CallPage } from './pages/call.js';
import { CallsPage } from './pages/calls.js';
import { LivePage } from './pages/live.js';
import { SignIn } from './pages/sign-in.js';
import { SystemPage } from './pages/system.js';
import { location, parseRoute, type Route } from './router.js';

const TITLES: Record<Route['page'], string> = {
  'sign-in': 'Sign in',
  live: 'Live calls',
  calls: 'Call history',
  call: 'Call',
  agents: 'Agents',
  agent: 'Agent',
  system: 'System',
  'not-found': 'Not found',
};

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'live':
      return <LivePage />;
    case 'calls':
      return <CallsPage />;
    case 'call':
      return <CallPage callSid={route.callSid} />;
    case 'agents':
      return <AgentsPage />;
    case 'agent':
      return <AgentPage key={route.id ?? 'new'} id={route.id} />;
    case 'system':
      return <SystemPage />;
    case 'sign-in':
    case 'not-found':
      return <p>No such page.</p>;
  }
}

export function App() {
  const route = parseRoute(location.value);
  document.title = `${TITLES[route.page]} · switchboard`;
  if (route.page === 'sign-in') return <SignIn />;
  return (
    <Layout current={route.page}>
      <Page route={route} />
    </Layout>
  );
}
