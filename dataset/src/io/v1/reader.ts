import path from "node:path";
import {
  ANNOTATION_KINDS,
  isTimestampString,
  workspacePreset,
  WORKSPACES,
  type TableName,
  type Workspace,
} from "@tessera/shared-crdt";
import type { schema } from "@tessera/shared-crdt";
import { ImportError, type SourceLocation } from "../errors.js";
import { stableId } from "../ids.js";
import { describeField, FieldInference } from "../infer.js";
import { isPlainObject, readJsonLines } from "../jsonl.js";
import { isFile, isImageFile, isRemoteUri, listFilesRecursive } from "../media.js";
import { stemOf } from "../sidecars.js";
import type {
  ImportWarning,
  InferredFieldReport,
  PendingRow,
  ReaderOptions,
  RecordBundle,
  SourceReader,
} from "../source.js";
import { buildTarget, manifest, type ImportTarget } from "../target.js";
import { imageRow } from "../viewRows.js";
import { splitAnnotation, v1Table } from "./annotations.js";
import { normalizeLine, type NormalizeContext, type V1Line, type V1ViewKind } from "./normalize.js";
import { buildV1Rows, resolveFrames, resolveSingle, type V1Context } from "./rows.js";

type SchemaManifest = schema.SchemaManifest;
type Slot = schema.Slot;

/**
 * Pixano 0.7's folder format v1 (`SOURCE/<split>/metadata.jsonl` + media) and bare media folders.
 * Opening reads all metadata once: it checks every line and media path, and infers the custom
 * record / entity / annotation fields (kept as columns, declared in the `info.json` manifests).
 * `bundles()` reads it again and builds rows with embedded media.
 */
const METADATA_FILE = "metadata.jsonl";

/** Slot → Pixano base class: the fixed slots, then every annotation kind's. */
const SLOT_BASE: Record<string, string> = {
  record: "Record",
  entity: "Entity",
  entity_dynamic_state: "EntityDynamicState",
  ...Object.fromEntries(ANNOTATION_KINDS.map((k) => [k.slot, k.baseClass])),
};
const VIEW_KIND: Record<string, V1ViewKind> = { Image: "image", SequenceFrame: "sequence_frames", Text: "text" };
/** Table → slot of the tables a v1 import may infer custom fields for (tracklets and messages are derived). */
const SLOT_OF_TABLE: Partial<Record<TableName, Slot>> = {
  records: "record",
  entities: "entity",
  entity_dynamic_states: "entity_dynamic_state",
  ...Object.fromEntries(ANNOTATION_KINDS.filter((k) => k.io.v1 !== undefined).map((k) => [k.id, k.slot as Slot])),
};

interface SplitPlan {
  readonly name: string;
  /** Folder holding the split (the source itself for media at its top level). */
  readonly dir: string;
  readonly metadata: boolean;
  readonly count: number;
  readonly files?: string[];
}

function toWorkspace(w: string | undefined): Workspace {
  const ws = w ?? "image";
  if (!(WORKSPACES as readonly string[]).includes(ws) || ws === "undefined") {
    throw new ImportError(
      "invalid_spec",
      `unknown workspace "${ws}" (expected image, video, image_vqa or image_text_entity_linking)`,
    );
  }
  return ws as Workspace;
}

/** Base fields of a table that metadata may set directly (not custom). */
const BASE_FIELDS: Partial<Record<TableName, readonly string[]>> = {
  records: ["status", "comment", "created_at", "updated_at"],
  entities: [],
  entity_dynamic_states: [],
};

class Inference {
  readonly tables = new Map<TableName, FieldInference>();
  constructor(private readonly reserved: (table: TableName) => ReadonlySet<string>) {}

  observe(table: TableName, fields: Record<string, unknown>, where: SourceLocation): void {
    const reserved = this.reserved(table);
    for (const [k, v] of Object.entries(fields)) {
      if (reserved.has(k)) continue;
      let inf = this.tables.get(table);
      if (!inf) this.tables.set(table, (inf = new FieldInference(table)));
      inf.observe(k, v, where);
    }
  }
}

class V1Reader implements SourceReader {
  readonly splits: Map<string, number>;

  constructor(
    readonly format: "pixano_v1" | "media",
    readonly sourceDir: string,
    readonly target: ImportTarget,
    private readonly views: ReadonlyMap<string, V1ViewKind>,
    private readonly plans: SplitPlan[],
    readonly inferred: InferredFieldReport[],
    readonly warnings: ImportWarning[],
    private readonly options: ReaderOptions,
  ) {
    this.splits = new Map(plans.map((p) => [p.name, p.count]));
  }

