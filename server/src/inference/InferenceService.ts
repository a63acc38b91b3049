import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { isRemoteUri, MediaError, resolveMediaPath, type DatasetHandle } from "@tessera/dataset";
import type { EmbeddingSource, EncodedImage, ResizedImage, SamModelSpec, SegmentPrompt } from "@tessera/shared-crdt";
import type { LibraryPort } from "../library/port.js";
import { VideoFrameService } from "../video/videoFrameService.js";
import { silentLogger, type Logger } from "../logger.js";
import { storedSize } from "./imageHeader.js";
import { InferenceError } from "./InferenceError.js";
import { InferenceWorkerClient, type InferenceLimits, type SegmentOutcome } from "./InferenceWorkerClient.js";
import { squareInputSize } from "./manifest.js";
import { ModelRegistry, type ModelProblem, type RegisteredModel } from "./registry.js";

/**
 * Interactive segmentation for the HTTP layer: finds the model in the registry and the view in
 * its dataset, and asks the inference worker for a mask. The worker answers from its cached
 * embedding when it has one; otherwise it asks for the image, which is decoded and resized here
 * (sharp, off the event loop) and sent once.
 */
export interface InferenceServiceOptions {
  readonly dataDir: string;
  readonly library: LibraryPort;
  readonly logger?: Logger;
  readonly limits?: Partial<InferenceLimits>;
  /** Extra environment for the worker (tests pass hooks). */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly workerStderr?: "inherit" | "ignore";
}

/** A view the mask is drawn on. */
export interface SegmentedView {
  readonly table: "images" | "sequence_frames";
  readonly id: string;
  readonly recordId: string;
  readonly logicalName: string;
  /** [height, width]. */
  readonly size: [number, number];
}

export interface SegmentResult {
  readonly mask: { size: [number, number]; counts: string };
  readonly score: number;
  readonly embedding: EmbeddingSource;
  readonly encoderMs: number;
  readonly decoderMs: number;
}

const VIEW_TABLES = ["images", "sequence_frames"] as const;

/**
 * How long a model's manifest and a view's row are reused between clicks: a burst of clicks on one
 * view reads the registry and the dataset once, not per click. A registry change or a re-imported
 * view is seen within this time (the embedding key also carries the media file's size and time).
 */
const LOOKUP_TTL_MS = 2_000;
const MAX_CACHED_VIEWS = 1_000;

/** Connection/listing answers for Pixano's discovery routes. */
export const PROVIDER_NAME = "tessera";

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function samSpec(model: RegisteredModel): SamModelSpec {
  const m = model.manifest;
  const encoder = m.files.encoder;
  const decoder = m.files.decoder;
  if (m.task !== "segmentation" || encoder === undefined || decoder === undefined)
    throw new InferenceError("wrong_task", `Model '${model.name}' is a ${m.task} model`);
  const norm = m.normalization;
  return {
    name: model.name,
    encoderPath: path.join(model.dir, encoder),
    decoderPath: path.join(model.dir, decoder),
    inputSize: squareInputSize(m),
    mean: norm ? [norm.mean[0], norm.mean[1], norm.mean[2]] : [123.675, 116.28, 103.53],
    std: norm ? [norm.std[0], norm.std[1], norm.std[2]] : [58.395, 57.12, 57.375],
    channelOrder: norm?.channel_order ?? "RGB",
  };
}

export class InferenceService {
  readonly registry: ModelRegistry;
  readonly worker: InferenceWorkerClient;
  private readonly logger: Logger;
  /** `DATA_DIR/media`: where views' `uri`s resolve. */
  readonly mediaDir: string;
  private video: VideoFrameService | null = null;
  private readonly reported = new Set<string>();
  private readonly modelCache = new Map<string, { at: number; model: RegisteredModel }>();
  private readonly viewCache = new Map<string, { at: number; view: SegmentedView; uri: string }>();

