import type { Role } from "@tessera/shared-crdt";
import { createSignal, For, Show } from "solid-js";
import { createUser, type UserView } from "../../api/accounts.js";
import { createFormAction } from "../../ui/formAction.js";
import { RoleOptions } from "./RoleOptions.js";
import { TextField } from "../../ui/TextField.js";

/**
 * A new account: username, name, password (left empty, the server generates one and it is shown
 * here once), global role and optionally a role on one dataset.
 */
export function CreateUserForm(props: { datasets: readonly string[]; onCreated: (user: UserView) => void }) {
  const [username, setUsername] = createSignal("");
  const [name, setName] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [role, setRole] = createSignal<Role>("annotator");
  const [dataset, setDataset] = createSignal("");
  const [datasetRole, setDatasetRole] = createSignal<Role>("annotator");
  const [generated, setGenerated] = createSignal<{ username: string; password: string } | null>(null);
  const action = createFormAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    setGenerated(null);
    await action.run(async () => {
      const ds = dataset();
      const answer = await createUser({
        username: username().trim(),
        role: role(),
        ...(name().trim() !== "" ? { name: name().trim() } : {}),
        ...(password() !== "" ? { password: password() } : {}),
        ...(ds !== "" ? { dataset_roles: { [ds]: datasetRole() } } : {}),
      });
      if (answer.password !== undefined) setGenerated({ username: answer.user.username, password: answer.password });
      setUsername("");
      setName("");
      setPassword("");
      setDataset("");
      props.onCreated(answer.user);
    });
  };

  return (
    <form
      class="account-form"
      onSubmit={(e) => void submit(e)}
      aria-label="Create an account"
      data-testid="create-user"
    >
      <div class="account-grid">
        <TextField label="Username" name="new-username" autocomplete="off" value={username()} onValue={setUsername} />
        <TextField
          label="Name"
          name="new-name"
          autocomplete="off"
          value={name()}
          placeholder="shown to others"
          onValue={setName}
        />
        <TextField
          label="Password"
          type="password"
          name="new-password"
          autocomplete="new-password"
          value={password()}
          placeholder="empty: generate one"
          onValue={setPassword}
        />
        <label class="field">
          Global role
          <select class="input" name="new-role" onChange={(e) => setRole(e.currentTarget.value as Role)}>
            <RoleOptions value={role()} />
          </select>
        </label>
        <label class="field">
          Role on a dataset (optional)
          <select
            class="input"
            name="new-dataset"
            value={dataset()}
            onChange={(e) => setDataset(e.currentTarget.value)}
          >
            <option value="">— none —</option>
            <For each={props.datasets}>{(d) => <option value={d}>{d}</option>}</For>
          </select>
        </label>
        <label class="field">
          Role there
          <select
            class="input"
            name="new-dataset-role"

            disabled={dataset() === ""}
            onChange={(e) => setDatasetRole(e.currentTarget.value as Role)}
          >
            <RoleOptions value={datasetRole()} />
          </select>
        </label>
      </div>
      <div class="actions">
        <button type="submit" class="btn primary" disabled={action.busy() || username().trim() === ""}>
          Create account
        </button>
      </div>
      <Show when={action.error()}>
        <div class="error-text" role="alert">
          {action.error()}
        </div>
      </Show>
      <Show when={generated()}>
        {(g) => (
          <div class="banner account-secret" data-testid="generated-password">
            <span>
              Password of <b>{g().username}</b> — give it to them now, it is not shown again:
            </span>
            <input class="input mono" readOnly value={g().password} onFocus={(e) => e.currentTarget.select()} />
          </div>
        )}
      </Show>
    </form>
  );
}
