import { useEffect, useRef, useState } from "preact/hooks";
import { Hold, Session, holds, search } from "./api";
import { ErrorText, Notice, message, when } from "./ui";

// Holds: the litigation and case holds in force (or all, released ones too); with
// holds.manage, place a litigation hold on a mailbox and release one, each with a reason.

function PlaceHold({ session, onDone }: { session: Session; onDone: (msg: string) => void }) {
  const [mailbox, setMailbox] = useState("");
  const [reason, setReason] = useState("");
  const [known, setKnown] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // The mailbox list needs `search`; without it the address is typed.
  useEffect(() => {
    if (!session.permissions.includes("search")) return;
    search
      .mailboxes()
      .then((m) => setKnown(m.map((x) => x.address)))
      .catch(() => setKnown([]));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (!/^[^@\s]+@[^@\s]+$/.test(mailbox.trim())) {
      setError("Mailbox: the mailbox's address, e.g. helena.brandt@bank.example");
      return;
    }
    if (!reason.trim()) {
      setError("Reason: say why (it is kept with the hold)");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const h = await holds.place(mailbox.trim(), reason.trim());
      setMailbox("");
      setReason("");
      onDone(`${h.id} placed on ${h.mailboxes.join(", ")}`);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="place-title">
      <h2 id="place-title">Place a litigation hold</h2>
      <label for="hold-mailbox">Mailbox</label>
      <input
        id="hold-mailbox"
        type="email"
        list={known.length ? "hold-mailboxes" : undefined}
        autoComplete="off"
        value={mailbox}
        aria-describedby="hold-mailbox-help"
        onInput={(e) => setMailbox(e.currentTarget.value)}
      />
      <small id="hold-mailbox-help">
        The whole mailbox is held from now on, items that arrive later included.
        {known.length ? " Pick one of the archive's mailboxes or type an address." : ""}
      </small>
      {known.length > 0 && (
        <datalist id="hold-mailboxes">
          {known.map((m) => (
            <option value={m} />
          ))}
        </datalist>
      )}
      <label for="hold-reason">Reason</label>
      <input id="hold-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Place hold
        </button>
      </div>
    </form>
  );
}

function Release({ h, onDone }: { h: Hold; onDone: (msg: string) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open) field.current?.focus();
  }, [open]);

  if (!open)
    return (
      <button type="button" class="secondary" onClick={() => setOpen(true)}>
        Release…
      </button>
    );
  async function submit(e: Event) {
    e.preventDefault();
    if (!reason.trim()) {
      setError("Say why the hold is released");
      return;
    }
    setBusy(true);
    try {
      await holds.release(h.id, reason.trim());
      onDone(`${h.id} released`);
    } catch (err) {
      setError(message(err));
      setBusy(false);
    }
  }
  return (
    <form class="release" onSubmit={submit} aria-label={`Release ${h.id}`}>
      <label for={`release-${h.id}`}>Reason for releasing {h.id}</label>
      <input id={`release-${h.id}`} ref={field} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" class="danger" disabled={busy}>
          Release
        </button>
        <button type="button" class="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function HoldsPage({ session }: { session: Session }) {
  const canManage = session.permissions.includes("holds.manage");
  const [all, setAll] = useState(false);
  const [list, setList] = useState<Hold[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [bump, setBump] = useState(0);

  useEffect(() => {
    let stop = false;
    holds
      .list(all)
      .then((l) => !stop && (setList(l), setError(null)))
      .catch((e) => !stop && setError(message(e)));
    return () => {
      stop = true;
    };
  }, [all, bump]);

  const done = (m: string) => {
    setNotice(m);
    setBump((b) => b + 1);
  };

  return (
    <>
      <h1 tabIndex={-1}>Holds</h1>
      <Notice text={notice} />
      {canManage && <PlaceHold session={session} onDone={done} />}
      <h2>{all ? "All holds" : "Holds in force"}</h2>
      <label class="check">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> Show released holds too
      </label>
      <ErrorText error={error} />
      {list && list.length === 0 && <p>No hold{all ? "" : " in force"}.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="holds">
          <caption class="visually-hidden">Holds</caption>
          <thead>
            <tr>
              <th scope="col">Hold</th>
              <th scope="col">Kind</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Reason</th>
              <th scope="col">Placed</th>
              <th scope="col">Released</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <tr key={h.id} data-hold={h.id}>
                <th scope="row" class="id">{h.id}</th>
                <td>
                  {h.case ? `case ${h.case}` : h.kind}
                  {h.query ? (
                    <>
                      <br />
                      <code>{h.query}</code>
                    </>
                  ) : null}
                </td>
                <td>{h.mailboxes.join(", ") || "—"}</td>
                <td>{h.reason || "—"}</td>
                <td>
                  {when(h.since)}
                  <br />
                  <span class="counts">by {h.placed_by || "—"}</span>
                </td>
                <td data-testid="released">
                  {h.released_at ? (
                    <>
                      {when(h.released_at)}
                      <br />
                      <span class="counts">by {h.released_by || "—"}</span>
                    </>
                  ) : (
                    <span class="status">in force</span>
                  )}
                </td>
                {canManage && <td>{!h.released_at && h.kind === "litigation" && <Release h={h} onDone={done} />}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
