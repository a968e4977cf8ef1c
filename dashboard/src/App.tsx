import { useQueryClient } from "@tanstack/react-query";
import { SessionGate, useSignOut } from "./auth";
import { Loading, Toasts } from "./components/ui";
import { useLiveEvents, useLiveStatus } from "./live";
import { Link, match, useLocation } from "./router";
import { routes } from "./routes";

function NotFound() {
  return (
    <div className="state state-empty">
      <strong>No such page</strong>
      <Link to="/">Back to campaigns</Link>
    </div>
  );
}

function Shell() {
  const client = useQueryClient();
  useLiveEvents(client, true);
  const live = useLiveStatus();
  const signOut = useSignOut();
  const { path } = useLocation();
  let page = <NotFound />;
  for (const route of routes) {
    const params = match(route.path, path);
    if (params) {
      const Page = route.component;
      page = <Page key={route.path + JSON.stringify(params)} params={params} />;
      break;
    }
  }
  const active = (to: string) => path === to || path.startsWith(`${to}/`) || (to === "/campaigns" && path === "/");
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="sidebar-inner">
          <div className="brand">SalesPad</div>
          <ul>
            {routes
              .filter((r) => r.nav)
              .map((r) => (
                <li key={r.path}>
                  <Link to={r.path} className={active(r.path) ? "nav-link active" : "nav-link"}>
                    {r.nav}
                  </Link>
                </li>
              ))}
          </ul>
          <div className="sidebar-footer">
            <span className={`live-dot live-${live}`} data-testid="live-status" title={`Live updates: ${live}`}>
              {live === "live" ? "Live" : live === "reconnecting" ? "Reconnecting…" : "Connecting…"}
            </span>
            <button type="button" className="link" onClick={() => signOut.mutate()}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      <main className="content">{page}</main>
      <Toasts />
    </div>
  );
}

export default function App() {
  return (
    <SessionGate loading={<Loading label="Loading SalesPad…" />}>
      <Shell />
    </SessionGate>
  );
}
