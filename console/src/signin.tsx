import { useState } from "preact/hooks";
import { ApiError, Session, signIn } from "./api";

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(user, password));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "The server could not be reached.");
      setBusy(false);
    }
  }

  return (
    <main class="signin" id="main">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to chatvault</h1>
        <label for="user">User name</label>
        <input
          id="user"
          name="user"
          autoComplete="username"
          required
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
