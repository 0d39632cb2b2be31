import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, NewConnector, addConnector } from "./api";
import { CsvCheck, checkMappingCsv } from "./mapping";
import { linkHandler, navigate } from "./router";

// "Add connector", as Microsoft 365's WhatsApp Archiver set-up goes: terms, source settings
// and login, user mapping, review, finish. Nothing is saved before Finish; the server checks
// everything again and names the field it refuses.

const STEPS = ["Terms", "Source", "User mapping", "Review"] as const;

interface Form {
  accepted: boolean;
  name: string;
  kind: "drop-folder" | "http-pull";
  folder: string;
  settle: string;
  url: string;
  auth: "none" | "basic" | "bearer";
  username: string;
  secret: string;
  schedule: string;
  timeZone: string;
  automatic: boolean;
  region: string;
  owners: string;
  csvName: string;
  csv: string;
}

const initial = (): Form => ({
  accepted: false,
  name: "",
  kind: "drop-folder",
  folder: "",
  settle: "10",
  url: "",
  auth: "none",
  username: "",
  secret: "",
  schedule: "every 1h",
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  automatic: true,
  region: "",
  owners: "",
  csvName: "",
  csv: "",
});

function sourceProblems(f: Form): string[] {
  const p: string[] = [];
  if (!/^[a-z0-9-]{1,64}$/.test(f.name)) p.push("Name: 1 to 64 of a–z, 0–9 and -");
  if (f.kind === "drop-folder") {
    if (!f.folder.startsWith("/")) p.push("Folder: an absolute path on the server, e.g. /srv/whatsapp/drop");
    if (!/^\d+$/.test(f.settle) || Number(f.settle) > 86400) p.push("Settle time: 0 to 86400 seconds");
  } else {
    if (!/^https?:\/\/\S+$/.test(f.url)) p.push("Index URL: an http:// or https:// address");
    if (f.auth === "basic" && !f.username) p.push("User name: needed for basic authentication");
    if (f.auth !== "none" && !f.secret) p.push(f.auth === "basic" ? "Password: needed" : "Token: needed");
  }
  if (!/^(manual|every \d+\s*\w+|cron: .+)$/.test(f.schedule.trim()))
    p.push("Schedule: manual, every N m/h/d (every 24h), or cron: M H DOM MON DOW");
  if (!f.timeZone.trim()) p.push("Time zone: an IANA zone, e.g. Europe/Berlin");
  return p;
}

function ownerProblems(f: Form): string[] {
  return f.owners
    .split("\n")
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l && !/^\+?[\d\s\-().]{5,}=[^@\s]+@[^@\s]+\.[^@\s]+$/.test(l))
    .map(([l, n]) => `Owners line ${n}: "${l}" is not PHONE=EMAIL`);
}

