import { randomUUID } from "node:crypto";
import type { Logger } from "../../logger.js";

/**
 * Embedding jobs in Pixano 0.8's `/io/jobs` shape (`kind: "embed"`, progress `{phase, done,
 * total, unit, table_counts, message, final}`, times in Unix seconds). Kept in memory: a restart
 * forgets them, and a new `POST /embeddings/compute` resumes where the vectors stop (embedded
 * views are skipped), as Pixano's job does.
 */
type EmbedJobStatus = "pending" | "running" | "done" | "error" | "cancelled";

export interface EmbedJobView {
  readonly job_id: string;
  readonly kind: "embed";
  readonly dataset: string;
  readonly status: EmbedJobStatus;
  readonly progress: {
    readonly phase: string;
    readonly done: number;
    readonly total: number | null;
    readonly unit: string;
    readonly table_counts: Readonly<Record<string, number>>;
    readonly message: string;
    readonly final: boolean;
  };
  readonly error: { readonly type: string; readonly message: string } | Record<string, never>;
  readonly created_at: number;
  readonly updated_at: number;
}

/** What a running job reports and checks. */
export interface EmbedJobControl {
  readonly cancelled: boolean;
  progress(done: number, total: number, written: number, message?: string): void;
}

const MAX_KEPT = 100;

export class EmbedJobStateError extends Error {
  override name = "EmbedJobStateError";
}

export class EmbedJobs {
  private readonly jobs = new Map<string, { view: EmbedJobView; cancel: boolean }>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  get(id: string): EmbedJobView | null {
    return this.jobs.get(id)?.view ?? null;
  }

  list(): EmbedJobView[] {
    return [...this.jobs.values()].map((j) => j.view).reverse();
  }

  /** The dataset's job still pending or running, if any (one at a time per dataset). */
  active(dataset: string): EmbedJobView | null {
    for (const j of this.jobs.values())
      if (j.view.dataset === dataset && (j.view.status === "pending" || j.view.status === "running")) return j.view;
    return null;
  }

  start(dataset: string, run: (control: EmbedJobControl) => Promise<{ done: number; total: number }>): EmbedJobView {
    const now = Date.now() / 1000;
    const id = randomUUID();
    const entry = {
      cancel: false,
      view: {
        job_id: id,
        kind: "embed",
        dataset,
        status: "pending",
        progress: { phase: "embed", done: 0, total: null, unit: "views", table_counts: {}, message: "", final: false },
        error: {},
        created_at: now,
        updated_at: now,
      } as EmbedJobView,
    };
    this.jobs.set(id, entry);
    this.trim();
    const set = (patch: Partial<EmbedJobView>) => {
      entry.view = { ...entry.view, ...patch, updated_at: Date.now() / 1000 };
    };
    const control: EmbedJobControl = {
      get cancelled() {
        return entry.cancel;
      },
      progress: (done, total, written, message = "") =>
        set({
          status: "running",
          progress: { ...entry.view.progress, done, total, table_counts: { embeddings: written }, message },
        }),
    };
    const p = run(control).then(
      ({ done, total }) =>
        set({
          status: entry.cancel ? "cancelled" : "done",
          progress: { ...entry.view.progress, done, total, final: true },
        }),
      (err: unknown) => {
        this.logger.warn("embedding job failed", { id, dataset, error: String(err) });
        const e = err instanceof Error ? err : new Error(String(err));
        set({ status: "error", error: { type: e.name, message: e.message } });
      },
    );
    const tracked = p.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    return entry.view;
  }

  /** Asks a job to stop after its current batch; the vectors written so far stay. */
  cancel(id: string): EmbedJobView {
    const entry = this.jobs.get(id);
    if (!entry) throw new EmbedJobStateError(`Job '${id}' not found.`);
    if (entry.view.status !== "pending" && entry.view.status !== "running")
      throw new EmbedJobStateError(`Job '${id}' already ended (${entry.view.status}).`);
    entry.cancel = true;
    return entry.view;
  }

  /** Waits for the running jobs (they fail fast once the worker is closed). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private trim(): void {
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= MAX_KEPT) break;
      if (j.view.status !== "pending" && j.view.status !== "running") this.jobs.delete(id);
    }
  }
}
