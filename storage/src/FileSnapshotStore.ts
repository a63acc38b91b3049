import * as fs from "node:fs/promises";
import * as path from "node:path";
import { SnapshotError } from "./errors.js";
import { decodeSnapshot, encodeSnapshot } from "./snapshotFormat.js";
import {
  defaultSync,
  ensureDir,
  isNotFound,
  keyPath,
  sameKey,
  syncDir,
  writeFileAtomic,
  type SyncFn,
} from "./stateFiles.js";
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
 */
export class FileSnapshotStore implements SnapshotStore {
  private readonly root: string;
  private readonly sync: SyncFn;

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
    await ensureDir(path.dirname(file), this.sync);
    await writeFileAtomic(file, encodeSnapshot(key, snapshot), this.sync);
  }

  async delete(key: RecordKey): Promise<void> {
    const file = keyPath(this.root, key, ".snap");
    try {
      await fs.rm(file);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await syncDir(path.dirname(file), this.sync);
  }
}
