import { promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import {
  ANNOTATION_KINDS,
  kindsInSlotOrder,
  PyFloat,
  pythonFloatRepr,
  typedManifest,
  writePythonJson,
  type Row,
  type TableName,
} from "@tessera/shared-crdt";
import type { SchemaManifest } from "@tessera/shared-crdt";
import { Dataset } from "../dataset.js";
import { Library } from "../library.js";
import { exportCoco } from "./coco/exporter.js";
import { ExportError } from "./errors.js";
import { stableId } from "./ids.js";
import { HEADER_KEY } from "./v2/grammar.js";
import type { ViewKind } from "./v2/spec.js";

const YAML = createRequire(import.meta.url)("yaml") as {
  stringify(value: unknown, options?: { customTags?: unknown[]; indentSeq?: boolean }): string;
};

/** PyYAML's float: `repr` lower-cased, `1e-05` as `1.0e-05`, `.inf`/`.nan` (`represent_float`). */
function yamlFloat(v: number): string {
  if (Number.isNaN(v)) return ".nan";
  if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
  const r = pythonFloatRepr(v).toLowerCase();
  return !r.includes(".") && r.includes("e") ? r.replace("e", ".0e") : r;
}

/**
 * `dataset.yaml` as PyYAML dumps it: {@link PyFloat} values (float field defaults) as floats
 * (`0.0`, not `0`), block sequences not indented under their key.
 */
const PY_FLOAT_TAG = {
  identify: (v: unknown) => v instanceof PyFloat,
  tag: "tag:yaml.org,2002:float",
  default: true,
  resolve: (text: string) => Number(text),
  stringify: (item: { value: unknown }) => yamlFloat((item.value as PyFloat).value),
};

/**
 * The `pixano_jsonl` exporter: `DEST/dataset.yaml` + `DEST/<split>/metadata.jsonl` (Pixano 0.8's
 * export layout, which is its import layout) + `DEST/<split>/media/<view>/<id>.<ext>` written
 * from embedded bytes. Ids are explicit (records, entities, annotations, tracklets); view, frame,
 * state and message ids are re-derived on import, and written (a Tessera extension) only where the
 * stored id is not the derived one — so re-importing gives equal ids, and exports of datasets
 * Pixano built stay plain Pixano grammar.
 */
export interface ExportOptions {
  readonly dataDir: string;
  /** Dataset id, folder name or name. */
  readonly dataset: string;
  readonly dest: string;
  /** `coco`: `instances_<split>.json` as Pixano 0.8's COCO exporter writes them. */
  readonly format?: "pixano_jsonl" | "coco";
  /** `files`: dump embedded media beside the JSONL; `uris`: keep URIs (fails on embedded media). */
  readonly media?: "files" | "uris";
  /** Records read per round of queries. */
  readonly chunk?: number;
  readonly onProgress?: (records: number, total: number) => void;
}

export interface ExportReport {
  readonly datasetId: string;
  readonly name: string;
  readonly dest: string;
  readonly splits: Record<string, number>;
  readonly records: number;
  readonly mediaFiles: number;
  readonly warnings: string[];
}

const VIEW_CLASS_KIND: Record<string, ViewKind> = {
  Image: "image",
  SequenceFrame: "sequence_frames",
  Video: "video",
  Text: "text",
  PointCloud: "point_cloud",
};
/** The kinds written as v2 annotations (`kind`, table, the row columns written back as keys). */
const V2_EXPORTS = ANNOTATION_KINDS.flatMap((k) =>
  k.io.v2 ? [{ kind: k.io.v2.key, table: k.id as TableName, fields: k.io.v2.exportFields }] : [],
);
/** Annotation slots as `dataset.yaml` lists them: Pixano 0.7's order, then 0.8's, then registered kinds'. */
const ANNOTATION_SLOTS: readonly string[] = [
  ...kindsInSlotOrder().filter((k) => k.since === "0.7"),
  ...kindsInSlotOrder().filter((k) => k.since !== "0.7"),
].map((k) => k.slot);
const VIEW_TABLES: TableName[] = ["images", "videos", "sequence_frames", "texts", "point_clouds"];
const PER_FRAME = new Set(["tracklet_id", "entity_dynamic_state_id", "frame_id", "frame_index"]);
const BASE = {
  records: new Set(["id", "split", "created_at", "updated_at", "status", "comment"]),
  entities: new Set(["id", "record_id", "parent_id"]),
  states: new Set([
    "id",
    "record_id",
    "entity_id",
    "tracklet_id",
    "source_type",
    "source_name",
    "source_metadata",
    "view_id",
    "frame_id",
    "frame_index",
  ]),
  annotation: new Set([
    "id",
    "record_id",
    "entity_id",
    "source_type",
    "source_name",
    "source_metadata",
    "view_id",
    "review_status",
    ...PER_FRAME,
  ]),
};

/** A manifest's fields as `dataset.yaml` shorthand attrs. */
function attrsOf(m: SchemaManifest | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = m?.name !== undefined ? (typedManifest(m).fields as SchemaManifest["fields"]) : {};
  for (const [name, f] of Object.entries(fields)) {
    const a: Record<string, unknown> = { type: f.type };
    if (f.collection) a.collection = true;
    if (f.required) a.required = true;
    else if (f.default !== undefined) a.default = f.default;
    out[name] = a;
  }
  return out;
}

function specOf(ds: Dataset): Record<string, unknown> {
  const info = ds.info;
  const views: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(info.views)) {
    const kind = VIEW_CLASS_KIND[m.base];
    if (!kind) continue;
    const attrs = attrsOf(m);
    views[name] = Object.keys(attrs).length > 0 ? { kind, attrs } : kind;
  }
  const schema: Record<string, unknown> = { views };
  const rec = attrsOf(info.record as SchemaManifest | null);
  if (Object.keys(rec).length > 0) schema.record = { attrs: rec };
  const ent = attrsOf(info.entity as SchemaManifest | null);
  if (Object.keys(ent).length > 0) schema.entity = { attrs: ent };
  if (info.entity_dynamic_state) {
    const a = attrsOf(info.entity_dynamic_state as SchemaManifest);
    schema.entity_dynamic_state = Object.keys(a).length > 0 ? { attrs: a } : {};
  }
  const anns: Record<string, unknown> = {};
  for (const slot of ANNOTATION_SLOTS) {
    const m = info[slot] as SchemaManifest | null | undefined;
    if (!m) continue;
    const a = attrsOf(m);
    anns[slot] = Object.keys(a).length > 0 ? { attrs: a } : {};
  }
  schema.annotations = Object.values(anns).every((v) => Object.keys(v as object).length === 0)
    ? Object.keys(anns).sort()
    : anns;
  return {
    pixano: 2,
    dataset: { name: info.name, description: info.description, workspace: info.workspace },
    format: "pixano_jsonl",
    media: { mode: "embed" },
    schema,
  };
}

