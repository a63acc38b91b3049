import type { JournalLimits } from "./Journal.js";
import type { SyncFn } from "./stateFiles.js";

/** How a `FileRecordLog` is opened, and its counters. */

export interface FileRecordLogOptions {
  /** `DATA_DIR`; logs live in `DATA_DIR/.tessera/wal/<enc(dataset)>/<enc(record)>.wal`. */
  readonly dataDir: string;
  /**
   * A reader (the persist worker) never writes, truncates or renames: it re-reads files on every
   * call, ignoring a tail another process is still writing. One process per `DATA_DIR` may write.
   */
  readonly readOnly?: boolean;
  /** How a handle is synced; injectable so tests count (and hold) fsyncs. */
  readonly sync?: SyncFn;
  /** Largest update accepted by {@link FileRecordLog.append}. */
  readonly maxEntryBytes?: number;
  /** Where repaired logs (torn tails, damaged entries or headers, with the copy set aside) are reported (default `console.warn`). */
  readonly onWarning?: (message: string) => void;
  /** Open descriptors kept for idle records (least recently used closed first; default 2,048: a server with 1,000 rooms open reopens none per round). */
  readonly maxOpenFiles?: number;
  /** When the shared journal's current segment is sealed and checkpointed (default 64 MiB / 30 s). */
  readonly journal?: Partial<JournalLimits>;
}

/** Counters for tests and benchmarks. */
export interface FileRecordLogStats {
  /** Group-commit rounds that wrote at least one entry. */
  rounds: number;
  /** Entries made durable. */
  appends: number;
  /** Every sync call (file data, file, directory). */
  fsyncs: number;
  /** Record files currently open. */
  openFiles: number;
  /** Journal segments made redundant and deleted (their record files synced). */
  checkpoints: number;
}
