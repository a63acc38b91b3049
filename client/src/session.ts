import { createSignal } from "solid-js";
import type { Role } from "@tessera/shared-crdt";
import { ApiError, onUnauthorized, requestJson } from "./api/http.js";

/**
 * Who is using this browser — the one module where login plugs in.
 *
 * - Accounts on (the server's default): `GET /auth/me` answers the account (name, global role,
 *   per-dataset roles); a 401 anywhere raises the login form, which posts `/auth/login` (the
 *   server sets an HTTP-only session cookie that REST, the sync endpoint and the live channel all
 *   carry). Sign out posts `/auth/logout`.
 * - Single-user mode (`--no-auth`, `/auth/me` says `auth: "off"`) or a server without accounts:
 *   a display name and a role, asked once and kept in localStorage, sent to the sync endpoint and
 *   the live channel, which honour them in that mode only.
 */
export type GuestRole = Extract<Role, "annotator" | "reviewer" | "viewer">;
export const GUEST_ROLES: readonly GuestRole[] = ["annotator", "reviewer", "viewer"];
export const MAX_NAME_LENGTH = 64;

export interface Identity {
  /** The user id the server uses (presence, awareness, activity): the username, or `guest:<name>`. */
  readonly userId: string;
  readonly name: string;
  /** Global role. */
  readonly role: Role;
  /** Per-dataset overrides (accounts only). */
  readonly datasetRoles: Readonly<Record<string, Role>>;
  readonly account: boolean;
}

type AuthState =
  | { readonly kind: "loading" }
  /** No accounts on this server: the guest identity (null until chosen). */
  | { readonly kind: "guest"; readonly identity: Identity | null }
  | { readonly kind: "account"; readonly identity: Identity }
  /**
   * The server stopped accepting the account's session mid-use (signed out in another tab,
   * expired, revoked): the pages stay as they are, their edits keep queuing, and the sign-in
   * dialog asks again in place.
   */
  | { readonly kind: "expired"; readonly identity: Identity }
  | { readonly kind: "signedOut" };

const STORAGE_KEY = "tessera.identity";
const ROLES: readonly Role[] = ["viewer", "annotator", "reviewer", "admin"];

/** The id the server derives for a guest name (`guest:<lower-cased name>`). */
export function guestUserId(name: string): string {
  return `guest:${name.trim().slice(0, MAX_NAME_LENGTH).toLowerCase()}`;
}

export function guestIdentity(name: string, role: GuestRole): Identity {
  const clean = name.trim().slice(0, MAX_NAME_LENGTH);
  return { userId: guestUserId(clean), name: clean, role, datasetRoles: {}, account: false };
}

/** Reads a stored guest identity; anything malformed counts as none (the dialog asks again). */
export function parseStoredGuest(raw: string | null): Identity | null {
  if (!raw) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  if (v === null || typeof v !== "object") return null;
  const { name, role } = v as { name?: unknown; role?: unknown };
  if (typeof name !== "string" || name.trim() === "") return null;
  const r = GUEST_ROLES.find((x) => x === role);
  return r ? guestIdentity(name, r) : null;
}

/** An account as `GET /auth/me` (and `POST /auth/login`) describe it; null when it is the single-user mode. */
export function accountIdentity(me: unknown): Identity | null {
  if (me === null || typeof me !== "object") return null;
  const m = me as { id?: unknown; name?: unknown; role?: unknown; dataset_roles?: unknown; auth?: unknown };
  if (m.auth === "off" || typeof m.id !== "string") return null;
  const role = ROLES.find((r) => r === m.role) ?? "viewer";
  const datasetRoles: Record<string, Role> = {};
  if (m.dataset_roles && typeof m.dataset_roles === "object") {
    for (const [ds, r] of Object.entries(m.dataset_roles as Record<string, unknown>)) {
      const known = ROLES.find((x) => x === r);
      if (known) datasetRoles[ds] = known;
    }
  }
  return {
    userId: m.id,
    name: typeof m.name === "string" && m.name !== "" ? m.name : m.id,
    role,
    datasetRoles,
    account: true,
  };
}

