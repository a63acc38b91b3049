import type { ComponentTable } from "@tessera/shared-crdt";
import type { RecordKey } from "@tessera/storage";

/** What one flush did: the log is folded up to `upTo` (inclusive) into the snapshot and the rows. */
export interface FlushResult {
  readonly upTo: number;
  readonly rowsWritten: number;
  readonly rowsDeleted: number;
  readonly statusChanged: boolean;
}

/**
 * Folds a record's write-ahead log into its snapshot and Pixano rows (docs/ARCHITECTURE.md §3
 * "Durability" 2). The rooms depend on this port only: `InProcessPersister` runs `persistRecord` in
 * the server process, `ChildProcessPersister` in a supervised worker process. After `flush`
 * resolves the caller trims the log to `upTo`; flushing again with nothing new writes nothing.
 */
export interface Persister {
  flush(key: RecordKey): Promise<FlushResult>;
  /**
   * SPEC D-OWNER's lookup where the persister reads its rows (the worker process): id → `record_id` of
   * those of `ids` that exist in `table`. Absent: the rooms query LanceDB on their own thread.
   */
  rowOwners?(datasetId: string, table: ComponentTable, ids: readonly string[]): Promise<ReadonlyMap<string, string>>;
  close(): Promise<void>;
}
