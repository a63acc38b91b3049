import { createSignal } from "solid-js";
import { ApiError } from "../api/http.js";
import { login } from "../session.js";
import { TextField } from "./TextField.js";

/**
 * The sign-in screen (accounts on and no session), or, over the page, the dialog asking to sign in
 * again when the session ended mid-use (`expired`: queued edits are kept and sent after sign-in).
 */
export function LoginDialog(props: { expired?: boolean; username?: string }) {
  const [username, setUsername] = createSignal(props.username ?? "");
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username(), password());
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      setError(err instanceof ApiError && err.status === 404 ? "This server has no accounts." : err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="backdrop">
      <form
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Sign in"
        data-testid="login-dialog"
        onSubmit={(e) => void submit(e)}
      >
        <h2>
          <span class="brand">
            <span class="brand-mark" /> {props.expired ? "Sign in again" : "Sign in to Tessera"}
          </span>
        </h2>
        {props.expired && (
          <p class="muted" data-testid="session-ended">
            Your session ended. Your changes are kept and will be saved once you sign in.
          </p>
        )}
        <TextField
          label="Username"
          name="username"
          autocomplete="username"
          autofocus
          value={username()}
          onValue={setUsername}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autocomplete="current-password"
          value={password()}
          onValue={setPassword}
        />
        {error() && (
          <div class="error-text" role="alert">
            {error()}
          </div>
        )}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy() || username() === "" || password() === ""}>
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}
