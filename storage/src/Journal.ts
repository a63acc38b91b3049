import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RecordLogError } from "./errors.js";
import {
  encodeJournalHeader,
  JOURNAL_HEADER,
  JOURNAL_SUFFIX,
  parseJournalHeader,
  scanJournal,
  type JournalEntry,
} from "./journalFormat.js";
import { ensureDir, isNotFound, isTempName, syncDir, writeAll, type SyncFn } from "./stateFiles.js";
import type { LogPosition, RecordKey } from "./types.js";

/**
 * The shared journal of the record log (docs/ARCHITECTURE.md §3 "Durability"): one append-only
 * segment file for the whole process. A group-commit round writes every record's new entries into
 * the current segment with one write and makes them durable with ONE fsync, then copies them into
 * the records' own files without syncing those. A segment is sealed when it grows past
 * `maxBytes` or gets older than `maxAgeMs`; its checkpoint then syncs, one at a time in the
 * background, every record file (and folder) written while it was current, and only then deletes
 * it. So at any moment an acknowledged entry is durable in a live segment or in its record file.
 */

export interface JournalLimits {
  /** Seal the current segment once it holds this many bytes (default 64 MiB). */
  readonly maxBytes: number;
  /** Seal the current segment once it is this old (default 30 s). */
  readonly maxAgeMs: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 30_000 };

export interface Segment {
  readonly path: string;
  readonly handle: fs.FileHandle;
  readonly openedAt: number;
  size: number;
  /** Set after a failed write or fsync: no further round uses this segment. */
  failed: boolean;
}

/** A segment no round writes to any more, with what its checkpoint must make durable first. */
export interface SealedSegment {
  readonly path: string;
  readonly handle: fs.FileHandle | null;
  readonly files: ReadonlySet<string>;
  readonly dirs: ReadonlySet<string>;
}

function segmentName(seq: number): string {
  return String(seq).padStart(16, "0") + JOURNAL_SUFFIX;
}

