import { useEffect, useRef, useState } from "preact/hooks";
import { ROLES, Session, Token, User, forgetSession, tokens, users } from "./api";
import { ErrorText, Notice, message, when } from "./ui";

// Users and roles (users.read to see, users.manage to add, change roles, set a password,
// disable, enable and remove), and the signed-in user's own API tokens (tokens.own; a new
// token is shown once).

// The server's rules for a password (Accounts::prepare_password), checked here so that the page
// never sends one it would refuse: at least 12 characters (code points), at most 1024 bytes of
// UTF-8, and not the user name (compared with the password's ASCII letters in lower case).
export const MIN_PASSWORD = 12;
const MAX_PASSWORD_BYTES = 1024;
export function passwordProblem(user: string, password: string): string | null {
  const chars = [...password];
  if (chars.some((c) => c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff))
    return "has a character that cannot be sent (a broken surrogate pair)";
  if (chars.length < MIN_PASSWORD) return `at least ${MIN_PASSWORD} characters (a passphrase is fine)`;
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) return `at most ${MAX_PASSWORD_BYTES} bytes`;
  if (user && password.replace(/[A-Z]/g, (c) => c.toLowerCase()) === user) return "not the user name";
  return null;
}

function RolePicker({ id, value, onChange, legend }: { id: string; value: string[]; onChange: (r: string[]) => void; legend: string }) {
  return (
    <fieldset class="roles">
      <legend>{legend}</legend>
      {ROLES.map((r) => (
        <label class="check" key={r}>
          <input
            type="checkbox"
            id={`${id}-${r}`}
            checked={value.includes(r)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...value, r] : value.filter((x) => x !== r))}
          />{" "}
          {r}
        </label>
      ))}
    </fieldset>
  );
}

function AddUser({ onDone }: { onDone: (m: string) => void }) {
  const [name, setName] = useState("");
  const [roles, setRoles] = useState<string[]>([]);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const problems = [
      !name.trim() && "Name: needed",
      roles.length === 0 && "Roles: pick at least one",
      passwordProblem(name.trim(), password) && `Password: ${passwordProblem(name.trim(), password)}`,
    ].filter(Boolean);
    if (problems.length) {
      setError(problems.join(". "));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const u = await users.add(name.trim(), roles, password);
      setName("");
      setRoles([]);
      setPassword("");
      onDone(`${u.name} added`);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card form" onSubmit={submit} aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <label for="new-user">Name</label>
      <input id="new-user" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <RolePicker id="new-role" legend="Roles" value={roles} onChange={setRoles} />
      <label for="new-password">Password</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        aria-describedby="new-password-help"
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <small id="new-password-help">At least 12 characters; give it to the user over a separate channel.</small>
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Add user
        </button>
      </div>
    </form>
  );
}

