import { promises as fs } from "node:fs";
import path from "node:path";
import type { ActivityEntry, LiveUser, ReviewThreadChange, WorkflowAction } from "@tessera/shared-crdt";
import { randomId } from "@tessera/shared-crdt";
import { systemClock, type Clock } from "../sync/clock.js";

/** Rows touched by one transaction, per table. */
export type TouchedTables = Record<string, { added: number; updated: number; removed: number }>;

export interface ActivityClock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** The activity feed's view of the server's one clock: dates for stamps, its timers for batches. */
export function activityClockOf(clock: Clock): ActivityClock {
  return { now: () => new Date(clock.now()), setTimeout: (fn, ms) => clock.after(ms, fn) };
}

/** The feed's file of a dataset, inside the activity folder: `<base64url(datasetId)>.jsonl`. */
export function activityFileName(datasetId: string): string {
  return `${Buffer.from(datasetId).toString("base64url")}.jsonl`;
}

const systemActivityClock: ActivityClock = activityClockOf(systemClock);

interface OpenBatch {
  entry: Omit<ActivityEntry, "tables" | "until"> & { tables: TouchedTables; until?: string };
  startedAt: number;
  timer: { cancel(): void };
}

/**
 * The activity feed (SPEC L-ACTIVITY): one entry per edit batch — a person's edits of one record,
 * closed after `idleMs` without edits or `maxMs` after it opened — and one per status transition.
 * Entries are appended to `DATA_DIR/.tessera/activity/<dataset>.jsonl` and kept in memory (the
 * last `keep` per dataset) for listing.
 */
export class ActivityLog {
  private readonly batches = new Map<string, OpenBatch>();
  private readonly recent = new Map<string, ActivityEntry[]>();
  private readonly loaded = new Map<string, Promise<void>>();
  private writes: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(e: ActivityEntry) => void>();

  constructor(
    private readonly dir: string,
    private readonly options: {
      idleMs?: number;
      maxMs?: number;
      keep?: number;
      clock?: ActivityClock;
      onError?: (msg: string, err: unknown) => void;
      /**
       * The scaled mode: other processes append to the same files; a listing first reads what
       * they appended since (the tail after the bytes already read).
       */
      shared?: boolean;
      /**
       * The scaled mode: runs one append to a dataset's file (named by the file's name) under a
       * lock every process takes (`RedisAppendLock`): appends from several processes never tear
       * or overwrite each other's lines, NFS included.
       */
      appendLock?: (fileName: string, write: () => Promise<void>) => Promise<void>;
    } = {},
  ) {}

  /** Bytes of each dataset's file read into `recent` (shared mode). */
  private readonly offsets = new Map<string, number>();
  private readonly catchingUp = new Map<string, Promise<void>>();

  private get clock(): ActivityClock {
    return this.options.clock ?? systemActivityClock;
  }