/** The segments of `dir`, oldest first. */
export async function listSegments(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith(JOURNAL_SUFFIX) && !isTempName(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** What one segment holds, with a description of any damage (null when sound). */
export async function readSegment(file: string): Promise<{ entries: JournalEntry[]; problem: string | null }> {
  const bytes = await fs.readFile(file);
  const h = parseJournalHeader(bytes);
  const scan = scanJournal(bytes.length < JOURNAL_HEADER ? Buffer.alloc(JOURNAL_HEADER) : bytes);
  const problems: string[] = [];
  if (!h.ok) problems.push(`bad header (${h.problem})`);
  if (scan.damagedBytes > 0)
    problems.push(`${scan.damagedBytes} damaged bytes (a torn tail after a crash, or corruption)`);
  return { entries: scan.entries, problem: problems.length > 0 ? problems.join(", ") : null };
}

/** Per record, the entries of all segments; a later (record, position) replaces an earlier one. */
export function latestEntries(
  segments: ReadonlyArray<readonly JournalEntry[]>,
): Map<string, { key: RecordKey; entries: Map<LogPosition, Uint8Array> }> {
  const out = new Map<string, { key: RecordKey; entries: Map<LogPosition, Uint8Array> }>();
  for (const entries of segments) {
    for (const e of entries) {
      const id = JSON.stringify([e.key.datasetId, e.key.recordId]);
      let rec = out.get(id);
      if (!rec) {
        rec = { key: e.key, entries: new Map() };
        out.set(id, rec);
      }
      rec.entries.set(e.pos, e.update);
    }
  }
  return out;
}

export class Journal {
  private current: Segment | null = null;
  private nextSeq = 1;
  private files = new Set<string>();
  private dirs = new Set<string>();
  private dirReady = false;

  constructor(
    readonly dir: string,
    private readonly sync: SyncFn,
    private readonly limits: JournalLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Segments after this one get higher numbers (called by recovery with the highest seen). */
  startAfter(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  /** A record file written (or created) by a round of the current segment: its checkpoint syncs it. */
  noteFile(file: string): void {
    this.files.add(file);
  }

  /** A folder whose entries changed (a created file or folder): its checkpoint syncs it. */
  noteDir(dir: string): void {
    this.dirs.add(dir);
  }

  /** Whether the current segment should be sealed (size or age). */
  due(): boolean {
    const c = this.current;
    if (!c) return this.files.size > 0 || this.dirs.size > 0;
    return c.failed || c.size >= this.limits.maxBytes || this.now() - c.openedAt >= this.limits.maxAgeMs;
  }

  /**
   * Writes a round's frames at the end of the current segment (creating one, synced, if needed).
   * Returns the segment for {@link flush}. A failed write retires the segment.
   */
  async write(bytes: Uint8Array): Promise<Segment> {
    const seg = this.current && !this.current.failed ? this.current : await this.open();
    const at = seg.size;
    seg.size += bytes.length;
    try {
      await writeAll(seg.handle, bytes, at);
    } catch (e) {
      seg.failed = true;
      throw new RecordLogError("io", `write to the journal ${seg.path} failed; nothing of this round is confirmed`, {
        cause: e,
      });
    }
    return seg;
  }

  /** The one fsync of a round. A failure retires the segment (its later pages cannot be trusted). */
  async flush(seg: Segment): Promise<void> {
    try {
      await this.sync(seg.handle, "data");
    } catch (e) {
      seg.failed = true;
      throw new RecordLogError("io", `fsync of the journal ${seg.path} failed; nothing of this round is confirmed`, {
        cause: e,
      });
    }
  }

  /** Stops writing to the current segment; what its checkpoint must sync first comes with it. */
  seal(): SealedSegment | null {
    const c = this.current;
    if (!c && this.files.size === 0 && this.dirs.size === 0) return null;
    const sealed: SealedSegment = {
      path: c?.path ?? "",
      handle: c?.handle ?? null,
      files: this.files,
      dirs: this.dirs,
    };
    this.current = null;
    this.files = new Set();
    this.dirs = new Set();
    return sealed;
  }

  /**
   * Makes a sealed segment redundant, then deletes it: syncs each record file and folder written
   * while it was current, one at a time (so a round's own fsync never queues behind hundreds), and
   * the journal folder after the unlink. On failure the segment stays, replayed at the next start.
   */
  async checkpoint(s: SealedSegment): Promise<void> {
    for (const file of s.files) {
      let h: fs.FileHandle;
      try {
        h = await fs.open(file, "r");
      } catch (e) {
        if (isNotFound(e)) continue; // dropped since (a trim renames over it, synced by the trim itself)
        throw e;
      }
      try {
        await this.sync(h, "data");
      } finally {
        await h.close();
      }
    }
    // The folders of the files too: a trim's rename (not synced by the trim) becomes durable here.
    const dirs = new Set([...s.dirs, ...[...s.files].map((f) => path.dirname(f))]);
    for (const dir of dirs) await syncDir(dir, this.sync);
    if (s.handle) await s.handle.close();
    if (s.path) {
      await fs.rm(s.path, { force: true });
      await syncDir(this.dir, this.sync);
    }
  }

  private async open(): Promise<Segment> {
    if (this.current) {
      // A failed segment is abandoned: its checkpoint still runs once it is sealed by the caller.
      throw new RecordLogError("io", `the journal segment ${this.current.path} failed and is not sealed yet`);
    }
    if (!this.dirReady) {
      await ensureDir(this.dir, this.sync);
      this.dirReady = true;
    }
    const file = path.join(this.dir, segmentName(this.nextSeq));
    const header = encodeJournalHeader(this.nextSeq);
    this.nextSeq++;
    const handle = await fs.open(file, "wx+");
    try {
      await writeAll(handle, header, 0);
      await this.sync(handle, "full");
      await syncDir(this.dir, this.sync);
    } catch (e) {
      await handle.close();
      await fs.rm(file, { force: true });
      throw new RecordLogError("io", `cannot create the journal segment ${file}`, { cause: e });
    }
    const seg: Segment = { path: file, handle, openedAt: this.now(), size: header.length, failed: false };
    this.current = seg;
    return seg;
  }
}
