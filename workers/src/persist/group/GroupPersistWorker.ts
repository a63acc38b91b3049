import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { DatasetError, Library, type DatasetHandle } from "@tessera/dataset";
import { parsePersistJob, type PersistJobFields, type PersistJobResult } from "@tessera/shared-crdt";
import {
  connectRedis,
  FileSnapshotStore,
  parseRecordTag,
  PersistQueue,
  ProcessRegistry,
  RecordLeases,
  RedisRecordLog,
  redisKeys,
  type PersistStep,
  type RecordKey,
  type RedisKeys,
} from "@tessera/storage";
import { FoldLocks } from "./foldLocks.js";
import { OrphanSweep } from "./orphanSweep.js";
import { JobsStream } from "./jobsStream.js";
import type { StreamEntry } from "./streamReply.js";

export interface GroupPersistWorkerOptions {
  readonly dataDir: string;
  readonly redisUrl: string;
  /** Key prefix (default `tessera:`). */
  readonly prefix?: string;
  /** A job pending this long in a consumer's list is claimed by another worker (default 15 s). */
  readonly claimMinIdleMs?: number;
  /** Longest wait of one XREADGROUP (default 1 s): also how soon a stop is noticed between batches. */
  readonly blockMs?: number;
  /** Period of the orphan sweep (default 3 s). */
  readonly sweepEveryMs?: number;
  /** Age of a log's oldest entry past which a record with no live owner is an orphan (default 10 s). */
  readonly flushMaxWaitMs?: number;
  /** TTL of a dataset's fold lock (default 30 s), renewed every third of it while held. */
  readonly foldLockMs?: number;
  /**
   * Pause before asking again for a dataset's fold lock that could not be handed to its holder
   * (default 100 ms); also how often a worker holding a lock looks for jobs handed to it.
   */
  readonly lockRetryMs?: number;
  /**
   * Age of a log's oldest entry past which the orphan sweep queues the record even though a live
   * process owns it (default 30 s): a backstop for an owner whose flush is stuck or never comes.
   */
  readonly staleAfterMs?: number;
  /** Records folded together at most, and jobs read at once (default 64). */
  readonly batch?: number;
  /**
   * A job claimed from dead workers whose count — folds started on it, plus this claim — passes this
   * (its fold kills whoever runs it) is given up: answered with an error and removed, so one poison
   * record cannot stop every worker (default 5). Its record's log stays in its stream; the next
   * flush or sweep asks again.
   */
  readonly maxDeliveries?: number;
  /** Called before each durable step of each persist (tests crash the process here). */
  readonly onStep?: (key: RecordKey, step: PersistStep) => void;
  /** Log each fold lock's hold (`fold` lines: tag, from, to, upTo): the cluster's fold history. */
  readonly traceFolds?: boolean;
  readonly log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

const KEEP_VERSIONS_MS = 60_000;
const MAINTENANCE = { idleAfterWrites: 20, maxWrites: 150 } as const;

interface InHand {
  readonly entry: StreamEntry;
  readonly job: PersistJobFields;
  readonly key: RecordKey;
}

/**
 * A persist worker of the scaled mode (docs/ARCHITECTURE.md §6): a consumer of the group `persist` on
 * the jobs stream. It reads jobs (XREADGROUP, and XAUTOCLAIM for those a dead worker left), takes
 * the record's dataset's fold lock (one writer per dataset across the cluster), folds them per
 * dataset with the embedded mode's batch machinery (`PersistQueue` → `persistBatch`, so the
 * `rowsPending` crash safety holds) reading the stream log through an unfenced `RedisRecordLog` and
 * the snapshots of the shared DATA_DIR, compacts the dataset when due (still under the lock), then
 * trims the record's stream to what was folded, acknowledges the job and publishes the result on
 * the requester's done channel. A job whose dataset another live worker holds is handed to that
 * worker (moved to its pending list, where it looks every `lockRetryMs`); one sweep at a time in
 * the cluster queues the orphans and the stale logs (`OrphanSweep`).
 */
export class GroupPersistWorker {
  readonly keys: RedisKeys;
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private readonly library: Library;
  private readonly recordLog: RedisRecordLog;
  private readonly queue: PersistQueue;
  private registry: ProcessRegistry | null = null;
  private locks: FoldLocks | null = null;
  private sweep: OrphanSweep | null = null;
  private jobs: JobsStream | null = null;
  private readonly inHand = new Map<string, Promise<void>>();
  /** LanceDB commits per dataset since this worker last compacted it. */
  private readonly writesSinceCompaction = new Map<string, number>();
  private nextOwnCheck = 0;
  /** Jobs this worker just handed to another (ms): a pending-list read in flight may still list them as ours. */
  private readonly handedAway = new Map<string, number>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly o: Required<
    Pick<
      GroupPersistWorkerOptions,
      | "claimMinIdleMs"
      | "blockMs"
      | "sweepEveryMs"
      | "flushMaxWaitMs"
      | "foldLockMs"
      | "lockRetryMs"
      | "staleAfterMs"
      | "batch"
      | "maxDeliveries"
    >
  >;
  private wake: (() => void) | null = null;