// Set a user's password (PUT /api/v1/users/{name}/password): new password and confirmation,
// checked against the server's rules before anything is sent. The server ends the user's
// sessions and lifts a lockout; one's own password therefore signs oneself out.
function SetPassword({ u, me, onClose }: { u: User; me: string; onClose: (done: string | null) => void }) {
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const own = u.name === me;
  // An id per user name, distinct for names that differ only in punctuation (a.b, a_b).
  const id = `pw-${u.name.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
  const weak = tried ? passwordProblem(u.name, password) : null;
  const mismatch = tried && !weak && confirm !== password ? "Does not match the new password" : null;

  async function submit(e: Event) {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (passwordProblem(u.name, password)) {
      first.current?.focus();
      return;
    }
    if (confirm !== password) {
      document.getElementById(`${id}-confirm`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await users.setPassword(u.name, password);
      if (own) {
        // The server ended this session with the others: sign in again with the new password.
        forgetSession();
        return;
      }
      onClose(`${u.name}: password set; their sessions were ended`);
    } catch (err) {
      setError(message(err));
      setBusy(false);
    }
  }

  return (
    <form class="release form" aria-label={`Set the password of ${u.name}`} onSubmit={submit} noValidate>
      <label for={`${id}-new`}>New password for {u.name}</label>
      <input
        id={`${id}-new`}
        ref={first}
        type="password"
        autoComplete="new-password"
        aria-invalid={weak ? true : undefined}
        aria-describedby={weak ? `${id}-new-problem ${id}-help` : `${id}-help`}
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <small id={`${id}-help`}>
        At least {MIN_PASSWORD} characters, not the user name.{" "}
        {own ? "You are signed out and sign in again with it." : "Their sessions end; give it to them over a separate channel."}
      </small>
      {weak && (
        <p class="error" role="alert" id={`${id}-new-problem`}>
          New password: {weak}
        </p>
      )}
      <label for={`${id}-confirm`}>Confirm the new password</label>
      <input
        id={`${id}-confirm`}
        type="password"
        autoComplete="new-password"
        aria-invalid={mismatch ? true : undefined}
        aria-describedby={mismatch ? `${id}-confirm-problem` : undefined}
        value={confirm}
        onInput={(e) => setConfirm(e.currentTarget.value)}
      />
      {mismatch && (
        <p class="error" role="alert" id={`${id}-confirm-problem`}>
          {mismatch}
        </p>
      )}
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Set password
        </button>
        <button type="button" class="secondary" onClick={() => onClose(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function UserActions({ u, me, onDone }: { u: User; me: string; onDone: (m: string) => void }) {
  const [mode, setMode] = useState<"" | "roles" | "password" | "remove">("");
  const [roles, setRoles] = useState<string[]>(u.roles);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const safe = useRef<HTMLButtonElement>(null);
  const setPw = useRef<HTMLButtonElement>(null);
  const [backToSetPw, setBackToSetPw] = useState(false);
  useEffect(() => {
    if (mode) safe.current?.focus();
    // The password form closed: the focus goes back to the button that opened it.
    else if (backToSetPw) {
      setBackToSetPw(false);
      setPw.current?.focus();
    }
  }, [mode]);

  async function act(f: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    try {
      await f();
      setMode("");
      onDone(done);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  if (mode === "roles")
    return (
      <form
        class="release"
        aria-label={`Roles of ${u.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (!roles.length) setError("Pick at least one role");
          else act(() => users.setRoles(u.name, roles), `${u.name}: roles changed`);
        }}
      >
        <RolePicker id={`roles-${u.name}`} legend={`Roles of ${u.name}`} value={roles} onChange={setRoles} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Save roles
          </button>
          <button type="button" class="secondary" ref={safe} onClick={() => setMode("")}>
            Cancel
          </button>
        </div>
      </form>
    );
  if (mode === "password")
    return (
      <SetPassword
        u={u}
        me={me}
        onClose={(done) => {
          setBackToSetPw(true);
          setMode("");
          if (done) onDone(done);
        }}
      />
    );
  if (mode === "remove")
    return (
      <div class="actions" role="group" aria-label={`Remove ${u.name}?`}>
        <span>Remove {u.name}? Their tokens are revoked; the audit trail keeps their actions.</span>
        <button type="button" class="danger" disabled={busy} onClick={() => act(() => users.remove(u.name), `${u.name} removed`)}>
          Remove
        </button>
        <button type="button" class="secondary" ref={safe} onClick={() => setMode("")}>
          Cancel
        </button>
        <ErrorText error={error} />
      </div>
    );
  return (
    <div class="actions" role="group" aria-label={`Actions for ${u.name}`}>
      <button type="button" class="secondary" onClick={() => (setRoles(u.roles), setMode("roles"))}>
        Change roles…
      </button>
      <button type="button" class="secondary" ref={setPw} onClick={() => setMode("password")}>
        Set password…
      </button>
      {u.name !== me &&
        (u.disabled ? (
          <button type="button" class="secondary" disabled={busy} onClick={() => act(() => users.enable(u.name), `${u.name} enabled`)}>
            Enable
          </button>
        ) : (
          <button type="button" class="secondary" disabled={busy} onClick={() => act(() => users.disable(u.name), `${u.name} disabled`)}>
            Disable
          </button>
        ))}
      {u.name !== me && (
        <button type="button" class="secondary" onClick={() => setMode("remove")}>
          Remove…
        </button>
      )}
      <ErrorText error={error} />
    </div>
  );
}

