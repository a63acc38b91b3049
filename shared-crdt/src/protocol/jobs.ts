/**
 * Messages between the server and the persist worker (SPEC P-JOBS). In the embedded mode the worker
 * is a child process talking over its IPC channel (the only transport so far). Both ends validate
 * what they receive: {@link isPersistRequest} in the worker, {@link isPersistReply} in the server.
 */
export type PersistRequest =
  /** Fold this record's log into its snapshot and rows now. */
  | { type: "flush"; id: number; datasetId: string; recordId: string }
  /**
   * Which of `ids` exist in `table` of the dataset, and in which record (SPEC D-OWNER's check after a
   * client update that adds rows): the query runs in the worker, off the server's event loop.
   */
  | { type: "owners"; id: number; datasetId: string; table: string; ids: readonly string[] }
  | { type: "shutdown" };

export type PersistReply =
  | { type: "ready" }
  /** Everything in the record's log up to `upTo` (log position, inclusive) is in the snapshot and the rows. */
  | {
      type: "flushed";
      id: number;
      datasetId: string;
      recordId: string;
      upTo: number;
      rowsWritten: number;
      rowsDeleted: number;
      statusChanged: boolean;
    }
  | { type: "failed"; id: number; datasetId: string; recordId: string; error: string }
  /** The answer to `owners`: [row id, its `record_id`] of those that exist. */
  | { type: "owners"; id: number; owners: Array<[string, string]> }
  | { type: "owners_failed"; id: number; error: string };

export function isPersistRequest(v: unknown): v is PersistRequest {
  if (v === null || typeof v !== "object") return false;
  const m = v as Record<string, unknown>;
  if (m.type === "shutdown") return true;
  if (typeof m.id !== "number" || typeof m.datasetId !== "string") return false;
  if (m.type === "owners")
    return typeof m.table === "string" && Array.isArray(m.ids) && m.ids.every((id) => typeof id === "string");
  return m.type === "flush" && typeof m.recordId === "string";
}

export function isPersistReply(v: unknown): v is PersistReply {
  if (v === null || typeof v !== "object") return false;
  const m = v as Record<string, unknown>;
  if (m.type === "ready") return true;
  if (typeof m.id !== "number") return false;
  if (m.type === "owners")
    return (
      Array.isArray(m.owners) &&
      m.owners.every((o) => Array.isArray(o) && o.length === 2 && typeof o[0] === "string" && typeof o[1] === "string")
    );
  if (m.type === "owners_failed") return typeof m.error === "string";
  if (typeof m.datasetId !== "string" || typeof m.recordId !== "string") return false;
  return (m.type === "flushed" && typeof m.upTo === "number") || (m.type === "failed" && typeof m.error === "string");
}
