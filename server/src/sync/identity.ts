import type { IncomingMessage } from "node:http";
import { PEOPLE_PALETTE, userColor, type Role } from "@tessera/shared-crdt";

/**
 * Who is on the other end of a sync connection. Decided once, at the HTTP upgrade, by one
 * function ({@link Identify}) — with accounts, `AuthService.identifySync` (server/src/auth).
 * The server stamps it into awareness; the client's own claims are never trusted.
 */
export interface Identity {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Tessera's own client: it receives type-100 messages (welcome, confirmed, rejected). */
  readonly tessera: boolean;
}

/**
 * Why an upgrade is refused; answered as a plain HTTP response so stock clients back off: 401
 * (no or dead credentials), 403 (not allowed), 503 with `Retry-After` (connection limits).
 */
export interface Refusal {
  readonly refuse: 401 | 403 | 503;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Identify = (req: IncomingMessage) => Promise<Identity | Refusal>;

export function isRefusal(v: Identity | Refusal): v is Refusal {
  return "refuse" in v;
}

const ROLES: readonly Role[] = ["annotator", "viewer", "reviewer", "admin"];
const MAX_NAME_LENGTH = 64;

/**
 * The identity of the pre-accounts era: `?name=` (display name, trimmed, ≤ 64 characters),
 * `?role=` (`annotator` by default) and `?tessera=1`. The user id is derived from the name, so a
 * person keeps their colour across reconnects. An unknown role is refused (403) rather than
 * silently downgraded, so a typo in a script does not look like a permission bug.
 */
export const defaultIdentify: Identify = (req) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  return Promise.resolve(
    guestIdentity(url.searchParams.get("name"), url.searchParams.get("role"), url.searchParams.get("tessera") === "1"),
  );
};

/** A guest identity from a claimed display name and role (shared by the sync endpoint and the live channel). */
export function guestIdentity(
  rawName: string | null | undefined,
  rawRole: string | null | undefined,
  tessera = false,
): Identity | Refusal {
  const trimmed = (rawName ?? "").trim();
  const name = (trimmed === "" ? "Anonymous" : trimmed).slice(0, MAX_NAME_LENGTH);
  const wanted = rawRole ?? "annotator";
  const role = ROLES.find((r) => r === wanted);
  if (!role) return { refuse: 403, message: `unknown role ${JSON.stringify(wanted.slice(0, 32))}` };
  return { id: `guest:${name.toLowerCase()}`, name, role, tessera };
}

/** People colours come from shared-crdt, so the client draws everyone in the same colour. */
export const USER_PALETTE: readonly string[] = PEOPLE_PALETTE;
export const colorOf = userColor;

/** The `user` field the server writes into every awareness state a connection sends. */
export interface AwarenessUser {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly role: Role;
}

export function awarenessUserOf(identity: Identity): AwarenessUser {
  return { id: identity.id, name: identity.name, color: colorOf(identity.id), role: identity.role };
}