async function findDataset(dataDir: string, key: string): Promise<string> {
  const lib = new Library(dataDir);
  try {
    const byId = await lib.find(key);
    if (byId) return byId.path;
    for (const s of await lib.scan())
      if (s.folder === key || s.name === key) return path.join(lib.libraryDir, s.folder);
  } finally {
    await lib.close();
  }
  throw new ExportError(
    "dataset_not_found",
    `no dataset with id, folder or name "${key}" in ${path.join(dataDir, "library")}`,
  );
}

function customOf(
  row: Row,
  base: ReadonlySet<string>,
  skip: readonly string[] = [],
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!base.has(k) && !skip.includes(k)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

interface SourcePair {
  type: string;
  name: string;
}

class Writer {
  readonly handles = new Map<string, FileHandle>();
  readonly counts: Record<string, number> = {};
  mediaFiles = 0;
  readonly warnings: string[] = [];

  constructor(
    readonly dest: string,
    readonly media: "files" | "uris",
    readonly defaultSource: SourcePair | null,
  ) {}

  async line(split: string, value: unknown): Promise<void> {
    let h = this.handles.get(split);
    if (!h) {
      await fs.mkdir(path.join(this.dest, split), { recursive: true });
      h = await fs.open(path.join(this.dest, split, "metadata.jsonl"), "w");
      this.handles.set(split, h);
      const header: Record<string, unknown> = { [HEADER_KEY]: "jsonl/2" };
      if (this.defaultSource) header.defaults = { source: this.defaultSource };
      await h.write(`${writePythonJson(header)}\n`);
    }
    // int64 cells beyond ±2^53 are bigints, written digit for digit (JSON.stringify cannot).
    await h.write(`${writePythonJson(value)}\n`);
    this.counts[split] = (this.counts[split] ?? 0) + 1;
  }

  async mediaRef(split: string, row: Row, logical: string): Promise<string> {
    const bytes = row.raw_bytes;
    if (bytes instanceof Uint8Array && bytes.length > 0) {
      if (this.media === "uris")
        throw new ExportError("unsupported_format", "media 'uris' cannot export embedded media; use media 'files'");
      const ext = (typeof row.format === "string" && row.format !== "" ? row.format : "bin").toLowerCase();
      const rel = `media/${logical}/${row.id as string}.${ext}`;
      const file = path.join(this.dest, split, rel);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, bytes);
      this.mediaFiles++;
      return rel;
    }
    return String(row.uri ?? "");
  }

  async close(): Promise<void> {
    for (const h of this.handles.values()) await h.close();
  }
}

