/**
 * The import/export jobs list, kept in `DATA_DIR/.tessera/io/jobs.json` (atomic writes) so it
 * survives a restart. Job JSON is Pixano 0.8's `JobResponse` (`pixano/api/routers/data_io.py`):
 * `job_id`, `kind`, `dataset`, `status`, `progress {phase, done, total, unit, table_counts,
 * message, final}`, `error {type, message}`, `created_at`/`updated_at` (Unix seconds, floats).
 */
import path from "node:path";
import { readJsonFile, writeFileAtomic } from "../auth/atomicFile.js";

export type JobKind = "import" | "export";
/** Pixano's job states, minus `interrupted`/`rolled_back` (no resume, no rollback on Tessera). */
export type JobStatus = "pending" | "running" | "done" | "error" | "cancelled";
export const TERMINAL: ReadonlySet<JobStatus> = new Set(["done", "error", "cancelled"]);

export interface JobProgress {
  readonly phase: string;
  readonly done: number;
  readonly total: number | null;
  readonly unit: string;
  readonly table_counts: Readonly<Record<string, number>>;
  readonly message: string;
  readonly final: boolean;
}

interface JobError {
  readonly type: string;
  readonly message: string;
}

/** What the REST API answers for one job. */
export interface JobView {
  readonly job_id: string;
  readonly kind: JobKind;
  readonly dataset: string;
  readonly status: JobStatus;
  readonly progress: JobProgress | Record<string, never>;
  readonly error: JobError | Record<string, never>;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A job as stored: the view plus what the server needs to run it and clean up after it. */
export interface JobEntry extends JobView {
  /** Upload session folder to remove once the import finished (Pixano discards staged uploads). */
  readonly upload?: string;
}

/** Jobs kept in the file (most recent). */
const MAX_KEPT_JOBS = 200;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STATUSES: ReadonlySet<string> = new Set(["pending", "running", "done", "error", "cancelled"]);

function parseProgress(v: unknown): JobProgress | Record<string, never> {
  if (!isObject(v) || typeof v.phase !== "string" || typeof v.done !== "number") return {};
  const counts = isObject(v.table_counts)
    ? Object.fromEntries(Object.entries(v.table_counts).filter((e): e is [string, number] => typeof e[1] === "number"))
    : {};
  return {
    phase: v.phase,
    done: v.done,
    total: typeof v.total === "number" ? v.total : null,
    unit: typeof v.unit === "string" ? v.unit : "records",
    table_counts: counts,
    message: typeof v.message === "string" ? v.message : "",
    final: v.final === true,
  };
}

function parseEntry(v: unknown): JobEntry | null {
  if (!isObject(v)) return null;
  const { job_id, kind, dataset, status, progress, error, created_at, updated_at, upload } = v;
  if (typeof job_id !== "string" || (kind !== "import" && kind !== "export")) return null;
  if (typeof dataset !== "string" || typeof status !== "string" || !STATUSES.has(status)) return null;
  if (typeof created_at !== "number" || typeof updated_at !== "number") return null;
  return {
    job_id,
    kind,
    dataset,
    status: status as JobStatus,
    progress: parseProgress(progress),
    error:
      isObject(error) && typeof error.type === "string" && typeof error.message === "string"
        ? { type: error.type, message: error.message }
        : {},
    created_at,
    updated_at,
    ...(typeof upload === "string" ? { upload } : {}),
  };
}

class JobStoreError extends Error {
  override name = "JobStoreError";
}

/** The jobs file: loaded once at start, rewritten (debounced) on every change. */
export class JobStore {
  private readonly jobs = new Map<string, JobEntry>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  /** Jobs found pending or running in the file (the server stopped under them). */
  readonly interruptedAtOpen: string[] = [];

  private constructor(
    readonly file: string,
    private readonly onWriteError: (err: unknown) => void,
  ) {}

  static fileIn(dataDir: string): string {
    return path.join(dataDir, ".tessera", "io", "jobs.json");
  }

  /**
   * Loads the file. Jobs that were pending or running when the server stopped are reported
   * `error` with the reason: their process died with the server and Tessera has no resume.
   */
  static async open(dataDir: string, now: () => number, onWriteError: (err: unknown) => void): Promise<JobStore> {
    const store = new JobStore(JobStore.fileIn(dataDir), onWriteError);
    const raw = await readJsonFile(store.file);
    if (raw !== null) {
      if (!isObject(raw) || !Array.isArray(raw.jobs)) throw new JobStoreError(`${store.file}: not a jobs file`);
      for (const item of raw.jobs) {
        const entry = parseEntry(item);
        if (!entry) continue;
        if (entry.status === "pending" || entry.status === "running") {
          store.interruptedAtOpen.push(entry.job_id);
          store.jobs.set(entry.job_id, {
            ...entry,
            status: "error",
            error: {
              type: "interrupted",
              message: `the server stopped while this job was ${entry.status}; nothing of it is in the library${entry.kind === "import" ? " unless it was an add import (rows written before the stop stay)" : ""}. Start it again.`,
            },
            updated_at: now(),
          });
          store.dirty = true;
        } else store.jobs.set(entry.job_id, entry);
      }
    }
    if (store.dirty) await store.flush();
    return store;
  }

  get(id: string): JobEntry | undefined {
    return this.jobs.get(id);
  }

  /** Most recent first. */
  list(limit: number): JobEntry[] {
    return [...this.jobs.values()].sort((a, b) => b.created_at - a.created_at).slice(0, limit);
  }

  put(entry: JobEntry): void {
    this.jobs.set(entry.job_id, entry);
    if (this.jobs.size > MAX_KEPT_JOBS) {
      const old = [...this.jobs.values()]
        .filter((j) => TERMINAL.has(j.status))
        .sort((a, b) => a.created_at - b.created_at);
      for (const j of old.slice(0, this.jobs.size - MAX_KEPT_JOBS)) this.jobs.delete(j.job_id);
    }
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    // A failed write is reported and retried with the next change; the list in memory stays right.
    this.writing = this.writing
      .then(() => this.flush())
      .catch((err: unknown) => {
        this.dirty = true;
        this.onWriteError(err);
      });
  }

  /** Writes the file if something changed since the last write. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, jobs: [...this.jobs.values()] })}\n`);
  }

  /** Waits for pending writes (shutdown, tests). */
  async settled(): Promise<void> {
    await this.writing;
    await this.flush();
  }
}
