import { randomUUID } from "node:crypto";
import path from "node:path";
import type * as Y from "yjs";
import type { DatasetHandle } from "@tessera/dataset";
import type { DetectorSpec, DetectReply, Filter, PreannotateJob } from "@tessera/shared-crdt";
import type { RecordDocsPort, RestIdentity } from "../../http/recordDocs.js";
import { silentLogger, type Logger } from "../../logger.js";
import { InferenceError } from "../InferenceError.js";
import { longestSide, type InferenceService } from "../InferenceService.js";
import { squareInputSize } from "../manifest.js";
import type { RegisteredModel } from "../registry.js";
import { JobFile } from "./jobFile.js";
import { JobPacing } from "../jobPacing.js";
import { writeDetections, type ViewDetections } from "./proposals.js";
import { imageViewsOf, type JobView } from "./batchViews.js";

/**
 * Pre-annotation jobs (SPEC INF-PREANN): a detector run over a record, a selection, an explorer
 * filter or a whole dataset. Records are processed in bounded batches: a batch's image views are
 * read in one query and go to the inference worker at background priority (a click is never
 * queued behind a job); the batch's record documents load together and each record's detections
 * are written in one record-document edit, paced while people edit (open records see them live;
 * the rooms' flush schedule folds them into LanceDB like any edit). Cancel is checked between records:
 * a record is written whole or not at all, what was written stays. Progress goes to `onChange`
 * (the live channel's `job:progress`) at most every {@link PROGRESS_EVERY_MS} and at each end.
 */
export interface PreannotateScope {
  readonly recordIds?: readonly string[];
  /** Explorer filters and free text (already checked against the records table). */
  readonly filters?: readonly Filter[];
  readonly q?: string;
}

export interface PreannotateServiceOptions {
  readonly dataDir: string;
  readonly inference: InferenceService;
  readonly docs: RecordDocsPort;
  readonly openDataset: (id: string) => Promise<DatasetHandle | null>;
  readonly logger?: Logger;
  readonly onChange?: (job: PreannotateJob) => void;
  /** Records per batch (default 8): views read in one query, detected concurrently, documents loaded together. */
  readonly batch?: number;
  /** Awaited before each record's document write (default: the job's {@link JobPacing} — rests while people edit, then editors' queued frames go first). */
  readonly beforeWrite?: () => Promise<unknown>;
  /** Awaited before each batch of records (default: the job's {@link JobPacing} — a bounded share of the thread while people edit). */
  readonly beforeBatch?: () => Promise<unknown>;
}

const PROGRESS_EVERY_MS = 250;
const DEFAULT_IOU = 0.45;
/** Records per batch: their views are read in one query and their documents load together. */
const DEFAULT_BATCH = 8;
/** Jobs a dataset may run at once; more wait (`pending`). */
const RUNNING_PER_SERVER = 1;

export class PreannotateError extends Error {
  override name = "PreannotateError";
  constructor(
    readonly reason: "not_found" | "bad_request" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  cancelled: boolean;
  readonly done: Promise<void>;
}

const now = () => Date.now() / 1000;

function detectorSpec(model: RegisteredModel): DetectorSpec {
  const m = model.manifest;
  const file = m.files.model;
  if (m.task !== "detection" || file === undefined)
    throw new InferenceError("wrong_task", `Model '${model.name}' is a ${m.task} model, not a detector`);
  return {
    name: model.name,
    modelPath: path.join(model.dir, file),
    inputSize: squareInputSize({ ...m, input_size: m.input_size ?? 640 }),
  };
}

export class PreannotateService {
  private readonly jobs = new Map<string, PreannotateJob>();
  private readonly running = new Map<string, Running>();
  private readonly waiting: Array<() => void> = [];
  private readonly logger: Logger;
  private lastEmit = new Map<string, number>();
  private closed = false;

