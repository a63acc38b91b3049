/**
 * The scaled mode's persist jobs (docs/ARCHITECTURE.md §6): what a web process XADDs to the jobs
 * stream (`tessera:persist:jobs`, consumer group `persist`) and what a persist worker publishes on
 * the requester's done channel (`tessera:persist:done:<processId>`). Both sides check what they
 * read: a stream entry or a message that does not parse is refused, never guessed at.
 */

/** A fold request: fold the record `tag` up to the latest entry of its log, answer on `reply`'s channel. */
export interface PersistJobFields {
  /** `recordTag(key)`: `encodeURIComponent(datasetId) + "/" + encodeURIComponent(recordId)`. */
  readonly tag: string;
  /** Only `"latest"` so far: everything the stream holds when the fold reads it. */
  readonly upTo: "latest";
  /** The requester's process id (its done channel), or `""` when nobody waits (the orphan sweep). */
  readonly reply: string;
  /** The requester's id for this job, echoed in the result. */
  readonly id: string;
}

/** The outcome of one job, published as JSON on `done(reply)`. */
export type PersistJobResult =
  | {
      readonly id: string;
      readonly tag: string;
      readonly upTo: number;
      readonly rowsWritten: number;
      readonly rowsDeleted: number;
      readonly statusChanged: boolean;
    }
  | { readonly id: string; readonly tag: string; readonly error: string };

const MAX_FIELD = 4096;

/** The stream entry's field list (`XADD jobs * ...fields`). */
export function persistJobEntry(job: PersistJobFields): string[] {
  return ["tag", job.tag, "upTo", job.upTo, "reply", job.reply, "id", job.id];
}

/** Reads a stream entry's flat field list; null when it is not a well-formed job. */
export function parsePersistJob(fields: readonly string[]): PersistJobFields | null {
  if (fields.length % 2 !== 0) return null;
  const m = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) {
    const k = fields[i];
    const v = fields[i + 1];
    if (k === undefined || v === undefined || v.length > MAX_FIELD || m.has(k)) return null;
    m.set(k, v);
  }
  const tag = m.get("tag");
  const upTo = m.get("upTo");
  const reply = m.get("reply");
  const id = m.get("id");
  if (!tag || upTo !== "latest" || reply === undefined || !id) return null;
  return { tag, upTo, reply, id };
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Parses a done-channel message; null when it is not a result. */
export function parsePersistJobResult(text: string): PersistJobResult | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null; // not JSON: not a result (the caller logs what it refused)
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== "string" || typeof o.tag !== "string") return null;
  if (typeof o.error === "string") return { id: o.id, tag: o.tag, error: o.error };
  if (!isCount(o.upTo) || !isCount(o.rowsWritten) || !isCount(o.rowsDeleted) || typeof o.statusChanged !== "boolean")
    return null;
  return {
    id: o.id,
    tag: o.tag,
    upTo: o.upTo,
    rowsWritten: o.rowsWritten,
    rowsDeleted: o.rowsDeleted,
    statusChanged: o.statusChanged,
  };
}
