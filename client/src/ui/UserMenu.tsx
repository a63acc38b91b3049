import { createSignal, onCleanup, Show } from "solid-js";
import { userColor } from "@tessera/shared-crdt";
import { navigate } from "../app/router.js";
import { identity, logout, roleOn } from "../session.js";
import { Avatar } from "./Avatar.js";
import { IdentityDialog } from "./IdentityDialog.js";
import { theme, toggleTheme } from "./theme.js";
import { toastError } from "./toasts.js";

/**
 * The person's menu: who they are (and their role here), their account page (accounts) or change
 * name/role (guests), the accounts page (global admins only), sign out, theme, shortcuts.
 */
export function UserMenu(props: { datasetId?: string; onShortcuts?: () => void }) {
  const [open, setOpen] = createSignal(false);
  const [editing, setEditing] = createSignal(false);
  let root: HTMLDivElement | undefined;
  const onDoc = (e: MouseEvent) => {
    if (root && !root.contains(e.target as Node)) setOpen(false);
  };
  document.addEventListener("mousedown", onDoc);
  onCleanup(() => document.removeEventListener("mousedown", onDoc));
  const me = () => identity();
  return (
    <div style={{ position: "relative" }} ref={root}>
      <button
        class="btn ghost"
        style={{ "padding-left": "4px" }}
        onClick={() => setOpen(!open())}
        aria-haspopup="menu"
        aria-expanded={open()}
        data-testid="user-menu"
      >
        <Show when={me()}>{(m) => <Avatar name={m().name} color={userColor(m().userId)} size={24} />}</Show>
        <span>{me()?.name ?? "Guest"}</span>
        <span class="faint">
          {me() ? roleOn(me() as NonNullable<ReturnType<typeof me>>, props.datasetId ?? null) : ""}
        </span>
      </button>
      <Show when={open()}>
        <div class="menu" role="menu">
          <Show
            when={me()?.account}
            fallback={
              <button
                role="menuitem"
                onClick={() => {
                  setOpen(false);
                  setEditing(true);
                }}
              >
                Change name or role…
              </button>
            }
          >
            <button
              role="menuitem"
              data-testid="menu-profile"
              onClick={() => {
                setOpen(false);
                navigate({ page: "profile" });
              }}
            >
              Your account…
            </button>
            <Show when={me()?.role === "admin"}>
              <button
                role="menuitem"
                data-testid="menu-admin"
                onClick={() => {
                  setOpen(false);
                  navigate({ page: "admin" });
                }}
              >
                Users and roles…
              </button>
            </Show>
            <button
              role="menuitem"
              data-testid="sign-out"
              onClick={() => {
                setOpen(false);
                logout().catch((err: unknown) => toastError(err, "Sign out"));
              }}
            >
              Sign out
            </button>
          </Show>
          <button role="menuitem" onClick={toggleTheme}>
            {theme() === "dark" ? "Light theme" : "Dark theme"}
          </button>
          <Show when={props.onShortcuts}>
            <div class="sep" />
            <button
              role="menuitem"
              onClick={() => {
                setOpen(false);
                props.onShortcuts?.();
              }}
            >
              Keyboard shortcuts <span class="kbd">?</span>
            </button>
          </Show>
        </div>
      </Show>
      <Show when={editing()}>
        <IdentityDialog cancellable onDone={() => setEditing(false)} />
      </Show>
    </div>
  );
}
