/**
 * Tessera's own durable state under `DATA_DIR/.tessera/` (docs/ARCHITECTURE.md §3 "Durability"): the
 * per-record write-ahead log and the per-record CRDT snapshots. Nothing here may stop Pixano from
 * opening a dataset. Exported as `@tessera/storage`.
 */

import type { TableVersions } from "./lanceVersions.js";

/** A position in one record's log: a sequence number starting at 1, increasing by 1 per entry. */
export type LogPosition = number;

export interface LogEntry {
  readonly pos: LogPosition;
  readonly update: Uint8Array;
}

export interface RecordKey {
  readonly datasetId: string;
  readonly recordId: string;
}

/**
 * The write-ahead log port. Embedded mode: `FileRecordLog` (one append-only file per record,
 * group-commit fsync). Scaled mode: a Redis Stream per record. Both pass one contract suite.
 */
export interface RecordLog {
  /**
   * Appends one Yjs update. Resolves once the entry is durable (fsync'd / AOF'd); entries appended
   * within a few milliseconds share one fsync (group commit). Positions increase per record.
   */
  append(key: RecordKey, update: Uint8Array): Promise<LogPosition>;
  /**
   * Optional: the record is about to be written (its room loaded) — get its storage ready off the
   * edit path. Never required for correctness: `append` works without it.
   */
  prepare?(key: RecordKey): void;
  /** Durable entries with `pos > after` (all when omitted), in order. A torn tail entry is ignored. */
  read(key: RecordKey, after?: LogPosition): Promise<LogEntry[]>;
  /** Drops entries with `pos ≤ upTo`; later appends keep increasing positions. */
  trim(key: RecordKey, upTo: LogPosition): Promise<void>;
  /** Records whose log holds entries (recovery at start: flush them). */
  pending(): Promise<RecordKey[]>;
  close(): Promise<void>;
}

export interface RecordSnapshot {
  /** `Y.encodeStateAsUpdate` of the record document, merged through a `Y.Doc`. */
  readonly state: Uint8Array;
  /** The last log position folded into `state` (0 = none). */
  readonly foldedUpTo: LogPosition;
  /** Digest of the record's rows as written with this snapshot, to detect changes made behind our back. */
  readonly rowsDigest: string;
  /** ISO time of the save. */
  readonly savedAt: string;
  /**
   * Set while the persist worker writes rows from this state (saved before its first LanceDB write,
   * cleared after the last): rows that differ from `rowsDigest` are then a half-finished write of
   * ours, not someone else's change, so loading must not merge them back into the document.
   */
  readonly rowsPending?: boolean;
  /**
   * The LanceDB table versions at which the record's rows are known to match `rowsDigest`
   * (`lanceVersions.ts`): a load whose tables moved only by these commits reads no rows. Absent in
   * snapshots written before it existed, or when the fold could not vouch for the rows.
   */
  readonly lance?: TableVersions;
  /**
   * Everything live in `state` is inside the record layout (`holdsLayoutOnly` of the document it was
   * encoded from): its bytes may be served to a joiner as they are. Absent (unknown) in snapshots
   * written before it existed.
   */
  readonly layoutOnly?: boolean;
}

/** Snapshot port: `FileSnapshotStore` writes `.tessera/snapshots/<dataset>/<record>.snap` atomically (temp + rename). */
export interface SnapshotStore {
  load(key: RecordKey): Promise<RecordSnapshot | null>;
  save(key: RecordKey, snapshot: RecordSnapshot): Promise<void>;
  delete(key: RecordKey): Promise<void>;
}
