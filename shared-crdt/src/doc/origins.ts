/**
 * Typed transaction origins (docs/ARCHITECTURE.md §3). Every `doc.transact` in Tessera passes one, so
 * broadcast can skip the sender, persistence can ignore its own replays, and inference output
 * can be undone as a unit.
 */
export type Origin =
  | { readonly source: "client"; readonly sessionId: string }
  | { readonly source: "persistence" }
  | { readonly source: "inference"; readonly jobId: string }
  | { readonly source: "server"; readonly reason?: string }
  | { readonly source: "rest"; readonly userId: string };

export const PERSISTENCE_ORIGIN: Origin = Object.freeze({ source: "persistence" });

export function clientOrigin(sessionId: string): Origin {
  return { source: "client", sessionId };
}

export function serverOrigin(reason?: string): Origin {
  return reason === undefined ? { source: "server" } : { source: "server", reason };
}

export function restOrigin(userId: string): Origin {
  return { source: "rest", userId };
}

export function inferenceOrigin(jobId: string): Origin {
  return { source: "inference", jobId };
}

export function isOrigin(value: unknown): value is Origin {
  if (value === null || typeof value !== "object") return false;
  const s = (value as { source?: unknown }).source;
  return s === "client" || s === "persistence" || s === "inference" || s === "server" || s === "rest";
}