function UsersSection({ session }: { session: Session }) {
  const canManage = session.permissions.includes("users.manage");
  const [list, setList] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [bump, setBump] = useState(0);
  useEffect(() => {
    users
      .list()
      .then((l) => (setList(l), setError(null)))
      .catch((e) => setError(message(e)));
  }, [bump]);
  const done = (m: string) => {
    setNotice(m);
    setBump((b) => b + 1);
  };
  return (
    <section aria-label="Users">
      <Notice text={notice} testid="users-notice" />
      {canManage && <AddUser onDone={done} />}
      <ErrorText error={error} />
      {list && (
        <table class="list" data-testid="users">
          <caption class="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <th scope="row">{u.name}</th>
                <td data-testid="roles">{u.roles.join(", ")}</td>
                <td data-testid="state">{u.disabled ? "disabled" : u.locked ? "locked" : "active"}</td>
                <td>
                  {when(u.created)}
                  <br />
                  <span class="counts">by {u.created_by || "—"}</span>
                </td>
                {canManage && (
                  <td>
                    <UserActions key={`${u.name}:${u.roles.join()}:${u.disabled}`} u={u} me={session.user} onDone={done} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TokensSection({ session }: { session: Session }) {
  const [list, setList] = useState<Token[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [bump, setBump] = useState(0);
  const [label, setLabel] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [days, setDays] = useState("90");
  const [issued, setIssued] = useState<Token | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = useRef<HTMLElement>(null);
  const grantable = session.permissions;

  useEffect(() => {
    tokens
      .list()
      .then((l) => (setList(l.filter((t) => t.owner === session.user)), setError(null)))
      .catch((e) => setError(message(e)));
  }, [bump]);
  useEffect(() => {
    if (issued) shown.current?.focus();
  }, [issued]);

  async function create(e: Event) {
    e.preventDefault();
    const n = Number(days);
    if (!scopes.length || !/^\d+$/.test(days) || n < 1 || n > 366) {
      setError(!scopes.length ? "Scopes: pick at least one" : "Expires in: 1 to 366 days");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const t = await tokens.create(label.trim(), scopes, n);
      setIssued(t);
      setLabel("");
      setScopes([]);
      setBump((b) => b + 1);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(id: string) {
    try {
      await tokens.revoke(id);
      setNotice(`${id} revoked`);
      setBump((b) => b + 1);
    } catch (e) {
      setError(message(e));
    }
  }

  return (
    <section aria-label="My API tokens">
      <Notice text={notice} testid="tokens-notice" />
      {issued && (
        <section class="card token-once" tabIndex={-1} ref={shown} aria-labelledby="issued-title" data-testid="issued">
          <h2 id="issued-title">Token {issued.id} made: copy it now</h2>
          <p>It is shown this once; the archive keeps only a hash of it.</p>
          <p>
            <code data-testid="token-secret">{issued.token}</code>
          </p>
          <button type="button" class="secondary" onClick={() => setIssued(null)}>
            Done, hide it
          </button>
        </section>
      )}
      <form class="card form" onSubmit={create} aria-labelledby="new-token-title">
        <h2 id="new-token-title">Make a token</h2>
        <label for="token-label">Label</label>
        <input id="token-label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
        <fieldset class="roles">
          <legend>Scopes (what the token may do; never more than your roles)</legend>
          {grantable.map((p) => (
            <label class="check" key={p}>
              <input
                type="checkbox"
                checked={scopes.includes(p)}
                onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, p] : scopes.filter((x) => x !== p))}
              />{" "}
              {p}
            </label>
          ))}
        </fieldset>
        <label for="token-days">Expires in (days, 1–366)</label>
        <input id="token-days" inputMode="numeric" size={4} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        <ErrorText error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Make token
          </button>
        </div>
      </form>
      {list && list.length === 0 && <p>No token.</p>}
      {list && list.length > 0 && (
        <table class="list" data-testid="tokens">
          <caption class="visually-hidden">My API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Label</th>
              <th scope="col">Scopes</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.id} data-token={t.id}>
                <th scope="row">
                  <code>{t.id}</code>
                </th>
                <td>{t.label || "—"}</td>
                <td>{t.scopes.join(", ")}</td>
                <td>{when(t.expires)}</td>
                <td>{t.revoked ? `revoked ${when(t.revoked)}` : "active"}</td>
                <td>
                  {!t.revoked && (
                    <button type="button" class="secondary" onClick={() => revoke(t.id)} aria-label={`Revoke ${t.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function UsersPage({ session }: { session: Session }) {
  return (
    <>
      <h1 tabIndex={-1}>Users and roles</h1>
      <UsersSection session={session} />
    </>
  );
}

export function TokensPage({ session }: { session: Session }) {
  return (
    <>
      <h1 tabIndex={-1}>My API tokens</h1>
      <TokensSection session={session} />
    </>
  );
}