  async *bundles(): AsyncGenerator<RecordBundle> {
    const ctx: V1Context = {
      sourceDir: this.sourceDir,
      namespace: path.basename(path.resolve(this.sourceDir)),
      views: this.views,
      schema: this.target.schema,
      useImageNameAsId: this.options.useImageNameAsId ?? false,
      previews: !this.options.skipPreviews,
      warn: (message, location) => this.warnings.push({ code: "conversion", message, location }),
    };
    const norm = this.normalizeContext();
    for (const plan of this.plans) {
      if (!plan.metadata) {
        const view = this.views.keys().next().value!;
        for (const rel of plan.files ?? []) {
          const recordId = stemOf(rel);
          const where = { file: path.relative(this.sourceDir, path.join(plan.dir, rel)) };
          const rows: PendingRow[] = [
            { table: "records", row: { id: recordId, split: plan.name } },
            {
              table: "images",
              row: await imageRow({
                id: ctx.useImageNameAsId ? recordId : stableId(recordId, "view", view),
                recordId,
                logicalName: view,
                media: path.join(plan.dir, rel),
                where,
                preview: ctx.previews,
              }),
            },
          ];
          yield { split: plan.name, location: where, rows };
        }
        continue;
      }
      const file = `${plan.name}/${METADATA_FILE}`;
      let index = 0;
      for await (const { line, value } of readJsonLines(path.join(plan.dir, METADATA_FILE), file)) {
        const l = normalizeLine({ ...norm, file }, value, line);
        const recordId =
          l.id ??
          (ctx.useImageNameAsId
            ? `record_${plan.name}_${index}`
            : stableId(ctx.namespace, plan.name, "metadata", line));
        index++;
        yield {
          split: l.split ?? plan.name,
          location: { file, line },
          rows: await buildV1Rows(ctx, l, plan.name, recordId, file),
        };
      }
    }
  }

  private normalizeContext(): Omit<NormalizeContext, "file"> {
    return {
      views: this.views,
      entitySlot: this.target.schema.tables.has("entities"),
      messageSlot: this.target.schema.tables.has("messages"),
    };
  }
}

async function listDirs(dir: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

async function topLevelImages(dir: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith(".") && isImageFile(e.name))
    .map((e) => e.name)
    .sort();
}

/** Checks the media a v1 line names exist (frames resolved, files not read). */
async function checkLineMedia(
  ctx: V1Context,
  line: V1Line,
  split: string,
  file: string,
): Promise<{ local: number; remote: number }> {
  let local = 0;
  let remote = 0;
  for (const [name, { value, pointer }] of line.views) {
    const where = { file, line: line.line, pointer };
    const kind = ctx.views.get(name);
    if (kind === "sequence_frames") local += (await resolveFrames(ctx, split, value, where)).length;
    else if (kind === "text" && isPlainObject(value) && typeof value.content === "string") continue;
    else if (isRemoteUri(await resolveSingle(ctx, split, value, where))) remote++;
    else local++;
  }
  return { local, remote };
}

