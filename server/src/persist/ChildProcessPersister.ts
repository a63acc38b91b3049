import type { ChildProcess } from "node:child_process";
import type { RecordKey } from "@tessera/storage";
import { isPersistReply, type ComponentTable, type PersistReply, type PersistRequest } from "@tessera/shared-crdt";
import { silentLogger, type Logger } from "../logger.js";
import { systemClock, type Clock, type TimerHandle } from "../sync/clock.js";
import { PersistError } from "./PersistError.js";
import type { FlushResult, Persister } from "./types.js";
import { defaultRestartDelay, forkWorkerChild, stopWorkerChild } from "./workerChild.js";
import { workerEntry } from "./workerProcess.js";

/** The worker's entry: `workers/dist/persist/main.js` compiled, else the TypeScript source. */
const PERSIST_WORKER_ENTRY = workerEntry("persist/main");

export interface ChildProcessPersisterOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /** Extra environment for the worker (tests pass crash hooks). */
  readonly env?: Readonly<Record<string, string>>;
  readonly workerEntry?: string;
  /** Times one flush is sent to a worker that then dies, before it fails with `worker_crashed` (default 3). */
  readonly maxAttempts?: number;
  /** Workers in a row that die before `ready`, before pending flushes fail with `unavailable` (default 5). */
  readonly maxStartFailures?: number;
  /** A flush with no answer after this long fails with `timeout` (default 120 s). */
  readonly timeoutMs?: number;
  /** Pause before restart number `n` (1-based count of consecutive failures); default 0, then 100 ms·2ⁿ up to 5 s. */
  readonly restartDelayMs?: (n: number) => number;
  /** How long `close` waits for the worker to finish its queue before killing it (default 30 s). */
  readonly closeTimeoutMs?: number;
  /** Where the worker's log lines (JSON on stderr) go: the server's stderr (default) or nowhere. */
  readonly workerStderr?: "inherit" | "ignore";
  /**
   * How much lower than the server's the worker's CPU priority is (added to the server's nice value,
   * default 5): folding rows yields to relaying edits when both want the CPU.
   */
  readonly niceness?: number;
  /** Timers for flush timeouts, restart delays and the close deadline (default: wall clock, unref'd). */
  readonly clock?: Clock;
}

/** What a request asks the worker: a record's fold, or the owners of row ids (SPEC D-OWNER). */
type Job =
  | { readonly kind: "flush"; readonly key: RecordKey; readonly resolve: (r: FlushResult) => void }
  | {
      readonly kind: "owners";
      readonly datasetId: string;
      readonly table: ComponentTable;
      readonly ids: readonly string[];
      readonly resolve: (owners: Map<string, string>) => void;
    };

interface Pending {
  readonly id: number;
  readonly job: Job;
  readonly reject: (e: PersistError) => void;
  readonly timer: TimerHandle;
  attempts: number;
  /** pid of the worker it was last sent to. */
  sentTo: number | null;
}

/**
 * Runs the persist worker ({@link PERSIST_WORKER_ENTRY}) as a supervised child process over IPC
 * and implements {@link Persister} with it. Requests carry ids; a worker that dies is restarted and
 * the flushes it held are sent again (persisting is idempotent). A flush never waits forever: it
 * fails after `maxAttempts` crashes of the worker handling it, when the worker cannot start, on
 * timeout, or at close.
 */
export class ChildProcessPersister implements Persister {
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly maxStartFailures: number;
  private readonly timeoutMs: number;
  private readonly restartDelay: (n: number) => number;
  private readonly pending = new Map<number, Pending>();
  private child: ChildProcess | null = null;
  private ready = false;
  private nextId = 1;
  private failures = 0;
  private restartTimer: TimerHandle | null = null;
  private readonly clock: Clock;
  private closing: Promise<void> | null = null;
  private readonly readyWaiters: Array<{ resolve: () => void; reject: (e: PersistError) => void }> = [];

