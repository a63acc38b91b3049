import type { DatasetOpener, RecordKey, RecordLog, SnapshotStore } from "@tessera/storage";
import { InProcessPersister, type FlushResult, type Persister } from "../../../src/persist/index.js";

/**
 * The real persister (`InProcessPersister` → `persistRecord`: snapshot + rows in LanceDB) with two
 * test controls around it: `failures` makes the next flushes throw (persist worker down), and
 * `hold()` keeps flushes waiting until `release()` (a slow persist).
 */
export class TestPersister implements Persister {
  readonly inner: InProcessPersister;
  flushes = 0;
  failures = 0;
  /** Flushes waiting at the closed gate. */
  waiting = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  constructor(datasets: DatasetOpener, log: RecordLog, snapshots: SnapshotStore) {
    this.inner = new InProcessPersister({ datasets, log, snapshots });
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  async flush(key: RecordKey): Promise<FlushResult> {
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    if (this.failures > 0) {
      this.failures--;
      throw new Error("persist worker unavailable");
    }
    const r = await this.inner.flush(key);
    this.flushes++;
    return r;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
