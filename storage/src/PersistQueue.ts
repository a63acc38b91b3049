import type { DatasetHandle } from "@tessera/dataset";
import { RecordStateError } from "./errors.js";
import type { StateClock } from "./loadRecordDoc.js";
import { persistRecord, type PersistResult, type PersistStep } from "./persistRecord.js";
import { assertKey } from "./stateFiles.js";
import type { RecordKey, RecordLog, SnapshotStore } from "./types.js";
import type { ValidationIssue } from "@tessera/shared-crdt";

/** Opens a dataset by `info.json` id; null when the library has no such dataset. */
export interface DatasetOpener {
  open(datasetId: string): Promise<DatasetHandle | null>;
}

export interface PersistQueueOptions {
  readonly datasets: DatasetOpener;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly clock: StateClock;
  readonly onStep?: (key: RecordKey, step: PersistStep) => void | Promise<void>;
  readonly onRejected?: (key: RecordKey, issues: readonly ValidationIssue[]) => void;
}

interface Job {
  readonly key: RecordKey;
  started: boolean;
  readonly done: Promise<PersistResult>;
  run(): void;
}

/**
 * Runs `persistRecord` one record at a time per dataset (LanceDB has no unique constraint, so each
 * dataset has one writer), datasets in parallel. A flush asked for a record that already waits in
 * its dataset's queue shares that job (it has not read the log yet, so it will see everything); one
 * asked while the record's persist runs gets a new job after it. Used by the persist worker process
 * and by the server's in-process persister.
 */
export class PersistQueue {
  private readonly lanes = new Map<string, Job[]>();
  private closed = false;

  constructor(private readonly options: PersistQueueOptions) {}

  flush(key: RecordKey): Promise<PersistResult> {
    if (this.closed) return Promise.reject(new RecordStateError("closed", "the persist queue is closed"));
    try {
      assertKey(key);
    } catch (e) {
      return Promise.reject(e);
    }
    let lane = this.lanes.get(key.datasetId);
    if (!lane) this.lanes.set(key.datasetId, (lane = []));
    const waiting = lane.find((j) => !j.started && j.key.recordId === key.recordId);
    if (waiting) return waiting.done;
    const job = this.job(key);
    lane.push(job);
    if (lane.length === 1) job.run();
    return job.done;
  }

  /** Stops taking flushes and waits for the queued ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.lanes.values()].flat().map((j) => j.done.catch(() => undefined));
    await Promise.all(all);
  }

  private job(key: RecordKey): Job {
    let run!: () => void;
    const done = new Promise<PersistResult>((resolve, reject) => {
      run = () => {
        job.started = true;
        this.persist(key)
          .then(resolve, reject)
          .finally(() => this.next(key.datasetId, job));
      };
    });
    const job: Job = { key, started: false, done, run: () => run() };
    return job;
  }

  private next(datasetId: string, finished: Job): void {
    const lane = this.lanes.get(datasetId);
    if (!lane) return;
    const i = lane.indexOf(finished);
    if (i >= 0) lane.splice(i, 1);
    if (lane.length === 0) this.lanes.delete(datasetId);
    else lane[0]!.run();
  }

  private async persist(key: RecordKey): Promise<PersistResult> {
    const { datasets, log, snapshots, clock, onStep, onRejected } = this.options;
    const dataset = await datasets.open(key.datasetId);
    if (!dataset) throw new RecordStateError("dataset_not_found", `dataset ${JSON.stringify(key.datasetId)} not found`);
    return persistRecord({
      dataset,
      log,
      snapshots,
      key,
      clock,
      ...(onStep ? { onStep: (s: PersistStep) => onStep(key, s) } : {}),
      ...(onRejected ? { onRejected: (issues: readonly ValidationIssue[]) => onRejected(key, issues) } : {}),
    });
  }
}
