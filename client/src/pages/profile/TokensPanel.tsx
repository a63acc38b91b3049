import { createResource, createSignal, For, Show } from "solid-js";
import type { CreatedToken, TokenView } from "../../api/accounts.js";
import { createFormAction } from "../../ui/formAction.js";
import { TextField } from "../../ui/TextField.js";

const MAX_TOKEN_DAYS = 3650;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : "Cannot list the tokens.";
}

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : "never";
}

/**
 * API tokens of one account: the list (never the secrets), revoke, and — on one's own profile —
 * create, whose secret is shown once, right here, to copy.
 */
export function TokensPanel(props: {
  list: () => Promise<TokenView[]>;
  revoke: (id: string) => Promise<void>;
  create?: (name: string, expiresInDays?: number) => Promise<CreatedToken>;
  testId: string;
}) {
  const [tokens, { refetch }] = createResource(async () => props.list());
  const [name, setName] = createSignal("");
  const [days, setDays] = createSignal("");
  const [created, setCreated] = createSignal<CreatedToken | null>(null);
  const creating = createFormAction();
  const revoking = createFormAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    const create = props.create;
    if (!create) return;
    const d = days().trim();
    await creating.run(async () => {
      const n = d === "" ? undefined : Number(d);
      if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_TOKEN_DAYS))
        throw new Error(`Expiry is a whole number of days, 1 to ${MAX_TOKEN_DAYS} (or empty for never).`);
      setCreated(await create(name(), n));
      setName("");
      setDays("");
      await refetch();
    });
  };

  return (
    <div class="account-tokens" data-testid={props.testId}>
      <Show when={props.create}>
        <form class="account-form inline" onSubmit={(e) => void submit(e)} aria-label="Create an API token">
          <TextField
            label="Token name"
            name="token-name"
            value={name()}
            maxLength={100}
            placeholder="e.g. import script"
            onValue={setName}
          />
          <TextField
            label="Expires in (days)"
            name="token-days"
            inputMode="numeric"
            value={days()}
            placeholder="never"
            style={{ width: "110px" }}
            onValue={setDays}
          />
          <button type="submit" class="btn primary" disabled={creating.busy() || name().trim() === ""}>
            Create token
          </button>
        </form>
        <Show when={creating.error()}>
          <div class="error-text" role="alert">
            {creating.error()}
          </div>
        </Show>
        <Show when={created()}>
          {(t) => (
            <div class="banner account-secret" data-testid="new-token">
              <span>
                Token <b>{t().name}</b> — copy it now, it is not shown again:
              </span>
              <input
                class="input mono"
                readOnly
                value={t().token}
                data-testid="new-token-value"
                onFocus={(e) => e.currentTarget.select()}
              />
              <button type="button" class="btn ghost" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          )}
        </Show>
      </Show>
      <Show when={revoking.error()}>
        <div class="error-text" role="alert">
          {revoking.error()}
        </div>
      </Show>
      <Show when={!tokens.error} fallback={<div class="error-text">{errorText(tokens.error as unknown)}</div>}>
        <Show
          when={(tokens() ?? []).length > 0}
          fallback={<p class="muted">{tokens.loading ? "Loading…" : "No API tokens."}</p>}
        >
          <table class="account-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={tokens()}>
                {(t) => (
                  <tr data-testid="token-row" data-token-id={t.id}>
                    <td>{t.name}</td>
                    <td>{day(t.created_at)}</td>
                    <td>{day(t.expires_at)}</td>
                    <td class="account-actions">
                      <button
                        type="button"
                        class="btn danger"
                        disabled={revoking.busy()}
                        onClick={() =>
                          void revoking.run(async () => {
                            await props.revoke(t.id);
                            await refetch();
                          })
                        }
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
      </Show>
    </div>
  );
}