  constructor(private readonly options: GroupPersistWorkerOptions) {
    this.o = {
      claimMinIdleMs: options.claimMinIdleMs ?? 15_000,
      blockMs: options.blockMs ?? 1_000,
      sweepEveryMs: options.sweepEveryMs ?? 3_000,
      flushMaxWaitMs: options.flushMaxWaitMs ?? 10_000,
      foldLockMs: options.foldLockMs ?? 30_000,
      lockRetryMs: options.lockRetryMs ?? 100,
      staleAfterMs: options.staleAfterMs ?? 30_000,
      batch: options.batch ?? 64,
      maxDeliveries: options.maxDeliveries ?? 5,
    };
    this.keys = redisKeys(options.prefix);
    this.cmd = connectRedis(options.redisUrl, "tessera-persist");
    this.reader = connectRedis(options.redisUrl, "tessera-persist-read");
    for (const c of [this.cmd, this.reader])
      c.on("error", (err: Error) => options.log("warn", "redis connection error", { error: err.message }));
    this.library = new Library(options.dataDir, {
      optimizeAfterWrites: Number.MAX_SAFE_INTEGER,
      optimizeAfterRows: Number.MAX_SAFE_INTEGER,
      pruneVersionsOlderThanMs: KEEP_VERSIONS_MS,
    });
    this.recordLog = new RedisRecordLog(this.cmd, this.keys);
    const onStep = options.onStep;
    // A batch's step reaches onStep once per record of the batch, as the same object: count it once.
    const counted = new WeakSet<PersistStep>();
    this.queue = new PersistQueue({
      datasets: { open: (id) => openDataset(this.library, id) },
      log: this.recordLog,
      snapshots: new FileSnapshotStore({ dataDir: options.dataDir }),
      clock: { now: () => Date.now() },
      maxBatch: this.o.batch,
      onStep: (key, step) => {
        if (!counted.has(step) && (step.kind === "delete" || step.kind === "upsert" || step.kind === "record")) {
          counted.add(step);
          this.writesSinceCompaction.set(key.datasetId, (this.writesSinceCompaction.get(key.datasetId) ?? 0) + 1);
        }
        onStep?.(key, step);
      },
      onRejected: (key, issues) =>
        options.log("warn", "invalid rows not written", { ...key, issues: issues.slice(0, 20) }),
      // No maintenance here: the queue would compact after its lane's batch, outside the dataset's
      // fold lock; `compactIfDue` does it while the lock is held.
    });
  }

  /** This worker's process id (its consumer name in the group), once started. */
  get processId(): string {
    if (!this.registry) throw new Error("the worker is not started");
    return this.registry.processId;
  }

