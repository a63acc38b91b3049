import type { IncomingMessage } from "node:http";
import { userColor, type Role } from "@tessera/shared-crdt";
import type { SessionRecord, TokenRecord } from "./credentialFiles.js";
import { roleOn } from "./roles.js";
import type { UserRecord } from "./UserStore.js";

/**
 * Who is making a request, as decided once per request from its credentials (never from what the
 * client claims about itself): nobody, the local operator of a single-user server, or an account
 * through a session cookie or an API token.
 */
export type Principal =
  | { readonly kind: "anonymous" }
  | { readonly kind: "local" }
  | { readonly kind: "user"; readonly user: UserRecord; readonly via: "session"; readonly session: SessionRecord }
  | { readonly kind: "user"; readonly user: UserRecord; readonly via: "token"; readonly token: TokenRecord };

export const ANONYMOUS: Principal = { kind: "anonymous" };
export const LOCAL: Principal = { kind: "local" };

/** The REST identity of the single-user mode (Pixano's model: the local operator may do anything). */
export const LOCAL_IDENTITY = { id: "rest:local", name: "REST client", role: "admin" as Role };

/** The role a principal holds on a dataset (`null` → its global role); null for nobody. */
export function principalRole(p: Principal, datasetId: string | null): Role | null {
  if (p.kind === "anonymous") return null;
  if (p.kind === "local") return "admin";
  return roleOn(p.user, datasetId);
}

/** Who a principal is in awareness, presence and the activity feed. */
export function principalIdentity(
  p: Principal,
  datasetId: string | null,
): { id: string; name: string; role: Role } | null {
  if (p.kind === "anonymous") return null;
  if (p.kind === "local") return LOCAL_IDENTITY;
  return { id: p.user.username, name: p.user.displayName, role: roleOn(p.user, datasetId) };
}

/** What `GET /auth/me` answers. */
export function meOf(p: Principal): Record<string, unknown> | null {
  if (p.kind === "anonymous") return null;
  if (p.kind === "local")
    return {
      id: LOCAL_IDENTITY.id,
      username: "local",
      name: "Local user",
      role: "admin",
      dataset_roles: {},
      color: userColor(LOCAL_IDENTITY.id),
      auth: "off",
    };
  const u = p.user;
  return {
    id: u.username,
    username: u.username,
    name: u.displayName,
    role: u.role,
    dataset_roles: { ...u.datasetRoles },
    color: userColor(u.username),
    auth: p.via,
  };
}

/** What the request layer learnt about one request: its principal and, once a route matched, its role there. */
export interface RequestAuth {
  readonly principal: Principal;
  /** Why presented credentials were refused, or null. */
  readonly failure: string | null;
  /** The cookie session behind the principal, if any. */
  readonly sessionDigest: string | null;
  /** The principal's role on the matched route's dataset (or its global role). */
  role: Role | null;
  datasetId: string | null;
}

const byRequest = new WeakMap<IncomingMessage, RequestAuth>();

export function attachRequestAuth(req: IncomingMessage, auth: RequestAuth): void {
  byRequest.set(req, auth);
}

export function requestAuth(req: IncomingMessage): RequestAuth | null {
  return byRequest.get(req) ?? null;
}
