import { promises as fs } from "node:fs";
import { workflowState, type WorkflowState } from "@tessera/shared-crdt";

/**
 * The activity feed of one dataset (SPEC L-ACTIVITY) reduced to what the dashboard counts: status transitions and
 * edit batches, as compact events, read once from `<dataset>.jsonl` and then only from where the last read stopped
 * (the feed is append-only). A file that shrank or was replaced (another inode) is read again from the start.
 */

interface StatusEvent {
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly from: WorkflowState;
  readonly to: WorkflowState;
  readonly action: string;
  readonly user: string;
}

interface EditEvent {
  /** The batch's first edit, ms since the epoch. */
  readonly t: number;
  /** `until − at` (D-TIME), 0 when the entry has no `until`. */
  readonly ms: number;
  readonly record: string;
  readonly user: string;
}

export interface ActivityDigest {
  /** Oldest first. */
  readonly statuses: StatusEvent[];
  /** Oldest first. */
  readonly edits: EditEvent[];
  /** Account id → the name last seen for it. */
  readonly names: Map<string, string>;
  /** Entries used; lines that were neither a status nor an edit entry, nor blank, are `skipped` (torn, foreign). */
  entries: number;
  skipped: number;
  /** Earliest entry time (ms), or null for an empty feed. */
  first: number | null;
}

interface FileState {
  readonly dev: number;
  readonly ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes consumed: up to and including the last newline read. */
  offset: number;
  digest: ActivityDigest;
}

const CHUNK = 1 << 20;

function emptyDigest(): ActivityDigest {
  return { statuses: [], edits: [], names: new Map(), entries: 0, skipped: 0, first: null };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Inserts keeping time order (the feed is in time order but clocks may step back): usually a push. */
function insertOrdered<T extends { readonly t: number }>(list: T[], e: T): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as T).t > e.t) i--;
  if (i === list.length) list.push(e);
  else list.splice(i, 0, e);
}

/** One line of the feed into the digest; false when it is not an entry the dashboard reads. */
function addLine(d: ActivityDigest, line: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    // A torn last line after a crash, or bytes that are not JSON: counted as skipped, the rest is read.
    if (err instanceof SyntaxError) return false;
    throw err;
  }
  if (!isRecord(v) || typeof v.at !== "string" || typeof v.recordId !== "string" || !isRecord(v.user)) return false;
  const t = Date.parse(v.at);
  const userId = v.user.id;
  if (!Number.isFinite(t) || typeof userId !== "string") return false;
  if (typeof v.user.name === "string") d.names.set(userId, v.user.name);
  if (v.kind === "status") {
    const s = v.status;
    if (!isRecord(s) || typeof s.action !== "string") return false;
    const e = { t, from: workflowState(s.from), to: workflowState(s.to), action: s.action, user: userId };
    insertOrdered(d.statuses, e);
  } else if (v.kind === "edit") {
    const until = typeof v.until === "string" ? Date.parse(v.until) : NaN;
    const ms = Number.isFinite(until) && until > t ? until - t : 0;
    insertOrdered(d.edits, { t, ms, record: v.recordId, user: userId });
  } else if (v.kind !== "review") {
    return false;
  }
  d.entries++;
  d.first = d.first === null ? t : Math.min(d.first, t);
  return true;
}

/**
 * Reads activity files into digests, keeping one per file: an unchanged file (size and mtime) costs one `stat`;
 * a grown one, a read of the new bytes.
 */
export class ActivityDigests {
  private readonly files = new Map<string, FileState>();
  /** One read at a time per file, so two requests never parse the same bytes twice. */
  private readonly reading = new Map<string, Promise<ActivityDigest>>();

  async of(file: string): Promise<ActivityDigest> {
    const running = this.reading.get(file);
    if (running) return running;
    const p = this.refresh(file).finally(() => this.reading.delete(file));
    this.reading.set(file, p);
    return p;
  }

  private async refresh(file: string): Promise<ActivityDigest> {
    let st: { dev: number; ino: number; size: number; mtimeMs: number };
    try {
      st = await fs.stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.files.delete(file);
      return emptyDigest();
    }
    let state = this.files.get(file);
    if (state && state.size === st.size && state.mtimeMs === st.mtimeMs && state.ino === st.ino) return state.digest;
    if (!state || state.ino !== st.ino || state.dev !== st.dev || st.size < state.offset) {
      state = { dev: st.dev, ino: st.ino, size: 0, mtimeMs: 0, offset: 0, digest: emptyDigest() };
    }
    state.offset = await readFrom(file, state.offset, state.digest);
    state.size = st.size;
    state.mtimeMs = st.mtimeMs;
    this.files.set(file, state);
    return state.digest;
  }
}

/** Reads whole lines from `offset` to the end of the file into `d`; returns the offset after the last newline. */
async function readFrom(file: string, offset: number, d: ActivityDigest): Promise<number> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(CHUNK);
    let pos = offset;
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        const line = chunk.toString("utf8", start, nl);
        if (line.trim() !== "" && !addLine(d, line)) d.skipped++;
        start = nl + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
    // A last line without its newline may still be being written: read it next time, from its start.
    return pos - carry.length;
  } finally {
    await fh.close();
  }
}