  constructor(private readonly options: ChildProcessPersisterOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxStartFailures = options.maxStartFailures ?? 5;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.restartDelay = options.restartDelayMs ?? defaultRestartDelay;
    this.clock = options.clock ?? systemClock;
  }

  /** The current worker's pid (undefined while none runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the worker if needed and resolves once it answered `ready`. */
  whenReady(): Promise<void> {
    if (this.closing) return Promise.reject(new PersistError("closed", "the persister is closed"));
    if (this.ready) return Promise.resolve();
    this.ensureWorker();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  flush(key: RecordKey): Promise<FlushResult> {
    return new Promise<FlushResult>((resolve, reject) =>
      this.request({ kind: "flush", key: { datasetId: key.datasetId, recordId: key.recordId }, resolve }, reject),
    );
  }

  /**
   * SPEC D-OWNER's lookup in the worker: id → `record_id` of those of `ids` that exist in `table`.
   * The query (and its Arrow decode) runs there, not on the server's event loop, which relays
   * edits; a lookup is read-only, so one held by a worker that died is sent again like a flush.
   */
  rowOwners(datasetId: string, table: ComponentTable, ids: readonly string[]): Promise<Map<string, string>> {
    return new Promise<Map<string, string>>((resolve, reject) =>
      this.request({ kind: "owners", datasetId, table, ids: [...ids], resolve }, reject),
    );
  }

  private request(job: Job, reject: (e: PersistError) => void): void {
    if (this.closing) {
      reject(new PersistError("closed", "the persister is closed"));
      return;
    }
    const id = this.nextId++;
    const timer = this.clock.after(this.timeoutMs, () => {
      if (this.pending.delete(id))
        reject(new PersistError("timeout", `no answer to the ${describeJob(job)} after ${this.timeoutMs} ms`));
    });
    const p: Pending = { id, job, reject, timer, attempts: 0, sentTo: null };
    this.pending.set(id, p);
    if (this.ready) this.send(p);
    else this.ensureWorker();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.restartTimer?.cancel();
    this.restartTimer = null;
    const child = this.child;
    if (child)
      await stopWorkerChild(
        child,
        () => {
          // A worker that is not ready yet holds no flush (none is sent before "ready") and ignores
          // SIGTERM (the server stops it): killing it loses nothing.
          if (this.ready && child.connected) this.post(child, { type: "shutdown" });
          else child.kill("SIGKILL");
        },
        this.options.closeTimeoutMs ?? 30_000,
        this.clock,
        this.logger,
      );
    this.child = null;
    this.ready = false;
    this.failAll("closed", "the persister is closed");
  }

  private ensureWorker(): void {
    if (this.child || this.restartTimer || this.closing) return;
    const delay = this.restartDelay(this.failures);
    if (delay > 0) {
      this.restartTimer = this.clock.after(delay, () => {
        this.restartTimer = null;
        this.spawn();
      });
    } else {
      this.spawn();
    }
  }

  private spawn(): void {
    if (this.closing || this.child) return;
    const child = forkWorkerChild(
      {
        entry: this.options.workerEntry ?? PERSIST_WORKER_ENTRY,
        args: [this.options.dataDir],
        env: this.options.env,
        workerStderr: this.options.workerStderr,
        niceness: this.options.niceness,
        logger: this.logger,
      },
      {
        onMessage: (c: ChildProcess, m: unknown) => this.onMessage(c, m),
        onSpawnFailed: (c: ChildProcess) => {
          if (this.child === c) this.onGone(c, false);
        },
        onExit: (c: ChildProcess, code, signal) => {
          if (this.child !== c) return;
          this.logger.warn("persist worker exited", { pid: c.pid, code, signal });
          this.onGone(c, this.ready);
        },
      },
    );
    if (!child) {
      this.onGone(null, false);
      return;
    }
    this.child = child;
    this.ready = false;
  }

  private onMessage(child: ChildProcess, m: unknown): void {
    if (child !== this.child) return;
    if (!isPersistReply(m)) {
      this.logger.error("malformed message from the persist worker", { pid: child.pid });
      return;
    }
    if (m.type === "ready") {
      this.ready = true;
      this.failures = 0;
      for (const w of this.readyWaiters.splice(0)) w.resolve();
      for (const p of [...this.pending.values()].sort((a, b) => a.id - b.id)) this.send(p);
      return;
    }
    this.settle(m);
  }

  private settle(m: Exclude<PersistReply, { type: "ready" }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    const { job } = p;
    const answered =
      job.kind === "flush"
        ? m.type === "flushed" || m.type === "failed"
        : m.type === "owners" || m.type === "owners_failed";
    if (!answered) {
      this.logger.error("the persist worker answered a request with another's reply", { id: m.id, type: m.type });
      return;
    }
    this.pending.delete(m.id);
    p.timer.cancel();
    if (m.type === "flushed" && job.kind === "flush")
      job.resolve({
        upTo: m.upTo,
        rowsWritten: m.rowsWritten,
        rowsDeleted: m.rowsDeleted,
        statusChanged: m.statusChanged,
      });
    else if (m.type === "owners" && job.kind === "owners") job.resolve(new Map(m.owners));
    else if (m.type === "failed" || m.type === "owners_failed")
      p.reject(new PersistError("failed", `${describeJob(job)} failed: ${m.error}`));
  }

  private send(p: Pending): void {
    const child = this.child;
    if (!child || !this.ready) return;
    p.attempts++;
    p.sentTo = child.pid ?? null;
    const { job } = p;
    this.post(
      child,
      job.kind === "flush"
        ? { type: "flush", id: p.id, datasetId: job.key.datasetId, recordId: job.key.recordId }
        : { type: "owners", id: p.id, datasetId: job.datasetId, table: job.table, ids: job.ids },
    );
  }

  private post(child: ChildProcess, message: PersistRequest): void {
    if (!child.connected) return;
    child.send(message, (err) => {
      // The channel closed under us: the exit handler re-sends what this worker held.
      if (err) this.logger.warn("send to the persist worker failed", { pid: child.pid, error: err.message });
    });
  }

  /** The worker is gone: fail what it crashed on too often, then restart (or give up for now). */
  private onGone(child: ChildProcess | null, wasReady: boolean): void {
    const pid = child?.pid ?? null;
    this.child = null;
    this.ready = false;
    if (this.closing) return;
    if (!wasReady) this.failures++;
    else this.failures = 1;
    for (const p of [...this.pending.values()]) {
      if (pid !== null && p.sentTo === pid && p.attempts >= this.maxAttempts) {
        this.pending.delete(p.id);
        p.timer.cancel();
        p.reject(
          new PersistError(
            "worker_crashed",
            `the persist worker died ${p.attempts} times on the ${describeJob(p.job)}`,
          ),
        );
      }
    }
    if (!wasReady && this.failures >= this.maxStartFailures) {
      this.logger.error("the persist worker keeps dying before it is ready; failing pending flushes", {
        failures: this.failures,
      });
      this.failAll("unavailable", "the persist worker cannot be started");
      this.failures = 0;
      return;
    }
    this.ensureWorker();
  }

  private failAll(reason: "closed" | "unavailable", message: string): void {
    for (const w of this.readyWaiters.splice(0)) w.reject(new PersistError(reason, message));
    for (const p of this.pending.values()) {
      p.timer.cancel();
      p.reject(new PersistError(reason, message));
    }
    this.pending.clear();
  }
}

function describeJob(job: Job): string {
  return job.kind === "flush"
    ? `flush of ${job.key.datasetId}/${job.key.recordId}`
    : `owner lookup of ${job.ids.length} ${job.table} ids in ${job.datasetId}`;
}
