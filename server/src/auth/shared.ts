import type { SharedConnectionCounts } from "./ConnectionGuard.js";
import type { SessionBackend, SessionTimes } from "./credentialFiles.js";
import type { SharedLoginCounters } from "./LoginGate.js";

/** What one process tells the others about people (the scaled mode's auth bus). */
export type AuthEvent =
  /** The accounts file changed: re-read it, end what no longer holds, cut the users whose rights changed. */
  | { readonly t: "users" }
  /** The tokens file changed (a token created or revoked). */
  | { readonly t: "tokens" }
  /** Cut a user's websockets (all, or those of one session / token key). */
  | { readonly t: "kick"; readonly username: string; readonly key: string | null };

/**
 * Accounts shared by several server processes on one data directory (the scaled mode, built by
 * `server/src/cluster/live/sharedAuth.ts`): sessions every process reads, connection and login
 * counts over all of them, and a bus that carries account changes and kicks to all of them.
 */
export interface SharedAuth {
  sessions(times: SessionTimes, now: () => number, onWriteError: (err: unknown) => void): SessionBackend;
  readonly connections: SharedConnectionCounts;
  readonly login: SharedLoginCounters;
  publish(event: AuthEvent): Promise<void>;
  onEvent(fn: (event: AuthEvent) => void): () => void;
}
