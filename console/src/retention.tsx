import { useEffect, useRef, useState } from "preact/hooks";
import {
  ApplyResult,
  Disposable,
  PeriodUnit,
  PolicyChange,
  RETENTION_ROUTES,
  RetentionAction,
  RetentionPolicy,
  RetentionReview,
  Session,
  hasRoute,
  retention,
} from "./api";
import { linkHandler } from "./router";
import { ErrorText, Notice, bytes, message, when } from "./ui";

// Retention: the policies (retention.read lists them, retention.manage adds, changes and
// deletes them) and the disposition review (retention.read runs the dry run, retention.apply
// approves or rejects what it would dispose of). The server decides which placements are due
// and not held; this page shows its answers. What a locked policy may become is the server's rule
// too (check_policy_change in src/compliance/retention): the form of a locked policy offers only
// what that rule accepts and checks the rest before sending, so it never sends a change the
// server would refuse (another administrator's change in between still can be: its refusal is
// shown).

const ACTIONS: [RetentionAction, string][] = [
  ["retain-then-delete", "retain-then-delete: keep for the period, then delete"],
  ["retain", "retain-only: keep for the period (or forever), never delete"],
  ["delete", "delete-only: delete once the period has passed"],
];
const actionName = (a: RetentionAction) => (a === "retain" ? "retain-only" : a === "delete" ? "delete-only" : a);
const KINDS = ["message", "call", "system"];

function periodText(p: RetentionPolicy) {
  if (!p.period) return "forever";
  const unit = p.period.count === 1 ? p.period.unit.replace(/s$/, "") : p.period.unit;
  return `${p.period.count} ${unit} from the ${p.basis === "sent" ? "sent" : "import"} date`;
}

const all = (list: string[], what: string) => (list.length ? list.join(", ") : `every ${what}`);
const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

// ---- a policy's form -------------------------------------------------------------------------

interface PolicyForm {
  id: string;
  name: string;
  action: RetentionAction;
  count: string;
  unit: PeriodUnit;
  forever: boolean;
  basis: "sent" | "imported";
  mailboxes: string;
  folders: string;
  kinds: string[];
  lock: boolean;
}

function formOf(p: RetentionPolicy | null): PolicyForm {
  return {
    id: p?.id ?? "",
    name: p?.name ?? "",
    action: p?.action ?? "retain-then-delete",
    count: String(p?.period?.count ?? 7),
    unit: p?.period?.unit ?? "years",
    forever: Boolean(p && !p.period),
    basis: p?.basis ?? "sent",
    mailboxes: (p?.scope.mailboxes ?? []).join("\n"),
    folders: (p?.scope.folders ?? []).join("\n"),
    kinds: p?.scope.kinds ?? [],
    lock: false,
  };
}

// The server's limits on a period (validate in src/compliance/retention).
const PERIOD_LIMIT: Record<PeriodUnit, number> = { days: 100_000, months: 10_000, years: 1_000 };

function formProblems(f: PolicyForm, isNew: boolean): string[] {
  const p: string[] = [];
  if (isNew && !/^[A-Za-z0-9._-]{1,64}$/.test(f.id)) p.push("ID: 1 to 64 of letters, digits, '.', '_' and '-'");
  const forever = f.action === "retain" && f.forever;
  if (!forever && !/^\d{1,6}$/.test(f.count)) p.push("Period: a whole number of days, months or years");
  else if (!forever && Number(f.count) > PERIOD_LIMIT[f.unit])
    p.push(`Period: at most ${PERIOD_LIMIT[f.unit].toLocaleString("en")} ${f.unit}`);
  for (const m of lines(f.mailboxes))
    if (!/^[^@\s]+@[^@\s]+$/.test(m)) p.push(`Mailboxes: "${m}" is not a mailbox address`);
  return p;
}

function changeOf(f: PolicyForm, isNew: boolean): PolicyChange {
  const c: PolicyChange = {
    name: f.name.trim(),
    action: f.action,
    period: f.action === "retain" && f.forever ? "forever" : `${Number(f.count)} ${f.unit}`,
    basis: f.basis,
    scope: { mailboxes: lines(f.mailboxes), folders: lines(f.folders), kinds: f.kinds },
  };
  if (isNew) c.id = f.id.trim();
  if (f.lock) c.lock = true;
  return c;
}

// ---- the preservation lock: the server's rule, checked in the page -----------------------------

