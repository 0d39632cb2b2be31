import { useEffect, useState } from "preact/hooks";
import { Session, hasRoute, setSignedOutHandler, signOut } from "./api";
import { SignIn } from "./signin";
import { ConnectorDetail, ConnectorsPage } from "./connectors";
import { linkHandler, navigate, usePath } from "./router";
import { AddConnector } from "./wizard";
import { ItemView, SearchPage } from "./search";
import { HoldsPage } from "./holds";
import { AuditPage } from "./audit";
import { TokensPage, UsersPage } from "./users";
import { QuarantinePage } from "./quarantine";
import { EditConnector } from "./connector_edit";
import { RetentionPage } from "./retention";
import { CaseDetail, CasesPage } from "./cases";
import { ReviewCase, ReviewCases, ReviewItemView, ReviewResults } from "./review";

// The console's areas and the permission that shows each. The API refuses what a role does not
// allow anyway; the navigation only leaves out what would be refused.
interface Area {
  path: string;
  label: string;
  permission: string | null;
  api?: string;
  // Shown only when the server of this tree has this route (openapi.json, api.ts hasRoute).
  route?: string;
}

const AREAS: Area[] = [
  { path: "/", label: "Overview", permission: null },
  { path: "/connectors", label: "Data connectors", permission: "connectors.read" },
  { path: "/search", label: "Content search", permission: "search", api: "/api/v1/search" },
  { path: "/cases", label: "eDiscovery cases", permission: "cases.read", api: "/api/v1/cases", route: "GET /api/v1/cases" },
  // A reviewer's cases: the /api/v1/review routes only (a reviewer may not search or open items otherwise).
  { path: "/review", label: "Review", permission: "review.assigned", api: "/api/v1/review/cases", route: "GET /api/v1/review/cases" },
  { path: "/holds", label: "Holds", permission: "holds.read", api: "/api/v1/holds" },
  { path: "/quarantine", label: "Quarantine", permission: "quarantine.read", api: "/api/v1/quarantine" },
  { path: "/audit", label: "Audit log", permission: "audit.read", api: "/api/v1/audit" },
  { path: "/retention", label: "Retention", permission: "retention.read", api: "/api/v1/retention/policies" },
  { path: "/users", label: "Users and roles", permission: "users.read", api: "/api/v1/users" },
  { path: "/tokens", label: "My API tokens", permission: "tokens.own", api: "/api/v1/tokens" },
];

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  useEffect(() => setSignedOutHandler(() => setSession(null)), []);
  if (!session) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignedOut={() => setSession(null)} />;
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const may = (p: string | null) => p === null || session.permissions.includes(p);
  const areas = AREAS.filter((a) => may(a.permission) && (!a.route || hasRoute(a.route)));
  const adding = path === "/add-connector";
  const current = adding
    ? AREAS[1]
    : AREAS.find((a) => (a.path === "/" ? path === "/" : path === a.path || path.startsWith(a.path + "/")));
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = `${current?.label ?? "Not found"} · chatvault`;
    // Moving to another page moves the focus to its heading, as a page load would.
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [path]);

  async function doSignOut() {
    setBusy(true);
    try {
      await signOut();
    } catch {
      // Signed out or not, the page forgets the session.
    }
    navigate("/");
    onSignedOut();
  }

  let page;
  if (!current) page = <Missing />;
  else if (!may(current.permission)) page = <NoAccess label={current.label} />;
  else if (adding)
    page = may("connectors.manage") ? <AddConnector /> : <NoAccess label="Add a connector" />;
  else if (current.path === "/") page = <Overview session={session} areas={areas} />;
  else if (current.path === "/connectors") {
    const [, , name, sub] = path.split("/");
    if (sub === "edit")
      page = may("connectors.manage") ? <EditConnector name={decodeURIComponent(name)} /> : <NoAccess label="Edit a connector" />;
    else page = name ? (
      <ConnectorDetail name={decodeURIComponent(name)} session={session} />
    ) : (
      <ConnectorsPage session={session} />
    );
  } else if (current.path === "/search") {
    const m = /^\/search\/items\/(\d+)$/.exec(path);
    page = m ? <ItemView id={Number(m[1])} /> : path === "/search" ? <SearchPage session={session} /> : <Missing />;
  } else if (current.path === "/cases") {
    const id = path.split("/")[2];
    page = !current.route || !hasRoute(current.route) ? (
      <Missing />
    ) : id ? (
      <CaseDetail id={decodeURIComponent(id)} session={session} />
    ) : (
      <CasesPage session={session} />
    );
  } else if (current.path === "/review") {
    // /review, /review/{id}, /review/{id}/searches/{search}, /review/{id}/searches/{search}/items/{item}
    const m = /^\/review(?:\/([^/]+)(?:\/searches\/([^/]+)(?:\/items\/(\d+))?)?)?\/?$/.exec(path);
    const decode = (x: string | undefined) => {
      try {
        return x === undefined ? undefined : decodeURIComponent(x);
      } catch {
        return x;
      }
    };
    const [id, search, item] = m ? m.slice(1).map(decode) : [];
    page =
      !m || !current.route || !hasRoute(current.route) ? (
        <Missing />
      ) : !id ? (
        <ReviewCases />
      ) : search === undefined ? (
        <ReviewCase key={id} id={id} />
      ) : item === undefined ? (
        <ReviewResults key={`${id}/${search}`} id={id} search={search} session={session} />
      ) : (
        <ReviewItemView key={`${id}/${search}`} id={id} search={search} item={Number(item)} session={session} />
      );
  } else if (current.path === "/holds") page = <HoldsPage session={session} />;
  else if (current.path === "/audit") page = <AuditPage />;
  else if (current.path === "/quarantine") page = <QuarantinePage session={session} />;
  else if (current.path === "/retention") page = <RetentionPage session={session} />;
  else if (current.path === "/users") page = <UsersPage session={session} />;
  else if (current.path === "/tokens") page = <TokensPage session={session} />;
  else page = <Planned area={current} />;

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">chatvault</span>
        <span class="who" data-testid="who">
          {session.user}
        </span>
        <button type="button" class="secondary" onClick={doSignOut} disabled={busy}>
          Sign out
        </button>
      </header>
      <nav class="sidenav" aria-label="Console">
        <ul>
          {areas.map((a) => (
            <li key={a.path}>
              <a
                href={a.path}
                onClick={linkHandler(a.path)}
                aria-current={current?.path === a.path ? "page" : undefined}
              >
                {a.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">{page}</main>
    </div>
  );
}

function Overview({ session, areas }: { session: Session; areas: Area[] }) {
  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <p>
        Signed in as <strong>{session.user}</strong> ({session.roles.join(", ") || "no role"}).
      </p>
      <h2>What you can open</h2>
      <ul>
        {areas
          .filter((a) => a.path !== "/")
          .map((a) => (
            <li key={a.path}>
              <a href={a.path} onClick={linkHandler(a.path)}>
                {a.label}
              </a>
            </li>
          ))}
      </ul>
      {areas.length === 1 && <p>None of your roles opens an area of the console.</p>}
    </>
  );
}

function Planned({ area }: { area: Area }) {
  return (
    <>
      <h1 tabIndex={-1}>{area.label}</h1>
      <p>
        This page is not in the console yet. The REST API has it: <code>{area.api}</code> (see the README, “The
        service”).
      </p>
    </>
  );
}

function NoAccess({ label }: { label: string }) {
  return (
    <>
      <h1 tabIndex={-1}>{label}</h1>
      <p role="alert">None of your roles allows this page.</p>
    </>
  );
}

function Missing() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <a href="/" onClick={linkHandler("/")}>
          Back to the overview
        </a>
      </p>
    </>
  );
}
