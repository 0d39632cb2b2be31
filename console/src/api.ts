// The REST API of `chatvault serve` (src/server/openapi.json), same origin. The session cookie
// is HttpOnly: this code never sees it. The CSRF token comes with the sign-in answer and is
// kept in memory only (never in storage a script of another page could read); every request
// that changes something sends it as X-CSRF-Token.

import { routes } from "virtual:api-routes";

export interface Session {
  user: string;
  roles: string[];
  permissions: string[];
  csrf_token?: string;
}

export interface Progress {
  state: string;
  files: number;
  files_done: number;
  seen: number;
  imported: number;
  duplicates: number;
  quarantined: number;
  failed: number;
  waiting: number;
  bytes: number;
  started: string | null;
  ended: string | null;
  errors: string[];
  current: string;
}

export interface Run {
  number: number;
  trigger: string;
  actor: string;
  progress: Progress;
}

export interface Connector {
  name: string;
  kind: string;
  folder?: string;
  schedule?: string;
  status: string;
  last_run: Run | null;
  next_run: string | null;
  live?: { trigger: string; progress: Progress };
  runs?: Run[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;
let onSignedOut: () => void = () => {};

export function setSignedOutHandler(f: () => void) {
  onSignedOut = f;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (res.status === 204) return undefined as T;
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = json?.error ?? {};
    // A session that expired or was signed out elsewhere: back to the sign-in page.
    if (res.status === 401 && path !== "/api/v1/session") {
      csrf = null;
      onSignedOut();
    }
    throw new ApiError(res.status, err.code ?? "error", err.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}

export async function signIn(user: string, password: string): Promise<Session> {
  const s = await call<Session>("POST", "/api/v1/session", { user, password });
  csrf = s.csrf_token ?? null;
  return { user: s.user, roles: s.roles, permissions: s.permissions };
}

// The server ended this session (one's own password was set): back to the sign-in page
// without asking anything more of the server (a 401 would be logged by the browser).
export function forgetSession() {
  csrf = null;
  onSignedOut();
}

export async function signOut(): Promise<void> {
  try {
    await call<void>("DELETE", "/api/v1/session");
  } finally {
    csrf = null;
  }
}

const enc = encodeURIComponent;

export const connectors = {
  list: () => call<{ connectors: Connector[] }>("GET", "/api/v1/connectors").then((r) => r.connectors),
  get: (name: string) => call<Connector>("GET", `/api/v1/connectors/${enc(name)}`),
  run: (name: string) => call<unknown>("POST", `/api/v1/connectors/${enc(name)}/run`),
  pause: (name: string) => call<unknown>("POST", `/api/v1/connectors/${enc(name)}/pause`),
  resume: (name: string) => call<unknown>("POST", `/api/v1/connectors/${enc(name)}/resume`),
  remove: (name: string) => call<void>("DELETE", `/api/v1/connectors/${enc(name)}`),
};

// A new connector: its fields as the API reads them, secrets' values apart (sent once, sealed
// by the server, never returned).
export interface NewConnector {
  name: string;
  kind: "drop-folder" | "http-pull" | "cloud-api";
  folder?: string;
  settle_seconds?: number;
  url?: string;
  auth?: "none" | "basic" | "bearer";
  username?: string;
  phone_number_id?: string;
  graph_base_url?: string;
  schedule?: string;
  time_zone: string;
  automatic_mapping: boolean;
  mapping_csv?: string;
  default_region?: string;
  owners?: string[];
  secrets?: Record<string, string>;
}

export const addConnector = (c: NewConnector) => call<unknown>("POST", "/api/v1/connectors", c);

// ---- what the server of this tree has ---------------------------------------------------------

const known = new Set(routes);
const missing = new Set<string>();

// Whether the server has a route ("GET /api/v1/search/explain"): from the build (openapi.json of
// the same tree), and forgotten at once if the server answers 404 for it after all.
export function hasRoute(route: string): boolean {
  return known.has(route) && !missing.has(route);
}

// Calls a route that a server may lack: null, and the route forgotten, when it answers 404 with
// "no such route".
async function optional<T>(route: string, method: string, path: string, body?: unknown): Promise<T | null> {
  if (!hasRoute(route)) return null;
  try {
    return await call<T>(method, path, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.message === "no such route") {
      missing.add(route);
      return null;
    }
    throw e;
  }
}

function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

// ---- content search and items ---------------------------------------------------------------

export interface Hit {
  item: number;
  message_id: string;
  mailboxes: string[];
  conversation: string;
  author: string;
  sent: string;
  kind: string;
  deleted: boolean;
  size: number;
  snippet: string;
}

export interface SearchResult {
  total: number;
  zone: string;
  hits: Hit[];
}

export interface Attachment {
  name: string;
  present: boolean;
  size: number | null;
}

export interface Item {
  item: number;
  message_id: string;
  mailboxes: string[];
  conversation: string;
  author: string;
  sent: string;
  kind: string;
  text: string;
  deleted: boolean;
  attachments: Attachment[];
  sha256: string;
  sources: unknown[];
}

export interface ContextEntry {
  item: number;
  author: string;
  sent: string;
  kind: string;
  text: string;
  attachments: Attachment[];
  deleted: boolean;
}

export interface ItemContext {
  item: unknown; // the item's number (or the item): the page uses the id it asked for
  conversation: string | { title: string };
  before: ContextEntry[];
  item_summary: ContextEntry;
  after: ContextEntry[];
}

export interface Explanation {
  query: string;
  zone: string;
  notes: unknown[] | string;
}

export interface Estimate {
  items: number;
  bytes: number;
  mailboxes: Record<string, { items: number; bytes: number }>;
}

export const ROUTES = {
  explain: "GET /api/v1/search/explain",
  estimate: "GET /api/v1/search/estimate",
  context: "GET /api/v1/items/{id}/context",
  eml: "GET /api/v1/items/{id}/eml",
  retry: "POST /api/v1/quarantine/retry",
  mailboxes: "GET /api/v1/mailboxes",
};

export const search = {
  run: (q: string, tz: string, limit: number, offset: number) =>
    call<SearchResult>("GET", `/api/v1/search${qs({ q, tz, limit, offset })}`),
  explain: (q: string, tz: string) =>
    optional<Explanation>(ROUTES.explain, "GET", `/api/v1/search/explain${qs({ q, tz })}`),
  estimate: (q: string, tz: string) =>
    optional<Estimate>(ROUTES.estimate, "GET", `/api/v1/search/estimate${qs({ q, tz })}`),
  mailboxes: () =>
    call<{ mailboxes: { address: string; items: number }[] }>("GET", "/api/v1/mailboxes").then((r) => r.mailboxes),
};

export const items = {
  get: (id: number) => call<Item>("GET", `/api/v1/items/${id}`),
  context: (id: number, before: number, after: number) =>
    optional<ItemContext>(ROUTES.context, "GET", `/api/v1/items/${id}/context${qs({ before, after })}`),
  emlHref: (id: number) => `/api/v1/items/${id}/eml`,
};

// ---- holds, audit, quarantine ---------------------------------------------------------------

export interface Hold {
  id: string;
  kind: "litigation" | "case";
  mailboxes: string[];
  query: string;
  case: string;
  since: string;
  released_at: string | null;
  placed_by: string;
  reason: string;
  released_by: string;
}

export const holds = {
  list: (all: boolean) => call<{ holds: Hold[] }>("GET", `/api/v1/holds${qs({ all: all ? "true" : "" })}`).then((r) => r.holds),
  place: (mailbox: string, reason: string) => call<Hold>("POST", "/api/v1/holds", { mailbox, reason }),
  release: (id: string, reason: string) => call<Hold>("POST", `/api/v1/holds/${enc(id)}/release`, { reason }),
};

export interface AuditEvent {
  seq: number;
  hash: string;
  time: string;
  actor: string;
  action: string;
  parameters: unknown;
  results: number | null;
}

export const audit = {
  list: (f: { since?: string; actor?: string; action?: string; limit?: number }) =>
    call<{ events: AuditEvent[]; total: number }>("GET", `/api/v1/audit${qs(f)}`),
};

export interface QuarantineEntry {
  item: number;
  message_id: string;
  reason: string;
  since: string;
}

export interface RetryResult {
  filed: number;
  still_quarantined: number;
  per_mailbox: Record<string, number | { items?: number; filed?: number }>;
}

export const quarantine = {
  list: () => call<{ items: QuarantineEntry[] }>("GET", "/api/v1/quarantine").then((r) => r.items),
  retry: (body: { mapping_csv?: string; default_region?: string }) =>
    optional<RetryResult>(ROUTES.retry, "POST", "/api/v1/quarantine/retry", body),
};

// ---- users and tokens -----------------------------------------------------------------------

export const ROLES = [
  "organization-management",
  "mailbox-import-export",
  "compliance-administrator",
  "ediscovery-manager",
  "reviewer",
  "auditor",
] as const;

export interface User {
  name: string;
  roles: string[];
  created: string;
  created_by: string;
  disabled: boolean;
  locked: boolean;
}

export interface Token {
  id: string;
  owner: string;
  label: string;
  scopes: string[];
  created: string;
  expires: string;
  revoked: string | null;
  token?: string;
}

export const users = {
  list: () => call<{ users: User[] }>("GET", "/api/v1/users").then((r) => r.users),
  add: (name: string, roles: string[], password: string) => call<User>("POST", "/api/v1/users", { name, roles, password }),
  setRoles: (name: string, roles: string[]) => call<void>("PUT", `/api/v1/users/${enc(name)}/roles`, { roles }),
  disable: (name: string) => call<void>("POST", `/api/v1/users/${enc(name)}/disable`),
  enable: (name: string) => call<void>("POST", `/api/v1/users/${enc(name)}/enable`),
  remove: (name: string) => call<void>("DELETE", `/api/v1/users/${enc(name)}`),
  // Ends the user's sessions (the server's rule), one's own included.
  setPassword: (name: string, password: string) => call<void>("PUT", `/api/v1/users/${enc(name)}/password`, { password }),
};

export const tokens = {
  list: () => call<{ tokens: Token[] }>("GET", "/api/v1/tokens").then((r) => r.tokens),
  create: (label: string, scopes: string[], expires_in_days: number) =>
    call<Token>("POST", "/api/v1/tokens", { label, scopes, expires_in_days }),
  revoke: (id: string) => call<void>("DELETE", `/api/v1/tokens/${enc(id)}`),
};

// ---- connector settings (edit) --------------------------------------------------------------

// A connector as stored (GET /api/v1/connectors/{name}): every setting, secrets only as
// "set"/"unset".
export interface ConnectorSettings
  extends Connector,
    Pick<NewConnector, "settle_seconds" | "url" | "auth" | "username" | "phone_number_id" | "graph_base_url"> {
  automatic_mapping: boolean;
  mapping_csv: string;
  default_region: string;
  owners: string[];
  time_zone: string;
  paused: boolean;
  secrets: Record<string, "set" | "unset">;
}

// PUT replaces every setting but the kind (kept), `created` and the checkpoint; a secret left
// out of `secrets` is kept as it is.
export const changeConnector = (c: NewConnector & { paused?: boolean }) =>
  call<ConnectorSettings>("PUT", `/api/v1/connectors/${enc(c.name)}`, c);

export const getConnectorSettings = (name: string) =>
  call<ConnectorSettings>("GET", `/api/v1/connectors/${enc(name)}`);

// The address Meta posts a Cloud API connector's notifications to (and verifies with GET).
export const webhookUrl = (name: string) => `${location.origin}/webhooks/cloud-api/${enc(name)}`;

// ---- retention ------------------------------------------------------------------------------

export type RetentionAction = "retain" | "delete" | "retain-then-delete";
export type PeriodUnit = "days" | "months" | "years";

export interface RetentionPolicy {
  id: string;
  name: string;
  action: RetentionAction;
  period: { count: number; unit: PeriodUnit } | null; // null: forever (retain only)
  basis: "sent" | "imported";
  scope: { mailboxes: string[]; folders: string[]; kinds: string[] };
  locked: boolean;
}

// The body of POST and PUT: period as text ("7 years", "forever"); `lock: true` locks for good.
export interface PolicyChange {
  id?: string;
  name: string;
  action: RetentionAction;
  period: string;
  basis: "sent" | "imported";
  scope: { mailboxes: string[]; folders: string[]; kinds: string[] };
  lock?: boolean;
}

export interface Disposable {
  item: number;
  mailbox: string;
  policy: string;
  last_placement: boolean;
  delete_at: string | null;
  reasons: string[];
  rejected: { by: string; at: string; reason: string } | null;
}

export interface RetentionReview {
  now: string;
  placements: number;
  held: number;
  dispose: Disposable[];
}

export interface Placement {
  item: number;
  mailbox: string;
}

export interface ApplyResult {
  disposed: (Placement & { policy: string })[];
  not_disposed: Placement[];
  rejected: number;
  removed: { placements?: number; items?: number; attachments?: number; bytes_released?: number };
}

export const RETENTION_ROUTES = {
  review: "GET /api/v1/retention/review",
  apply: "POST /api/v1/retention/apply",
};

export const retention = {
  policies: () =>
    call<{ policies: RetentionPolicy[] }>("GET", "/api/v1/retention/policies").then((r) => r.policies),
  add: (p: PolicyChange) => call<RetentionPolicy>("POST", "/api/v1/retention/policies", p),
  change: (id: string, p: PolicyChange) => call<RetentionPolicy>("PUT", `/api/v1/retention/policies/${enc(id)}`, p),
  remove: (id: string) => call<void>("DELETE", `/api/v1/retention/policies/${enc(id)}`),
  // A dry run (audited as retention.run): what a disposition would dispose of now, and why.
  review: () => optional<RetentionReview>(RETENTION_ROUTES.review, "GET", "/api/v1/retention/review"),
  apply: (approve: Placement[], reject: (Placement & { reason: string })[]) =>
    optional<ApplyResult>(RETENTION_ROUTES.apply, "POST", "/api/v1/retention/apply", { approve, reject }),
};

// ---- eDiscovery cases and their exports -----------------------------------------------------

export interface Custodian {
  name: string;
  mailboxes: string[];
}

export interface SavedSearch {
  name: string;
  query: string;
  zone: string;
  saved_by: string;
  saved_at: string;
}

export interface Case {
  id: string;
  name: string;
  description: string;
  created_by: string;
  created_at: string;
  closed_at: string | null;
  custodians: Custodian[];
  searches: SavedSearch[];
  reviewers: string[];
  holds_widened?: string[]; // after adding a custodian: the case holds that now cover them too
  holds?: Hold[]; // GET /api/v1/cases/{id}: the case's holds, released ones too
}

export interface ExportJob {
  id: string;
  case: string;
  search: string;
  state: "running" | "done" | "failed";
  items: number;
  bytes: number;
  started: string;
  ended: string | null;
  error: string;
  downloaded: boolean;
  available: boolean;
}

export const CASE_ROUTES = {
  list: "GET /api/v1/cases",
  saveSearch: "POST /api/v1/cases/{id}/searches",
  holds: "POST /api/v1/cases/{id}/holds",
  exports: "GET /api/v1/cases/{id}/exports",
  startExport: "POST /api/v1/cases/{id}/exports",
  download: "GET /api/v1/exports/{id}/download",
};

export const cases = {
  list: () => call<{ cases: Case[] }>("GET", "/api/v1/cases").then((r) => r.cases),
  get: (id: string) => call<Case>("GET", `/api/v1/cases/${enc(id)}`),
  create: (id: string, name: string, description: string) =>
    call<Case>("POST", "/api/v1/cases", { id, name: name || id, description }),
  addCustodian: (id: string, name: string, mailboxes: string[]) =>
    call<Case>("POST", `/api/v1/cases/${enc(id)}/custodians`, { name, mailboxes }),
  addReviewer: (id: string, user: string) => call<Case>("POST", `/api/v1/cases/${enc(id)}/reviewers`, { user }),
  removeReviewer: (id: string, user: string) => call<void>("DELETE", `/api/v1/cases/${enc(id)}/reviewers/${enc(user)}`),
  saveSearch: (id: string, name: string, query: string, tz: string) =>
    call<{ case: string; search: string; estimate: Estimate }>("POST", `/api/v1/cases/${enc(id)}/searches`, { name, query, tz }),
  placeHold: (id: string, reason: string, query: string) =>
    call<Hold>("POST", `/api/v1/cases/${enc(id)}/holds`, query ? { reason, query } : { reason }),
  close: (id: string) => call<Case>("POST", `/api/v1/cases/${enc(id)}/close`),
  exports: (id: string) => call<{ exports: ExportJob[] }>("GET", `/api/v1/cases/${enc(id)}/exports`).then((r) => r.exports),
  startExport: (id: string, search: string, dedupe: boolean) =>
    call<{ id: string; state: string }>("POST", `/api/v1/cases/${enc(id)}/exports`, { search, dedupe }),
  downloadHref: (exportId: string) => `/api/v1/exports/${enc(exportId)}/download`,
};

// ---- the Reviewer's view (review.assigned): only the cases the caller reviews -------------------

// A saved search's result as the reviewer's route gives it (no paging: newest first, each item
// once, at most REVIEW_LIMIT).
export interface ReviewHit {
  item: number;
  mailboxes: string[];
  conversation: string;
  author: string;
  sent: string;
  kind: string;
  snippet: string;
}

export interface ReviewItem {
  item: number;
  conversation: string;
  author: string;
  sent: string;
  kind: string;
  text: string;
  attachments: Attachment[];
}

export const REVIEW_LIMIT = 1000;

export const REVIEW_ROUTES = {
  cases: "GET /api/v1/review/cases",
  results: "GET /api/v1/review/cases/{id}/searches/{search}",
  item: "GET /api/v1/review/cases/{id}/items/{item}",
};

export const review = {
  cases: () => call<{ cases: Case[] }>("GET", "/api/v1/review/cases").then((r) => r.cases),
  results: (id: string, search: string) =>
    call<{ case: string; search: string; hits: ReviewHit[] }>(
      "GET",
      `/api/v1/review/cases/${enc(id)}/searches/${enc(search)}`,
    ).then((r) => r.hits),
  item: (id: string, item: number) => call<ReviewItem>("GET", `/api/v1/review/cases/${enc(id)}/items/${item}`),
};
