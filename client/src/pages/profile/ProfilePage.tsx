import { createSignal, For, Show } from "solid-js";
import { changeMyPassword, createMyToken, listMyTokens, revokeMyToken, updateMyName } from "../../api/accounts.js";
import { loadSession, type Identity } from "../../session.js";
import { createFormAction } from "../../ui/formAction.js";
import { TokensPanel } from "./TokensPanel.js";
import { TextField } from "../../ui/TextField.js";

const MAX_NAME = 64;

/** One's own account: name, password, API tokens. Accounts only (the single-user mode has none). */
export function ProfilePage(props: { identity: Identity }) {
  const me = () => props.identity;
  return (
    <div class="content account-page" data-testid="profile-page">
      <h1>Your account</h1>
      <Show
        when={me().account}
        fallback={<p class="muted">This server runs without accounts: there is nothing to manage here.</p>}
      >
        <section class="account-section">
          <h2>Who you are</h2>
          <p class="muted">
            Signed in as <b class="mono">{me().userId}</b> — {me().role}
            <For each={Object.entries(me().datasetRoles)}>
              {([ds, r]) => (
                <span class="badge account-badge">
                  {ds}: {r}
                </span>
              )}
            </For>
          </p>
          <NameForm current={me().name} />
        </section>
        <section class="account-section">
          <h2>Password</h2>
          <PasswordForm />
        </section>
        <section class="account-section">
          <h2>API tokens</h2>
          <p class="muted">
            For scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you, with your roles.
          </p>
          <TokensPanel list={listMyTokens} revoke={revokeMyToken} create={createMyToken} testId="my-tokens" />
        </section>
      </Show>
    </div>
  );
}

function NameForm(props: { current: string }) {
  const [name, setName] = createSignal(props.current);
  const [saved, setSaved] = createSignal(false);
  const action = createFormAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    if (
      await action.run(async () => {
        await updateMyName(name().trim());
        // Everyone sees the new name: the identity (and the live channels) follow.
        await loadSession();
      })
    )
      setSaved(true);
  };
  return (
    <form class="account-form inline" onSubmit={(e) => void submit(e)} aria-label="Your name">
      <label class="field">
        Name shown to others
        <input
          class="input"
          name="display-name"
          value={name()}
          maxLength={MAX_NAME}
          onInput={(e) => {
            setName(e.currentTarget.value);
            setSaved(false);
          }}
        />
      </label>
      <button type="submit" class="btn primary" disabled={action.busy() || name().trim() === props.current}>
        Save name
      </button>
      <Show when={saved()}>
        <span class="muted" role="status">
          Saved.
        </span>
      </Show>
      <Show when={action.error()}>
        <div class="error-text" role="alert">
          {action.error()}
        </div>
      </Show>
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [again, setAgain] = createSignal("");
  const [done, setDone] = createSignal(false);
  const action = createFormAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(false);
    const ok = await action.run(async () => {
      if (next() !== again()) throw new Error("The two new passwords differ.");
      await changeMyPassword({ current_password: current(), new_password: next() });
    });
    if (ok) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    }
  };
  return (
    <form class="account-form" onSubmit={(e) => void submit(e)} aria-label="Change your password">
      <TextField
        label="Current password"
        type="password"
        name="current-password"
        autocomplete="current-password"
        value={current()}
        onValue={setCurrent}
      />
      <TextField
        label="New password"
        type="password"
        name="new-password"
        autocomplete="new-password"
        value={next()}
        onValue={setNext}
      />
      <TextField
        label="New password again"
        type="password"
        name="new-password-again"
        autocomplete="new-password"
        value={again()}
        onValue={setAgain}
      />
      <div class="actions">
        <button
          type="submit"
          class="btn primary"
          disabled={action.busy() || current() === "" || next() === "" || again() === ""}
        >
          Change password
        </button>
        <Show when={done()}>
          <span class="muted" role="status" data-testid="password-changed">
            Password changed. Your other sessions have ended.
          </span>
        </Show>
      </div>
      <Show when={action.error()}>
        <div class="error-text" role="alert">
          {action.error()}
        </div>
      </Show>
    </form>
  );
}
