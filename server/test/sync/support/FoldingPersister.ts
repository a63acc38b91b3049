import * as Y from "yjs";
import type { RecordKey, RecordLog, SnapshotStore } from "@tessera/dataset/state";
import type { SyncPersister } from "../../../src/sync/index.js";

/**
 * Folds a record's log into its snapshot through a `Y.Doc` (the snapshot half of the persist
 * worker's job; rows are the worker's business). Used until `InProcessPersister` lands.
 * `failures` makes the next flushes throw, to exercise retries.
 */
export class FoldingPersister implements SyncPersister {
  flushes = 0;
  failures = 0;
  constructor(
    private readonly log: RecordLog,
    private readonly snapshots: SnapshotStore,
  ) {}

  async flush(key: RecordKey): Promise<{ upTo: number }> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("persist worker unavailable");
    }
    const snap = await this.snapshots.load(key);
    const doc = new Y.Doc();
    try {
      if (snap) Y.applyUpdate(doc, snap.state);
      const tail = await this.log.read(key, snap?.foldedUpTo ?? 0);
      for (const e of tail) Y.applyUpdate(doc, e.update);
      const upTo = tail.at(-1)?.pos ?? snap?.foldedUpTo ?? 0;
      await this.snapshots.save(key, { state: Y.encodeStateAsUpdate(doc), foldedUpTo: upTo, rowsDigest: snap?.rowsDigest ?? "", savedAt: new Date().toISOString() });
      this.flushes++;
      return { upTo };
    } finally {
      doc.destroy();
    }
  }
}
