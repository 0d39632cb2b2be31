// The REST API of `chatvault serve` (src/server/openapi.json), same origin. The session cookie
// is HttpOnly: this code never sees it. The CSRF token comes with the sign-in answer and is
// kept in memory only (never in storage a script of another page could read); every request
// that changes something sends it as X-CSRF-Token.

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
  kind: "drop-folder" | "http-pull";
  folder?: string;
  settle_seconds?: number;
  url?: string;
  auth?: "none" | "basic" | "bearer";
  username?: string;
  schedule: string;
  time_zone: string;
  automatic_mapping: boolean;
  mapping_csv?: string;
  default_region?: string;
  owners?: string[];
  secrets?: Record<string, string>;
}

export const addConnector = (c: NewConnector) => call<unknown>("POST", "/api/v1/connectors", c);
