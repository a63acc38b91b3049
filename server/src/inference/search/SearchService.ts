import sharp from "sharp";
import type { DatasetHandle } from "@tessera/dataset";
import type { ClipModelSpec, ResizedImage } from "@tessera/shared-crdt";
import type { LibraryPort } from "../../library/port.js";
import type { Logger } from "../../logger.js";
import { InferenceError } from "../InferenceError.js";
import type { InferenceService } from "../InferenceService.js";
import { JobPacing } from "../jobPacing.js";
import { clipSpec } from "./clipModel.js";
import { EmbedJobs, type EmbedJobControl, type EmbedJobView } from "./embedJobs.js";
import {
  addVectors,
  createSpace,
  dropSpace,
  embeddedViews,
  health,
  indexIfLarge,
  nearest,
  readSpace,
  recordVector,
  type EmbeddingHealth,
  type EmbeddingRow,
  type Hit,
} from "./embeddingStore.js";
import { SearchError } from "./SearchError.js";

/** Images embedded per worker request (Pixano's pixano-inference job: 16; 8 measured best on CPU). */
const EMBED_BATCH = 8;
/**
 * Vectors go into the table this many at a time, or every {@link WRITE_EVERY_MS} (and when the job
 * ends, is cancelled or fails): each Lance add is a commit and a fragment, so one per batch of 8
 * cost the machine a commit's CPU and fsyncs 125 times per 1,000 images and left the table in as many
 * fragments for every search to open.
 */
const WRITE_EVERY_VECTORS = 256;
const WRITE_EVERY_MS = 10_000;
/**
 * While people edit, a batch rests this many times the event loop's busy time during the previous
 * one (≤ 1/10 of the main thread). The job's own main-thread work is small (decodes run on the
 * thread pool, the encoder in the worker): measured on 2 cores with a team's 50 edits/s, 9 kept
 * the editors' p95/p99 within 1.0 × idle while embedding ≈ 20 images/s; 3 let p99 reach 1.2 ×;
 * unpaced, 1.4 ×.
 */
const BATCH_REST_FACTOR = 9;
/** Largest `k` a search answers. */
export const MAX_K = 1_000;

export interface SearchQuery {
  readonly text?: string | null;
  readonly similarTo?: string | null;
  readonly model?: string | null;
  readonly k: number;
  /** Records the search is restricted to (the explorer's filters), or null. */
  readonly allowed: ReadonlySet<string> | null;
}

export interface SearchAnswer {
  readonly hits: Hit[];
  readonly model: string;
  readonly mode: "text" | "similar";
}

/**
 * Semantic search over a dataset's image views: the embeddings job (every image view through the
 * CLIP-family image encoder, at job priority in the inference worker's queue, into Pixano's
 * `embeddings` table; while people edit, each batch rests as a pre-annotation job's does —
 * {@link JobPacing.beforeBatch}), text → records and record → nearest records.
 */
export class SearchService {
  readonly jobs: EmbedJobs;

  constructor(
    private readonly inference: InferenceService,
    private readonly library: LibraryPort,
    private readonly logger: Logger,
  ) {
    this.jobs = new EmbedJobs(logger);
  }

  private async open(datasetId: string): Promise<DatasetHandle> {
    const handle = await this.library.open(datasetId);
    if (!handle) throw new SearchError(404, `Dataset '${datasetId}' not found.`);
    return handle;
  }

  private async spec(name: string): Promise<ClipModelSpec> {
    try {
      return clipSpec(await this.inference.model(name));
    } catch (err) {
      if (err instanceof InferenceError && err.reason === "unknown_model")
        throw new SearchError(404, `Model '${name}' not found in the model registry.`);
      throw err;
    }
  }

  async health(handle: DatasetHandle): Promise<EmbeddingHealth> {
    return health(handle);
  }