type Period = RetentionPolicy["period"]; // null: forever

const retentiveness = (a: RetentionAction) => (a === "delete" ? 0 : a === "retain-then-delete" ? 1 : 2);
const inMonths = (p: { count: number; unit: PeriodUnit }) => (p.unit === "years" ? p.count * 12 : p.count);

// The days n months (or years) last at the least and at the most, from any start date.
function dayBounds(p: { count: number; unit: PeriodUnit }): [number, number] {
  if (p.unit === "days") return [p.count, p.count];
  const m = inMonths(p);
  return [365 * Math.floor(m / 12) + 28 * (m % 12), 366 * Math.floor(m / 12) + 31 * (m % 12)];
}

// a ≥ b from every start date, as the server compares them (at_least in retention.cpp).
function atLeast(a: Period, b: Period): boolean {
  if (!a) return true;
  if (!b) return false;
  const aDays = a.unit === "days";
  if (aDays === (b.unit === "days")) return aDays ? a.count >= b.count : inMonths(a) >= inMonths(b);
  return dayBounds(a)[0] >= dayBounds(b)[1];
}

const periodWords = (p: Period) => (p ? `${p.count} ${p.count === 1 ? p.unit.replace(/s$/, "") : p.unit}` : "forever");

// The fewest `unit` at least `b` (retention), or the most at most `b` (deletion); null: none.
function bound(b: { count: number; unit: PeriodUnit }, unit: PeriodUnit, least: boolean): number | null {
  const ok = (n: number) => (least ? atLeast({ count: n, unit }, b) : atLeast(b, { count: n, unit }));
  let lo = 0;
  let hi = PERIOD_LIMIT[unit];
  if (least ? !ok(hi) : !ok(lo)) return null;
  // ok(n) is monotonic in n: binary search for the edge.
  while (lo < hi) {
    if (least) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid)) hi = mid;
      else lo = mid + 1;
    } else {
      const mid = Math.ceil((lo + hi) / 2);
      if (ok(mid)) lo = mid;
      else hi = mid - 1;
    }
  }
  return lo;
}

function formPeriod(f: PolicyForm): Period | undefined {
  if (f.action === "retain" && f.forever) return null;
  return /^\d{1,6}$/.test(f.count) ? { count: Number(f.count), unit: f.unit } : undefined; // undefined: not a period yet
}

type LockField = "action" | "period" | "basis" | "mailboxes" | "folders" | "kinds";

// What the period of a locked policy may be, in the form's unit: shown under the field.
function periodRule(b: RetentionPolicy, f: PolicyForm): string | null {
  if (b.action !== "delete") {
    if (!b.period) return "The lock: it retains forever, and always will.";
    const n = bound(b.period, f.unit, true);
    return `The lock: a retention of at least ${periodWords(b.period)}${
      f.unit === b.period.unit ? "" : n === null ? ` (no period in ${f.unit} is)` : ` (${n} ${f.unit} or more)`
    }.`;
  }
  if (f.action !== "delete" || !b.period) return null;
  const n = bound(b.period, f.unit, false);
  return `The lock: a deletion after at most ${periodWords(b.period)}${
    f.unit === b.period.unit ? "" : n === null ? ` (no period in ${f.unit} is)` : ` (${n} ${f.unit} or fewer)`
  }.`;
}

