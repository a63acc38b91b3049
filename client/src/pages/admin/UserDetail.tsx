import type { Role } from "@tessera/shared-crdt";
import { createSignal, For, Show } from "solid-js";
import { deleteUser, listUserTokens, revokeUserToken, updateUser, type UserView } from "../../api/accounts.js";
import { createFormAction, type FormAction } from "../../ui/formAction.js";
import { TokensPanel } from "../profile/TokensPanel.js";
import { RoleOptions } from "./RoleOptions.js";
import { TextField } from "../../ui/TextField.js";

/** A password to hand over: 18 random bytes, base64url (what the server and the CLI generate). */
function generatePassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function FormError(props: { action: FormAction }) {
  return (
    <Show when={props.action.error()}>
      <div class="error-text" role="alert">
        {props.action.error()}
      </div>
    </Show>
  );
}

/**
 * One account, for a global admin: name and global role, per-dataset roles, a password reset
 * (generated, shown once), disable or enable, its API tokens, removal.
 */
export function UserDetail(props: {
  user: UserView;
  self: boolean;
  datasets: readonly string[];
  onChanged: (user: UserView) => void;
  onDeleted: (username: string) => void;
}) {
  const u = () => props.user;
  const [name, setName] = createSignal(props.user.display_name);
  const [role, setRole] = createSignal<Role>(props.user.role);
  const [addDataset, setAddDataset] = createSignal("");
  const [addRole, setAddRole] = createSignal<Role>("annotator");
  const [newPassword, setNewPassword] = createSignal<string | null>(null);
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const basics = createFormAction();
  const roles = createFormAction();
  const password = createFormAction();
  const status = createFormAction();

  const patch = (action: FormAction, body: Parameters<typeof updateUser>[1]) =>
    action.run(async () => props.onChanged(await updateUser(u().username, body)));

  const otherDatasets = () => props.datasets.filter((d) => !Object.hasOwn(u().dataset_roles, d));

  return (
    <div class="account-detail" data-testid="user-detail" data-username={u().username}>
      <h2>
        {u().display_name} <span class="muted mono">{u().username}</span>
        <Show when={u().disabled}>
          <span class="badge account-badge">disabled</span>
        </Show>
      </h2>

      <section class="account-section">
        <form
          class="account-form inline"
          aria-label="Name and global role"
          onSubmit={(e) => {
            e.preventDefault();
            void patch(basics, {
              ...(name().trim() !== u().display_name ? { name: name().trim() } : {}),
              ...(role() !== u().role ? { role: role() } : {}),
            });
          }}
        >
          <TextField label="Name" name="edit-name" value={name()} onValue={setName} />
          <label class="field">
            Global role
            <select
              class="input"
              name="edit-role"

              onChange={(e) => setRole(e.currentTarget.value as Role)}
            >
              <RoleOptions value={role()} />
            </select>
          </label>
          <button
            type="submit"
            class="btn primary"
            disabled={basics.busy() || (name().trim() === u().display_name && role() === u().role)}
          >
            Save
          </button>
        </form>
        <FormError action={basics} />
      </section>

      <section class="account-section" data-testid="dataset-roles">
        <h3>Roles on datasets</h3>
        <p class="muted">A role on a dataset replaces the global role there, whether higher or lower.</p>
        <Show
          when={Object.keys(u().dataset_roles).length > 0}
          fallback={<p class="muted">None: the global role applies everywhere.</p>}
        >
          <table class="account-table">
            <tbody>
              <For each={Object.entries(u().dataset_roles)}>
                {([ds, r]) => (
                  <tr data-testid="dataset-role" data-dataset={ds}>
                    <td class="mono">{ds}</td>
                    <td>
                      <select
                        class="input"
                        aria-label={`Role on ${ds}`}

                        disabled={roles.busy()}
                        onChange={(e) => void patch(roles, { dataset_roles: { [ds]: e.currentTarget.value as Role } })}
                      >
                        <RoleOptions value={r} />
                      </select>
                    </td>
                    <td class="account-actions">
                      <button
                        type="button"
                        class="btn"
                        disabled={roles.busy()}
                        onClick={() => void patch(roles, { dataset_roles: { [ds]: null } })}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
        <form
          class="account-form inline"
          aria-label="Add a role on a dataset"
          onSubmit={(e) => {
            e.preventDefault();
            const ds = addDataset();
            if (ds !== "")
              void patch(roles, { dataset_roles: { [ds]: addRole() } }).then((ok) => ok && setAddDataset(""));
          }}
        >
          <label class="field">
            Dataset
            <select
              class="input"
              name="add-dataset"
              value={addDataset()}
              onChange={(e) => setAddDataset(e.currentTarget.value)}
            >
              <option value="">— choose —</option>
              <For each={otherDatasets()}>{(d) => <option value={d}>{d}</option>}</For>
            </select>
          </label>
          <label class="field">
            Role
            <select
              class="input"
              name="add-dataset-role"

              onChange={(e) => setAddRole(e.currentTarget.value as Role)}
            >
              <RoleOptions value={addRole()} />
            </select>
          </label>
          <button type="submit" class="btn" disabled={roles.busy() || addDataset() === ""}>
            Add
          </button>
        </form>
        <FormError action={roles} />
      </section>

      <section class="account-section">
        <h3>Password</h3>
        <div class="actions">
          <button
            type="button"
            class="btn"
            data-testid="reset-password"
            disabled={password.busy() || props.self}
            onClick={() => {
              const next = generatePassword();
              void password.run(async () => {
                props.onChanged(await updateUser(u().username, { password: next }));
                setNewPassword(next);
              });
            }}
          >
            Reset password…
          </button>
          <span class="muted">
            {props.self
              ? "Yours: change it on Your account (a reset here would end this session)."
              : "Generates a new one; their sessions end."}
          </span>
        </div>
        <Show when={newPassword()}>
          {(p) => (
            <div class="banner account-secret" data-testid="reset-password-value">
              <span>New password — give it to them now, it is not shown again:</span>
              <input class="input mono" readOnly value={p()} onFocus={(e) => e.currentTarget.select()} />
            </div>
          )}
        </Show>
        <FormError action={password} />
      </section>

      <section class="account-section">
        <h3>API tokens</h3>
        <Show when={u().username} keyed>
          {(username) => (
            <TokensPanel
              list={() => listUserTokens(username)}
              revoke={(id) => revokeUserToken(username, id)}
              testId="user-tokens"
            />
          )}
        </Show>
      </section>

      <section class="account-section">
        <h3>Account</h3>
        <div class="actions">
          <button
            type="button"
            class="btn"
            data-testid="toggle-disabled"
            disabled={status.busy() || props.self}
            onClick={() => void patch(status, { disabled: !u().disabled })}
          >
            {u().disabled ? "Enable account" : "Disable account"}
          </button>
          <Show
            when={confirmDelete()}
            fallback={
              <button
                type="button"
                class="btn danger"
                disabled={status.busy() || props.self}
                onClick={() => setConfirmDelete(true)}
              >
                Delete account…
              </button>
            }
          >
            <button
              type="button"
              class="btn danger"
              data-testid="confirm-delete"
              disabled={status.busy()}
              onClick={() =>
                void status.run(async () => {
                  await deleteUser(u().username);
                  props.onDeleted(u().username);
                })
              }
            >
              Delete {u().username} for good
            </button>
            <button type="button" class="btn ghost" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </Show>
          <Show when={props.self}>
            <span class="muted">This is you: another admin can disable or delete your account.</span>
          </Show>
        </div>
        <FormError action={status} />
      </section>
    </div>
  );
}
