import * as Y from "yjs";
import type { DatasetHandle } from "@tessera/dataset";
import { FileRecordLog } from "./FileRecordLog.js";
import { recordDocFromRows } from "./loadRecordDoc.js";
import { readRecordRows } from "./readRecordRows.js";
import type { RecordKey } from "./types.js";

/**
 * Read-only views of Tessera's durable state for programs outside the server process (the
 * benchmarks of `load-tests`, an operator's script). They read the on-disk format under
 * `DATA_DIR/.tessera/` as the persist worker does — never writing, truncating, renaming or locking
 * anything — so they may run beside a live server, or after a crash, without changing what it
 * recovers. The engine itself (`FileRecordLog`, snapshots, persist) stays the server's and the
 * worker's.
 */

export interface InspectOptions {
  /** Where a log file that cannot be read is reported (it is then left out of the answer); default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/**
 * The records of `dataDir` whose write-ahead log still holds entries: confirmed edits not yet
 * folded into a snapshot and the rows (empty once the persist worker has caught up). A tail the
 * server is still writing is ignored, as the persist worker ignores it.
 */
export async function pendingLogs(dataDir: string, options: InspectOptions = {}): Promise<RecordKey[]> {
  const log = new FileRecordLog({
    dataDir,
    readOnly: true,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  try {
    return await log.pending();
  } finally {
    await log.close();
  }
}

/**
 * A record's rows as one Yjs update: the document Tessera builds for a record it has no snapshot
 * of (`loadRecordDoc`), from the rows LanceDB holds now. Other servers can be seeded with it so
 * they serve the same content. Throws `RecordStateError("record_not_found")`.
 */
export async function recordUpdateFromRows(dataset: DatasetHandle, key: RecordKey): Promise<Uint8Array> {
  const doc = recordDocFromRows(key, await readRecordRows(dataset, key.recordId));
  try {
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}