function sourceOf(row: Row): SourcePair | undefined {
  return typeof row.source_type === "string" && row.source_type !== ""
    ? { type: row.source_type, name: (row.source_name as string) || "import" }
    : undefined;
}

/** The source most tracklets and messages carry: the header default, so lines stay short. */
async function dominantSource(ds: Dataset): Promise<SourcePair | null> {
  const tally = new Map<string, number>();
  for (const t of ["tracklets", "messages"] as const) {
    if (!ds.schema.tables.has(t)) continue;
    const rows = (await ds.query(t, { columns: ["id", "source_type", "source_name"] })).items;
    for (const r of rows) {
      const s = sourceOf(r);
      if (s) tally.set(JSON.stringify(s), (tally.get(JSON.stringify(s)) ?? 0) + 1);
    }
  }
  const best = [...tally.entries()].sort((a, b) => b[1] - a[1])[0];
  return best ? (JSON.parse(best[0]) as SourcePair) : null;
}

async function rowsByRecord(ds: Dataset, table: TableName, ids: readonly string[]): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  if (!ds.schema.tables.has(table) || !(await ds.tables()).includes(table)) return out;
  const columns = ds.schema.tables.get(table)!.columns.map((c) => c.name);
  const rows = (await ds.query(table, { filters: [{ column: "record_id", op: "in", values: ids }], columns })).items;
  for (const r of rows) {
    const list = out.get(r.record_id as string) ?? [];
    list.push(r);
    out.set(r.record_id as string, list);
  }
  return out;
}

