import type { IncomingMessage } from "node:http";
import type { Role } from "@tessera/shared-crdt";

/**
 * Who is on the other end of a sync connection. Decided once, at the HTTP upgrade, by one
 * function ({@link Identify}) — the single place authentication plugs in when accounts land.
 * The server stamps it into awareness; the client's own claims are never trusted.
 */
export interface Identity {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Tessera's own client: it receives type-100 messages (welcome, confirmed, rejected). */
  readonly tessera: boolean;
}

/** Why an upgrade is refused; answered as a plain HTTP response so stock clients back off. */
export interface Refusal {
  readonly refuse: 401 | 403;
  readonly message: string;
}

export type Identify = (req: IncomingMessage) => Promise<Identity | Refusal>;

export function isRefusal(v: Identity | Refusal): v is Refusal {
  return "refuse" in v;
}

const ROLES: readonly Role[] = ["annotator", "viewer", "reviewer", "admin"];
export const MAX_NAME_LENGTH = 64;

/**
 * The identity of the pre-accounts era: `?name=` (display name, trimmed, ≤ 64 characters),
 * `?role=` (`annotator` by default) and `?tessera=1`. The user id is derived from the name, so a
 * person keeps their colour across reconnects. An unknown role is refused (403) rather than
 * silently downgraded, so a typo in a script does not look like a permission bug.
 */
export const defaultIdentify: Identify = (req) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const rawName = (url.searchParams.get("name") ?? "").trim();
  const name = (rawName === "" ? "Anonymous" : rawName).slice(0, MAX_NAME_LENGTH);
  const rawRole = url.searchParams.get("role") ?? "annotator";
  const role = ROLES.find((r) => r === rawRole);
  if (!role) return Promise.resolve({ refuse: 403, message: `unknown role ${JSON.stringify(rawRole.slice(0, 32))}` });
  const tessera = url.searchParams.get("tessera") === "1";
  return Promise.resolve({ id: `guest:${name.toLowerCase()}`, name, role, tessera });
};

/** Twelve hues spread around the wheel, readable on light and dark canvases. */
export const USER_PALETTE: readonly string[] = [
  "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
  "#f032e6", "#9a6324", "#469990", "#808000", "#000075", "#bfef45",
];

/** A stable colour per user id (FNV-1a over the id), so everyone sees the same person in the same colour. */
export function colorOf(userId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return USER_PALETTE[h % USER_PALETTE.length] ?? "#808080";
}

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
