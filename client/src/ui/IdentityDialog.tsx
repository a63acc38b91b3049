import { createSignal, For } from "solid-js";
import { GUEST_ROLES, identity, MAX_NAME_LENGTH, setGuestIdentity, type GuestRole } from "../session.js";
import { TextField } from "./TextField.js";

const ROLE_HINTS: Record<GuestRole, string> = {
  annotator: "draws and edits, submits for review",
  reviewer: "edits, approves or rejects",
  viewer: "looks, never edits",
};

/** Without accounts: asked once on the first visit (and from the user menu), a display name and a role. */
export function IdentityDialog(props: { onDone?: () => void; cancellable?: boolean }) {
  const current = identity();
  const [name, setName] = createSignal(current?.name ?? "");
  const [role, setRole] = createSignal<GuestRole>(GUEST_ROLES.find((r) => r === current?.role) ?? "annotator");
  const valid = () => name().trim() !== "";
  const submit = (e: Event) => {
    e.preventDefault();
    if (!valid()) return;
    setGuestIdentity(name(), role());
    props.onDone?.();
  };
  return (
    <div class="backdrop">
      <form
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Who are you?"
        data-testid="identity-dialog"
        onSubmit={submit}
      >
        <h2>Who are you?</h2>
        <p class="muted" style={{ margin: 0 }}>
          Others see this name next to your cursor and your edits. It is kept in this browser.
        </p>
        <TextField
          label="Name"
          name="name"
          autofocus
          maxLength={MAX_NAME_LENGTH}
          value={name()}
          onValue={setName}
          placeholder="e.g. Alice"
        />
        <label class="field">
          Role
          <select
            class="input"
            name="role"
            value={role()}
            onChange={(e) => setRole(e.currentTarget.value as GuestRole)}
          >
            <For each={GUEST_ROLES}>{(r) => <option value={r}>{`${r} — ${ROLE_HINTS[r]}`}</option>}</For>
          </select>
        </label>
        <div class="actions">
          {props.cancellable && (
            <button type="button" class="btn" onClick={() => props.onDone?.()}>
              Cancel
            </button>
          )}
          <button type="submit" class="btn primary" disabled={!valid()}>
            Continue
          </button>
        </div>
      </form>
    </div>
  );
}