  /** Registers the process, creates the group if needed, and starts consuming. */
  async start(): Promise<void> {
    const registry = new ProcessRegistry(this.cmd, this.keys);
    await registry.start({
      kind: "persist",
      url: null,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    });
    this.registry = registry;
    const alive = (id: string) => registry.alive(id);
    this.locks = new FoldLocks(this.cmd, this.keys, registry.processId, this.o.foldLockMs, alive);
    const leases = new RecordLeases(this.cmd, this.keys, registry.processId);
    this.sweep = new OrphanSweep(
      {
        redis: this.cmd,
        keys: this.keys,
        owner: registry.processId,
        flushMaxWaitMs: this.o.flushMaxWaitMs,
        staleAfterMs: this.o.staleAfterMs,
        periodMs: this.o.sweepEveryMs,
        oldestEntryAt: (key) => this.recordLog.oldestEntryAt(key),
        leaseHolder: (key) => leases.holder(key),
        alive,
        now: () => Date.now(),
        warn: (m, f) => this.options.log("warn", m, f),
      },
      this.o.claimMinIdleMs,
    );
    this.jobs = new JobsStream(this.cmd, this.reader, this.keys, registry.processId);
    await this.jobs.createGroup();
    this.every(Math.max(50, Math.floor(this.o.foldLockMs / 3)), () => this.renewLocks());
    this.every(Math.max(50, Math.floor(this.o.claimMinIdleMs / 3)), () => this.touchJobs());
    this.every(this.o.sweepEveryMs, () => this.runSweep());
    this.loop = this.consume();
    this.options.log("info", "ready", { processId: registry.processId, dataDir: this.options.dataDir });
  }

  /** Stops reading jobs, finishes the folds under way, unregisters. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    // Jobs other workers handed to this one and not taken up yet go back to the group, now and
    // once the folds under way are done (others hand jobs over while this worker holds a lock).
    await this.handBackAtStop();
    // The locks and jobs in hand keep being renewed until their folds are done.
    await Promise.all([...this.inHand.values()]);
    await this.handBackAtStop();
    await this.queue.close();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.recordLog.close();
    await this.registry?.stop();
    await this.library.close();
    await Promise.all([this.cmd.quit(), this.reader.quit()]);
    this.options.log("info", "stopped");
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((err: unknown) => this.options.log("warn", "periodic task failed", { error: describe(err) }))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private async renewLocks(): Promise<void> {
    const locks = this.locks;
    if (!locks) return;
    for (const datasetId of await locks.renewAll())
      this.options.log("error", "dataset fold lock lost while folding (paused past its TTL?)", { datasetId });
  }

  /**
   * Jobs held here, and jobs handed to this worker it has not taken up yet (its hands were full),
   * stay ours: touching them resets their idle time, so no other worker claims them while we live.
   */
  private async touchJobs(): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    const ids = new Set(this.inHand.keys());
    for (const id of await jobs.pending(ids.size + 4 * this.o.batch)) ids.add(id);
    await jobs.touch([...ids]);
  }

  private async runSweep(): Promise<void> {
    if (this.stopping) return;
    const queued = (await this.sweep?.run()) ?? [];
    if (queued.length > 0) this.options.log("info", "orphan logs queued", { records: queued.length });
  }

