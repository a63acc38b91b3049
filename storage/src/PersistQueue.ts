import type { DatasetHandle } from "@tessera/dataset";
import type { ValidationIssue } from "@tessera/shared-crdt";
import { RecordStateError } from "./errors.js";
import type { StateClock } from "./loadRecordDoc.js";
import { persistBatch, type PersistResult, type PersistStep } from "./persistBatch.js";
import { warnRejected } from "./persistRecord.js";
import { assertKey } from "./stateFiles.js";
import type { RecordKey, RecordLog, SnapshotStore } from "./types.js";

/** Opens a dataset by `info.json` id; null when the library has no such dataset. */
export interface DatasetOpener {
  open(datasetId: string): Promise<DatasetHandle | null>;
}

/**
 * When the queue compacts a dataset's tables (`DatasetHandle.optimize`: indexes, compaction, and
 * old versions pruned as the dataset was opened to). Every fold commits a few Lance versions; left
 * alone they pile up and every later read and write slows.
 */
export interface MaintenancePolicy {
  /** Compact when the dataset's lane falls idle and at least this many writes were committed since the last time. */
  readonly idleAfterWrites: number;
  /** Compact anyway, between two batches, past this many writes (a lane that never falls idle). */
  readonly maxWrites: number;
  /** A compaction failed: the folds go on, the next due moment tries again. */
  readonly onError: (datasetId: string, error: unknown) => void;
}

export interface PersistQueueOptions {
  readonly datasets: DatasetOpener;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly clock: StateClock;
  /** Called for each record of the batch before each durable step of the batch. */
  readonly onStep?: (key: RecordKey, step: PersistStep) => void | Promise<void>;
  readonly onRejected?: (key: RecordKey, issues: readonly ValidationIssue[]) => void;
  /** Records folded together at most (default `DEFAULT_MAX_BATCH`). */
  readonly maxBatch?: number;
  /** Compaction between batches; without it the dataset compacts itself inline (its `optimizeAfterWrites`). */
  readonly maintenance?: MaintenancePolicy;
}

/** Records per batch: enough to fold a team's edits in one pass, few enough that one batch stays well under a second. */
export const DEFAULT_MAX_BATCH = 64;

interface Job {
  readonly key: RecordKey;
  readonly done: Promise<PersistResult>;
  resolve(r: PersistResult): void;
  reject(e: unknown): void;
}

interface Lane {
  /** Flushes not started yet, by record id, in arrival order. */
  readonly waiting: Map<string, Job>;
  running: Promise<void> | null;
}

/**
 * Runs the folds of each dataset one batch at a time (LanceDB has no unique constraint, so each
 * dataset has one writer), datasets in parallel. A flush starts at once when its dataset is idle;
 * flushes arriving while a batch runs wait and are folded together by the next one
 * (`persistBatch`, at most `maxBatch` records), so a busy dataset commits a few LanceDB versions per
 * batch instead of a few per record. A flush asked for a record that already waits shares that job
 * (it has not read the log yet, so it will see everything); one asked while the record's batch runs
 * gets a new job after it. Each flush settles on its own record's outcome. Used by the persist
 * worker process and by the server's in-process persister.
 */
export class PersistQueue {
  private readonly lanes = new Map<string, Lane>();
  /** LanceDB commits per dataset since its last compaction (kept while its lane is idle). */
  private readonly writesSinceMaintenance = new Map<string, number>();
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
    if (!lane) this.lanes.set(key.datasetId, (lane = { waiting: new Map(), running: null }));
    const waiting = lane.waiting.get(key.recordId);
    if (waiting) return waiting.done;
    const job = newJob(key);
    lane.waiting.set(key.recordId, job);
    if (!lane.running) this.start(key.datasetId, lane);
    return job.done;
  }

  /** Stops taking flushes and waits for the queued ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()].map((l) => l.running));
  }

  private start(datasetId: string, lane: Lane): void {
    lane.running = this.drain(datasetId, lane).finally(() => {
      lane.running = null;
      if (lane.waiting.size > 0) this.start(datasetId, lane);
      else this.lanes.delete(datasetId);
    });
  }

  private async drain(datasetId: string, lane: Lane): Promise<void> {
    const max = Math.max(1, this.options.maxBatch ?? DEFAULT_MAX_BATCH);
    while (lane.waiting.size > 0) {
      const jobs = [...lane.waiting.values()].slice(0, max);
      for (const j of jobs) lane.waiting.delete(j.key.recordId);
      let dataset: DatasetHandle | null;
      try {
        dataset = await this.options.datasets.open(datasetId);
      } catch (err) {
        for (const j of jobs) j.reject(err);
        continue;
      }
      if (!dataset) {
        const err = new RecordStateError("dataset_not_found", `dataset ${JSON.stringify(datasetId)} not found`);
        for (const j of jobs) j.reject(err);
        continue;
      }
      await this.fold(datasetId, dataset, jobs);
      await this.maintain(datasetId, dataset, lane);
    }
  }

  private async fold(datasetId: string, dataset: DatasetHandle, jobs: readonly Job[]): Promise<void> {
    const { log, snapshots, clock, onStep, onRejected } = this.options;
    const keys = jobs.map((j) => j.key);
    try {
      const outcomes = await persistBatch({
        dataset,
        log,
        snapshots,
        clock,
        keys,
        onStep: async (step) => {
          if (step.kind === "delete" || step.kind === "upsert" || step.kind === "record") {
            this.writesSinceMaintenance.set(datasetId, (this.writesSinceMaintenance.get(datasetId) ?? 0) + 1);
          }
          if (onStep) for (const key of keys) await onStep(key, step);
        },
        onRejected: onRejected ?? ((key, issues) => warnRejected(key)(issues)),
      });
      for (const j of jobs) {
        const o = outcomes.get(j.key.recordId);
        if (!o) j.reject(new Error(`persist of ${j.key.datasetId}/${j.key.recordId} produced no outcome`));
        else if (o.ok) j.resolve(o.result);
        else j.reject(o.error);
      }
    } catch (err) {
      for (const j of jobs) j.reject(err);
    }
  }

  private async maintain(datasetId: string, dataset: DatasetHandle, lane: Lane): Promise<void> {
    const policy = this.options.maintenance;
    if (!policy) return;
    const writes = this.writesSinceMaintenance.get(datasetId) ?? 0;
    const due = writes >= policy.maxWrites || (lane.waiting.size === 0 && writes >= policy.idleAfterWrites);
    if (!due) return;
    this.writesSinceMaintenance.set(datasetId, 0);
    try {
      await dataset.optimize();
    } catch (err) {
      policy.onError(datasetId, err);
    }
  }
}

function newJob(key: RecordKey): Job {
  let resolve!: (r: PersistResult) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<PersistResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { key, done, resolve, reject };
}
