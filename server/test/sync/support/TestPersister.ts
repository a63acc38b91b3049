import { PersistQueue, type DatasetOpener, type RecordKey, type RecordLog, type SnapshotStore } from "@tessera/dataset/state";
import type { SyncPersister } from "../../../src/sync/index.js";

/**
 * The real persist path (`PersistQueue` → `persistRecord`: snapshot + rows in LanceDB) with two
 * test controls around it: `failures` makes the next flushes throw (persist worker down), and
 * `hold()` keeps flushes waiting until `release()` (a slow persist).
 */
export class TestPersister implements SyncPersister {
  readonly queue: PersistQueue;
  flushes = 0;
  failures = 0;
  /** Flushes waiting at the closed gate. */
  waiting = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  constructor(datasets: DatasetOpener, log: RecordLog, snapshots: SnapshotStore) {
    this.queue = new PersistQueue({ datasets, log, snapshots, clock: { now: () => Date.now() } });
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  async flush(key: RecordKey): Promise<{ upTo: number }> {
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    if (this.failures > 0) {
      this.failures--;
      throw new Error("persist worker unavailable");
    }
    const r = await this.queue.flush(key);
    this.flushes++;
    return r;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
