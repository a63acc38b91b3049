/**
 * A pre-annotation job as REST answers it and the live channel's `job:progress` event carries it
 * (SPEC INF-PREANN): the shape of Pixano 0.8's import/export `JobResponse` (`job_id`, `kind`,
 * `dataset`, `status`, `progress`, `error`, times in Unix seconds) with `kind: "preannotate"` and
 * what the job runs (`model`, `threshold`, `scope`).
 */
export type PreannotateStatus = "pending" | "running" | "done" | "error" | "cancelled";

export interface PreannotateJob {
  readonly job_id: string;
  readonly kind: "preannotate";
  readonly dataset: string;
  readonly status: PreannotateStatus;
  readonly model: string;
  readonly threshold: number;
  /** `record` (one id), `selection` (ids), `filter` (explorer `where`/`q`) or `all`. */
  readonly scope: "record" | "selection" | "filter" | "all";
  readonly progress: {
    readonly phase: string;
    /** Records finished (written, or found without image views). */
    readonly done: number;
    readonly total: number | null;
    readonly unit: "records";
    /**
     * Rows written so far: `entities`, `bboxes`, `replaced` (earlier pending proposals of the model), and
     * `skipped_views` (views whose image is missing or cannot be decoded).
     */
    readonly table_counts: Readonly<Record<string, number>>;
    readonly message: string;
    readonly final: boolean;
  };
  readonly error: { readonly type: string; readonly message: string } | Record<string, never>;
  readonly created_by: string;
  readonly created_at: number;
  readonly updated_at: number;
}