export function AddConnector() {
  const [step, setStep] = useState(0);
  const [f, setF] = useState<Form>(initial);
  const [csvCheck, setCsvCheck] = useState<CsvCheck | null>(null);
  const [showProblems, setShowProblems] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((old) => ({ ...old, [k]: v }));

  // Each step's heading takes the focus, so that a screen reader hears where it is.
  useEffect(() => heading.current?.focus(), [step, done]);
  useEffect(() => {
    if (f.csv) setCsvCheck(checkMappingCsv(f.csv, f.region.trim()));
  }, [f.csv, f.region]);

  const problems =
    step === 0
      ? f.accepted
        ? []
        : ["Accept the terms to go on"]
      : step === 1
        ? sourceProblems(f)
        : step === 2
          ? [
              ...ownerProblems(f),
              ...(f.region && !/^[A-Za-z]{2}$/.test(f.region) ? ["Default region: two letters, e.g. DE"] : []),
              ...(csvCheck && csvCheck.problems.length ? ["The mapping CSV has problems (below)"] : []),
            ]
          : [];

  function next(e: Event) {
    e.preventDefault();
    if (problems.length) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    setStep(step + 1);
  }

  async function onFile(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    const text = await file.text();
    setF((old) => ({ ...old, csv: text, csvName: file.name }));
  }

  function body(): NewConnector {
    const c: NewConnector = {
      name: f.name,
      kind: f.kind,
      schedule: f.schedule.trim(),
      time_zone: f.timeZone.trim(),
      automatic_mapping: f.automatic,
    };
    if (f.kind === "drop-folder") {
      c.folder = f.folder;
      c.settle_seconds = Number(f.settle);
    } else {
      c.url = f.url;
      c.auth = f.auth;
      if (f.auth === "basic") c.username = f.username;
      if (f.auth !== "none") c.secrets = { [f.auth === "basic" ? "password" : "token"]: f.secret };
    }
    if (f.csv) c.mapping_csv = f.csv;
    if (f.region) c.default_region = f.region.toUpperCase();
    const owners = f.owners.split("\n").map((l) => l.trim()).filter(Boolean);
    if (owners.length) c.owners = owners;
    return c;
  }

  async function finish() {
    setSaving(true);
    setSaveError(null);
    try {
      await addConnector(body());
      setDone(f.name);
    } catch (e) {
      setSaveError(e instanceof ApiError ? e.message : "The server could not be reached.");
    } finally {
      setSaving(false);
    }
  }

  if (done)
    return (
      <>
        <h1 tabIndex={-1} ref={heading}>
          Connector {done} added
        </h1>
        <p role="status">It runs on its schedule; “Run now” on the connectors page starts it at once.</p>
        <p>
          <a href={`/connectors/${done}`} onClick={linkHandler(`/connectors/${done}`)}>
            Open {done}
          </a>{" "}
          ·{" "}
          <a href="/connectors" onClick={linkHandler("/connectors")}>
            Back to the connectors
          </a>
        </p>
      </>
    );

  return (
    <>
      <p>
        <a href="/connectors" onClick={linkHandler("/connectors")}>
          ← Data connectors
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        Add a WhatsApp Archiver connector: {STEPS[step]}
      </h1>
      <ol class="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? "step" : undefined} class={i < step ? "done" : ""}>
            {s}
          </li>
        ))}
      </ol>
      <form onSubmit={next} class="wizard" noValidate>
        {step === 0 && (
          <fieldset>
            <legend>Terms of use</legend>
            <p>
              This connector archives WhatsApp conversations of your organisation's users, including messages,
              calls, attachments and deleted messages, into their mailboxes in this archive. You confirm that your
              organisation may collect this data, has told the users concerned, and keeps to the laws and
              WhatsApp's terms that apply to it.
            </p>
            <label class="check">
              <input type="checkbox" checked={f.accepted} onChange={(e) => set("accepted", e.currentTarget.checked)} />
              I accept these terms
            </label>
          </fieldset>
        )}
        {step === 1 && (
          <fieldset>
            <legend>Source settings</legend>
            <label for="c-name">Name</label>
            <input id="c-name" value={f.name} onInput={(e) => set("name", e.currentTarget.value)} aria-describedby="c-name-hint" />
            <small id="c-name-hint">a–z, 0–9 and -, e.g. trading-desk</small>
            <fieldset class="inline">
              <legend>Kind</legend>
              <label class="check">
                <input type="radio" name="kind" checked={f.kind === "drop-folder"} onChange={() => set("kind", "drop-folder")} />
                Drop folder (exports copied into a folder on this server)
              </label>
              <label class="check">
                <input type="radio" name="kind" checked={f.kind === "http-pull"} onChange={() => set("kind", "http-pull")} />
                HTTP pull (exports fetched from a JSON index)
              </label>
            </fieldset>
            {f.kind === "drop-folder" ? (
              <>
                <label for="c-folder">Folder</label>
                <input id="c-folder" value={f.folder} onInput={(e) => set("folder", e.currentTarget.value)} />
                <label for="c-settle">Settle time (seconds a file must stay unchanged)</label>
                <input id="c-settle" inputMode="numeric" value={f.settle} onInput={(e) => set("settle", e.currentTarget.value)} />
              </>
            ) : (
              <>
                <label for="c-url">Index URL</label>
                <input id="c-url" type="url" value={f.url} onInput={(e) => set("url", e.currentTarget.value)} />
                <label for="c-auth">Sign-in</label>
                <select id="c-auth" value={f.auth} onChange={(e) => set("auth", e.currentTarget.value as Form["auth"])}>
                  <option value="none">none</option>
                  <option value="basic">user name and password</option>
                  <option value="bearer">bearer token</option>
                </select>
                {f.auth === "basic" && (
                  <>
                    <label for="c-user">User name</label>
                    <input id="c-user" autoComplete="off" value={f.username} onInput={(e) => set("username", e.currentTarget.value)} />
                  </>
                )}
                {f.auth !== "none" && (
                  <>
                    <label for="c-secret">{f.auth === "basic" ? "Password" : "Token"}</label>
                    <input id="c-secret" type="password" autoComplete="new-password" value={f.secret} onInput={(e) => set("secret", e.currentTarget.value)} />
                  </>
                )}
              </>
            )}
            <label for="c-schedule">Schedule</label>
            <input id="c-schedule" value={f.schedule} onInput={(e) => set("schedule", e.currentTarget.value)} aria-describedby="c-schedule-hint" />
            <small id="c-schedule-hint">manual, every 24h, or cron: 0 2 * * *</small>
            <label for="c-tz">Time zone of the exports' clock times</label>
            <input id="c-tz" value={f.timeZone} onInput={(e) => set("timeZone", e.currentTarget.value)} />
          </fieldset>
        )}
        {step === 2 && (
          <fieldset>
            <legend>User mapping</legend>
            <label class="check">
              <input type="checkbox" checked={f.automatic} onChange={(e) => set("automatic", e.currentTarget.checked)} />
              Automatic mapping: file items under the address they carry when no row below names the number
            </label>
            <label for="c-region">Default region for national numbers (optional)</label>
            <input id="c-region" maxLength={2} value={f.region} onInput={(e) => set("region", e.currentTarget.value)} />
            <label for="c-owners">Phones whose exports land here, one PHONE=EMAIL a line (optional)</label>
            <textarea id="c-owners" rows={3} value={f.owners} onInput={(e) => set("owners", e.currentTarget.value)} />
            <label for="c-csv">Mapping CSV: phone number to mailbox (header row: phone,email)</label>
            <input id="c-csv" type="file" accept=".csv,text/csv" onChange={onFile} />
            {csvCheck && (
              <div class="csv-check" data-testid="csv-check">
                {csvCheck.problems.length === 0 ? (
                  <p role="status" class="ok">
                    {f.csvName}: {csvCheck.rows} row{csvCheck.rows === 1 ? "" : "s"}, no problem.
                  </p>
                ) : (
                  <div role="alert">
                    <p class="error">
                      {f.csvName}: {csvCheck.problems.length} problem{csvCheck.problems.length === 1 ? "" : "s"}; fix the
                      file and choose it again.
                    </p>
                    <ul class="problems">
                      {csvCheck.problems.slice(0, 200).map((p, i) => (
                        <li key={i}>
                          Line {p.line}: {p.message}
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </div>
            )}
          </fieldset>
        )}
        {step === 3 && (
          <section aria-label="Review">
            <dl class="facts" data-testid="review">
              <dt>Name</dt>
              <dd>{f.name}</dd>
              <dt>Kind</dt>
              <dd>{f.kind}</dd>
              {f.kind === "drop-folder" ? (
                <>
                  <dt>Folder</dt>
                  <dd>{f.folder}</dd>
                  <dt>Settle time</dt>
                  <dd>{f.settle} s</dd>
                </>
              ) : (
                <>
                  <dt>Index URL</dt>
                  <dd>{f.url}</dd>
                  <dt>Sign-in</dt>
                  <dd>
                    {f.auth}
                    {f.auth !== "none" && " (secret set, not shown)"}
                  </dd>
                </>
              )}
              <dt>Schedule</dt>
              <dd>{f.schedule}</dd>
              <dt>Time zone</dt>
              <dd>{f.timeZone}</dd>
              <dt>Automatic mapping</dt>
              <dd>{f.automatic ? "on" : "off"}</dd>
              <dt>Mapping CSV</dt>
              <dd>{f.csv ? `${f.csvName}, ${csvCheck?.rows ?? 0} rows` : "none"}</dd>
              <dt>Default region</dt>
              <dd>{f.region.toUpperCase() || "—"}</dd>
            </dl>
            {saveError && (
              <p class="error" role="alert">
                The server refused it: {saveError}
              </p>
            )}
          </section>
        )}
        {showProblems && problems.length > 0 && (
          <ul class="error" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div class="actions">
          {step > 0 && (
            <button type="button" class="secondary" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          {step < 3 ? (
            <button type="submit">Next</button>
          ) : (
            <button type="button" onClick={finish} disabled={saving}>
              {saving ? "Adding…" : "Finish"}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => navigate("/connectors")}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}