// Why the form's policy would weaken the locked policy `b`, by field: the checks of
// check_policy_change in src/compliance/retention, in its words. Empty: the server accepts it.
function lockProblems(b: RetentionPolicy, f: PolicyForm): Partial<Record<LockField, string>> {
  const why: Partial<Record<LockField, string>> = {};
  const weakens = "This would weaken the lock:";
  if (retentiveness(f.action) < retentiveness(b.action))
    why.action = `${weakens} ${actionName(f.action)} retains less than ${actionName(b.action)}.`;
  if (f.basis !== b.basis)
    why.basis = `${weakens} the period must count from the ${b.basis === "sent" ? "sent" : "import"} date, as it does now (the two dates are not ordered for every item).`;
  const after = formPeriod(f);
  if (after !== undefined) {
    if (b.action !== "delete" && !atLeast(after, b.period))
      why.period = `${weakens} a retention of ${periodWords(after)} is shorter than ${periodWords(b.period)} from some start dates.`;
    else if (b.action === "delete" && f.action === "delete" && !atLeast(b.period, after))
      why.period = `${weakens} a deletion after ${periodWords(after)} comes later than after ${periodWords(b.period)} from some start dates.`;
  }
  const covers = (field: "mailboxes" | "folders" | "kinds", was: string[], now: string[], what: string) => {
    if (!was.length && now.length) why[field] = `${weakens} it covers every ${what} and would no longer.`;
    else if (now.length) {
      const lost = was.filter((x) => !now.includes(x));
      if (lost.length)
        why[field] = `${weakens} it would no longer cover the ${what}${lost.length > 1 ? "s" : ""} ${lost.join(", ")}.`;
    }
  };
  const mailboxes = lines(f.mailboxes);
  const folders = lines(f.folders);
  covers("mailboxes", b.scope.mailboxes, mailboxes, "mailbox");
  covers("folders", b.scope.folders, folders, "folder");
  covers("kinds", b.scope.kinds, f.kinds, "kind");
  const explicit = b.scope.mailboxes.length > 0 || b.scope.folders.length > 0;
  if (b.action === "delete" && f.action === "delete" && explicit && !mailboxes.length && !folders.length && !why.mailboxes)
    why.mailboxes = `${weakens} an org-wide scope would give up the precedence its named mailboxes or folders give its deletion; keep at least one.`;
  return why;
}

// The hint and the reason a field would weaken the lock, tied to the field for screen readers.
function LockHint({ id, rule, why }: { id: string; rule: string | null; why?: string }) {
  return (
    <>
      {rule && <small id={`${id}-lock`}>{rule}</small>}
      {why && (
        <p class="error" role="alert" id={`${id}-weakens`} data-testid="lock-problem">
          {why}
        </p>
      )}
    </>
  );
}
const describedBy = (id: string, rule: unknown, why?: string, more?: string) =>
  [more, rule ? `${id}-lock` : "", why ? `${id}-weakens` : ""].filter(Boolean).join(" ") || undefined;

