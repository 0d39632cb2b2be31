import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ConnectorSettings, NewConnector } from "./api";
import { CsvCheck, checkMappingCsv } from "./mapping";
import { CsvCheckReport } from "./ui";

// A connector's settings as a form: the source (drop folder, HTTP pull, Cloud API webhooks),
// its schedule, and its user mapping. The "Add connector" wizard and the edit page share it;
// the server checks everything again and names the field it refuses.

export type Kind = "drop-folder" | "http-pull" | "cloud-api";

export interface Form {
  name: string;
  kind: Kind;
  folder: string;
  settle: string;
  url: string;
  auth: "none" | "basic" | "bearer";
  username: string;
  phoneNumberId: string;
  graphBaseUrl: string;
  // Secret values typed in this page, by the server's field name ("token", "app_secret", …).
  // Never filled from the server: on an edit, an empty one keeps the stored secret.
  secrets: Record<string, string>;
  schedule: string;
  timeZone: string;
  automatic: boolean;
  region: string;
  owners: string;
  csvName: string;
  csv: string;
}

// Which secrets the server already has (an edit); empty for a new connector.
export type StoredSecrets = Record<string, "set" | "unset">;

export const GRAPH_BASE_URL = "https://graph.facebook.com";

export const emptyForm = (): Form => ({
  name: "",
  kind: "drop-folder",
  folder: "",
  settle: "10",
  url: "",
  auth: "none",
  username: "",
  phoneNumberId: "",
  graphBaseUrl: GRAPH_BASE_URL,
  secrets: {},
  schedule: "every 1h",
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  automatic: true,
  region: "",
  owners: "",
  csvName: "",
  csv: "",
});

export function formFromConnector(c: ConnectorSettings): Form {
  return {
    ...emptyForm(),
    name: c.name,
    kind: c.kind as Kind,
    folder: c.folder ?? "",
    settle: String(c.settle_seconds ?? 10),
    url: c.url ?? "",
    auth: c.auth ?? "none",
    username: c.username ?? "",
    phoneNumberId: c.phone_number_id ?? "",
    graphBaseUrl: c.graph_base_url || GRAPH_BASE_URL,
    schedule: c.schedule ?? "every 24h",
    timeZone: c.time_zone,
    automatic: c.automatic_mapping,
    region: c.default_region,
    owners: c.owners.join("\n"),
    csvName: c.mapping_csv ? "the stored mapping CSV" : "",
    csv: c.mapping_csv,
  };
}

interface SecretField {
  field: string;
  label: string;
  required: boolean;
}

// The secrets a connector of this kind and sign-in uses (src/connector's secret_fields).
export function secretFields(f: Form): SecretField[] {
  if (f.kind === "http-pull")
    return f.auth === "basic"
      ? [{ field: "password", label: "Password", required: true }]
      : f.auth === "bearer"
        ? [{ field: "token", label: "Token", required: true }]
        : [];
  if (f.kind === "cloud-api")
    return [
      { field: "app_secret", label: "App secret", required: true },
      { field: "verify_token", label: "Verify token", required: true },
      { field: "access_token", label: "Access token (optional: to download media)", required: false },
    ];
  return [];
}