  /** `POST /embeddings/compute`: checks as Pixano does, then starts the job. */
  async compute(datasetId: string, model: string, force: boolean): Promise<EmbedJobView> {
    const handle = await this.open(datasetId);
    const spec = await this.spec(model);
    const h = await health(handle);
    if (!force) {
      if (!["absent", "ready", "partial", "empty"].includes(h.status))
        throw new SearchError(409, `Record embeddings are broken (${h.detail ?? h.status}) Recompute with force=true.`);
      if (h.status !== "absent" && h.model_id && h.model_id !== model)
        throw new SearchError(
          409,
          `Embeddings were computed with model '${h.model_id}'; recomputing with '${model}' requires force=true (it replaces the whole embedding space).`,
        );
    }
    const running = this.jobs.active(handle.id);
    if (running) throw new SearchError(409, `An embedding job is already running on this dataset (${running.job_id}).`);
    return this.jobs.start(handle.id, (control) => this.run(handle, spec, force, control));
  }

  private async run(
    handle: DatasetHandle,
    spec: ClipModelSpec,
    force: boolean,
    control: EmbedJobControl,
  ): Promise<{ done: number; total: number }> {
    if (force) await dropSpace(handle);
    const hasImages = (await handle.tables()).includes("images");
    const rows = hasImages ? (await handle.query("images", { columns: ["id", "record_id", "uri"] })).items : [];
    const views = rows.map((r) => ({
      id: String(r.id),
      recordId: String(r.record_id),
      uri: typeof r.uri === "string" ? r.uri : "",
    }));
    const already = (await readSpace(handle)) ? await embeddedViews(handle) : new Set<string>();
    const pending = views.filter((v) => !already.has(v.id));
    const total = views.length;
    let done = total - pending.length;
    let written = already.size;
    let skipped = 0;
    let dim = (await readSpace(handle))?.dim ?? null;
    control.progress(done, total, written);
    const pacing = new JobPacing({ batchRestFactor: BATCH_REST_FACTOR });
    /** Vectors computed and not in the table yet (one Lance commit per {@link WRITE_EVERY_VECTORS}, not per batch). */
    let buffered: EmbeddingRow[] = [];
    let flushedAt = performance.now();
    const message = () => (skipped > 0 ? `${skipped} views could not be read` : "");
    const flush = async () => {
      flushedAt = performance.now();
      if (buffered.length === 0 || dim === null) return;
      const rows = buffered;
      buffered = [];
      await addVectors(handle, rows, dim);
      written += rows.length;
      control.progress(done, total, written, message());
    };
    try {
      for (let start = 0; start < pending.length; start += EMBED_BATCH) {
        await pacing.beforeBatch();
        if (control.cancelled) break;
        const batch = pending.slice(start, start + EMBED_BATCH);
        const images: ResizedImage[] = [];
        const kept: typeof batch = [];
        for (const v of batch) {
          try {
            images.push(await this.square(handle, v.id, v.uri, spec.inputSize));
            kept.push(v);
          } catch (err) {
            if (!(err instanceof InferenceError)) throw err;
            skipped++;
            this.logger.warn("view left out of the embeddings", { dataset: handle.id, view: v.id, error: err.message });
          }
        }
        if (images.length > 0) {
          const vectors = await this.inference.worker.embed({ type: "embed_images", model: spec, images }, "job");
          const first = vectors[0];
          if (!first || vectors.length !== images.length)
            throw new SearchError(503, `the model answered ${vectors.length} vectors for ${images.length} images`);
          if (dim === null) {
            dim = first.length;
            await createSpace(handle, spec.name, dim);
          }
          buffered.push(...kept.map((v, i) => ({ recordId: v.recordId, viewId: v.id, vector: vectors[i] ?? first })));
        }
        done += batch.length;
        if (buffered.length >= WRITE_EVERY_VECTORS || performance.now() - flushedAt >= WRITE_EVERY_MS) await flush();
        else control.progress(done, total, written, message());
      }
    } catch (err) {
      // What was computed before the failure is kept (a new compute resumes after it); the failure is the job's.
      await flush().catch((flushErr: unknown) =>
        this.logger.warn("embeddings computed before a failure could not be written", {
          dataset: handle.id,
          error: String(flushErr),
        }),
      );
      throw err;
    }
    await flush();
    if (!control.cancelled && (await indexIfLarge(handle)) === "indexed")
      control.progress(done, total, written, "vector index built");
    return { done, total };
  }