  private constructor(
    private readonly options: PreannotateServiceOptions,
    private readonly file: JobFile,
    jobs: readonly PreannotateJob[],
  ) {
    this.logger = options.logger ?? silentLogger;
    for (const j of jobs) this.jobs.set(j.job_id, j);
  }

  static async open(options: PreannotateServiceOptions): Promise<PreannotateService> {
    const { file, jobs } = await JobFile.open(options.dataDir, now);
    return new PreannotateService(options, file, jobs);
  }

  list(datasetId: string): PreannotateJob[] {
    return [...this.jobs.values()].filter((j) => j.dataset === datasetId).sort((a, b) => b.created_at - a.created_at);
  }

  get(datasetId: string, jobId: string): PreannotateJob {
    const j = this.jobs.get(jobId);
    if (!j || j.dataset !== datasetId) throw new PreannotateError("not_found", `Job '${jobId}' not found.`);
    return j;
  }

  /** Checks the model and the scope, then starts the job (it runs after the jobs before it). */
  async start(
    handle: DatasetHandle,
    input: { model: string; threshold: number; scope: PreannotateScope },
    who: RestIdentity,
  ): Promise<PreannotateJob> {
    if (this.closed) throw new PreannotateError("conflict", "the server is shutting down");
    const model = await this.options.inference.model(input.model);
    const spec = detectorSpec(model);
    const labels = model.manifest.labels ?? [];
    const ids = input.scope.recordIds;
    const scope: PreannotateJob["scope"] = ids
      ? ids.length === 1
        ? "record"
        : "selection"
      : input.scope.filters?.length || input.scope.q
        ? "filter"
        : "all";
    if (ids) {
      const found = await handle.getMany("records", ids, ["id"]);
      const known = new Set(found.map((r) => String(r.id)));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length > 0)
        throw new PreannotateError("not_found", `Record '${missing[0] ?? ""}' not found in dataset '${handle.id}'.`);
    }
    const job: PreannotateJob = {
      job_id: randomUUID(),
      kind: "preannotate",
      dataset: handle.id,
      status: "pending",
      model: model.name,
      threshold: input.threshold,
      scope,
      progress: { phase: "queued", done: 0, total: null, unit: "records", table_counts: {}, message: "", final: false },
      error: {},
      created_by: who.id,
      created_at: now(),
      updated_at: now(),
    };
    this.put(job, true);
    const state: { cancelled: boolean } = { cancelled: false };
    const done = this.run(job.job_id, handle, spec, labels, input, who, state).catch((err: unknown) => {
      this.logger.error("pre-annotation job crashed", { job: job.job_id, error: (err as Error).message });
    });
    this.running.set(job.job_id, Object.assign(state, { done }));
    return job;
  }

  /** Cancels a pending or running job; a job already ended is answered as it is. */
  cancel(datasetId: string, jobId: string): PreannotateJob {
    const job = this.get(datasetId, jobId);
    const r = this.running.get(jobId);
    if (r) r.cancelled = true;
    if (job.status === "pending") {
      // Not started yet: ended now (its runner sees the flag when its turn comes and does nothing).
      return this.finish(job, "cancelled", "cancelled before it started");
    }
    return job;
  }

