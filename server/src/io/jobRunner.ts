/**
 * Runs import/export jobs one at a time, each in its own child process (`jobProcess.ts`), so an
 * import of any size never blocks the server's event loop: the server keeps serving edits while
 * it runs. Jobs queue (`pending`) behind the running one, which also makes imports into one
 * dataset strictly one at a time. Cancelling kills the process; a cancelled create/overwrite
 * import leaves nothing in the library (it was built in `DATA_DIR/.tessera/staging/<job>`, which
 * is removed), a cancelled `add` import keeps the batches it had written, as in Pixano 0.8.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ImportReport } from "@tessera/dataset/io";
import type { Logger } from "../logger.js";
import { JobStore, TERMINAL, type JobEntry, type JobKind, type JobProgress, type JobView } from "./jobStore.js";
import { parseJobMessage, type JobMessage, type JobOrder, type JobOutcome } from "./protocol.js";

/** The job process module, beside this one (`.ts` under tsx, `.js` when compiled). */
const PROCESS_MODULE = (() => {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `jobProcess${path.extname(here)}`);
})();

/**
 * Node flags of a job process: the server's own (`--import tsx` under tests), plus, when running
 * compiled, the package-exports condition that selects the packages' `dist/` (`bin/tessera.mjs`
 * adds it with an in-process resolve hook, which a child process does not inherit).
 */
const JOB_EXEC_ARGV = (() => {
  const argv = [...process.execArgv];
  const compiled = path.extname(PROCESS_MODULE) === ".js";
  if (compiled && !argv.some((a) => a.includes("tessera-dist"))) argv.push("--conditions=tessera-dist");
  return argv;
})();

export class JobStateError extends Error {
  override name = "JobStateError";
}

/** Too many jobs wait already (429). */
export class JobQueueFullError extends Error {
  override name = "JobQueueFullError";
}

/** Jobs that may wait behind the running one; more are refused (429) rather than queued without end. */
const MAX_QUEUED_JOBS = 16;

/** Distributes Omit over a union (each order kind keeps its own fields). */
type WithoutJobId<T> = T extends unknown ? Omit<T, "jobId"> : never;
export type JobRequest = WithoutJobId<JobOrder>;

interface Running {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  cancelled: boolean;
}

export interface JobRunnerOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** After an import or export finished (the library drops its caches of the dataset). */
  readonly onFinished?: (datasetId: string) => void;
  /** After a finished import removed its upload session folder. */
  readonly onUploadDiscarded?: (dir: string) => void;
  readonly now?: () => number;
}

function newId(): string {
  return randomBytes(11).toString("base64url");
}

function finalProgress(outcome: JobOutcome, before: JobProgress | Record<string, never>): JobProgress {
  const base = { unit: "records", final: true };
  if (outcome.type === "imported") {
    const counts = Object.fromEntries(
      Object.entries(outcome.report.tables).filter((e): e is [string, number] => typeof e[1] === "number"),
    );
    return {
      ...base,
      phase: "finalize",
      done: outcome.report.records,
      total: outcome.report.records,
      table_counts: counts,
      message: `imported ${outcome.report.records} records into '${outcome.report.name}'`,
    };
  }
  if (outcome.type === "exported") {
    return {
      ...base,
      phase: "done",
      done: outcome.records,
      total: outcome.records,
      table_counts: { records: outcome.records },
      message: outcome.dest,
    };
  }
  return {
    phase: "phase" in before ? before.phase : "ingest",
    done: "done" in before ? before.done : 0,
    total: "total" in before ? before.total : null,
    unit: "records",
    table_counts: "table_counts" in before ? before.table_counts : {},
    message: outcome.message,
    final: true,
  };
}