  /** The view resized (shorter side) and centre-cropped to `side` × `side`, as CLIP's preprocessing does. */
  private async square(handle: DatasetHandle, id: string, uri: string, side: number): Promise<ResizedImage> {
    const bytes = await this.inference.bytes(handle, "images", id, uri);
    try {
      const { data, info } = await sharp(bytes, { failOn: "none" })
        .resize(side, side, { fit: "cover", position: "centre" })
        .flatten({ background: "#000000" })
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new InferenceError("bad_image", `the image of view '${id}' did not decode to RGB`);
      return { width: side, height: side, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch (err) {
      if (err instanceof InferenceError) throw err;
      throw new InferenceError("bad_image", `the image of view '${id}' cannot be decoded: ${(err as Error).message}`);
    }
  }

  /** `POST /records/search`: Pixano's health answers first, then text → vector or the record's own vector. */
  async search(handle: DatasetHandle, q: SearchQuery): Promise<SearchAnswer> {
    const h = await health(handle, { countEmbeddedRecords: false });
    if (h.status === "absent") throw new SearchError(400, "No record embeddings; compute them first.");
    if (h.status === "missing_table" || h.status === "corrupt" || h.status === "empty")
      throw new SearchError(
        503,
        `Record embeddings are unavailable (${h.detail ?? h.status}) Recompute the embeddings.`,
      );
    if (h.status === "dim_mismatch")
      throw new SearchError(409, `Record embeddings are stale (${h.detail ?? h.status}) Recompute the embeddings.`);
    const model = q.model || h.model_id || "";
    let query: Float32Array;
    let mode: "text" | "similar";
    if (q.similarTo) {
      const v = await recordVector(handle, q.similarTo);
      if (!v) throw new SearchError(404, `Record '${q.similarTo}' has no embedding.`);
      query = v;
      mode = "similar";
    } else if (q.text) {
      const spec = await this.spec(model);
      if (spec.textPath === null || spec.tokenizer === null)
        throw new SearchError(422, `Model '${model}' has no text encoder: only "more like this" works with it.`);
      const [v] = await this.inference.worker.embed({ type: "embed_texts", model: spec, texts: [q.text] });
      if (!v) throw new SearchError(503, "The model gave no vector for the text.");
      query = v;
      mode = "text";
    } else {
      throw new SearchError(400, "Provide either 'text' or 'similar_to'.");
    }
    if (h.dim !== null && query.length !== h.dim)
      throw new SearchError(
        409,
        `The query embedding has dim ${query.length} but the stored embeddings have dim ${h.dim} (model '${h.model_id ?? ""}'). Recompute the embeddings with the current model.`,
      );
    if (q.allowed && q.allowed.size === 0) return { hits: [], model, mode };
    return { hits: await nearest(handle, query, q.k, q.allowed), model, mode };
  }
}

const services = new WeakMap<InferenceService, SearchService>();

/** The search service of a server's inference service (one per server). */
export function searchServiceOf(inference: InferenceService, library: LibraryPort, logger: Logger): SearchService {
  let s = services.get(inference);
  if (!s) services.set(inference, (s = new SearchService(inference, library, logger)));
  return s;
}

/** Its embedding jobs, when it exists (the `/io/jobs` routes look there after the import/export jobs). */
export function embedJobsOf(inference: InferenceService | undefined): EmbedJobs | null {
  return inference ? (services.get(inference)?.jobs ?? null) : null;
}