function PolicyEditor({
  existing,
  onSaved,
  onCancel,
}: {
  existing: RetentionPolicy | null;
  onSaved: (p: RetentionPolicy, how: string) => void;
  onCancel: () => void;
}) {
  const isNew = !existing;
  const locked = existing?.locked ? existing : null;
  const [f, setF] = useState<PolicyForm>(() => formOf(existing));
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [refusal, setRefusal] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const set = <K extends keyof PolicyForm>(k: K, v: PolicyForm[K]) => setF((old) => ({ ...old, [k]: v }));
  const title = isNew ? "Add a retention policy" : `Edit policy ${existing.id}`;
  // A locked policy: what each field would weaken, shown at the field as it is edited.
  const weakens = locked ? lockProblems(locked, f) : {};
  const foreverFixed = Boolean(locked && locked.action !== "delete" && !locked.period);

  useEffect(() => heading.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    const p = formProblems(f, isNew);
    setProblems(p);
    setRefusal(null);
    if (p.length) return;
    // Never send what the lock's rule refuses: the reasons are at the fields; go to the first.
    const first = (["action", "period", "basis", "mailboxes", "folders", "kinds"] as LockField[]).find((k) => weakens[k]);
    if (first) {
      const target = { action: "p-action", period: "p-count", basis: `p-basis-${locked!.basis}`, mailboxes: "p-mailboxes", folders: "p-folders", kinds: "p-kinds" }[first];
      const field = document.getElementById(target);
      (field?.querySelector<HTMLElement>("input:not([disabled])") ?? field)?.focus();
      return;
    }
    setBusy(true);
    try {
      const body = changeOf(f, isNew);
      const saved = isNew ? await retention.add(body) : await retention.change(existing.id, body);
      onSaved(saved, isNew ? "added" : f.lock ? "changed and locked" : "changed");
    } catch (err) {
      setRefusal(message(err));
    } finally {
      setBusy(false);
    }
  }

  const scopeRule = (was: string[], what: string, plural: string) =>
    !locked
      ? null
      : was.length
        ? `The lock keeps ${was.join(", ")}: add ${plural}, or empty the field to cover every ${what}.`
        : `It covers every ${what}, and the lock keeps it so.`;
  const mailboxRule = locked && scopeRule(locked.scope.mailboxes, "mailbox", "mailboxes");
  const folderRule = locked && scopeRule(locked.scope.folders, "folder", "folders");
  const kindRule = !locked
    ? null
    : locked.scope.kinds.length
      ? `The lock keeps ${locked.scope.kinds.join(", ")}: tick more kinds to cover them too.`
      : "It covers every kind, and the lock keeps it so.";
  const periodHint = locked && !(f.action === "retain" && f.forever) ? periodRule(locked, f) : null;

  return (
    <form class="card form" onSubmit={submit} noValidate aria-labelledby="policy-form-title" data-testid="policy-form">
      <h2 id="policy-form-title" tabIndex={-1} ref={heading}>
        {title}
      </h2>
      {locked && (
        <p class="locked-note" data-testid="locked-note">
          This policy has a preservation lock: it can only be made stricter (a longer retention, more mailboxes,
          folders or kinds), and the lock cannot be removed. The form offers only such changes and says at the field
          what would weaken it.
        </p>
      )}
      {isNew ? (
        <>
          <label for="p-id">ID</label>
          <input id="p-id" autoComplete="off" value={f.id} aria-describedby="p-id-hint" onInput={(e) => set("id", e.currentTarget.value)} />
          <small id="p-id-hint">Never changes; e.g. fx-desk-7y</small>
        </>
      ) : null}
      <label for="p-name">Name (optional)</label>
      <input id="p-name" value={f.name} onInput={(e) => set("name", e.currentTarget.value)} />
      <label for="p-action">Action</label>
      <select
        id="p-action"
        value={f.action}
        aria-invalid={weakens.action ? true : undefined}
        aria-describedby={describedBy("p-action", locked, weakens.action)}
        onChange={(e) => set("action", e.currentTarget.value as RetentionAction)}
      >
        {ACTIONS.map(([a, label]) => {
          const less = Boolean(locked && retentiveness(a) < retentiveness(locked.action));
          return (
            <option key={a} value={a} disabled={less}>
              {label}
              {less ? " (retains less: the lock forbids it)" : ""}
            </option>
          );
        })}
      </select>
      {locked && (
        <LockHint id="p-action" rule={`The lock: ${actionName(locked.action)} or an action that retains more.`} why={weakens.action} />
      )}
      {f.action === "retain" && (
        <label class="check">
          <input
            type="checkbox"
            checked={f.forever}
            disabled={foreverFixed}
            aria-describedby={foreverFixed ? "p-count-lock" : undefined}
            onChange={(e) => set("forever", e.currentTarget.checked)}
          />
          Retain forever
        </label>
      )}
      {foreverFixed && <small id="p-count-lock">The lock: it retains forever, and always will.</small>}
      {!(f.action === "retain" && f.forever) && (
        <div class="row">
          <span>
            <label for="p-count">Period</label>
            <input
              id="p-count"
              inputMode="numeric"
              size={6}
              value={f.count}
              aria-invalid={weakens.period ? true : undefined}
              aria-describedby={describedBy("p-count", periodHint, weakens.period)}
              onInput={(e) => set("count", e.currentTarget.value)}
            />
          </span>
          <span>
            <label for="p-unit">Period unit</label>
            <select
              id="p-unit"
              value={f.unit}
              aria-describedby={describedBy("p-count", periodHint, weakens.period)}
              onChange={(e) => set("unit", e.currentTarget.value as PeriodUnit)}
            >
              <option value="days">days</option>
              <option value="months">months</option>
              <option value="years">years</option>
            </select>
          </span>
        </div>
      )}
      {!foreverFixed && <LockHint id="p-count" rule={periodHint} why={weakens.period} />}
      <fieldset class="plain" aria-describedby={describedBy("p-basis", locked, weakens.basis)}>
        <legend>Counted from</legend>
        <label class="check">
          <input
            type="radio"
            name="p-basis"
            id="p-basis-sent"
            checked={f.basis === "sent"}
            disabled={Boolean(locked && locked.basis !== "sent")}
            onChange={() => set("basis", "sent")}
          />
          the date the message was sent
        </label>
        <label class="check">
          <input
            type="radio"
            name="p-basis"
            id="p-basis-imported"
            checked={f.basis === "imported"}
            disabled={Boolean(locked && locked.basis !== "imported")}
            onChange={() => set("basis", "imported")}
          />
          the date it was imported into the archive
        </label>
      </fieldset>
      {locked && (
        <LockHint
          id="p-basis"
          rule={`The lock: counted from the ${locked.basis === "sent" ? "sent" : "import"} date, as now.`}
          why={weakens.basis}
        />
      )}
      <label for="p-mailboxes">Mailboxes, one address a line (empty: every mailbox)</label>
      <textarea
        id="p-mailboxes"
        rows={3}
        value={f.mailboxes}
        readOnly={Boolean(locked && !locked.scope.mailboxes.length)}
        aria-invalid={weakens.mailboxes ? true : undefined}
        aria-describedby={describedBy("p-mailboxes", mailboxRule, weakens.mailboxes)}
        onInput={(e) => set("mailboxes", e.currentTarget.value)}
      />
      <LockHint id="p-mailboxes" rule={mailboxRule} why={weakens.mailboxes} />
      <label for="p-folders">Folders, one a line (empty: every folder)</label>
      <textarea
        id="p-folders"
        rows={2}
        value={f.folders}
        readOnly={Boolean(locked && !locked.scope.folders.length)}
        aria-invalid={weakens.folders ? true : undefined}
        aria-describedby={describedBy("p-folders", folderRule, weakens.folders)}
        onInput={(e) => set("folders", e.currentTarget.value)}
      />
      <LockHint id="p-folders" rule={folderRule} why={weakens.folders} />
      <fieldset class="plain" id="p-kinds" aria-describedby={describedBy("p-kinds", kindRule, weakens.kinds)}>
        <legend>Kinds (none ticked: every kind)</legend>
        {KINDS.map((k) => (
          <label class="check" key={k}>
            <input
              type="checkbox"
              checked={f.kinds.includes(k)}
              // Locked: a kind it covers stays, and one that covers every kind cannot narrow.
              disabled={Boolean(locked && (!locked.scope.kinds.length || locked.scope.kinds.includes(k)))}
              onChange={(e) => set("kinds", e.currentTarget.checked ? [...f.kinds, k] : f.kinds.filter((x) => x !== k))}
            />
            {k}
          </label>
        ))}
      </fieldset>
      <LockHint id="p-kinds" rule={kindRule} why={weakens.kinds} />
      {!locked && (
        <>
          <label class="check">
            <input type="checkbox" checked={f.lock} aria-describedby="p-lock-hint" onChange={(e) => set("lock", e.currentTarget.checked)} />
            Preservation lock
          </label>
          <small id="p-lock-hint">
            A locked policy can never be unlocked or deleted, and can only be made stricter.
          </small>
        </>
      )}
      {problems.length > 0 && (
        <ul class="error" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {refusal && (
        <p class="error refusal" role="alert" data-testid="policy-error">
          The server refused it: {refusal}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {isNew ? (f.lock ? "Add and lock" : "Add policy") : f.lock ? "Save and lock" : "Save changes"}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// ---- the policies ----------------------------------------------------------------------------

function PolicyRow({
  p,
  canManage,
  onEdit,
  onDone,
}: {
  p: RetentionPolicy;
  canManage: boolean;
  onEdit: () => void;
  onDone: (msg: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);

  async function remove() {
    setBusy(true);
    try {
      await retention.remove(p.id);
      onDone(`Policy ${p.id} deleted`);
    } catch (e) {
      setError(message(e));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-policy={p.id}>
      <th scope="row">
        <span class="id">{p.id}</span>
        {p.name && <div class="counts">{p.name}</div>}
      </th>
      <td>{actionName(p.action)}</td>
      <td>{periodText(p)}</td>
      <td>
        <div>Mailboxes: {all(p.scope.mailboxes, "mailbox")}</div>
        <div>Folders: {all(p.scope.folders, "folder")}</div>
        <div>Kinds: {all(p.scope.kinds, "kind")}</div>
      </td>
      <td data-testid="lock">
        {p.locked ? (
          <span class="lock-on" title="Preservation lock: can only be made stricter; cannot be deleted or unlocked">
            Locked
          </span>
        ) : (
          "not locked"
        )}
      </td>
      {canManage && (
        <td>
          {confirming ? (
            <div class="actions" role="group" aria-label={`Delete policy ${p.id}?`}>
              <span>Delete {p.id}? Items it kept fall to the other policies.</span>
              <button type="button" class="danger" disabled={busy} onClick={remove}>
                Delete
              </button>
              <button type="button" class="secondary" ref={cancel} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <div class="actions" role="group" aria-label={`Actions for ${p.id}`}>
              <button type="button" class="secondary" onClick={onEdit}>
                {p.locked ? "Make stricter…" : "Edit…"}
              </button>
              {!p.locked && (
                <button type="button" class="secondary" onClick={() => setConfirming(true)}>
                  Delete…
                </button>
              )}
            </div>
          )}
          <ErrorText error={error} />
        </td>
      )}
    </tr>
  );
}

function Policies({ session, onNotice }: { session: Session; onNotice: (m: string) => void }) {
  const canManage = session.permissions.includes("retention.manage");
  const [list, setList] = useState<RetentionPolicy[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // null: no form; "new": adding; else the id of the policy being edited.
  const [editing, setEditing] = useState<string | null>(null);
  // When the form closes, the focus goes back to where a keyboard user goes on from.
  const addButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  useEffect(() => {
    if (editing === null && wasEditing.current) addButton.current?.focus();
    wasEditing.current = editing !== null;
  }, [editing]);

  async function load() {
    try {
      setList(await retention.policies());
      setError(null);
    } catch (e) {
      setError(message(e));
    }
  }
  useEffect(() => {
    load();
  }, []);

  const current = editing && editing !== "new" ? (list ?? []).find((p) => p.id === editing) ?? null : null;

  return (
    <section aria-labelledby="policies-title">
      <h2 id="policies-title">Policies</h2>
      {canManage && editing === null && (
        <div class="toolbar">
          <button type="button" ref={addButton} onClick={() => setEditing("new")}>
            Add policy
          </button>
        </div>
      )}
      {editing !== null && (
        <PolicyEditor
          key={editing}
          existing={current}
          onCancel={() => setEditing(null)}
          onSaved={(p, how) => {
            setEditing(null);
            onNotice(`Policy ${p.id} ${how}`);
            load();
          }}
        />
      )}
      <ErrorText error={error} />
      {list && list.length === 0 && <p>No retention policy: every item is kept.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="policies">
          <caption class="visually-hidden">Retention policies</caption>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Action</th>
              <th scope="col">Period</th>
              <th scope="col">Scope</th>
              <th scope="col">Preservation lock</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <PolicyRow
                key={p.id}
                p={p}
                canManage={canManage}
                onEdit={() => setEditing(p.id)}
                onDone={(m) => {
                  onNotice(m);
                  load();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// ---- the disposition review --------------------------------------------------------------------

const keyOf = (d: { item: number; mailbox: string }) => `${d.item}|${d.mailbox}`;

function ApplyOutcome({ r }: { r: ApplyResult }) {
  return (
    <div class="card" data-testid="apply-result" role="status">
      <p>
        Disposed of {r.disposed.length} placement{r.disposed.length === 1 ? "" : "s"}
        {r.removed.items ? ` (${r.removed.items} stored item${r.removed.items === 1 ? "" : "s"} removed, ${bytes(r.removed.bytes_released ?? 0)} released)` : ""};{" "}
        {r.rejected} rejected; {r.not_disposed.length} not disposed of.
      </p>
      {r.not_disposed.length > 0 && (
        <>
          <p>Not disposed of (no longer due, or held since the review):</p>
          <ul>
            {r.not_disposed.map((d) => (
              <li key={keyOf(d)}>
                item {d.item} in {d.mailbox}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Review({ session }: { session: Session }) {
  const canApply = session.permissions.includes("retention.apply") && hasRoute(RETENTION_ROUTES.apply);
  // The item's page is the content search's: linked only for those who may open it.
  const canOpenItems = session.permissions.includes("search");
  const [review, setReview] = useState<RetentionReview | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<ApplyResult | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);

  if (!hasRoute(RETENTION_ROUTES.review)) return null;

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const r = await retention.review();
      if (r) setReview(r);
      setSelected(new Set());
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  const chosen = (review?.dispose ?? []).filter((d) => selected.has(keyOf(d)));

  async function apply(approve: boolean) {
    if (!chosen.length) {
      setError("Select at least one placement first.");
      return;
    }
    if (!approve && !reason.trim()) {
      setError("Reason for rejecting: say why these are kept (it is recorded with them).");
      return;
    }
    setBusy(true);
    setError(null);
    setConfirming(false);
    try {
      const placements = chosen.map((d) => ({ item: d.item, mailbox: d.mailbox }));
      const r = approve
        ? await retention.apply(placements, [])
        : await retention.apply([], placements.map((p) => ({ ...p, reason: reason.trim() })));
      if (r) setOutcome(r);
      if (!approve) setReason("");
      // The list as the server sees it now: disposed ones gone, rejected ones marked.
      const fresh = await retention.review();
      if (fresh) setReview(fresh);
      setSelected(new Set());
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  function toggle(d: Disposable, on: boolean) {
    const next = new Set(selected);
    if (on) next.add(keyOf(d));
    else next.delete(keyOf(d));
    setSelected(next);
  }

  const rows = review?.dispose ?? [];
  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title">Disposition review</h2>
      <p>
        What a disposition run would dispose of now, and why. Held placements are never listed: a hold keeps them
        whatever the policies say.{canApply ? " Approved placements are decided again when applied." : ""}
      </p>
      <div class="toolbar">
        <button type="button" onClick={run} disabled={busy}>
          {review ? "Run the review again" : "Run disposition review"}
        </button>
      </div>
      <ErrorText error={error} />
      {outcome && <ApplyOutcome r={outcome} />}
      {review && (
        <p data-testid="review-summary">
          At {when(review.now)}: {review.placements} placement{review.placements === 1 ? "" : "s"} decided, {review.held} held
          and kept, {rows.length} to dispose of.
        </p>
      )}
      {review && rows.length === 0 && <p>Nothing is due for disposal.</p>}
      {rows.length > 0 && (
        <>
          <table class="list" data-testid="disposable">
            <caption class="visually-hidden">Placements a disposition would dispose of</caption>
            <thead>
              <tr>
                {canApply && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every placement"
                      checked={selected.size === rows.length}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map(keyOf)) : new Set())}
                    />
                  </th>
                )}
                <th scope="col">Item</th>
                <th scope="col">Mailbox</th>
                <th scope="col">Policy</th>
                <th scope="col">Due since</th>
                <th scope="col">Why</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={keyOf(d)} data-placement={keyOf(d)}>
                  {canApply && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select item ${d.item} in ${d.mailbox}`}
                        checked={selected.has(keyOf(d))}
                        onChange={(e) => toggle(d, e.currentTarget.checked)}
                      />
                    </td>
                  )}
                  <th scope="row">
                    {canOpenItems ? (
                      <a href={`/search/items/${d.item}`} onClick={linkHandler(`/search/items/${d.item}`)}>
                        {d.item}
                      </a>
                    ) : (
                      d.item
                    )}
                    {d.last_placement && <div class="counts">last placement: the item itself goes</div>}
                  </th>
                  <td>{d.mailbox}</td>
                  <td>{d.policy}</td>
                  <td>{when(d.delete_at)}</td>
                  <td>
                    <ul class="reasons">
                      {d.reasons.map((r, i) => (
                        <li key={i}>{r}</li>
                      ))}
                    </ul>
                  </td>
                  <td data-testid="decision">
                    {d.rejected ? `rejected by ${d.rejected.by}: ${d.rejected.reason}` : "to dispose of"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {canApply &&
            (confirming ? (
              <div class="actions" role="group" aria-label="Dispose of the selected placements?">
                <span>
                  Dispose of {chosen.length} placement{chosen.length === 1 ? "" : "s"} now? This cannot be undone.
                </span>
                <button type="button" class="danger" disabled={busy} onClick={() => apply(true)}>
                  Dispose
                </button>
                <button type="button" class="secondary" ref={cancel} onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : (
              <div class="apply-bar">
                <p aria-live="polite" data-testid="selected-count">
                  {chosen.length} selected
                </p>
                <div class="actions">
                  <button type="button" disabled={busy || !chosen.length} onClick={() => setConfirming(true)}>
                    Approve selected…
                  </button>
                </div>
                <label for="reject-reason">Reason for rejecting (kept with them)</label>
                <input id="reject-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
                <div class="actions">
                  <button type="button" class="secondary" disabled={busy || !chosen.length} onClick={() => apply(false)}>
                    Reject selected
                  </button>
                </div>
              </div>
            ))}
        </>
      )}
    </section>
  );
}

export function RetentionPage({ session }: { session: Session }) {
  const [notice, setNotice] = useState("");
  return (
    <>
      <h1 tabIndex={-1}>Retention</h1>
      <Notice text={notice} />
      <Policies session={session} onNotice={setNotice} />
      <Review session={session} />
    </>
  );
}
