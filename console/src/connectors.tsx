import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, Connector, Progress, Run, Session, connectors, webhookUrl } from "./api";
import { linkHandler, navigate } from "./router";
import { when } from "./ui";

const POLL_MS = 1000;

// Calls `load` now and then every second while the tab is visible, so that a running import's
// progress moves without a reload. Returns the last answer and the last error.
function usePolled<T>(load: () => Promise<T>, key: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = useRef(0);
  const [bump, setBump] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const run = async () => {
      const mine = ++tick.current;
      try {
        const v = await load();
        if (!stopped && mine === tick.current) {
          setData(v);
          setError(null);
        }
      } catch (e) {
        if (!stopped) setError(e instanceof ApiError ? e.message : "The server could not be reached.");
        if (e instanceof ApiError && (e.status === 401 || e.status === 404)) return;
      }
      if (!stopped) timer = window.setTimeout(run, document.hidden ? POLL_MS * 5 : POLL_MS);
    };
    run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [key, bump]);
  return { data, error, refresh: () => setBump((b) => b + 1) };
}

function busyState(status: string) {
  return status === "running" || status === "queued" || status === "settling";
}

function Counts({ p }: { p: Progress }) {
  return (
    <span class="counts">
      {p.imported} imported · {p.duplicates} duplicates · {p.quarantined} quarantined · {p.failed} failed
    </span>
  );
}

// The live progress of a running import: files taken of files found, and the item counts.
export function LiveProgress({ name, p }: { name: string; p: Progress }) {
  const files = Math.max(p.files, p.files_done);
  return (
    <div class="progress" data-testid="progress">
      <progress
        max={files || 1}
        value={files ? p.files_done : undefined}
        aria-label={`Import progress of ${name}`}
      />
      <span>
        {p.state} · {p.files_done}/{files} files
      </span>
      <Counts p={p} />
    </div>
  );
}

function LastRun({ run }: { run: Run | null }) {
  if (!run) return <span>never</span>;
  return (
    <span data-testid="last-run">
      <span class={`state state-${run.progress.state}`}>{run.progress.state}</span> {when(run.progress.ended ?? run.progress.started)}
      <br />
      <Counts p={run.progress} />
    </span>
  );
}

// Run now / pause / resume / edit / delete, each shown only when the user's role allows it.
function Actions({ c, session, onDone }: { c: Connector; session: Session; onDone: (msg: string) => void }) {
  const canRun = session.permissions.includes("connectors.run");
  const canManage = session.permissions.includes("connectors.manage");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  // The button that opened the question is gone: the focus goes to the safe answer.
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);
  if (!canRun && !canManage) return null;

  async function act(what: string, f: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await f();
      onDone(done);
    } catch (e) {
      onDone(`${what} ${c.name}: ${e instanceof ApiError ? e.message : "failed"}`);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  if (confirming)
    return (
      <div class="actions" role="group" aria-label={`Delete ${c.name}?`}>
        <span>Delete {c.name}? Its archived items stay.</span>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => act("Delete", () => connectors.remove(c.name), `${c.name} deleted`)}
        >
          Delete
        </button>
        <button type="button" class="secondary" ref={cancel} onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    );
  return (
    <div class="actions" role="group" aria-label={`Actions for ${c.name}`}>
      {canRun && (
        <button
          type="button"
          disabled={busy || busyState(c.status)}
          onClick={() => act("Run", () => connectors.run(c.name), `${c.name}: run queued`)}
        >
          Run now
        </button>
      )}
      {canManage &&
        (c.status === "paused" ? (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => act("Resume", () => connectors.resume(c.name), `${c.name} resumed`)}
          >
            Resume
          </button>
        ) : (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => act("Pause", () => connectors.pause(c.name), `${c.name} paused`)}
          >
            Pause
          </button>
        ))}
      {canManage && (
        <a
          class="button secondary"
          href={`/connectors/${encodeURIComponent(c.name)}/edit`}
          onClick={linkHandler(`/connectors/${encodeURIComponent(c.name)}/edit`)}
        >
          Edit…
        </a>
      )}
      {canManage && (
        <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
    </div>
  );
}

function Status({ c }: { c: Connector }) {
  return <span class={`status status-${c.status}`}>{c.status}</span>;
}