export function sourceProblems(f: Form, stored: StoredSecrets = {}): string[] {
  const p: string[] = [];
  if (!/^[a-z0-9-]{1,64}$/.test(f.name)) p.push("Name: 1 to 64 of a–z, 0–9 and -");
  if (f.kind === "drop-folder") {
    if (!f.folder.startsWith("/")) p.push("Folder: an absolute path on the server, e.g. /srv/whatsapp/drop");
    if (!/^\d+$/.test(f.settle) || Number(f.settle) > 86400) p.push("Settle time: 0 to 86400 seconds");
  } else if (f.kind === "http-pull") {
    if (!/^https?:\/\/\S+$/.test(f.url)) p.push("Index URL: an http:// or https:// address");
    if (f.auth === "basic" && !f.username) p.push("User name: needed for basic authentication");
  } else {
    if (!/^\d{1,32}$/.test(f.phoneNumberId)) p.push("Phone number ID: the digits Meta shows for the number");
    if (!/^https?:\/\/[^\s@]+$/.test(f.graphBaseUrl)) p.push("Graph API base URL: an http:// or https:// address");
  }
  for (const s of secretFields(f))
    if (s.required && !f.secrets[s.field] && stored[s.field] !== "set") p.push(`${s.label}: needed`);
  if (f.kind !== "cloud-api" && !/^(manual|every \d+\s*\w+|cron: .+)$/.test(f.schedule.trim()))
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

export function mappingProblems(f: Form, csvCheck: CsvCheck | null): string[] {
  return [
    ...ownerProblems(f),
    ...(f.region && !/^[A-Za-z]{2}$/.test(f.region) ? ["Default region: two letters, e.g. DE"] : []),
    ...(f.csv && csvCheck && csvCheck.problems.length ? ["The mapping CSV has problems (below)"] : []),
  ];
}

// The mapping CSV checked line by line in the page whenever it or the default region changes.
export function useCsvCheck(csv: string, region: string): CsvCheck | null {
  const [check, setCheck] = useState<CsvCheck | null>(null);
  useEffect(() => setCheck(csv ? checkMappingCsv(csv, region.trim()) : null), [csv, region]);
  return check;
}

// The API's body. Only the secrets typed here are sent: on an edit, one left out is kept.
export function connectorBody(f: Form): NewConnector {
  const c: NewConnector = {
    name: f.name,
    kind: f.kind,
    time_zone: f.timeZone.trim(),
    automatic_mapping: f.automatic,
  };
  if (f.kind !== "cloud-api") c.schedule = f.schedule.trim();
  if (f.kind === "drop-folder") {
    c.folder = f.folder;
    c.settle_seconds = Number(f.settle);
  } else if (f.kind === "http-pull") {
    c.url = f.url;
    c.auth = f.auth;
    if (f.auth === "basic") c.username = f.username;
  } else {
    c.phone_number_id = f.phoneNumberId;
    c.graph_base_url = f.graphBaseUrl.trim();
  }
  const secrets: Record<string, string> = {};
  for (const s of secretFields(f)) if (f.secrets[s.field]) secrets[s.field] = f.secrets[s.field];
  if (Object.keys(secrets).length) c.secrets = secrets;
  c.mapping_csv = f.csv;
  if (f.region) c.default_region = f.region.toUpperCase();
  c.owners = f.owners
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return c;
}

type Setter = <K extends keyof Form>(k: K, v: Form[K]) => void;

// A secret: always a password field, never filled from the server. On an edit it says whether
// one is stored, and that an empty field keeps it.
function SecretInput({ f, set, s, stored }: { f: Form; set: Setter; s: SecretField; stored: StoredSecrets }) {
  const id = `c-secret-${s.field}`;
  const isSet = stored[s.field] === "set";
  return (
    <>
      <label for={id}>{isSet ? `New ${s.label.charAt(0).toLowerCase()}${s.label.slice(1)}` : s.label}</label>
      <input
        id={id}
        type="password"
        autoComplete="new-password"
        value={f.secrets[s.field] ?? ""}
        aria-describedby={isSet ? `${id}-hint` : undefined}
        onInput={(e) => set("secrets", { ...f.secrets, [s.field]: e.currentTarget.value })}
      />
      {isSet && <small id={`${id}-hint`}>One is stored (not shown); leave this empty to keep it.</small>}
    </>
  );
}

export function SourceFields({ f, set, editing, stored = {} }: { f: Form; set: Setter; editing: boolean; stored?: StoredSecrets }) {
  const kinds: [Kind, string][] = [
    ["drop-folder", "Drop folder (exports copied into a folder on this server)"],
    ["http-pull", "HTTP pull (exports fetched from a JSON index)"],
    ["cloud-api", "WhatsApp Business Cloud API (webhooks Meta sends to this server)"],
  ];
  return (
    <fieldset>
      <legend>Source settings</legend>
      {editing ? (
        <dl class="facts">
          <dt>Name</dt>
          <dd>{f.name}</dd>
          <dt>Kind</dt>
          <dd>{f.kind}</dd>
        </dl>
      ) : (
        <>
          <label for="c-name">Name</label>
          <input id="c-name" value={f.name} onInput={(e) => set("name", e.currentTarget.value)} aria-describedby="c-name-hint" />
          <small id="c-name-hint">a–z, 0–9 and -, e.g. trading-desk</small>
          <fieldset class="inline">
            <legend>Kind</legend>
            {kinds.map(([k, label]) => (
              <label class="check" key={k}>
                <input type="radio" name="kind" checked={f.kind === k} onChange={() => set("kind", k)} />
                {label}
              </label>
            ))}
          </fieldset>
        </>
      )}
      {f.kind === "drop-folder" && (
        <>
          <label for="c-folder">Folder</label>
          <input id="c-folder" value={f.folder} onInput={(e) => set("folder", e.currentTarget.value)} />
          <label for="c-settle">Settle time (seconds a file must stay unchanged)</label>
          <input id="c-settle" inputMode="numeric" value={f.settle} onInput={(e) => set("settle", e.currentTarget.value)} />
        </>
      )}
      {f.kind === "http-pull" && (
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
        </>
      )}
      {f.kind === "cloud-api" && (
        <>
          <label for="c-phone-id">Phone number ID</label>
          <input
            id="c-phone-id"
            inputMode="numeric"
            autoComplete="off"
            value={f.phoneNumberId}
            aria-describedby="c-phone-id-hint"
            onInput={(e) => set("phoneNumberId", e.currentTarget.value.trim())}
          />
          <small id="c-phone-id-hint">Meta's App Dashboard, WhatsApp › API Setup: the ID of the business number (digits).</small>
          <label for="c-graph">Graph API base URL</label>
          <input id="c-graph" type="url" value={f.graphBaseUrl} onInput={(e) => set("graphBaseUrl", e.currentTarget.value)} />
        </>
      )}
      {secretFields(f).map((s) => (
        <SecretInput key={s.field} f={f} set={set} s={s} stored={stored} />
      ))}
      {f.kind === "cloud-api" ? (
        <p>Notifications are imported as they arrive: a Cloud API connector has no schedule.</p>
      ) : (
        <>
          <label for="c-schedule">Schedule</label>
          <input id="c-schedule" value={f.schedule} onInput={(e) => set("schedule", e.currentTarget.value)} aria-describedby="c-schedule-hint" />
          <small id="c-schedule-hint">manual, every 24h, or cron: 0 2 * * *</small>
        </>
      )}
      <label for="c-tz">{f.kind === "cloud-api" ? "Time zone" : "Time zone of the exports' clock times"}</label>
      <input id="c-tz" value={f.timeZone} onInput={(e) => set("timeZone", e.currentTarget.value)} />
    </fieldset>
  );
}

export function MappingFields({
  f,
  set,
  csvCheck,
  editing,
}: {
  f: Form;
  set: Setter;
  csvCheck: CsvCheck | null;
  editing: boolean;
}) {
  async function onFile(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    set("csv", text);
    set("csvName", file.name);
  }
  return (
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
      <label for="c-csv">
        {editing ? "Replace the mapping CSV" : "Mapping CSV"}: phone number to mailbox (header row: phone,email)
      </label>
      <input id="c-csv" type="file" accept=".csv,text/csv" onChange={onFile} />
      {editing && f.csv && (
        <p>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              set("csv", "");
              set("csvName", "");
            }}
          >
            Remove the mapping CSV
          </button>
        </p>
      )}
      {editing && !f.csv && <p data-testid="no-csv">No mapping CSV: only automatic mapping and the owners file items.</p>}
      {f.csv && csvCheck && (
        <CsvCheckReport name={f.csvName} check={csvCheck} testid="csv-check" advice="; fix the file and choose it again." />
      )}
    </fieldset>
  );
}

