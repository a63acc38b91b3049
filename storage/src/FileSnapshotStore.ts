import * as fs from "node:fs/promises";
import * as path from "node:path";
import { SnapshotError } from "./errors.js";
import { decodeSnapshot, encodeSnapshot } from "./snapshotFormat.js";
import { defaultSync, ensureDir, isNotFound, keyPath, sameKey, syncDir, writeAll, type SyncFn } from "./stateFiles.js";
import type { RecordKey, RecordSnapshot, SnapshotStore } from "./types.js";

export interface FileSnapshotStoreOptions {
  /** `DATA_DIR`; snapshots live in `DATA_DIR/.tessera/snapshots/<enc(dataset)>/<enc(record)>.snap`. */
  readonly dataDir: string;
  readonly sync?: SyncFn;
}

/** The snapshot folder of a data directory. */
export function snapshotDir(dataDir: string): string {
  return path.join(dataDir, ".tessera", "snapshots");
}

/**
 * Record snapshots on local disk. A save writes a temp file beside the target, fsyncs it, renames
 * it over and fsyncs the folder: a crash leaves either the old or the new snapshot plus, at worst,
 * an orphan temp file that loads never look at. Safe to share between the server (first load) and
 * the persist worker (every flush) because each save replaces the file whole.
 *
 * Saves running at the same time (1,000 records opened at once, a fold of 64 records) share their
 * folder's fsync: each file is written and fsynced on its own, in parallel, and renamed; then one
 * fsync of the folder, started after the rename, covers every rename made before it started
 * (group commit per folder). A save resolves only once its own rename is covered.
 */
export class FileSnapshotStore implements SnapshotStore {
  private readonly root: string;
  private readonly sync: SyncFn;
  /** Folders known to exist (made durable by `ensureDir` when this store created them). */
  private readonly madeDirs = new Set<string>();
  private readonly dirSyncs = new Map<string, DirSync>();

  constructor(options: FileSnapshotStoreOptions) {
    this.root = snapshotDir(options.dataDir);
    this.sync = options.sync ?? defaultSync;
  }

  async load(key: RecordKey): Promise<RecordSnapshot | null> {
    const file = keyPath(this.root, key, ".snap");
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const decoded = decodeSnapshot(bytes);
    if (!decoded.ok) throw new SnapshotError(decoded.reason, `${file}: ${decoded.problem}`);
    if (!sameKey(decoded.key, key))
      throw new SnapshotError("key_mismatch", `${file} belongs to ${JSON.stringify(decoded.key)}`);
    return decoded.snapshot;
  }

  async save(key: RecordKey, snapshot: RecordSnapshot): Promise<void> {
    const file = keyPath(this.root, key, ".snap");
    const dir = path.dirname(file);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const h = await this.createIn(dir, tmp);
    try {
      for (const c of encodeSnapshot(key, snapshot)) await writeAll(h, c, null);
      await this.sync(h, "full");
    } catch (e) {
      await h.close();
      await fs.rm(tmp, { force: true });
      throw e;
    }
    await h.close();
    await fs.rename(tmp, file);
    await this.syncFolder(dir);
  }

  /** Creates `tmp` in `dir`, creating the folder (durably) when it is missing — also after someone removed it. */
  private async createIn(dir: string, tmp: string): Promise<fs.FileHandle> {
    if (this.madeDirs.has(dir)) {
      try {
        return await fs.open(tmp, "w");
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.madeDirs.delete(dir); // the folder was removed (a dataset deleted): make it again
      }
    }
    await ensureDir(dir, this.sync);
    this.madeDirs.add(dir);
    return fs.open(tmp, "w");
  }

  /**
   * Resolves after an fsync of `dir` that started after this call: joins the next one if it has
   * not started yet, else queues one behind the one running.
   */
  private syncFolder(dir: string): Promise<void> {
    let group = this.dirSyncs.get(dir);
    if (!group) this.dirSyncs.set(dir, (group = { running: null, next: null }));
    const g = group;
    if (g.next) return g.next;
    const next = (g.running ?? Promise.resolve())
      .catch(() => undefined) // the running sync's error belongs to its own waiters
      .then(async () => {
        g.next = null;
        g.running = next;
        try {
          await syncDir(dir, this.sync);
        } finally {
          if (g.running === next) g.running = null;
          if (!g.running && !g.next) this.dirSyncs.delete(dir);
        }
      });
    g.next = next;
    return next;
  }

  async delete(key: RecordKey): Promise<void> {
    const file = keyPath(this.root, key, ".snap");
    try {
      await fs.rm(file);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await this.syncFolder(path.dirname(file));
  }
}

/** One folder's fsyncs: the one running and the one its next savers wait for. */
interface DirSync {
  running: Promise<void> | null;
  next: Promise<void> | null;
}
