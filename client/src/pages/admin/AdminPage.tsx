import { createResource, createSignal, For, Show } from "solid-js";
import { listUsers, type UserView } from "../../api/accounts.js";
import { listDatasets } from "../../api/endpoints.js";
import { loadSession, type Identity } from "../../session.js";
import { CreateUserForm } from "./CreateUserForm.js";
import { UserDetail } from "./UserDetail.js";

function rolesText(u: UserView): string {
  const overrides = Object.entries(u.dataset_roles).map(([ds, r]) => `${ds}: ${r}`);
  return overrides.join(", ");
}

/**
 * Accounts, for global admins (`#/admin`): the list, a new account, and one account's details.
 * Others get a refusal here, and the server refuses them `/users` anyway.
 */
export function AdminPage(props: { identity: Identity }) {
  const allowed = () => props.identity.account && props.identity.role === "admin";
  return (
    <div class="content account-page" data-testid="admin-page">
      <h1>Users and roles</h1>
      <Show
        when={allowed()}
        fallback={
          <p class="error-text" role="alert" data-testid="admin-refused">
            {props.identity.account
              ? "Only global admins manage accounts."
              : "This server runs without accounts: manage them with `tessera users`."}
          </p>
        }
      >
        <AdminBody self={props.identity.userId} />
      </Show>
    </div>
  );
}

function AdminBody(props: { self: string }) {
  const [users, { mutate, refetch }] = createResource(listUsers);
  const [datasets] = createResource(async () => (await listDatasets()).map((d) => d.id));
  const [selected, setSelected] = createSignal<string | null>(null);
  // Opening an account (again) shows its current state: the details are re-read on every open.
  const [opened, setOpened] = createSignal(0);
  const open = (username: string) => {
    setSelected(username);
    setOpened((n) => n + 1);
    void refetch();
  };
  const current = () => (users() ?? []).find((u) => u.username === selected()) ?? null;
  const replace = (next: UserView) => {
    mutate((list) => (list ?? []).map((u) => (u.username === next.username ? next : u)));
    // An admin who changed their own account (name, roles) sees it at once, here and in the menu.
    if (next.username === props.self) void loadSession();
  };

  return (
    <>
      <section class="account-section">
        <h2>New account</h2>
        <CreateUserForm
          datasets={datasets() ?? []}
          onCreated={(u) => {
            open(u.username);
          }}
        />
      </section>
      <div class="account-columns">
        <section class="account-section">
          <h2>Accounts</h2>
          <Show
            when={!users.error}
            fallback={
              <p class="error-text" role="alert">
                {(users.error as Error).message}
              </p>
            }
          >
            <table class="account-table users" data-testid="users-table">
              <thead>
                <tr>
                  <th>Username</th>
                  <th>Name</th>
                  <th>Role</th>
                  <th>On datasets</th>
                </tr>
              </thead>
              <tbody>
                <For each={users() ?? []}>
                  {(u) => (
                    <tr
                      data-testid="user-row"
                      data-username={u.username}
                      classList={{ selected: selected() === u.username, disabled: u.disabled }}
                    >
                      <td>
                        <button type="button" class="btn ghost mono" onClick={() => open(u.username)}>
                          {u.username}
                        </button>
                      </td>
                      <td>{u.display_name}</td>
                      <td>
                        {u.role}
                        {u.disabled ? " (disabled)" : ""}
                      </td>
                      <td class="muted">{rolesText(u)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        </section>
        <Show
          when={current() ? `${current()?.username ?? ""}\u0000${opened()}` : null}
          keyed
          fallback={<p class="muted account-hint">Choose an account to manage it.</p>}
        >
          {/* A parameter, so Show calls this again for every new key (a function without one is kept). */}
          {(_key) => (
            <Show when={current()}>
              {(u) => (
                <UserDetail
                  user={u()}
                  self={u().username === props.self}
                  datasets={datasets() ?? []}
                  onChanged={replace}
                  onDeleted={(name) => {
                    setSelected(null);
                    mutate((list) => (list ?? []).filter((x) => x.username !== name));
                  }}
                />
              )}
            </Show>
          )}
        </Show>
      </div>
    </>
  );
}
