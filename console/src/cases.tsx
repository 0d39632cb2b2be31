import { useEffect, useRef, useState } from "preact/hooks";
import { CASE_ROUTES, Case, Estimate, ExportJob, ROUTES, Session, cases, hasRoute, search } from "./api";
import { linkHandler, navigate } from "./router";
import { ErrorText, EstimateTable, Notice, bytes, message, useLoaded, when } from "./ui";

// eDiscovery cases: the list and a new case (cases.manage); a case's custodians, case holds,
// reviewers and saved searches with their estimate (cases.manage changes them while the case is
// open); its exports, each a zip to download (export); closing it. And SaveToCase, the content
// search's way to keep its query in a case and export it there.

const caseHref = (id: string) => `/cases/${encodeURIComponent(id)}`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

// Runs a form's request with its busy flag and error line; true when it went through.
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(f: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await f();
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, submit };
}

// ---- the list -------------------------------------------------------------------------------

function CreateCase() {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { busy, error, setError, submit } = useSubmit();

  async function create(e: Event) {
    e.preventDefault();
    if (!id.trim()) {
      setError("Case id: a short reference, e.g. matter-2026-14");
      return;
    }
    await submit(async () => {
      const c = await cases.create(id.trim(), name.trim(), description.trim());
      navigate(caseHref(c.id));
    });
  }

  return (
    <form class="card form" onSubmit={create} aria-labelledby="create-case-title">
      <h2 id="create-case-title">Create a case</h2>
      <label for="case-id">Case id</label>
      <input id="case-id" value={id} aria-describedby="case-id-help" onInput={(e) => setId(e.currentTarget.value)} />
      <small id="case-id-help">A short reference that never changes; the audit log and exports carry it.</small>
      <label for="case-name">Name (optional)</label>
      <input id="case-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="case-description">Description (optional)</label>
      <textarea id="case-description" rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Create case
        </button>
      </div>
    </form>
  );
}

// A case's first cells in a list of cases (its name linking to `href`, status, custodians), on
// the eDiscovery cases page and the reviewer's.
export function CaseCells({ c, href }: { c: Case; href: string }) {
  return (
    <>
      <th scope="row">
        <a href={href} onClick={linkHandler(href)}>
          {c.name || c.id}
        </a>
        {c.name && c.name !== c.id && <span class="counts"> ({c.id})</span>}
      </th>
      <td class="status">{c.closed_at ? "closed" : "open"}</td>
      <td>{c.custodians.map((x) => x.name).join(", ") || "—"}</td>
    </>
  );
}