  /** Waits for a job to end (tests and shutdown). */
  async settled(jobId: string): Promise<void> {
    await this.running.get(jobId)?.done;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) r.cancelled = true;
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.file.settled();
  }

  private async turn(): Promise<void> {
    if (this.runningCount() < RUNNING_PER_SERVER) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private runningCount(): number {
    return [...this.jobs.values()].filter((j) => j.status === "running").length;
  }

  private async run(
    jobId: string,
    handle: DatasetHandle,
    spec: DetectorSpec,
    labels: readonly string[],
    input: { model: string; threshold: number; scope: PreannotateScope },
    who: RestIdentity,
    state: { cancelled: boolean },
  ): Promise<void> {
    try {
      await this.turn();
      if (state.cancelled) return;
      let job = this.update(jobId, { status: "running", phase: "listing records" });
      const recordIds = await this.recordIds(handle, input.scope);
      job = this.update(jobId, { total: recordIds.length, phase: "detecting" });
      const counts = { entities: 0, bboxes: 0, replaced: 0, skipped_views: 0 };
      const batch = Math.max(1, this.options.batch ?? DEFAULT_BATCH);
      let done = 0;
      const written = new Set<string>();
      // Writes on the main thread, paced while people edit (editors first).
      const pacing = new JobPacing();
      const beforeWrite = this.options.beforeWrite ?? (() => pacing.beforeWrite());
      const beforeBatch = this.options.beforeBatch ?? (() => pacing.beforeBatch());
      for (let i = 0; i < recordIds.length; i += batch) {
        if (state.cancelled) break;
        await beforeBatch();
        if (state.cancelled) break;
        const slice = recordIds.slice(i, i + batch);
        // The batch's views in one query; their detections in parallel (background priority).
        const found = await imageViewsOf(handle, slice);
        const detected = await Promise.all(
          slice.map((id) =>
            this.detectViews(handle, spec, found.get(id) ?? [], input.threshold, () => counts.skipped_views++),
          ),
        );
        if (state.cancelled) break;
        // Records are counted done in order: those with nothing to write as the next write passes them.
        let counted = 0;
        let lastWritten = -1;
        const countUpTo = (end: number) => {
          if (end <= counted) return;
          done += end - counted;
          counted = end;
          job = this.update(jobId, { done, counts: { ...counts } });
        };
        const writes = slice.flatMap((recordId, k) => {
          const views = detected[k] ?? [];
          if (views.length === 0) return [];
          const fn = (doc: Y.Doc) => {
            const s = writeDetections(doc, handle.schema, recordId, who.id, { model: spec.name, labels, jobId }, views);
            counts.entities += s.entities;
            counts.bboxes += s.bboxes;
            counts.replaced += s.replaced;
            lastWritten = k;
            written.add(recordId);
          };
          return [{ recordId, fn }];
        });
        // Each record is written whole in its own edit; the batch's documents load together.
        await this.options.docs.editMany(handle.id, who, writes, {
          beforeEach: async (recordId) => {
            countUpTo(slice.indexOf(recordId));
            if (state.cancelled) return false;
            await beforeWrite();
            return !state.cancelled;
          },
          afterEach: (_, ms) => pacing.wrote(ms),
        });
        countUpTo(state.cancelled ? lastWritten + 1 : slice.length);
      }
      // What was written is in the rows when the job says it ended (the rooms' schedule would fold it a moment later).
      if (written.size > 0 && !this.closed) await this.foldWritten(handle.id, written);
      if (state.cancelled && this.closed)
        this.finish(
          this.jobs.get(jobId) ?? job,
          "error",
          `the server stopped after ${done} of ${recordIds.length} records; their proposals stay. Start it again: it replaces the model's pending proposals.`,
          "interrupted",
        );
      else if (state.cancelled)
        this.finish(this.jobs.get(jobId) ?? job, "cancelled", `cancelled after ${done} of ${recordIds.length} records`);
      else this.finish(this.jobs.get(jobId) ?? job, "done", `${counts.bboxes} boxes on ${done} records`);
    } catch (err) {
      const job = this.jobs.get(jobId);
      const reason = err instanceof InferenceError ? err.reason : "error";
      if (job) this.finish(job, "error", (err as Error).message, reason);
      if (!(err instanceof Error)) throw err;
    } finally {
      this.running.delete(jobId);
      this.waiting.shift()?.();
    }
  }

  private async foldWritten(datasetId: string, recordIds: ReadonlySet<string>): Promise<void> {
    try {
      await this.options.docs.fold(datasetId, recordIds);
    } catch (err) {
      // Not lost: the records' logs keep the proposals and the next flush folds them.
      this.logger.warn("pre-annotation: the written records are not folded yet", {
        dataset: datasetId,
        error: (err as Error).message,
      });
    }
  }

  private async recordIds(handle: DatasetHandle, scope: PreannotateScope): Promise<string[]> {
    if (scope.recordIds) return [...new Set(scope.recordIds)];
    const page = await handle.query("records", {
      ...(scope.filters ? { filters: scope.filters } : {}),
      ...(scope.q ? { q: scope.q } : {}),
      sort: { column: "id", order: "asc" },
      columns: ["id"],
    });
    return page.items.map((r) => String(r.id));
  }

  /** Detections above the threshold on a record's image views (a view whose image cannot be read is skipped). */
  private async detectViews(
    handle: DatasetHandle,
    spec: DetectorSpec,
    views: readonly JobView[],
    threshold: number,
    onSkipped: () => void,
  ): Promise<ViewDetections[]> {
    const out: ViewDetections[] = [];
    for (const { view: row, uri, raw } of views) {
      const inference = this.options.inference;
      let view = row;
      let reply: DetectReply;
      try {
        const bytes = await inference.sourceBytes(row.id, uri, raw);
        if (row.size[0] === 0) {
          const { width, height } = await inference.imageSize(row.id, bytes);
          view = { ...row, size: [height, width] };
        }
        // The view goes as its file: the worker decodes it at the detector's input (the server reads its header).
        reply = await inference.worker.detect({
          model: spec,
          viewSize: view.size,
          image: { encoded: bytes, ...longestSide(view.size, spec.inputSize) },
          threshold,
          iou: DEFAULT_IOU,
        });
      } catch (err) {
        // A view whose image is missing or undecodable is skipped (counted, logged); the job goes on.
        if (!(err instanceof InferenceError) || err.reason !== "bad_image") throw err;
        this.logger.warn("pre-annotation skipped a view", { dataset: handle.id, view: row.id, error: err.message });
        onSkipped();
        continue;
      }
      out.push({ viewId: view.id, size: view.size, detections: reply.detections });
    }
    return out;
  }

  private update(
    jobId: string,
    p: { status?: "running"; phase?: string; total?: number; done?: number; counts?: Record<string, number> },
  ): PreannotateJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new PreannotateError("not_found", `Job '${jobId}' not found.`);
    const next: PreannotateJob = {
      ...job,
      ...(p.status ? { status: p.status } : {}),
      progress: {
        ...job.progress,
        ...(p.phase !== undefined ? { phase: p.phase } : {}),
        ...(p.total !== undefined ? { total: p.total } : {}),
        ...(p.done !== undefined ? { done: p.done } : {}),
        ...(p.counts ? { table_counts: p.counts } : {}),
      },
      updated_at: now(),
    };
    const last = this.lastEmit.get(jobId) ?? 0;
    const emit = p.status !== undefined || p.total !== undefined || performance.now() - last >= PROGRESS_EVERY_MS;
    this.put(next, emit);
    return next;
  }

  private finish(
    job: PreannotateJob,
    status: "done" | "cancelled" | "error",
    message: string,
    errorType = "error",
  ): PreannotateJob {
    const next: PreannotateJob = {
      ...job,
      status,
      progress: { ...job.progress, phase: status, message, final: true },
      error: status === "error" ? { type: errorType, message } : {},
      updated_at: now(),
    };
    this.put(next, true);
    this.lastEmit.delete(job.job_id);
    return next;
  }

  private put(job: PreannotateJob, emit: boolean): void {
    this.jobs.set(job.job_id, job);
    if (!emit) return;
    this.lastEmit.set(job.job_id, performance.now());
    this.file.save([...this.jobs.values()], (err) =>
      this.logger.error("cannot write the pre-annotation jobs file", { error: (err as Error).message }),
    );
    this.options.onChange?.(job);
  }
}
