import type { Role } from "@tessera/shared-crdt";
import type { PasswordChangeRequest, UserCreateRequest, UserUpdateRequest } from "@tessera/shared-crdt/api";
import { requestJson } from "./http.js";

/**
 * Accounts over REST: one's own (`/auth/me`, `/auth/password`, `/auth/tokens`) for the profile
 * page, everyone's (`/users`) for the admin page. Bodies are the shared TypeBox schemas' types.
 */

/** An account as `GET /users` lists it. */
export interface UserView {
  readonly username: string;
  readonly display_name: string;
  readonly role: Role;
  readonly dataset_roles: Readonly<Record<string, Role>>;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

/** An API token as listed (never its secret). */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
  readonly expires_at: string | null;
}

/** A new token: the secret is in this answer only. */
export interface CreatedToken extends TokenView {
  readonly token: string;
}

export const ROLES: readonly Role[] = ["viewer", "annotator", "reviewer", "admin"];

const seg = encodeURIComponent;

// ── one's own account ───────────────────────────────────────────────────────────────────────

export function updateMyName(name: string): Promise<unknown> {
  return requestJson<unknown>("/auth/me", { method: "PATCH", body: { name } });
}

export function changeMyPassword(body: PasswordChangeRequest): Promise<unknown> {
  return requestJson<unknown>("/auth/password", { method: "POST", body });
}

export function listMyTokens(): Promise<TokenView[]> {
  return requestJson<TokenView[]>("/auth/tokens");
}

export function createMyToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
  return requestJson<CreatedToken>("/auth/tokens", {
    method: "POST",
    body: { name, ...(expiresInDays !== undefined ? { expires_in_days: expiresInDays } : {}) },
  });
}

export async function revokeMyToken(id: string): Promise<void> {
  await requestJson<unknown>(`/auth/tokens/${seg(id)}`, { method: "DELETE" });
}

// ── everyone's (global admins) ──────────────────────────────────────────────────────────────

export function listUsers(): Promise<UserView[]> {
  return requestJson<UserView[]>("/users");
}

export function createUser(body: UserCreateRequest): Promise<{ user: UserView; password?: string }> {
  return requestJson<{ user: UserView; password?: string }>("/users", { method: "POST", body });
}

export function updateUser(username: string, body: UserUpdateRequest): Promise<UserView> {
  return requestJson<UserView>(`/users/${seg(username)}`, { method: "PATCH", body });
}

export async function deleteUser(username: string): Promise<void> {
  await requestJson<unknown>(`/users/${seg(username)}`, { method: "DELETE" });
}

export function listUserTokens(username: string): Promise<TokenView[]> {
  return requestJson<TokenView[]>(`/users/${seg(username)}/tokens`);
}

export async function revokeUserToken(username: string, id: string): Promise<void> {
  await requestJson<unknown>(`/users/${seg(username)}/tokens/${seg(id)}`, { method: "DELETE" });
}
