import { useEffect, useState } from "preact/hooks";
import { AuditEvent, audit } from "./api";
import { ErrorText, message, when } from "./ui";

// The audit trail: every change, sign-in, search and item view, with who did it. Filters are
// the API's: since (a date or instant), actor, action (ending in "." for a prefix), limit.

interface Filter {
  since: string;
  actor: string;
  action: string;
  limit: string;
}

// Parameters as a person reads them, not as JSON: lists joined with commas, nested objects
// inline, empty values as "—" and the instants the service records in Unix seconds (since,
// expires, checkpoint, …) as dates like the rest of the page.
const INSTANT_KEYS = /^(since|expires|created|checkpoint|released|released_at|closed_at|ended|started|time|at|delete_at)$/;
function value(k: string, v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.length ? v.map((x) => value(k, x)).join(", ") : "—";
  if (typeof v === "object")
    return `{${Object.entries(v as Record<string, unknown>).map(([k2, v2]) => `${k2}: ${value(k2, v2)}`).join(", ")}}`;
  if (typeof v === "number" && INSTANT_KEYS.test(k) && v > 1e9 && v < 1e11) return when(new Date(v * 1000).toISOString());
  return String(v);
}
function params(p: unknown): string {
  if (p === null || p === undefined || p === "") return "—";
  if (typeof p !== "object") return String(p);
  return Object.entries(p as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${value(k, v)}`)
    .join("; ");
}

export function AuditPage() {
  const [f, setF] = useState<Filter>({ since: "", actor: "", action: "", limit: "200" });
  const [applied, setApplied] = useState<Filter>(f);
  const [data, setData] = useState<{ events: AuditEvent[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Filter, v: string) => setF((o) => ({ ...o, [k]: v }));

  useEffect(() => {
    let stop = false;
    setBusy(true);
    audit
      .list({
        since: applied.since.trim() || undefined,
        actor: applied.actor.trim() || undefined,
        action: applied.action.trim() || undefined,
        limit: Number(applied.limit) || 200,
      })
      .then((d) => !stop && (setData(d), setError(null)))
      .catch((e) => !stop && setError(message(e)))
      .finally(() => !stop && setBusy(false));
    return () => {
      stop = true;
    };
  }, [applied]);

  function submit(e: Event) {
    e.preventDefault();
    if (f.limit && !/^\d{1,6}$/.test(f.limit)) {
      setError("Limit: a whole number");
      return;
    }
    if (f.since && !/^\d{4}-\d{2}-\d{2}([T ][\d:]+(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(f.since.trim())) {
      setError("Since: a date (2026-11-01) or an instant (2026-11-01T08:00:00Z)");
      return;
    }
    setApplied({ ...f });
  }

  // Newest first on the page (the API gives the newest `limit`, oldest first).
  const events = data ? [...data.events].reverse() : [];
  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form class="filters" onSubmit={submit} aria-label="Filter the audit log">
        <span>
          <label for="audit-since">Since</label>
          <input id="audit-since" type="date" value={f.since} onInput={(e) => set("since", e.currentTarget.value)} />
        </span>
        <span>
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" value={f.actor} onInput={(e) => set("actor", e.currentTarget.value)} />
        </span>
        <span>
          <label for="audit-action">Action</label>
          <input
            id="audit-action"
            value={f.action}
            aria-describedby="audit-action-help"
            onInput={(e) => set("action", e.currentTarget.value)}
          />
          <small id="audit-action-help">e.g. hold.add, or hold. for every hold action</small>
        </span>
        <span>
          <label for="audit-limit">Limit</label>
          <input id="audit-limit" inputMode="numeric" size={6} value={f.limit} onInput={(e) => set("limit", e.currentTarget.value)} />
        </span>
        <button type="submit" disabled={busy}>
          Show
        </button>
      </form>
      <ErrorText error={error} />
      <p class="notice" aria-live="polite" data-testid="audit-status">
        {busy ? "Loading…" : data ? `${data.events.length} of ${data.total} events, newest first` : ""}
      </p>
      {data && data.events.length > 0 && (
        <table class="list" data-testid="audit">
          <caption class="visually-hidden">Audit events</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Results</th>
              <th scope="col">Parameters</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.seq} data-action={e.action}>
                <td>{when(e.time)}</td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.results ?? "—"}</td>
                <td class="params">{params(e.parameters)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