// What will be saved, secrets only as "set" (typed here), "kept" (stored) or "none".
export function Summary({ f, csvCheck, stored = {} }: { f: Form; csvCheck: CsvCheck | null; stored?: StoredSecrets }) {
  return (
    <dl class="facts" data-testid="review">
      <dt>Name</dt>
      <dd>{f.name}</dd>
      <dt>Kind</dt>
      <dd>{f.kind}</dd>
      {f.kind === "drop-folder" && (
        <>
          <dt>Folder</dt>
          <dd>{f.folder}</dd>
          <dt>Settle time</dt>
          <dd>{f.settle} s</dd>
        </>
      )}
      {f.kind === "http-pull" && (
        <>
          <dt>Index URL</dt>
          <dd>{f.url}</dd>
          <dt>Sign-in</dt>
          <dd>{f.auth}</dd>
        </>
      )}
      {f.kind === "cloud-api" && (
        <>
          <dt>Phone number ID</dt>
          <dd>{f.phoneNumberId}</dd>
          <dt>Graph API base URL</dt>
          <dd>{f.graphBaseUrl}</dd>
        </>
      )}
      {secretFields(f).map((s) => (
        <Fragment key={s.field}>
          <dt>{s.label}</dt>
          <dd>{f.secrets[s.field] ? "set, not shown" : stored[s.field] === "set" ? "kept, not shown" : "none"}</dd>
        </Fragment>
      ))}
      {f.kind !== "cloud-api" && (
        <>
          <dt>Schedule</dt>
          <dd>{f.schedule}</dd>
        </>
      )}
      <dt>Time zone</dt>
      <dd>{f.timeZone}</dd>
      <dt>Automatic mapping</dt>
      <dd>{f.automatic ? "on" : "off"}</dd>
      <dt>Mapping CSV</dt>
      <dd>{f.csv ? `${f.csvName}, ${csvCheck?.rows ?? 0} rows` : "none"}</dd>
      <dt>Default region</dt>
      <dd>{f.region.toUpperCase() || "—"}</dd>
    </dl>
  );
}