/** Runs one order in a fresh job process and resolves with its outcome (or a `failed` one). */
function spawnJob(
  order: JobOrder,
  onProgress: (m: JobMessage) => void,
): { child: ChildProcess; outcome: Promise<JobOutcome | null>; exited: Promise<void> } {
  const child = fork(PROCESS_MODULE, [], {
    execArgv: JOB_EXEC_ARGV,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 8000) stderr += d.toString();
  });
  let outcome: JobOutcome | null = null;
  child.on("message", (raw: unknown) => {
    const m = parseJobMessage(raw);
    if (!m) return;
    if (m.type === "progress") onProgress(m);
    else outcome = m;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const result = new Promise<JobOutcome | null>((resolve) => {
    child.once("exit", (code, signal) => {
      if (outcome) resolve(outcome);
      else if (signal === "SIGKILL") resolve(null);
      else
        resolve({
          type: "failed",
          code: "internal",
          message: `the job process exited (${signal ?? `code ${String(code)}`}) without a result${stderr ? `: ${stderr.trim().slice(-2000)}` : ""}`,
        });
    });
    child.once("error", (err) => resolve({ type: "failed", code: "internal", message: err.message }));
  });
  child.send(order);
  return { child, outcome: result, exited };
}

export class JobRunner {
  private readonly queue: { readonly id: string; readonly order: JobOrder }[] = [];
  private running: Running | null = null;
  private closed = false;
  private readonly now: () => number;

  private constructor(
    private readonly options: JobRunnerOptions,
    private readonly store: JobStore,
  ) {
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  static async open(options: JobRunnerOptions): Promise<JobRunner> {
    const now = options.now ?? (() => Date.now() / 1000);
    const store = await JobStore.open(options.dataDir, now, (err) =>
      options.logger.error("cannot write the jobs file", { error: String(err) }),
    );
    // Jobs the server died under: their processes exited with it (they stop when the IPC channel
    // closes); a create/overwrite import's staging folder is all that is left of them.
    for (const id of store.interruptedAtOpen) {
      await rm(path.join(options.dataDir, ".tessera", "staging", id), { recursive: true, force: true });
    }
    return new JobRunner(options, store);
  }

  list(limit: number): JobView[] {
    return this.store.list(limit).map(view);
  }

  get(id: string): JobView | undefined {
    const j = this.store.get(id);
    return j ? view(j) : undefined;
  }

  /** Queues a job; it starts when the one running (if any) ends. */
  submit(kind: JobKind, dataset: string, request: JobRequest, upload?: string): JobView {
    if (this.closed) throw new JobStateError("the server is shutting down");
    if (this.queue.length >= MAX_QUEUED_JOBS)
      throw new JobQueueFullError(
        `${this.queue.length} import/export jobs are waiting already (at most ${MAX_QUEUED_JOBS}); try again when some have run`,
      );
    const id = newId();
    const t = this.now();
    const entry: JobEntry = {
      job_id: id,
      kind,
      dataset,
      status: "pending",
      progress: {},
      error: {},
      created_at: t,
      updated_at: t,
      ...(upload ? { upload } : {}),
    };
    this.store.put(entry);
    this.queue.push({ id, order: { ...request, jobId: id } as JobOrder });
    this.pump();
    return view(entry);
  }

  /**
   * A dry-run import in a job process, outside the queue (analysis writes nothing). Resolves with
   * the report, or the failure the engine reported.
   */
  async analyze(
    request: Omit<Extract<JobOrder, { kind: "import" }>, "jobId" | "dryRun">,
  ): Promise<
    | { ok: true; report: ImportReport; schema: Readonly<Record<string, unknown>> | null }
    | { ok: false; code: string; message: string; location?: { file: string; line?: number; pointer?: string } }
  > {
    const { outcome } = spawnJob({ ...request, dryRun: true, jobId: `analyze-${newId()}` }, () => undefined);
    const o = await outcome;
    if (o?.type === "imported") return { ok: true, report: o.report, schema: o.schema ?? null };
    if (o?.type === "failed")
      return { ok: false, code: o.code, message: o.message, ...(o.location ? { location: o.location } : {}) };
    return { ok: false, code: "internal", message: "the analysis process was stopped" };
  }

  /**
   * Cancels a job: a pending one is dropped from the queue; a running one's process is killed and
   * its staging folder removed. Resolves once the job is `cancelled` (or already ended otherwise).
   */
  async cancel(id: string): Promise<JobView> {
    const job = this.store.get(id);
    if (!job) throw new JobStateError(`Job '${id}' not found.`);
    if (TERMINAL.has(job.status)) throw new JobStateError(`Job '${id}' is already ${job.status}.`);
    const queued = this.queue.findIndex((q) => q.id === id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finishEntry(job, { status: "cancelled", message: "cancelled before it started" });
    } else if (this.running?.id === id) {
      this.running.cancelled = true;
      this.running.child.kill("SIGKILL");
      await this.running.exited;
      await this.settle(id);
    }
    const after = this.store.get(id);
    if (!after) throw new JobStateError(`Job '${id}' not found.`);
    return view(after);
  }

  private settling = new Map<string, Promise<void>>();

  private async settle(id: string): Promise<void> {
    await this.settling.get(id);
  }

  private update(id: string, change: Partial<JobEntry>): void {
    const j = this.store.get(id);
    if (!j) return;
    this.store.put({ ...j, ...change, updated_at: this.now() });
  }

  private finishEntry(job: JobEntry, end: { status: "cancelled"; message: string }): void {
    this.update(job.job_id, {
      status: end.status,
      progress: { ...finalProgress({ type: "failed", code: "cancelled", message: end.message }, job.progress) },
    });
  }

  private async discardUpload(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      this.options.logger.warn("cannot remove an upload session", { dir, error: String(err) });
    }
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    const { id, order } = next;
    this.update(id, {
      status: "running",
      progress: { phase: "ingest", done: 0, total: null, unit: "records", table_counts: {}, message: "", final: false },
    });
    const { child, outcome, exited } = spawnJob(order, (m) => {
      if (m.type !== "progress") return;
      const j = this.store.get(id);
      const counts = j && "table_counts" in j.progress ? j.progress.table_counts : {};
      this.update(id, {
        progress: {
          phase: m.phase,
          done: m.done,
          total: m.total,
          unit: "records",
          table_counts: counts,
          message: "",
          final: false,
        },
      });
    });
    const running: Running = { id, child, exited, cancelled: false };
    this.running = running;
    const done = outcome.then(async (o) => {
      const j = this.store.get(id);
      if (!j) return;
      let change: Partial<JobEntry>;
      if (o && o.type !== "failed") {
        change = {
          status: "done",
          dataset: o.type === "imported" ? o.report.datasetId : j.dataset,
          progress: finalProgress(o, j.progress),
          error: {},
        };
      } else if (this.closed && !running.cancelled) {
        change = {
          status: "error",
          error: { type: "interrupted", message: "the server stopped while this job ran; start it again" },
        };
      } else if (running.cancelled || !o) {
        change = {
          status: "cancelled",
          progress: finalProgress({ type: "failed", code: "cancelled", message: "cancelled" }, j.progress),
        };
      } else {
        change = {
          status: "error",
          progress: finalProgress(o, j.progress),
          error: { type: o.code, message: o.message },
        };
      }
      // Cleaned up before the job reads as ended. A killed create/overwrite import leaves only its
      // staging folder: nothing of it reached the library. A finished import's upload is removed
      // (as Pixano does); a failed or cancelled one's stays for another try (DELETE drops it).
      if (order.kind === "import")
        await rm(path.join(order.dataDir, ".tessera", "staging", id), { recursive: true, force: true });
      if (change.status === "done" && j.upload) {
        await this.discardUpload(j.upload);
        this.options.onUploadDiscarded?.(j.upload);
      }
      this.update(id, change);
      if (o && o.type !== "failed") this.options.onFinished?.(o.type === "imported" ? o.report.datasetId : o.datasetId);
    });
    this.settling.set(
      id,
      done
        .catch((err: unknown) =>
          this.options.logger.error("import/export job bookkeeping failed", { id, error: String(err) }),
        )
        .finally(() => {
          this.settling.delete(id);
          if (this.running === running) this.running = null;
          this.pump();
        }),
    );
  }

  /** Kills a running job (reported `error` at the next start, like any job the server stopped under). */
  async close(): Promise<void> {
    this.closed = true;
    const r = this.running;
    if (r) {
      r.child.kill("SIGKILL");
      await r.exited;
    }
    await this.store.settled();
  }
}

function view(j: JobEntry): JobView {
  return {
    job_id: j.job_id,
    kind: j.kind,
    dataset: j.dataset,
    status: j.status,
    progress: j.progress,
    error: j.error,
    created_at: j.created_at,
    updated_at: j.updated_at,
  };
}