export function ConnectorsPage({ session }: { session: Session }) {
  const [tab, setTab] = useState<"overview" | "connectors">("connectors");
  const { data, error, refresh } = usePolled(connectors.list, "list");
  const [notice, setNotice] = useState("");
  const tabs: [typeof tab, string][] = [
    ["overview", "WhatsApp Archiver"],
    ["connectors", "Connectors"],
  ];

  function onTabKey(e: KeyboardEvent) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = tab === "overview" ? "connectors" : "overview";
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  }

  return (
    <>
      <h1 tabIndex={-1}>Data connectors</h1>
      <div role="tablist" aria-label="Data connectors" class="tabs" onKeyDown={onTabKey}>
        {tabs.map(([id, label]) => (
          <button
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => setTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <p class="notice" aria-live="polite" data-testid="notice">
        {notice}
      </p>
      {tab === "overview" ? (
        <section role="tabpanel" id="panel-overview" aria-labelledby="tab-overview">
          <article class="card" data-testid="product-card">
            <h2>WhatsApp Archiver</h2>
            <p>
              Archives WhatsApp conversations as mail items in your users' mailboxes: chat exports dropped in a
              folder, exports fetched over HTTPS, and WhatsApp Business Cloud API webhooks. Items keep the chat's
              context and fall under holds, retention and eDiscovery like any mail.
            </p>
            <p>
              {data ? `${data.length} connector${data.length === 1 ? "" : "s"} configured.` : "Loading…"}{" "}
              <button type="button" class="link" onClick={() => setTab("connectors")}>
                Show the connectors
              </button>
            </p>
          </article>
        </section>
      ) : (
        <section role="tabpanel" id="panel-connectors" aria-labelledby="tab-connectors">
          {session.permissions.includes("connectors.manage") && (
            <div class="toolbar">
              <a class="button" href="/add-connector" onClick={linkHandler("/add-connector")}>
                Add connector
              </a>
            </div>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {data && data.length === 0 && <p>No connector yet.</p>}
          {data && data.length > 0 && (
            <table class="list" data-testid="connectors">
              <caption class="visually-hidden">Connectors</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.map((c) => (
                  <tr key={c.name} data-connector={c.name}>
                    <th scope="row" class="id">
                      <a href={`/connectors/${encodeURIComponent(c.name)}`} onClick={linkHandler(`/connectors/${encodeURIComponent(c.name)}`)}>
                        {c.name}
                      </a>
                    </th>
                    <td>{c.kind}</td>
                    <td>
                      <Status c={c} />
                      {c.live && <LiveProgress name={c.name} p={c.live.progress} />}
                    </td>
                    <td>
                      <LastRun run={c.last_run} />
                    </td>
                    <td>{c.next_run === "continuous" ? "continuous" : when(c.next_run)}</td>
                    <td>
                      <Actions
                        c={c}
                        session={session}
                        onDone={(m) => {
                          setNotice(m);
                          refresh();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

export function ConnectorDetail({ name, session }: { name: string; session: Session }) {
  const { data: c, error, refresh } = usePolled(() => connectors.get(name), name);
  const [notice, setNotice] = useState("");
  return (
    <>
      <p>
        <a href="/connectors" onClick={linkHandler("/connectors")}>
          ← Data connectors
        </a>
      </p>
      <h1 tabIndex={-1}>{name}</h1>
      <p class="notice" aria-live="polite">
        {notice}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {c && (
        <>
          <dl class="facts">
            <dt>Kind</dt>
            <dd>{c.kind}</dd>
            {c.folder && (
              <>
                <dt>Folder</dt>
                <dd>
                  <code>{c.folder}</code>
                </dd>
              </>
            )}
            {c.kind === "cloud-api" ? (
              <>
                <dt>Webhook URL</dt>
                <dd>
                  <code data-testid="webhook-url">{webhookUrl(c.name)}</code>
                </dd>
              </>
            ) : (
              <>
                <dt>Schedule</dt>
                <dd>{c.schedule ?? "—"}</dd>
              </>
            )}
            <dt>Status</dt>
            <dd>
              <Status c={c} />
              {c.live && <LiveProgress name={c.name} p={c.live.progress} />}
            </dd>
            <dt>Next run</dt>
            <dd>{c.next_run === "continuous" ? "continuous" : when(c.next_run)}</dd>
          </dl>
          <Actions
            c={c}
            session={session}
            onDone={(m) => {
              setNotice(m);
              if (m.endsWith("deleted")) navigate("/connectors");
              else refresh();
            }}
          />
          <h2>Run history</h2>
          {(c.runs ?? []).length === 0 ? (
            <p>No run yet.</p>
          ) : (
            <table class="list" data-testid="runs">
              <caption class="visually-hidden">Runs of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">By</th>
                  <th scope="col">State</th>
                  <th scope="col">Started</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Items</th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {(c.runs ?? []).map((r) => (
                  <tr key={r.number}>
                    <th scope="row">{r.number}</th>
                    <td>{r.trigger}</td>
                    <td>{r.actor}</td>
                    <td>
                      <span class={`state state-${r.progress.state}`}>{r.progress.state}</span>
                    </td>
                    <td>{when(r.progress.started)}</td>
                    <td>{when(r.progress.ended)}</td>
                    <td>
                      <Counts p={r.progress} />
                    </td>
                    <td>{r.progress.errors.length ? r.progress.errors.join("; ") : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}
