import {
  PersistQueue,
  RecordStateError,
  type DatasetOpener,
  type PersistStep,
  type RecordKey,
  type RecordLog,
  type SnapshotStore,
  type StateClock,
} from "@tessera/storage";
import { systemClock } from "../sync/clock.js";
import { PersistError } from "./PersistError.js";
import type { FlushResult, Persister } from "./types.js";

export interface InProcessPersisterOptions {
  /** The library (`LibraryPort`/`SyncLibrary` fit): opens datasets by id, null when unknown. */
  readonly datasets: DatasetOpener;
  /** The server's own log (read here; the rooms trim it after a flush). */
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly clock?: StateClock;
  readonly onStep?: (key: RecordKey, step: PersistStep) => void | Promise<void>;
}

/**
 * Runs `persistRecord` inside the server process, one record at a time per dataset: the real
 * implementation for tests, single-process tools and the embedded mode when no worker process is
 * wanted. Failures reject with `PersistError("failed")` carrying the original error as `cause`.
 */
export class InProcessPersister implements Persister {
  private readonly queue: PersistQueue;

  constructor(options: InProcessPersisterOptions) {
    this.queue = new PersistQueue({
      datasets: options.datasets,
      log: options.log,
      snapshots: options.snapshots,
      clock: options.clock ?? systemClock,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  }

  async flush(key: RecordKey): Promise<FlushResult> {
    try {
      const r = await this.queue.flush(key);
      return { upTo: r.upTo, rowsWritten: r.rowsWritten, rowsDeleted: r.rowsDeleted, statusChanged: r.statusChanged };
    } catch (err) {
      if (err instanceof RecordStateError && err.reason === "closed") {
        throw new PersistError("closed", "the persister is closed", { cause: err });
      }
      throw new PersistError(
        "failed",
        `flush of ${key.datasetId}/${key.recordId} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