/** Exports one dataset to `dest` (which must not exist or be empty). */
export async function exportDataset(options: ExportOptions): Promise<ExportReport> {
  const format = options.format ?? "pixano_jsonl";
  if (format !== "pixano_jsonl" && format !== "coco")
    throw new ExportError("unsupported_format", `unsupported export format ${options.format}`);
  const dir = await findDataset(options.dataDir, options.dataset);
  try {
    if ((await fs.readdir(options.dest)).length > 0)
      throw new ExportError("destination_not_empty", `destination ${options.dest} is not empty`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await fs.mkdir(options.dest, { recursive: true });
  const ds = await Dataset.open(dir);
  if (format === "coco") {
    try {
      const out = await exportCoco(ds, options.dest, options.media ?? "files", options.onProgress);
      const records = Object.values(out.splits).reduce((a, b) => a + b, 0);
      return { datasetId: ds.id, name: ds.info.name, dest: options.dest, ...out, records, warnings: [] };
    } finally {
      ds.close();
    }
  }
  const writer = new Writer(options.dest, options.media ?? "files", await dominantSource(ds).catch(() => null));
  try {
    await fs.writeFile(
      path.join(options.dest, "dataset.yaml"),
      YAML.stringify(specOf(ds), { customTags: [PY_FLOAT_TAG], indentSeq: false }),
    );
    for (const t of ["relations", "embeddings", "point_clouds", "pdfs"] as const) {
      if (ds.schema.tables.has(t) && (await ds.count(t)) > 0)
        writer.warnings.push(`${t}: not expressible in JSONL v2 yet; rows not exported`);
    }
    const total = await ds.count("records");
    const chunk = options.chunk ?? 200;
    const recordColumns = ds.schema.tables.get("records")!.columns.map((c) => c.name);
    let done = 0;
    for (let offset = 0; offset < total; offset += chunk) {
      const records = (await ds.query("records", { offset, limit: chunk, columns: recordColumns })).items;
      const ids = records.map((r) => r.id as string);
      const tables = new Map<TableName, Map<string, Row[]>>();
      for (const t of ds.schema.tables.keys()) {
        if (t === "records" || t === "relations" || t === "embeddings") continue;
        tables.set(t, await rowsByRecord(ds, t, ids));
      }
      for (const rec of records) {
        const of = (t: TableName) => tables.get(t)?.get(rec.id as string) ?? [];
        await writer.line(rec.split as string, await recordLine(writer, rec, of));
        done++;
        options.onProgress?.(done, total);
      }
    }
  } finally {
    await writer.close();
    ds.close();
  }
  return {
    datasetId: ds.id,
    name: ds.info.name,
    dest: options.dest,
    splits: writer.counts,
    records: Object.values(writer.counts).reduce((a, b) => a + b, 0),
    mediaFiles: writer.mediaFiles,
    warnings: writer.warnings,
  };
}

async function recordLine(w: Writer, rec: Row, of: (t: TableName) => Row[]): Promise<Record<string, unknown>> {
  const recordId = rec.id as string;
  const split = rec.split as string;
  const line: Record<string, unknown> = { id: recordId };
  const attrs: Record<string, unknown> = customOf(rec, BASE.records) ?? {};
  if (rec.status !== "new") attrs.status = rec.status;
  if (rec.comment !== "") attrs.comment = rec.comment;
  if (Object.keys(attrs).length > 0) line.attrs = attrs;

  const logical = new Map<string, string>();
  const views: Record<string, unknown> = {};
  const frames = new Map<string, Row[]>();
  for (const t of VIEW_TABLES) {
    for (const row of of(t)) {
      const name = row.logical_name as string;
      logical.set(row.id as string, name);
      if (t === "sequence_frames") frames.set(name, [...(frames.get(name) ?? []), row]);
      else if (t === "texts") {
        const p: Record<string, unknown> =
          row.content !== "" || row.uri === "" ? { content: row.content } : { uri: row.uri };
        if (row.id !== stableId(recordId, "view", name)) p.id = row.id;
        views[name] = p;
      } else if (t === "videos") {
        const p: Record<string, unknown> = {
          uri: await w.mediaRef(split, row, name),
          fps: row.fps,
          from_timestamp: row.from_timestamp,
          to_timestamp: row.to_timestamp,
        };
        if (row.id !== stableId(recordId, "view", name)) p.id = row.id;
        views[name] = p;
      } else if (t === "images") {
        const p: Record<string, unknown> = {
          uri: await w.mediaRef(split, row, name),
          width: row.width,
          height: row.height,
        };
        if (row.id !== stableId(recordId, "view", name)) p.id = row.id;
        views[name] = p;
      }
    }
  }
  for (const [name, list] of frames) {
    list.sort((a, b) => (a.frame_index as number) - (b.frame_index as number));
    const out: Array<Record<string, unknown>> = [];
    for (const row of list) {
      const f: Record<string, unknown> = {
        uri: await w.mediaRef(split, row, name),
        frame_index: row.frame_index,
        timestamp: row.timestamp,
      };
      if (row.id !== stableId(recordId, "view", name, row.frame_index as number)) f.id = row.id;
      out.push(f);
    }
    views[name] = { frames: out };
  }
  line.views = views;
  const viewNames = [...new Set(logical.values())];
  const defaultView = viewNames[0] ?? "";

  const entities = new Map<string, Record<string, unknown>>();
  const push = (e: Record<string, unknown>, key: string, v: unknown) => ((e[key] ??= []) as unknown[]).push(v);
  for (const row of of("entities")) {
    const e: Record<string, unknown> = { id: row.id };
    if (row.parent_id) e.parent_id = row.parent_id;
    const a = customOf(row, BASE.entities);
    if (a) e.attrs = a;
    entities.set(row.id as string, e);
  }
  for (const row of of("tracklets")) {
    const e = entities.get(row.entity_id as string);
    if (!e) continue;
    const t: Record<string, unknown> = {
      id: row.id,
      view: logical.get(row.view_id as string) ?? defaultView,
      start_timestep: row.start_timestep,
      end_timestep: row.end_timestep,
      start_timestamp: row.start_timestamp,
      end_timestamp: row.end_timestamp,
    };
    const s = sourceOf(row);
    if (s && JSON.stringify(s) !== JSON.stringify(w.defaultSource)) t.source = s;
    push(e, "tracklets", t);
  }
  const stateCount = new Map<string, number>();
  for (const row of of("entity_dynamic_states")) {
    const e = entities.get(row.entity_id as string);
    if (!e) continue;
    const ordinal = stateCount.get(row.entity_id as string) ?? 0;
    stateCount.set(row.entity_id as string, ordinal + 1);
    const s: Record<string, unknown> = { frame_index: row.frame_index };
    const a = customOf(row, BASE.states);
    if (a) s.attrs = a;
    if (row.id !== stableId(row.entity_id as string, "state", ordinal)) s.id = row.id;
    push(e, "states", s);
  }
  for (const { kind, table, fields } of V2_EXPORTS) {
    for (const row of of(table)) {
      const e = entities.get(row.entity_id as string);
      if (!e) continue;
      const p: Record<string, unknown> = { kind, id: row.id };
      const view = logical.get(row.view_id as string);
      if (view) p.view = view;
      if (typeof row.frame_index === "number" && row.frame_index >= 0) p.frame_index = row.frame_index;
      const s = sourceOf(row);
      if (s) p.source = s;
      if (kind === "mask") p.rle = { size: row.size, counts: row.counts };
      else for (const f of fields) p[f] = row[f];
      const a = customOf(row, BASE.annotation, fields);
      const attrs: Record<string, unknown> = { ...(a ?? {}) };
      if (row.source_metadata !== undefined && row.source_metadata !== "{}")
        attrs.source_metadata = row.source_metadata;
      if (Object.keys(attrs).length > 0) p.attrs = attrs;
      push(e, "annotations", p);
    }
  }
  if (entities.size > 0) line.entities = [...entities.values()];

  const conversations = new Map<string, Row[]>();
  for (const row of of("messages"))
    conversations.set(row.conversation_id as string, [
      ...(conversations.get(row.conversation_id as string) ?? []),
      row,
    ]);
  if (conversations.size > 0) {
    line.conversations = [...conversations.entries()].map(([id, msgs]) => {
      let question = -1;
      return {
        id,
        messages: msgs.map((m, i) => {
          const derived = m.type === "QUESTION" ? ++question : m.type === "ANSWER" ? Math.max(question, 0) : 0;
          const out: Record<string, unknown> = { type: m.type, content: m.content };
          if (m.question_type) out.question_type = m.question_type;
          if ((m.choices as string[]).length > 0) out.choices = m.choices;
          if (m.user) out.user = m.user;
          const view = logical.get(m.view_id as string);
          if (view) out.views = [view];
          if (m.id !== stableId(id, "msg", i)) out.id = m.id;
          if (m.number !== derived) out.number = m.number;
          if ((m.entity_ids as string[]).length > 0) out.entity_ids = m.entity_ids;
          const s = sourceOf(m);
          if (s && JSON.stringify(s) !== JSON.stringify(w.defaultSource)) out.source = s;
          return out;
        }),
      };
    });
  }
  return line;
}