export function CasesPage({ session }: { session: Session }) {
  const { data: list, error } = useLoaded(cases.list, []);

  return (
    <>
      <h1 tabIndex={-1}>eDiscovery cases</h1>
      {session.permissions.includes("cases.manage") && <CreateCase />}
      <h2>Cases</h2>
      <ErrorText error={error} />
      {list && list.length === 0 && <p>No case yet.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="cases">
          <caption class="visually-hidden">Cases</caption>
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Status</th>
              <th scope="col">Custodians</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-case={c.id}>
                <CaseCells c={c} href={caseHref(c.id)} />
                <td>
                  {when(c.created_at)}
                  <br />
                  <span class="counts">by {c.created_by || "—"}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

// ---- a case ---------------------------------------------------------------------------------

// After a change: the notice to show; the case is read again (a change may touch its holds too).
type Done = (notice: string) => Promise<void>;

function AddCustodian({ c, session, onDone }: { c: Case; session: Session; onDone: Done }) {
  const [name, setName] = useState("");
  const [known, setKnown] = useState<string[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [typed, setTyped] = useState("");
  const { busy, error, setError, submit } = useSubmit();

  // The archive's mailboxes need `search`; without it the addresses are typed.
  useEffect(() => {
    if (!session.permissions.includes("search") || !hasRoute(ROUTES.mailboxes)) return;
    search
      .mailboxes()
      .then((m) => setKnown(m.map((x) => x.address)))
      .catch(() => setKnown([]));
  }, []);

  async function add(e: Event) {
    e.preventDefault();
    const mailboxes = [...picked, ...typed.split(/[\s,;]+/).filter(Boolean)];
    if (!name.trim()) return setError("Custodian: the person's name");
    if (!mailboxes.length) return setError("Mailboxes: pick or type at least one mailbox");
    const bad = mailboxes.find((m) => !/^[^@\s]+@[^@\s]+$/.test(m));
    if (bad) return setError(`Mailboxes: "${bad}" is not an address`);
    await submit(async () => {
      const changed = await cases.addCustodian(c.id, name.trim(), mailboxes);
      const widened = changed.holds_widened?.length ? `; holds widened: ${changed.holds_widened.join(", ")}` : "";
      setName("");
      setPicked([]);
      setTyped("");
      await onDone(`Custodian ${name.trim()} added${widened}`);
    });
  }

  return (
    <form class="card form" onSubmit={add} aria-labelledby="custodian-title">
      <h3 id="custodian-title">Add a custodian</h3>
      <label for="custodian-name">Custodian</label>
      <input id="custodian-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      {known.length > 0 && (
        <fieldset class="builder">
          <legend>Mailboxes of the archive</legend>
          {known.map((m) => (
            <label class="check" key={m}>
              <input
                type="checkbox"
                checked={picked.includes(m)}
                onChange={(e) => setPicked((p) => (e.currentTarget.checked ? [...p, m] : p.filter((x) => x !== m)))}
              />{" "}
              {m}
            </label>
          ))}
        </fieldset>
      )}
      <label for="custodian-mailboxes">{known.length ? "Other mailboxes (optional)" : "Mailboxes"}</label>
      <input
        id="custodian-mailboxes"
        value={typed}
        aria-describedby="custodian-mailboxes-help"
        onInput={(e) => setTyped(e.currentTarget.value)}
      />
      <small id="custodian-mailboxes-help">Addresses separated by commas. The case's holds cover them from now on.</small>
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Add custodian
        </button>
      </div>
    </form>
  );
}

function CaseHolds({ c, canManage, onDone }: { c: Case; canManage: boolean; onDone: Done }) {
  const list = c.holds ?? [];
  const [reason, setReason] = useState("");
  const [query, setQuery] = useState("");
  const { busy, error, setError, submit } = useSubmit();

  async function place(e: Event) {
    e.preventDefault();
    if (!reason.trim()) return setError("Reason: say why (it is kept with the hold)");
    await submit(async () => {
      const h = await cases.placeHold(c.id, reason.trim(), query.trim());
      setReason("");
      setQuery("");
      await onDone(`${h.id} placed on ${h.mailboxes.join(", ")}`);
    });
  }

  return (
    <section aria-labelledby="holds-title">
      <h2 id="holds-title">Case holds</h2>
      {list.length === 0 ? (
        <p>No hold.</p>
      ) : (
        <table class="list" data-testid="case-holds">
          <caption class="visually-hidden">Holds of the case</caption>
          <thead>
            <tr>
              <th scope="col">Hold</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Query</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <tr key={h.id} data-hold={h.id}>
                <th scope="row" class="id">{h.id}</th>
                <td>{h.mailboxes.join(", ")}</td>
                <td>{h.query ? <code>{h.query}</code> : "the whole mailboxes"}</td>
                <td>
                  {when(h.since)}
                  <br />
                  <span class="counts">by {h.placed_by || "—"}</span>
                </td>
                <td class="status">{h.released_at ? `released ${when(h.released_at)}` : "in force"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage && hasRoute(CASE_ROUTES.holds) && (
        <form class="card form" onSubmit={place} aria-labelledby="case-hold-title">
          <h3 id="case-hold-title">Place a case hold</h3>
          {c.custodians.length === 0 && <p>Add a custodian first: the hold covers the custodians' mailboxes.</p>}
          <label for="case-hold-reason">Reason</label>
          <input id="case-hold-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <label for="case-hold-query">Only items matching (KQL, optional)</label>
          <input
            id="case-hold-query"
            value={query}
            aria-describedby="case-hold-query-help"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          <small id="case-hold-query-help">
            Empty: everything in the custodians' mailboxes, items that arrive later included.
          </small>
          <ErrorText error={error} />
          <div class="actions">
            <button type="submit" disabled={busy || c.custodians.length === 0}>
              Place case hold
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function Reviewers({ c, canManage, onDone }: { c: Case; canManage: boolean; onDone: Done }) {
  const [user, setUser] = useState("");
  const { busy, error, setError, submit } = useSubmit();

  async function add(e: Event) {
    e.preventDefault();
    if (!user.trim()) return setError("Reviewer: the user's name");
    await submit(async () => {
      await cases.addReviewer(c.id, user.trim());
      setUser("");
      await onDone(`${user.trim()} reviews the case`);
    });
  }
  async function remove(name: string) {
    await submit(async () => {
      await cases.removeReviewer(c.id, name);
      await onDone(`${name} no longer reviews the case`);
    });
  }

  return (
    <section aria-labelledby="reviewers-title">
      <h2 id="reviewers-title">Reviewers</h2>
      {c.reviewers.length === 0 ? (
        <p>No reviewer.</p>
      ) : (
        <ul data-testid="reviewers">
          {c.reviewers.map((r) => (
            <li key={r}>
              {r}{" "}
              {canManage && (
                <button type="button" class="link" disabled={busy} onClick={() => remove(r)} aria-label={`Remove reviewer ${r}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && (
        <form class="row" onSubmit={add} aria-label="Add a reviewer">
          <span>
            <label for="reviewer-user">Reviewer (user name)</label>
            <input id="reviewer-user" value={user} autoComplete="off" onInput={(e) => setUser(e.currentTarget.value)} />
          </span>
          <button type="submit" class="secondary" disabled={busy}>
            Add reviewer
          </button>
        </form>
      )}
      <ErrorText error={error} />
    </section>
  );
}

function SavedSearches({ c, canManage, onDone }: { c: Case; canManage: boolean; onDone: Done }) {
  const [name, setName] = useState("");
  const [query, setQuery] = useState("");
  const [tz, setTz] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [estimate, setEstimate] = useState<{ search: string; estimate: Estimate } | null>(null);
  const { busy, error, setError, submit } = useSubmit();

  async function save(e: Event) {
    e.preventDefault();
    if (!name.trim()) return setError("Search name: how the case and its exports will call it");
    if (!query.trim()) return setError("Query: e.g. budget from:helena");
    await submit(async () => {
      const r = await cases.saveSearch(c.id, name.trim(), query.trim(), tz.trim() || "UTC");
      setEstimate({ search: r.search, estimate: r.estimate });
      setName("");
      setQuery("");
      await onDone(`Search ${r.search} saved: ${plural(r.estimate.items, "item")}`);
    });
  }

  return (
    <section aria-labelledby="searches-title">
      <h2 id="searches-title">Saved searches</h2>
      {c.searches.length === 0 ? (
        <p>No saved search.</p>
      ) : (
        <table class="list" data-testid="searches">
          <caption class="visually-hidden">Saved searches</caption>
          <thead>
            <tr>
              <th scope="col">Search</th>
              <th scope="col">Query</th>
              <th scope="col">Saved</th>
            </tr>
          </thead>
          <tbody>
            {c.searches.map((s) => (
              <tr key={s.name} data-search={s.name}>
                <th scope="row">{s.name}</th>
                <td>
                  <code>{s.query}</code> <span class="counts">(dates in {s.zone})</span>
                </td>
                <td>
                  {when(s.saved_at)}
                  <br />
                  <span class="counts">by {s.saved_by || "—"}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {estimate && (
        <section class="card" aria-labelledby="case-estimate-title" data-testid="case-estimate">
          <h3 id="case-estimate-title">Estimate of {estimate.search} in the custodians' mailboxes</h3>
          <EstimateTable estimate={estimate.estimate} caption={`Estimate of ${estimate.search} by mailbox`} />
        </section>
      )}
      {canManage && hasRoute(CASE_ROUTES.saveSearch) && (
        <form class="search card" onSubmit={save} aria-labelledby="save-search-title">
          <h3 id="save-search-title">Save a search</h3>
          <label for="case-search-name">Search name</label>
          <input id="case-search-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <label for="case-q">Query (KQL)</label>
          <textarea
            id="case-q"
            rows={2}
            value={query}
            aria-describedby="case-q-help"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          <small id="case-q-help">
            As on the Content search page. It runs within the custodians' mailboxes; saving shows its estimate.
          </small>
          <label for="case-tz">Time zone of the dates</label>
          <input id="case-tz" value={tz} onInput={(e) => setTz(e.currentTarget.value)} />
          <ErrorText error={error} />
          <div class="actions">
            <button type="submit" disabled={busy}>
              Save search
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function Exports({ c, canStart }: { c: Case; canStart: boolean }) {
  const [list, setList] = useState<ExportJob[] | null>(null);
  const [searchName, setSearchName] = useState(c.searches[0]?.name ?? "");
  const [dedupe, setDedupe] = useState(false);
  const [bump, setBump] = useState(0);
  const [notice, setNotice] = useState("");
  const { busy, error, setError, submit } = useSubmit();
  const running = list?.some((j) => j.state === "running") ?? false;

  useEffect(() => {
    if (!c.searches.some((s) => s.name === searchName)) setSearchName(c.searches[0]?.name ?? "");
  }, [c]);

  // The list, again every second while an export runs. Read again when the case closes: the
  // server then removes the zips already downloaded, shortly after (its sweep runs every few
  // seconds), so the list is read every second until none of theirs is left to offer.
  const closed = c.closed_at !== null;
  useEffect(() => {
    let stop = false;
    let timer: number | undefined;
    let sweepWait = 30;
    const load = () =>
      cases
        .exports(c.id)
        .then((l) => {
          if (stop) return;
          setList(l);
          const going = closed && l.some((j) => j.available && j.downloaded) && sweepWait-- > 0;
          if (l.some((j) => j.state === "running") || going) timer = window.setTimeout(load, 1000);
        })
        .catch((e) => !stop && setError(message(e)));
    load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [c.id, closed, bump]);

  // Announce the end of the export started here, once: when the list first shows it ended
  // (a small export may be done before the list is read again, never seen running).
  const awaited = useRef<string | null>(null);
  useEffect(() => {
    const j = awaited.current ? list?.find((x) => x.id === awaited.current) : undefined;
    if (j && j.state !== "running") {
      awaited.current = null;
      setNotice(`Export ${j.id} ${j.state === "done" ? `is ready: ${plural(j.items, "item")}` : j.state}`);
    }
  }, [list]);

  async function start(e: Event) {
    e.preventDefault();
    if (!searchName) return setError("Saved search: save a search first");
    await submit(async () => {
      const j = await cases.startExport(c.id, searchName, dedupe);
      awaited.current = j.id;
      setNotice(`Export ${j.id} started`);
      setBump((b) => b + 1);
    });
  }

  return (
    <section aria-labelledby="exports-title">
      <h2 id="exports-title">Exports</h2>
      <Notice text={notice} testid="export-notice" />
      {canStart && (
        <form class="row" onSubmit={start} aria-label="Start an export" aria-describedby="export-help">
          <span>
            <label for="export-search">Saved search</label>
            <select
              id="export-search"
              value={searchName}
              disabled={!c.searches.length}
              onChange={(e) => setSearchName(e.currentTarget.value)}
            >
              {c.searches.map((s) => (
                <option value={s.name}>{s.name}</option>
              ))}
            </select>
          </span>
          <label class="check">
            <input type="checkbox" checked={dedupe} onChange={(e) => setDedupe(e.currentTarget.checked)} /> One file per
            item (deduplicate by Message-ID)
          </label>
          <button type="submit" disabled={busy || running || !c.searches.length || !c.custodians.length}>
            Start export
          </button>
        </form>
      )}
      {canStart && (
        <small class="counts" id="export-help">
          {c.custodians.length
            ? "A zip of .eml files by custodian and mailbox, a load file, a SHA-256 manifest and a summary."
            : "Add a custodian first: an export collects the custodians' mailboxes."}
        </small>
      )}
      <ErrorText error={error} />
      {list && list.length === 0 && <p>No export yet.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="exports">
          <caption class="visually-hidden">Exports of the case</caption>
          <thead>
            <tr>
              <th scope="col">Export</th>
              <th scope="col">Search</th>
              <th scope="col">State</th>
              <th scope="col">Items</th>
              <th scope="col">Size</th>
              <th scope="col">Started</th>
              <th scope="col">Zip</th>
            </tr>
          </thead>
          <tbody>
            {list.map((j) => (
              <tr key={j.id} data-export={j.id}>
                <th scope="row" class="id">{j.id}</th>
                <td>{j.search}</td>
                <td class={`state state-${j.state === "done" ? "succeeded" : j.state}`} data-testid="export-state">
                  {j.state}
                  {j.error && <div class="error">{j.error}</div>}
                </td>
                <td>{j.state === "done" ? j.items : "—"}</td>
                <td>{j.state === "done" ? bytes(j.bytes) : "—"}</td>
                <td>
                  {when(j.started)}
                  {j.ended && (
                    <>
                      <br />
                      <span class="counts">ended {when(j.ended)}</span>
                    </>
                  )}
                </td>
                <td>
                  {j.available && hasRoute(CASE_ROUTES.download) ? (
                    <a class="button" href={cases.downloadHref(j.id)} download aria-label={`Download zip of export ${j.id}`}>
                      Download zip
                    </a>
                  ) : j.state === "done" ? (
                    "removed"
                  ) : (
                    "—"
                  )}
                  {j.downloaded && <span class="counts"> downloaded</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CloseCase({ c, onDone }: { c: Case; onDone: Done }) {
  const [open, setOpen] = useState(false);
  const { busy, error, submit } = useSubmit();
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) confirm.current?.focus();
  }, [open]);

  if (!open)
    return (
      <button type="button" class="secondary" onClick={() => setOpen(true)}>
        Close case…
      </button>
    );
  return (
    <div class="card" role="group" aria-labelledby="close-title">
      <h3 id="close-title">Close case {c.id}?</h3>
      <p>Its holds are released, and nothing can be added to it afterwards.</p>
      <ErrorText error={error} />
      <div class="actions">
        <button
          type="button"
          class="danger"
          ref={confirm}
          disabled={busy}
          onClick={() =>
            submit(async () => {
              await cases.close(c.id);
              await onDone(`Case ${c.id} closed`);
            })
          }
        >
          Close case
        </button>
        <button type="button" class="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function CaseDetail({ id, session }: { id: string; session: Session }) {
  const { data: c, error, setData: setCase } = useLoaded(() => cases.get(id), [id]);
  const [notice, setNotice] = useState("");
  const may = (p: string) => session.permissions.includes(p);

  // The notice comes with the case read again, so that what it announces is on the page.
  const done: Done = async (text) => {
    const fresh = await cases.get(id);
    setCase(fresh);
    setNotice(text);
  };
  const open = c !== null && !c.closed_at;
  const canManage = open && may("cases.manage");

  return (
    <>
      <p>
        <a href="/cases" onClick={linkHandler("/cases")}>
          ← eDiscovery cases
        </a>
      </p>
      <h1 tabIndex={-1}>Case {id}</h1>
      <Notice text={notice} />
      <ErrorText error={error} />
      {!c && !error && <p aria-live="polite">Loading…</p>}
      {c && (
        <>
          <dl class="facts" data-testid="case-facts">
            <dt>Name</dt>
            <dd>{c.name || "—"}</dd>
            <dt>Description</dt>
            <dd>{c.description || "—"}</dd>
            <dt>Status</dt>
            <dd class="status" data-testid="case-status">
              {c.closed_at ? `closed ${when(c.closed_at)}` : "open"}
            </dd>
            <dt>Created</dt>
            <dd>
              {when(c.created_at)} by {c.created_by || "—"}
            </dd>
          </dl>
          <section aria-labelledby="custodians-title">
            <h2 id="custodians-title">Custodians</h2>
            {c.custodians.length === 0 ? (
              <p>No custodian.</p>
            ) : (
              <table class="list" data-testid="custodians">
                <caption class="visually-hidden">Custodians</caption>
                <thead>
                  <tr>
                    <th scope="col">Custodian</th>
                    <th scope="col">Mailboxes</th>
                  </tr>
                </thead>
                <tbody>
                  {c.custodians.map((x) => (
                    <tr key={x.name}>
                      <th scope="row">{x.name}</th>
                      <td>{x.mailboxes.join(", ")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {canManage && <AddCustodian c={c} session={session} onDone={done} />}
          </section>
          <CaseHolds c={c} canManage={canManage} onDone={done} />
          <Reviewers c={c} canManage={canManage} onDone={done} />
          <SavedSearches c={c} canManage={canManage} onDone={done} />
          {may("export") && hasRoute(CASE_ROUTES.exports) && (
            <Exports c={c} canStart={hasRoute(CASE_ROUTES.startExport)} />
          )}
          {canManage && (
            <section aria-labelledby="close-case-title">
              <h2 id="close-case-title">Close the case</h2>
              <CloseCase c={c} onDone={done} />
            </section>
          )}
        </>
      )}
    </>
  );
}

// ---- from the content search ----------------------------------------------------------------

// Keeps the search page's query as a saved search of an open case, then opens the case, where
// it can be exported.
export function SaveToCase({ query, zone }: { query: string; zone: string }) {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState<Case[] | null>(null);
  const [caseId, setCaseId] = useState("");
  const [name, setName] = useState("");
  const { busy, error, setError, submit } = useSubmit();
  const first = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    if (!open) return;
    cases
      .list()
      .then((l) => {
        const openCases = l.filter((c) => !c.closed_at);
        setList(openCases);
        setCaseId(openCases[0]?.id ?? "");
        setTimeout(() => first.current?.focus(), 0);
      })
      .catch((e) => setError(message(e)));
  }, [open]);

  if (!open)
    return (
      <div class="toolbar">
        <button type="button" class="secondary" onClick={() => setOpen(true)}>
          Save to a case…
        </button>
      </div>
    );

  async function save(e: Event) {
    e.preventDefault();
    if (!query.trim()) return setError("Enter a query first");
    if (!caseId) return setError("Case: create a case on the eDiscovery cases page first");
    if (!name.trim()) return setError("Search name: how the case and its exports will call it");
    await submit(async () => {
      await cases.saveSearch(caseId, name.trim(), query.trim(), zone);
      navigate(caseHref(caseId));
    });
  }

  return (
    <form class="card form" onSubmit={save} aria-labelledby="save-to-case-title">
      <h2 id="save-to-case-title">Save the query to a case</h2>
      {list && list.length === 0 && <p>No open case.</p>}
      <label for="save-case">Case</label>
      <select id="save-case" ref={first} value={caseId} onChange={(e) => setCaseId(e.currentTarget.value)}>
        {(list ?? []).map((c) => (
          <option value={c.id}>{c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id}</option>
        ))}
      </select>
      <label for="save-case-search">Search name</label>
      <input id="save-case-search" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <small>The case page then shows its estimate and exports it.</small>
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy || !list?.length}>
          Save and open the case
        </button>
        <button type="button" class="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