/** The role that applies on a dataset: its override, else the global role. */
export function roleOn(identity: Identity, datasetId: string | null): Role {
  if (datasetId !== null && Object.hasOwn(identity.datasetRoles, datasetId))
    return identity.datasetRoles[datasetId] ?? identity.role;
  return identity.role;
}

function readStoredGuest(): Identity | null {
  try {
    return parseStoredGuest(localStorage.getItem(STORAGE_KEY));
  } catch (err) {
    // Storage can be disabled (privacy mode); the dialog then asks on every visit.
    console.warn("tessera: localStorage unavailable", err);
    return null;
  }
}

const [authState, setAuthState] = createSignal<AuthState>({ kind: "loading" });
export { authState };

/** The current identity, or null while loading, signed out, or before a guest chose a name. */
export function identity(): Identity | null {
  const s = authState();
  return s.kind === "account" || s.kind === "guest" || s.kind === "expired" ? s.identity : null;
}

type AuthListener = () => void;
const endedListeners = new Set<AuthListener>();
const signedInListeners = new Set<AuthListener>();

/** Called when the account's session ends: expired mid-use, or signed out in this tab (record sessions stop reconnecting). */
export function onSessionEnded(fn: AuthListener): () => void {
  endedListeners.add(fn);
  return () => endedListeners.delete(fn);
}

/** Called after a successful sign-in (record sessions reconnect, queued edits are flushed). */
export function onSignedIn(fn: AuthListener): () => void {
  signedInListeners.add(fn);
  return () => signedInListeners.delete(fn);
}

/**
 * The server answered 401 (a REST call, or the sync endpoint's refusal found by a probe): an
 * account in use becomes "expired" (sign in again in place), nothing else changes for guests.
 */
function sessionEnded(): void {
  const s = authState();
  if (s.kind === "account") setAuthState({ kind: "expired", identity: s.identity });
  else if (s.kind === "loading") setAuthState({ kind: "signedOut" });
  else return;
  for (const fn of endedListeners) fn();
}

/** Asks the server who we are (once at start-up). */
export async function loadSession(): Promise<void> {
  try {
    const me = await requestJson<unknown>("/auth/me");
    const account = accountIdentity(me);
    setAuthState(account ? { kind: "account", identity: account } : { kind: "guest", identity: readStoredGuest() });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) setAuthState({ kind: "signedOut" });
    // A server from before accounts (404) or an unreachable one: the guest flow still works.
    else if (err instanceof Error) setAuthState({ kind: "guest", identity: readStoredGuest() });
    else throw err;
  }
}

export function setGuestIdentity(name: string, role: GuestRole): void {
  const next = guestIdentity(name, role);
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ name: next.name, role }));
  } catch (err) {
    console.warn("tessera: cannot keep the identity in localStorage", err);
  }
  setAuthState({ kind: "guest", identity: next });
}

onUnauthorized((path) => {
  // The login form's own refusal (wrong password), and the password form's (wrong current
  // password), are not the end of a session.
  if (path !== "/auth/login" && path !== "/auth/password") sessionEnded();
});

/** Posts the login form; resolves with the account (the session cookie is set by the answer). */
export async function login(username: string, password: string): Promise<Identity> {
  const me = await requestJson<unknown>("/auth/login", { method: "POST", body: { username, password } });
  const account = accountIdentity(me);
  if (!account) throw new Error("this server has no accounts");
  setAuthState({ kind: "account", identity: account });
  for (const fn of signedInListeners) fn();
  return account;
}

export async function logout(): Promise<void> {
  await requestJson<unknown>("/auth/logout", { method: "POST" });
  setAuthState({ kind: "signedOut" });
  // This tab's connections stop too (a background flush of queued edits would otherwise keep
  // reconnecting and be refused); the edits stay queued for the next sign-in.
  for (const fn of endedListeners) fn();
}