  private async consume(): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) throw new Error("the worker is not started");
    let nextClaim = 0;
    while (!this.stopping) {
      try {
        const room = 2 * this.o.batch - this.inHand.size;
        if (room <= 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        if (Date.now() >= nextClaim) {
          nextClaim = Date.now() + Math.max(100, Math.floor(this.o.claimMinIdleMs / 3));
          await this.claimStale(room);
          continue;
        }
        if (Date.now() >= this.nextOwnCheck) {
          this.nextOwnCheck = Date.now() + this.o.lockRetryMs;
          await this.takeHandedOver(room);
        }
        // A worker holding a dataset's lock is handed that dataset's jobs: look for them often.
        const block = (this.locks?.size ?? 0) > 0 ? Math.min(this.o.blockMs, this.o.lockRetryMs) : this.o.blockMs;
        for (const entry of await jobs.read(Math.min(room, this.o.batch), block)) this.accept(entry);
      } catch (err) {
        if (this.stopping) break;
        this.options.log("warn", "reading jobs failed; retrying", { error: describe(err) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Takes over jobs left pending too long by another consumer (a dead worker). */
  private async claimStale(room: number): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) throw new Error("the worker is not started");
    let cursor = "0-0";
    do {
      const claimed = await jobs.autoClaim(this.o.claimMinIdleMs, cursor, Math.min(room, this.o.batch));
      cursor = claimed.cursor;
      const fresh = claimed.entries.filter((e) => !this.inHand.has(e.id));
      // This claim, plus the folds started on the job by workers that then died (a hand-over to a
      // lock's holder that died is re-claimed without any fold having run: it does not count).
      const attempts = await jobs.attempts(fresh.map((e) => e.id));
      for (const entry of fresh) {
        const count = (attempts.get(entry.id) ?? 0) + 1;
        this.options.log("info", "claimed a stale job", { entry: entry.id, deliveries: count });
        if (count > this.o.maxDeliveries) this.giveUp(entry, count);
        else this.accept(entry);
      }
    } while (cursor !== "0-0" && 2 * this.o.batch > this.inHand.size && !this.stopping);
  }

  /** A job whose fold killed every worker that ran it: answer it with an error and drop it. */
  private giveUp(entry: StreamEntry, deliveries: number): void {
    const job = parsePersistJob(entry.fields);
    const error = `gave up after ${deliveries} deliveries: every worker that folded this record died`;
    this.options.log("error", "giving up on a job that kills its workers", {
      entry: entry.id,
      tag: job?.tag,
      deliveries,
    });
    const run = (async () => {
      await this.ack(entry.id);
      if (job && job.reply !== "")
        await this.cmd.publish(
          this.keys.done(job.reply),
          JSON.stringify({ id: job.id, tag: job.tag, error } satisfies PersistJobResult),
        );
    })()
      .catch((err: unknown) =>
        this.options.log("error", "giving up on a job failed", { entry: entry.id, error: describe(err) }),
      )
      .finally(() => this.inHand.delete(entry.id));
    this.inHand.set(entry.id, run);
  }

  private accept(entry: StreamEntry): void {
    const job = parsePersistJob(entry.fields);
    let key: RecordKey | null = null;
    if (job) {
      try {
        key = parseRecordTag(job.tag);
      } catch (err) {
        this.options.log("warn", "a job names a malformed record tag", { tag: job.tag, error: describe(err) });
      }
    }
    if (!job || !key) {
      this.options.log("warn", "dropping a malformed job", { entry: entry.id, fields: entry.fields.slice(0, 8) });
      this.inHand.set(
        entry.id,
        this.ack(entry.id).finally(() => this.inHand.delete(entry.id)),
      );
      return;
    }
    const run = this.handle({ entry, job, key })
      .catch((err: unknown) => this.options.log("error", "job failed", { entry: entry.id, error: describe(err) }))
      .finally(() => {
        this.inHand.delete(entry.id);
        this.wake?.();
      });
    this.inHand.set(entry.id, run);
  }

  private async handle(h: InHand): Promise<void> {
    const locks = this.locks;
    if (!locks) throw new Error("the worker is not started");
    const datasetId = h.key.datasetId;
    for (;;) {
      const got = await locks.acquire(datasetId);
      if (got.kind === "acquired") break;
      if (this.stopping) {
        // Hand the job back to the group at once rather than leave it in our pending list.
        await this.requireJobs().handBack(h.entry.id, h.job);
        return;
      }
      // Another live worker folds this dataset: the job goes to it (its pending list, idle reset),
      // so the dataset's jobs are folded by its one writer instead of waiting here for a lock it
      // may keep as long as it has work.
      if (got.holder !== "" && (await this.handTo(got.holder, h.entry.id))) return;
      await new Promise((r) => setTimeout(r, this.o.lockRetryMs));
    }
    const from = Date.now();
    let result: PersistJobResult;
    try {
      await this.requireJobs().attempting(h.entry.id);
      const r = await this.queue.flush(h.key);
      if (r.upTo > 0) await this.recordLog.trim(h.key, r.upTo);
      result = {
        id: h.job.id,
        tag: h.job.tag,
        upTo: r.upTo,
        rowsWritten: r.rowsWritten,
        rowsDeleted: r.rowsDeleted,
        statusChanged: r.statusChanged,
      };
      if (this.options.traceFolds)
        this.options.log("info", "fold", {
          tag: h.job.tag,
          datasetId,
          from,
          to: Date.now(),
          upTo: r.upTo,
          entry: h.entry.id,
        });
    } catch (err) {
      this.options.log("error", "fold failed", { ...h.key, error: describe(err) });
      result = { id: h.job.id, tag: h.job.tag, error: describe(err) };
    }
    try {
      await this.compactIfDue(datasetId, locks.users(datasetId) === 1);
    } finally {
      await locks.release(datasetId);
    }
    await this.ack(h.entry.id);
    if (h.job.reply !== "") await this.cmd.publish(this.keys.done(h.job.reply), JSON.stringify(result));
  }

  /**
   * Compacts the dataset while its fold lock is held (no other worker writes it meanwhile): when
   * this worker's last job of the dataset is done and enough commits piled up, or past the ceiling.
   */
  private async compactIfDue(datasetId: string, lastUser: boolean): Promise<void> {
    const writes = this.writesSinceCompaction.get(datasetId) ?? 0;
    if (!(writes >= MAINTENANCE.maxWrites || (lastUser && writes >= MAINTENANCE.idleAfterWrites))) return;
    this.writesSinceCompaction.set(datasetId, 0);
    const from = Date.now();
    try {
      const dataset = await openDataset(this.library, datasetId);
      if (!dataset) return;
      await dataset.optimize();
      if (this.options.traceFolds) this.options.log("info", "compaction", { datasetId, from, to: Date.now() });
    } catch (err) {
      this.options.log("warn", "compaction failed", { datasetId, error: describe(err) });
    }
  }

  private requireJobs(): JobsStream {
    if (!this.jobs) throw new Error("the worker is not started");
    return this.jobs;
  }

  /** Moves a pending job of ours to the worker holding its dataset's lock. */
  private async handTo(holder: string, entryId: string): Promise<boolean> {
    const ok = await this.requireJobs().handTo(holder, entryId);
    if (ok) this.handedAway.set(entryId, Date.now());
    if (ok && this.options.traceFolds) this.options.log("info", "handed over", { entry: entryId, to: holder });
    return ok;
  }

  /** Jobs in this worker's pending list that it does not hold: handed to it by workers waiting for its lock. */
  private async pendingNotInHand(count: number): Promise<string[]> {
    const ids = await this.requireJobs().pending(count + this.inHand.size);
    const now = Date.now();
    for (const [id, at] of this.handedAway) if (now - at > 2_000) this.handedAway.delete(id);
    return ids.filter((id) => !this.inHand.has(id) && !this.handedAway.has(id)).slice(0, count);
  }

  /** Takes up the jobs handed to this worker. */
  private async takeHandedOver(room: number): Promise<void> {
    for (const id of await this.pendingNotInHand(room)) {
      const entry = await this.requireJobs().entry(id);
      if (this.inHand.has(id)) continue;
      if (entry) this.accept(entry);
      // Deleted meanwhile (a job is deleted only once acknowledged): drop it from our list.
      else await this.ack(id);
    }
  }

  private async handBackAtStop(): Promise<void> {
    try {
      await this.handBackUntaken();
    } catch (err) {
      this.options.log("warn", "handing back jobs at stop failed; they are claimed once idle", {
        error: describe(err),
      });
    }
  }

  /** At stop: the jobs handed to this worker and not taken up go back to the group. */
  private async handBackUntaken(): Promise<void> {
    for (const id of await this.pendingNotInHand(4 * this.o.batch)) {
      const entry = await this.requireJobs().entry(id);
      const job = entry ? parsePersistJob(entry.fields) : null;
      if (job) await this.requireJobs().handBack(id, job);
      else await this.ack(id);
    }
  }

  private async ack(entryId: string): Promise<void> {
    await this.requireJobs().ack(entryId);
  }
}

async function openDataset(library: Library, id: string): Promise<DatasetHandle | null> {
  try {
    return await library.open(id);
  } catch (err) {
    if (err instanceof DatasetError && err.reason === "dataset_not_found") return null;
    throw err;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