  onEntry(fn: (e: ActivityEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private file(datasetId: string): string {
    return path.join(this.dir, activityFileName(datasetId));
  }

  /** Adds one transaction's edits to the person's open batch on that record. */
  recordEdit(datasetId: string, recordId: string, user: LiveUser, tables: TouchedTables): void {
    const key = `${datasetId}\u0000${recordId}\u0000${user.id}`;
    const now = this.clock.now();
    let batch = this.batches.get(key);
    if (!batch) {
      batch = {
        entry: { id: randomId(), datasetId, recordId, kind: "edit", user, at: now.toISOString(), tables: {} },
        startedAt: now.getTime(),
        timer: { cancel: () => undefined },
      };
      this.batches.set(key, batch);
    }
    // SPEC D-TIME: the batch spans its first edit (`at`) to its last (`until`).
    batch.entry.until = now.toISOString();
    for (const [t, c] of Object.entries(tables)) {
      const acc = (batch.entry.tables[t] ??= { added: 0, updated: 0, removed: 0 });
      acc.added += c.added;
      acc.updated += c.updated;
      acc.removed += c.removed;
    }
    batch.timer.cancel();
    const idle = this.options.idleMs ?? 5000;
    const left = (this.options.maxMs ?? 60_000) - (now.getTime() - batch.startedAt);
    const b = batch;
    batch.timer = this.clock.setTimeout(() => this.closeBatch(key, b), Math.max(0, Math.min(idle, left)));
  }

  /** A status transition: closes the person's open edit batch on that record first, so order is kept. */
  recordStatus(
    datasetId: string,
    recordId: string,
    user: LiveUser,
    status: { from: string; to: string; action: WorkflowAction; comment: string },
  ): ActivityEntry {
    return this.recordEvent(datasetId, recordId, user, { kind: "status", status });
  }

  /** A review thread opened, answered, resolved or reopened (SPEC RV8); closes the person's open edit batch first. */
  recordReview(
    datasetId: string,
    recordId: string,
    user: LiveUser,
    review: { threadId: string; change: ReviewThreadChange; text: string; pinned: boolean },
  ): ActivityEntry {
    return this.recordEvent(datasetId, recordId, user, { kind: "review", review });
  }

  /** A one-off entry (not an edit batch): the person's open edit batch on that record is closed first, so order is kept. */
  private recordEvent(
    datasetId: string,
    recordId: string,
    user: LiveUser,
    what: (Pick<ActivityEntry, "status"> & { kind: "status" }) | (Pick<ActivityEntry, "review"> & { kind: "review" }),
  ): ActivityEntry {
    const key = `${datasetId}\u0000${recordId}\u0000${user.id}`;
    const open = this.batches.get(key);
    if (open) this.closeBatch(key, open);
    const entry: ActivityEntry = {
      id: randomId(),
      datasetId,
      recordId,
      user,
      at: this.clock.now().toISOString(),
      ...what,
    };
    this.append(entry);
    return entry;
  }

  private closeBatch(key: string, batch: OpenBatch): void {
    if (this.batches.get(key) !== batch) return;
    this.batches.delete(key);
    batch.timer.cancel();
    this.append(batch.entry);
  }

  private append(entry: ActivityEntry): void {
    const list = this.recent.get(entry.datasetId) ?? [];
    list.push(entry);
    const keep = this.options.keep ?? 2000;
    if (list.length > keep) list.splice(0, list.length - keep);
    this.recent.set(entry.datasetId, list);
    const file = this.file(entry.datasetId);
    const write = async () => {
      await fs.mkdir(this.dir, { recursive: true });
      await fs.appendFile(file, `${JSON.stringify(entry)}\n`);
    };
    const lock = this.options.appendLock;
    this.writes = this.writes
      .then(() => (lock ? lock(path.basename(file), write) : write()))
      .catch((err: unknown) => {
        // The feed is an audit trail, not the annotations: report and keep serving.
        (this.options.onError ?? console.error)(`activity log: cannot append to ${file}`, err);
      });
    for (const fn of this.listeners) fn(entry);
  }

  private async load(datasetId: string): Promise<void> {
    let p = this.loaded.get(datasetId);
    if (!p) {
      p = (async () => {
        const { text, end } = await this.readTail(datasetId, 0);
        this.offsets.set(datasetId, end);
        const fromDisk = parseEntries(text);
        const inMemory = this.recent.get(datasetId) ?? [];
        const ids = new Set(inMemory.map((e) => e.id));
        const keep = this.options.keep ?? 2000;
        this.recent.set(datasetId, [...fromDisk.filter((e) => !ids.has(e.id)), ...inMemory].slice(-keep));
      })();
      this.loaded.set(datasetId, p);
    }
    return p;
  }

  /** The file's bytes after `offset` up to its last complete line, and where they end. */
  private async readTail(datasetId: string, offset: number): Promise<{ text: string; end: number }> {
    let buf: Buffer;
    try {
      const handle = await fs.open(this.file(datasetId), "r");
      try {
        const { size } = await handle.stat();
        buf = Buffer.alloc(Math.max(0, size - offset));
        if (buf.length > 0) await handle.read(buf, 0, buf.length, offset);
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { text: "", end: offset };
      throw err;
    }
    // A line being written (or torn by a crash) waits for the next read.
    const complete = buf.lastIndexOf(0x0a) + 1;
    return { text: buf.subarray(0, complete).toString("utf8"), end: offset + complete };
  }

  /** Shared mode: adds what other processes appended since the last read (this process's own entries are known by id). */
  private catchUp(datasetId: string): Promise<void> {
    const prev = this.catchingUp.get(datasetId) ?? Promise.resolve();
    const next = prev.then(async () => {
      const { text, end } = await this.readTail(datasetId, this.offsets.get(datasetId) ?? 0);
      this.offsets.set(datasetId, end);
      const list = this.recent.get(datasetId) ?? [];
      const ids = new Set(list.map((e) => e.id));
      const added = parseEntries(text).filter((e) => !ids.has(e.id));
      if (added.length === 0) return;
      const keep = this.options.keep ?? 2000;
      const merged = [...list, ...added].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      this.recent.set(datasetId, merged.slice(-keep));
    });
    this.catchingUp.set(
      datasetId,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Newest first. */
  async list(datasetId: string, options: { recordId?: string; limit?: number } = {}): Promise<ActivityEntry[]> {
    await this.load(datasetId);
    if (this.options.shared) await this.catchUp(datasetId);
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const all = this.recent.get(datasetId) ?? [];
    const out: ActivityEntry[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const e = all[i] as ActivityEntry;
      if (options.recordId === undefined || e.recordId === options.recordId) out.push(e);
    }
    return out;
  }

  /** Closes open batches and waits for every write. */
  async flush(): Promise<void> {
    for (const [key, b] of [...this.batches]) this.closeBatch(key, b);
    await this.writes;
  }
}

function parseEntries(text: string): ActivityEntry[] {
  const out: ActivityEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as ActivityEntry);
    } catch (err) {
      // A torn line after a crash: skip it, the rest of the feed is intact.
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}
