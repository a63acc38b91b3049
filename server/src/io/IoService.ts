/**
 * Import and export from the browser and Pixano 0.8's `/io/*` routes, behind one object: the
 * import root (where sources may be read), upload sessions, analysis plans and the job runner.
 * The routes (`http/routes/io.ts`) only translate HTTP to these calls.
 */
import { mkdir, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import type { FormatOption, ImportMode } from "@tessera/dataset/io";
import type { Logger } from "../logger.js";
import { ImportRoot, SourcePathError } from "./importRoot.js";
import { JobQueueFullError, JobRunner, JobStateError } from "./jobRunner.js";
import type { JobView } from "./jobStore.js";
import { fingerprint, planFromError, planFromReport, type ImportPlan } from "./plan.js";
import { DEFAULT_UPLOAD_LIMITS, Uploads, type UploadLimits } from "./uploads.js";

export { JobQueueFullError, JobStateError, SourcePathError };

/** A request the io layer refuses, with the HTTP status Pixano answers it with. */
export class IoRequestError extends Error {
  override name = "IoRequestError";
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Pixano 0.8's format registry (`GET /io/formats`), as far as Tessera implements it, plus Tessera's own sources. */
export const IO_FORMATS = [
  {
    name: "pixano_jsonl",
    title: "Pixano JSONL v2",
    can_import: true,
    can_export: true,
    capabilities: {
      media_kinds: ["image", "sequence_frames", "text", "video"],
      annotation_kinds: ["bbox", "classification", "keypoints", "mask", "message", "multi_path", "text_span"],
      supports_resume: false,
    },
  },
  {
    name: "pixano_v1",
    title: "Pixano folder v1 (metadata.jsonl)",
    can_import: true,
    can_export: false,
    capabilities: {
      media_kinds: ["image", "sequence_frames", "video"],
      annotation_kinds: ["bbox", "keypoints", "mask", "multi_path"],
      supports_resume: false,
    },
  },
  {
    name: "coco",
    title: "COCO instances",
    can_import: true,
    can_export: true,
    capabilities: { media_kinds: ["image"], annotation_kinds: ["bbox", "keypoints", "mask"], supports_resume: false },
  },
  {
    name: "media",
    title: "Media only (a folder of images or videos per split)",
    can_import: true,
    can_export: false,
    capabilities: { media_kinds: ["image", "video"], annotation_kinds: [], supports_resume: false },
  },
] as const;

/** The formats `POST /io/exports` writes. */
export const EXPORT_FORMATS = ["pixano_jsonl", "coco"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const IMPORT_FORMATS: ReadonlySet<string> = new Set(["auto", "pixano_jsonl", "pixano_v1", "media", "coco"]);
const MODES: ReadonlySet<string> = new Set(["create", "overwrite", "add"]);
/** Plans kept for `POST /io/imports {plan_id}` (Pixano keeps them 24 h). */
const PLAN_TTL_S = 24 * 3600;
const MAX_PLANS = 256;
/** Upload sessions untouched this long are removed at start (Pixano's boot GC: 24 h). */
const UPLOAD_TTL_MS = 24 * 3600 * 1000;
/** Dry runs at once (each is a process reading a whole source). */
const MAX_ANALYSES = 2;

export interface ImportSpecInput {
  readonly name?: string;
  readonly workspace?: string;
  /** `media.mode` `uri` (COCO: keep each image's `coco_url`). */
  readonly media?: "uri";
  readonly format: FormatOption;
  readonly mode: ImportMode;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The parts of Pixano's `ImportSpec` Tessera honours: `dataset.name`, `dataset.workspace`,
 * `format`, `mode`. The REST surface never runs user code (`importer`, `info_py`: 400, as Pixano).
 */
function readSpec(spec: Readonly<Record<string, unknown>>): ImportSpecInput {
  if ("importer" in spec || "info_py" in spec)
    throw new IoRequestError(400, "The REST API does not execute user Python (CLI-only options).");
  const dataset = spec.dataset === undefined ? {} : spec.dataset;
  if (!isObject(dataset)) throw new IoRequestError(422, "spec.dataset must be an object");
  const name = dataset.name === undefined ? "" : dataset.name;
  const workspace = dataset.workspace === undefined ? "" : dataset.workspace;
  if (typeof name !== "string" || name.length > 256)
    throw new IoRequestError(422, "spec.dataset.name must be a string of at most 256 characters");
  if (typeof workspace !== "string" || workspace.length > 64)
    throw new IoRequestError(422, "spec.dataset.workspace must be a short string");
  const format = spec.format === undefined ? "auto" : spec.format;
  if (typeof format !== "string" || !IMPORT_FORMATS.has(format))
    throw new IoRequestError(
      422,
      `format '${String(format).slice(0, 64)}' is not importable on Tessera (auto, pixano_jsonl, pixano_v1, media, coco)`,
    );
  const media = spec.media === undefined || spec.media === null ? {} : spec.media;
  if (!isObject(media) || (media.mode !== undefined && media.mode !== "embed" && media.mode !== "uri"))
    throw new IoRequestError(422, "spec.media.mode must be embed or uri");
  const mode = spec.mode === undefined ? "create" : spec.mode;
  if (typeof mode !== "string" || !MODES.has(mode))
    throw new IoRequestError(422, "spec.mode must be create, overwrite or add");
  return {
    ...(name.trim() ? { name: name.trim() } : {}),
    ...(workspace.trim() && workspace !== "undefined" ? { workspace: workspace.trim() } : {}),
    ...(media.mode === "uri" ? { media: "uri" as const } : {}),
    format: format as FormatOption,
    mode: mode as ImportMode,
  };
}

interface StoredPlan {
  readonly source: string;
  readonly spec: ImportSpecInput;
  readonly expires: number;
}

export interface IoServiceOptions {
  readonly dataDir: string;
  /** Where sources may be read (default `DATA_DIR/imports`). */
  readonly importRoot?: string;
  /** Where exports are written (default `DATA_DIR/exports`). */
  readonly exportRoot?: string;
  readonly uploadLimits?: Partial<UploadLimits>;
  readonly logger: Logger;
  readonly onFinished?: (datasetId: string) => void;
}

export class IoService {
  private readonly plans = new Map<string, StoredPlan>();
  private analyses = 0;

  private constructor(
    readonly dataDir: string,
    readonly root: ImportRoot,
    readonly exportRoot: string,
    readonly uploads: Uploads,
    readonly runner: JobRunner,
  ) {}

  static async open(options: IoServiceOptions): Promise<IoService> {
    const root = await ImportRoot.open(options.importRoot ?? path.join(options.dataDir, "imports"));
    const exportRoot = path.resolve(options.exportRoot ?? path.join(options.dataDir, "exports"));
    await mkdir(exportRoot, { recursive: true });
    const uploads = new Uploads(path.join(root.real, "uploads"), { ...DEFAULT_UPLOAD_LIMITS, ...options.uploadLimits });
    const dropped = await uploads.dropAbandoned(UPLOAD_TTL_MS);
    if (dropped > 0) options.logger.info("removed abandoned upload sessions", { count: dropped });
    const runner = await JobRunner.open({
      dataDir: options.dataDir,
      logger: options.logger,
      onUploadDiscarded: (dir) => uploads.forget(dir),
      ...(options.onFinished ? { onFinished: options.onFinished } : {}),
    });
    return new IoService(path.resolve(options.dataDir), root, await realpath(exportRoot), uploads, runner);
  }

  /** `POST /io/analyze`: a dry run in a job process; the plan, saved for `POST /io/imports` unless `save`is false. */
  async analyze(sourceInput: string, rawSpec: Readonly<Record<string, unknown>>, save: boolean): Promise<ImportPlan> {
    const spec = readSpec(rawSpec);
    const source = await this.root.resolveSource(sourceInput);
    if (this.analyses >= MAX_ANALYSES)
      throw new IoRequestError(409, `${MAX_ANALYSES} analyses are running; try again when one ends`);
    this.analyses += 1;
    let plan: ImportPlan;
    try {
      const fp = { spec: fingerprint(spec), source: fingerprint(await this.sourceState(source)) };
      const r = await this.runner.analyze({
        kind: "import",
        dataDir: this.dataDir,
        source,
        format: spec.format,
        mode: spec.mode,
        ...(spec.name ? { name: spec.name } : {}),
        ...(spec.workspace ? { workspace: spec.workspace } : {}),
        ...(spec.media ? { media: spec.media } : {}),
      });
      plan = r.ok ? planFromReport(r.report, r.schema, fp) : planFromError(spec.format, r, fp);
    } finally {
      this.analyses -= 1;
    }
    if (save) plan.plan_id = this.savePlan(source, spec);
    return plan;
  }

  /** A cheap fingerprint of a source: its top-level names (Pixano hashes file stats). */
  private async sourceState(source: string): Promise<unknown> {
    return { source, entries: (await readdir(source)).sort().slice(0, 1000) };
  }

  private savePlan(source: string, spec: ImportSpecInput): string {
    const now = Date.now() / 1000;
    for (const [id, p] of this.plans) if (p.expires < now) this.plans.delete(id);
    while (this.plans.size >= MAX_PLANS) {
      const oldest = this.plans.keys().next().value;
      if (oldest === undefined) break;
      this.plans.delete(oldest);
    }
    const id = fingerprint({ source, spec, t: now, r: Math.random() });
    this.plans.set(id, { source, spec, expires: now + PLAN_TTL_S });
    return id;
  }

  /** `POST /io/imports`: queues an import from a saved plan or a source and spec. */
  async startImport(planId: string, sourceInput: string, rawSpec: Readonly<Record<string, unknown>>): Promise<JobView> {
    if (!planId && !sourceInput) throw new IoRequestError(422, "Provide plan_id or source.");
    let source: string;
    let spec: ImportSpecInput;
    if (planId) {
      const plan = this.plans.get(planId);
      if (!plan || plan.expires < Date.now() / 1000)
        throw new IoRequestError(409, `Plan '${planId.slice(0, 64)}' not found or expired (re-analyze).`);
      // The request's spec (Pixano's wizard sends it again, with the name it asked for) wins over the plan's.
      const overrides = readSpec(rawSpec);
      spec = Object.keys(rawSpec).length > 0 ? { ...plan.spec, ...overrides } : plan.spec;
      source = sourceInput ? await this.root.resolveSource(sourceInput) : plan.source;
      if (source !== plan.source)
        throw new IoRequestError(409, "the source is not the one the plan analyzed (re-analyze)");
    } else {
      spec = readSpec(rawSpec);
      source = await this.root.resolveSource(sourceInput);
    }
    const session = this.uploads.sessionDirOf(source);
    if (!spec.name && session === source)
      throw new IoRequestError(
        422,
        "Imports from a staged upload need dataset.name (the upload folder name is opaque).",
      );
    return this.runner.submit(
      "import",
      spec.name ?? path.basename(source),
      {
        kind: "import",
        dataDir: this.dataDir,
        source,
        format: spec.format,
        mode: spec.mode,
        dryRun: false,
        ...(spec.name ? { name: spec.name } : {}),
        ...(spec.workspace ? { workspace: spec.workspace } : {}),
        ...(spec.media ? { media: spec.media } : {}),
      },
      session ?? undefined,
    );
  }

  /**
   * `POST /io/exports`: queues an export of `dataset` (its id) into `destination`, a folder under
   * the export root (relative, or absolute inside it) that must not exist or be empty.
   */
  startExport(
    datasetId: string,
    datasetName: string,
    destination: string,
    media: "files" | "uris",
    format: ExportFormat = "pixano_jsonl",
  ): JobView {
    const dest = this.exportDestination(destination);
    return this.runner.submit("export", datasetName, {
      kind: "export",
      dataDir: this.dataDir,
      dataset: datasetId,
      dest,
      media,
      format,
    });
  }

  exportDestination(destination: string): string {
    if (destination.length === 0 || destination.length > 4096 || destination.includes("\0"))
      throw new IoRequestError(422, "destination must be a folder path under the export root");
    const dest = path.resolve(this.exportRoot, destination);
    const rel = path.relative(this.exportRoot, dest);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel))
      throw new IoRequestError(422, `destination '${destination.slice(0, 200)}' is not a folder under the export root`);
    return dest;
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}