/** Opens a v1 folder (or, with `mediaOnly`, a folder of images without metadata). */
export async function openV1(sourceDir: string, options: ReaderOptions = {}, mediaOnly = false): Promise<SourceReader> {
  const workspace = toWorkspace(options.workspace);
  const preset = workspacePreset(workspace);
  const views = new Map<string, V1ViewKind>();
  for (const [name, cls] of Object.entries(preset.views)) {
    const kind = VIEW_KIND[cls];
    if (kind) views.set(name, kind);
  }
  const mel = workspace === "image_text_entity_linking";
  const baseManifests: Partial<Record<Slot, SchemaManifest>> = {};
  for (const slot of preset.slots) baseManifests[slot] = manifest(SLOT_BASE[slot]!);
  if (mel)
    baseManifests.entity = manifest(
      "Entity",
      { name: { collection: false, type: "str", required: false, default: "" } },
      "MelEntity",
    );

  // Reserved names per table: the columns of the base table (custom fields only extend them).
  const probe = buildTarget({
    name: "probe",
    workspace,
    slots: baseManifests,
    views: Object.fromEntries([...Object.entries(preset.views)].map(([n, c]) => [n, manifest(c)])),
  });
  const reserved = (t: TableName) =>
    new Set([...(probe.schema.tables.get(t)?.columns.map((c) => c.name) ?? []), ...(BASE_FIELDS[t] ?? [])]);
  const inference = new Inference(reserved);
  const warnings: ImportWarning[] = [];
  const ctx: V1Context = {
    sourceDir,
    namespace: path.basename(path.resolve(sourceDir)),
    views,
    schema: probe.schema,
    useImageNameAsId: options.useImageNameAsId ?? false,
    previews: false,
    warn: (message, location) => warnings.push({ code: "conversion", message, location }),
  };
  const norm: Omit<NormalizeContext, "file"> = {
    views,
    entitySlot: probe.schema.tables.has("entities"),
    messageSlot: probe.schema.tables.has("messages"),
  };

  const plans: SplitPlan[] = [];
  const recordIds = new Map<string, string>();
  const claim = (id: string, where: SourceLocation) => {
    const prev = recordIds.get(id);
    const here = `${where.file}${where.line !== undefined ? `:${where.line}` : ""}`;
    if (prev !== undefined)
      throw new ImportError("duplicate_id", `record id "${id}" is already used by ${prev}`, where);
    recordIds.set(id, here);
  };
  let local = 0;
  let remote = 0;
  const firstView = views.keys().next().value;
  const mediaSplit = async (name: string, dir: string, files: string[]) => {
    if (firstView === undefined || views.get(firstView) !== "image") {
      throw new ImportError(
        "invalid_spec",
        `split "${name}" has no ${METADATA_FILE}; media-only import needs an image workspace`,
        { file: name },
      );
    }
    for (const f of files) claim(stemOf(f), { file: path.relative(sourceDir, path.join(dir, f)) });
    plans.push({ name, dir, metadata: false, count: files.length, files });
    local += files.length;
  };
  if (mediaOnly) {
    const top = await topLevelImages(sourceDir);
    if (top.length > 0) await mediaSplit("default", sourceDir, top);
  }
  for (const split of await listDirs(sourceDir)) {
    const dir = path.join(sourceDir, split);
    if (!(await isFile(path.join(dir, METADATA_FILE)))) {
      const files = (await listFilesRecursive(dir)).filter(isImageFile);
      if (files.length > 0) await mediaSplit(split, dir, files);
      continue;
    }
    const file = `${split}/${METADATA_FILE}`;
    let count = 0;
    for await (const { line, value } of readJsonLines(path.join(dir, METADATA_FILE), file)) {
      const l = normalizeLine({ ...norm, file }, value, line);
      const where = (pointer: string): SourceLocation => ({ file, line, pointer });
      if (l.id !== undefined) claim(l.id, where("/id"));
      for (const k of ["created_at", "updated_at"]) {
        const v = l.fields[k];
        if (v !== undefined && (typeof v !== "string" || !isTimestampString(v))) {
          throw new ImportError(
            "invalid_value",
            `${k} must be an ISO timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff])`,
            where(`/${k}`),
          );
        }
      }
      inference.observe("records", l.fields, where(""));
      for (const e of l.entities) {
        inference.observe("entities", e.fields, where(e.pointer));
        for (const s of e.states) inference.observe("entity_dynamic_states", s.fields, where(s.pointer));
        for (const g of e.groups)
          for (const a of g.annotations)
            inference.observe(v1Table(a.kind), splitAnnotation(a.kind, a.value).custom, where(a.pointer));
      }
      const m = await checkLineMedia(ctx, l, split, file);
      local += m.local;
      remote += m.remote;
      count++;
    }
    plans.push({ name: split, dir, metadata: true, count });
  }
  if (plans.length === 0) {
    throw new ImportError(
      "invalid_spec",
      mediaOnly ? "no image file found" : `no split folder with ${METADATA_FILE} found`,
      { file: sourceDir },
    );
  }

  const slots: Partial<Record<Slot, SchemaManifest | null>> = { ...baseManifests };
  const inferred: InferredFieldReport[] = [];
  for (const [table, inf] of inference.tables) {
    const slot = SLOT_OF_TABLE[table];
    if (!slot || inf.size === 0) continue;
    const base = slots[slot];
    if (!base) {
      const first = inf.list()[0]!;
      throw new ImportError(
        "schema_mismatch",
        `field "${first.name}" is set on ${table}, which the ${workspace} workspace does not have`,
        first.firstSeen,
      );
    }
    const className = base.name ?? SLOT_BASE[slot]!;
    slots[slot] = manifest(base.base, { ...base.fields, ...inf.payloads() }, `Custom${className}`);
    for (const f of inf.list()) {
      inferred.push({ table, name: f.name, type: describeField(f), count: f.count });
      if (f.scalar === null)
        warnings.push({
          code: "unknown_type",
          message: `${table} field "${f.name}" only holds null or empty lists; typed as ${describeField(f)}`,
          location: f.firstSeen,
        });
    }
  }
  const storageMode = remote === 0 ? "embedded" : local === 0 ? "filesystem" : "mixed";
  const target = buildTarget({
    name: options.name ?? path.basename(path.resolve(sourceDir)),
    workspace,
    slots,
    views: Object.fromEntries(Object.entries(preset.views).map(([n, c]) => [n, manifest(c)])),
    storageMode,
    ...(options.now ? { now: options.now } : {}),
  });
  return new V1Reader(mediaOnly ? "media" : "pixano_v1", sourceDir, target, views, plans, inferred, warnings, options);
}