  constructor(private readonly options: InferenceServiceOptions) {
    this.logger = options.logger ?? silentLogger;
    this.registry = new ModelRegistry(options.dataDir);
    this.mediaDir = path.resolve(options.dataDir, "media");
    this.worker = new InferenceWorkerClient({
      dataDir: options.dataDir,
      logger: this.logger,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.workerEnv ? { env: options.workerEnv } : {}),
      ...(options.workerStderr ? { workerStderr: options.workerStderr } : {}),
    });
  }

  /** The valid models; invalid folders are logged once each (a bad manifest never stops the server). */
  async models(): Promise<RegisteredModel[]> {
    const { models, problems } = await this.registry.scan();
    this.report(problems);
    return models;
  }

  private report(problems: readonly ModelProblem[]): void {
    for (const p of problems) {
      const key = `${p.name}\u0000${p.error}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.logger.warn("model left out of the registry", { model: p.name, error: p.error });
    }
  }

  async model(name: string): Promise<RegisteredModel> {
    const cached = this.modelCache.get(name);
    if (cached && performance.now() - cached.at < LOOKUP_TTL_MS) return cached.model;
    const model = await this.registry.get(name);
    if (!model) {
      await this.models();
      throw new InferenceError("unknown_model", `Model '${name}' not found`);
    }
    this.modelCache.set(name, { at: performance.now(), model });
    return model;
  }

  /** The dataset `datasetId` (404 when there is none). */
  async dataset(datasetId: string): Promise<DatasetHandle> {
    const handle = await this.options.library.open(datasetId);
    if (!handle) throw new InferenceError("not_found", `Dataset '${datasetId}' not found.`);
    return handle;
  }

  /** The decoder of video files' frames for clicks (its frame cache is shared by every click). */
  videoFrames(): VideoFrameService {
    return (this.video ??= new VideoFrameService());
  }

  /** The view (`images` or `sequence_frames` row) and its size. */
  async view(datasetId: string, viewId: string): Promise<{ handle: DatasetHandle; view: SegmentedView; uri: string }> {
    const handle = await this.dataset(datasetId);
    const key = `${datasetId}\u0000${viewId}`;
    const cached = this.viewCache.get(key);
    if (cached && performance.now() - cached.at < LOOKUP_TTL_MS) return { handle, view: cached.view, uri: cached.uri };
    const found = await this.readView(handle, datasetId, viewId);
    this.viewCache.delete(key);
    this.viewCache.set(key, { at: performance.now(), view: found.view, uri: found.uri });
    if (this.viewCache.size > MAX_CACHED_VIEWS) {
      const oldest = this.viewCache.keys().next().value;
      if (oldest !== undefined) this.viewCache.delete(oldest);
    }
    return { handle, ...found };
  }

  private async readView(
    handle: DatasetHandle,
    datasetId: string,
    viewId: string,
  ): Promise<{ view: SegmentedView; uri: string }> {
    for (const table of VIEW_TABLES) {
      if (!handle.schema.tables.has(table)) continue;
      const row = await handle.get(table, viewId, ["id", "record_id", "logical_name", "uri", "width", "height"]);
      if (!row) continue;
      let width = typeof row.width === "number" ? row.width : Number(row.width ?? 0);
      let height = typeof row.height === "number" ? row.height : Number(row.height ?? 0);
      if (!(width > 0 && height > 0)) {
        const meta = await this.decodeMeta(handle, table, viewId, str(row.uri));
        width = meta.width;
        height = meta.height;
      }
      return {
        uri: str(row.uri),
        view: {
          table,
          id: viewId,
          recordId: str(row.record_id),
          logicalName: str(row.logical_name),
          size: [height, width],
        },
      };
    }
    // A video file's frames have no view row: said clearly, not "not found".
    if (handle.schema.tables.has("videos") && (await handle.get("videos", viewId, ["id"])))
      throw new InferenceError(
        "bad_prompt",
        `View '${viewId}' is a video file: segment one of its frames with the draft route and its frame_index.`,
      );
    throw new InferenceError("not_found", `View '${viewId}' not found in dataset '${datasetId}'.`);
  }

  /** One mask for one prompt on one view. */
  async segment(input: {
    readonly model: string;
    readonly datasetId: string;
    readonly viewId: string;
    readonly prompt: SegmentPrompt;
    /** `job`: queued behind every click (a tracking run's masks). */
    readonly priority?: "interactive" | "job";
  }): Promise<SegmentResult & { view: SegmentedView }> {
    checkPrompt(input.prompt);
    const { view, outcome } = await this.run(
      input.model,
      input.datasetId,
      input.viewId,
      input.prompt,
      input.priority ?? "interactive",
    );
    if (outcome.kind !== "segmented")
      throw new InferenceError("model_failed", `the inference worker answered ${outcome.kind} to a prompt`);
    const r = outcome.reply;
    return {
      view,
      mask: r.mask,
      score: r.score,
      embedding: r.embedding,
      encoderMs: r.encoderMs,
      decoderMs: r.decoderMs,
    };
  }

  /**
   * One mask for one prompt on a picture the caller decoded itself — a frame of a video file,
   * which has no row of its own. `key` names the picture's pixels (see {@link videoFrameKey}):
   * the worker caches the encoder's embedding under it, so the next prompt on that frame runs the
   * decoder alone. `pixels` (the frame's file) is asked for only when the worker has no embedding
   * for `key`; the worker decodes it at the encoder's input size.
   */
  async segmentPixels(input: {
    readonly model: string;
    readonly key: string;
    /** [height, width] of the frame: the prompt and the mask are in these pixels. */
    readonly size: readonly [number, number];
    readonly pixels: () => Promise<EncodedImage>;
    readonly prompt: SegmentPrompt;
    readonly priority?: "interactive" | "job";
  }): Promise<SegmentResult> {
    checkPrompt(input.prompt);
    const spec = samSpec(await this.model(input.model));
    const priority = input.priority ?? "interactive";
    const call = { model: spec, viewKey: input.key, viewSize: input.size, prompt: input.prompt } as const;
    let outcome = await this.worker.segment({ ...call, image: null }, priority);
    if (outcome.kind === "need_image") {
      const image = { ...(await input.pixels()), ...longestSide(input.size, spec.inputSize) };
      outcome = await this.worker.segment({ ...call, image }, priority);
    }
    if (outcome.kind !== "segmented")
      throw new InferenceError("model_failed", `the inference worker answered ${outcome.kind} to a prompt`);
    const r = outcome.reply;
    return { mask: r.mask, score: r.score, embedding: r.embedding, encoderMs: r.encoderMs, decoderMs: r.decoderMs };
  }

  /**
   * Makes sure the view's embedding is computed (Pixano's UI asks once with no prompt before the
   * first click); the answer says where it came from.
   */
  async prepare(
    model: string,
    datasetId: string,
    viewId: string,
  ): Promise<{ embedding: EmbeddingSource; encoderMs: number }> {
    const { outcome } = await this.run(model, datasetId, viewId, null);
    if (outcome.kind !== "embedded")
      throw new InferenceError("model_failed", `the inference worker answered ${outcome.kind} to a warm-up`);
    return { embedding: outcome.reply.embedding, encoderMs: outcome.reply.encoderMs };
  }

  /** One request to the worker; sends the resized image only when it has no embedding for the view. */
  private async run(
    model: string,
    datasetId: string,
    viewId: string,
    prompt: SegmentPrompt | null,
    priority: "interactive" | "job" = "interactive",
  ): Promise<{ view: SegmentedView; outcome: SegmentOutcome }> {
    const spec = samSpec(await this.model(model));
    const { handle, view, uri } = await this.view(datasetId, viewId);
    const viewKey = await this.viewKey(handle, view, uri);
    const call = { model: spec, viewKey, viewSize: view.size, prompt } as const;
    let outcome = await this.worker.segment({ ...call, image: null }, priority);
    if (outcome.kind === "need_image") {
      const image = await this.resized(handle, view, uri, spec.inputSize);
      outcome = await this.worker.segment({ ...call, image }, priority);
    }
    if (outcome.kind === "need_image")
      throw new InferenceError("model_failed", "the inference worker asked twice for the image");
    return { view, outcome };
  }

  close(): Promise<void> {
    this.video?.close();
    this.video = null;
    return this.worker.close();
  }

  /** What identifies the view's pixels: the file's size and time for media files, the row for embedded bytes. */
  private async viewKey(handle: DatasetHandle, view: SegmentedView, uri: string): Promise<string> {
    const base = `${handle.id}\u0000${view.table}\u0000${view.id}\u0000${view.size.join("x")}`;
    if (uri === "" || isRemoteUri(uri)) return `${base}\u0000embedded`;
    try {
      const file = await resolveMediaPath(this.mediaDir, uri);
      const st = await stat(file);
      return `${base}\u0000${uri}\u0000${st.size}\u0000${st.mtimeMs}`;
    } catch (err) {
      if (err instanceof MediaError || (err as NodeJS.ErrnoException).code === "ENOENT")
        throw new InferenceError(
          "bad_image",
          `the image of view '${view.id}' cannot be read: ${(err as Error).message}`,
        );
      throw err;
    }
  }

  async bytes(handle: DatasetHandle, table: string, id: string, uri: string): Promise<Uint8Array> {
    const row = await handle.get(table as "images", id, ["id", "raw_bytes"]);
    const raw = row?.raw_bytes;
    return this.sourceBytes(id, uri, raw instanceof Uint8Array ? raw : null);
  }

  /** View `id`'s image: `raw` (its row's `raw_bytes`) when that holds some, else the media file at `uri`. */
  async sourceBytes(id: string, uri: string, raw: Uint8Array | null): Promise<Uint8Array> {
    if (raw && raw.length > 0) return raw;
    if (uri === "" || isRemoteUri(uri))
      throw new InferenceError("bad_image", `view '${id}' has no local image (${uri === "" ? "no uri" : "remote"})`);
    try {
      return new Uint8Array(await readFile(await resolveMediaPath(this.mediaDir, uri)));
    } catch (err) {
      if (err instanceof MediaError || (err as NodeJS.ErrnoException).code === "ENOENT")
        throw new InferenceError("bad_image", `the image of view '${id}' cannot be read: ${(err as Error).message}`);
      throw err;
    }
  }

  private async decodeMeta(
    handle: DatasetHandle,
    table: string,
    id: string,
    uri: string,
  ): Promise<{ width: number; height: number }> {
    return this.imageSize(id, await this.bytes(handle, table, id, uri));
  }

  /** The size of view `id`'s encoded image `bytes`, from its header. */
  async imageSize(id: string, bytes: Uint8Array): Promise<{ width: number; height: number }> {
    const size = await storedSize(bytes);
    if (size) return size;
    throw new InferenceError("bad_image", `the image of view '${id}' cannot be decoded`);
  }

  /** The view resized so its longest side is `side` (SAM's ResizeLongestSide), raw RGB. */
  async resized(handle: DatasetHandle, view: SegmentedView, uri: string, side: number): Promise<ResizedImage> {
    return this.resizedBytes(view, await this.bytes(handle, view.table, view.id, uri), side);
  }

  /** {@link resized} from the view's encoded image `bytes`. */
  async resizedBytes(view: SegmentedView, bytes: Uint8Array, side: number): Promise<ResizedImage> {
    const { width: w, height: h } = longestSide(view.size, side);
    try {
      const { data, info } = await sharp(bytes, { failOn: "none" })
        .resize(w, h, { fit: "fill" })
        .flatten({ background: "#000000" })
        .toColourspace("srgb")
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3 || info.width !== w || info.height !== h)
        throw new InferenceError("bad_image", `the image of view '${view.id}' did not decode to RGB`);
      return { width: w, height: h, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } catch (err) {
      if (err instanceof InferenceError) throw err;
      if (err instanceof Error)
        throw new InferenceError("bad_image", `the image of view '${view.id}' cannot be decoded: ${err.message}`);
      throw err;
    }
  }
}

/**
 * The embedding-cache key of frame `frameIndex` of video `videoId` (a `videos` row): `source`
 * names the file's bytes as the video frame service knows them (its size and time, or the row's
 * update), so a re-encoded video never reuses an old frame's embedding.
 */
export function videoFrameKey(datasetId: string, videoId: string, frameIndex: number, source: string): string {
  return `${datasetId}\u0000videos\u0000${videoId}\u0000frame ${frameIndex}\u0000${source}`;
}

/** The size of a picture of `size` = [height, width] resized so its longest side is `side` (SAM's ResizeLongestSide). */
export function longestSide(size: readonly [number, number], side: number): { width: number; height: number } {
  const [height, width] = size;
  const k = side / Math.max(height, width);
  return {
    width: Math.max(1, Math.min(side, Math.floor(width * k + 0.5))),
    height: Math.max(1, Math.min(side, Math.floor(height * k + 0.5))),
  };
}

/** A prompt the decoder can run: labels match the points, and something says where the object is. */
function checkPrompt(p: SegmentPrompt): void {
  if (p.points.length !== p.labels.length)
    throw new InferenceError("bad_prompt", `${p.points.length} points but ${p.labels.length} labels`);
  if (p.points.length > 64) throw new InferenceError("bad_prompt", "at most 64 points per prompt");
  if (!p.labels.every((l) => l === 0 || l === 1))
    throw new InferenceError("bad_prompt", "point labels are 1 (positive) or 0 (negative)");
  if (!p.labels.includes(1) && p.box === null)
    throw new InferenceError("bad_prompt", "a prompt needs a positive point or a box");
  if (p.box && !(p.box[2] > p.box[0] && p.box[3] > p.box[1]))
    throw new InferenceError("bad_prompt", "a box is [x0, y0, x1, y1] with x1 > x0 and y1 > y0");
}
