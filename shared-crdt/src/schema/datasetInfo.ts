import { kindsInSlotOrder } from "../kinds/index.js";
import type { BuiltinKindSlot } from "../kinds/builtins.js";
import type { AnnotationKind } from "../kinds/types.js";
import { SchemaError } from "./errors.js";
import { parseManifest, tableSchemaFromManifest, type SchemaManifest, type TableSchema } from "./manifest.js";
import { PyFloat, writePythonJson } from "./pythonJson.js";
import { tableByBaseClass, type TableName } from "./tables.js";

/**
 * `info.json` (Pixano spec §3.3). We keep the parsed JSON object as it was read so that keys we
 * do not know survive a rewrite, and write known keys in Pixano's order.
 */
export const WORKSPACES = ["image", "video", "image_vqa", "image_text_entity_linking", "undefined"] as const;
export type Workspace = (typeof WORKSPACES)[number];
export const STORAGE_MODES = ["filesystem", "embedded", "mixed"] as const;

const FIXED_SLOTS = ["record", "entity", "entity_dynamic_state"] as const;
export type Slot = (typeof FIXED_SLOTS)[number] | BuiltinKindSlot;
const slotsSince = (since: AnnotationKind["since"]): Slot[] =>
  kindsInSlotOrder()
    .filter((k) => k.since === since)
    .map((k) => k.slot as Slot);

/** Component slots in `info.json` order (Pixano 0.7's, derived from the kind registry). */
export const SLOTS: readonly Slot[] = [...FIXED_SLOTS, ...slotsSince("0.7")];
/** `classification`/`relation`: 0.8's additions. */
export const SLOTS_08: readonly Slot[] = slotsSince("0.8");
/** Every slot a dataset may declare: Pixano's, then registered kinds' own (a registered kind's slot is a `Slot` at run time). */
export const ALL_SLOTS: readonly Slot[] = [...SLOTS, ...SLOTS_08, ...slotsSince("tessera")];

export interface DatasetInfo {
  id: string;
  name: string;
  description: string;
  size: string;
  preview: string;
  workspace: string;
  storage_mode: string;
  views: Record<string, SchemaManifest>;
  [key: string]: unknown;
}

/**
 * Where a key goes when Pixano writes `info.json`, then unknown ones. 0.7 files hold a subset of
 * this order; 0.8 inserts `creation_date`, `bookmarks`, `spec_version` after the head keys and
 * `classification`/`relation`/`timeseries` among the slots (read off Pixano 0.8.0-built fixtures).
 */
export const INFO_KEY_ORDER: readonly string[] = [
  "id",
  "name",
  "description",
  "size",
  "preview",
  "creation_date",
  "bookmarks",
  "workspace",
  "storage_mode",
  "spec_version",
  ...FIXED_SLOTS,
  ...kindsInSlotOrder().map((k) => k.slot),
  "timeseries",
  "views",
];

/** Parses and checks `info.json`; throws {@link SchemaError} with the offending key. */
export function parseDatasetInfo(json: unknown): DatasetInfo {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new SchemaError("invalid_manifest", "info.json: not an object");
  const o = json as Record<string, unknown>;
  if (typeof o.id !== "string" || o.id === "" || /\s/.test(o.id)) {
    throw new SchemaError("invalid_manifest", "info.json: id must be a non-empty string without spaces");
  }
  const info: DatasetInfo = {
    ...o,
    id: o.id,
    name: typeof o.name === "string" ? o.name : o.id,
    description: typeof o.description === "string" ? o.description : "",
    size: typeof o.size === "string" ? o.size : "Unknown",
    preview: typeof o.preview === "string" ? o.preview : "",
    workspace: typeof o.workspace === "string" ? o.workspace : "undefined",
    storage_mode: typeof o.storage_mode === "string" ? o.storage_mode : "embedded",
    views: {},
  };
  for (const slot of ALL_SLOTS) {
    if (slot in o) info[slot] = parseManifest(o[slot], `info.json:${slot}`);
  }
  const views = o.views ?? {};
  if (typeof views !== "object" || views === null || Array.isArray(views))
    throw new SchemaError("invalid_manifest", "info.json:views: not an object");
  for (const [name, m] of Object.entries(views)) {
    const manifest = parseManifest(m, `info.json:views.${name}`);
    if (manifest) info.views[name] = manifest;
  }
  return info;
}

/** Orders keys as Pixano writes them; unknown keys keep their relative order at the end. */
export function orderInfoKeys(info: DatasetInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of INFO_KEY_ORDER) {
    if (k in info) out[k] = info[k];
    else if ((SLOTS as readonly string[]).includes(k)) out[k] = null;
  }
  for (const [k, v] of Object.entries(info)) if (!(k in out)) out[k] = v;
  return out;
}

/** JSON text as Python's `json.dump(obj, indent=4)` writes it: 4 spaces, non-ASCII escaped. */
export function pythonJson(value: unknown): string {
  return writePythonJson(value, { indent: 4, ensureAscii: true });
}

function floatDefault(v: unknown): unknown {
  if (typeof v === "number") return new PyFloat(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "number" ? new PyFloat(x) : x));
  return v;
}

/**
 * A manifest as Pixano writes it: the `default` of a `float` field is a Python float, so `0.0`
 * stays `0.0` (not `0`) in `info.json`, `GET /info` and `dataset.yaml`. Other values are as read.
 */
export function typedManifest(m: SchemaManifest): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(m.fields)) {
    fields[name] = f.type === "float" && "default" in f ? { ...f, default: floatDefault(f.default) } : f;
  }
  return { ...m, fields };
}

/** {@link typedManifest} applied to every slot and view of an info object (other keys as they are). */
export function typedInfo(info: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...info };
  for (const slot of ALL_SLOTS) {
    const m = info[slot];
    if (m !== null && typeof m === "object" && "fields" in m) out[slot] = typedManifest(m as SchemaManifest);
  }
  const views = info.views;
  if (views !== null && typeof views === "object" && !Array.isArray(views)) {
    out.views = Object.fromEntries(
      Object.entries(views as Record<string, SchemaManifest>).map(([k, m]) => [k, typedManifest(m)]),
    );
  }
  return out;
}

export function serializeDatasetInfo(info: DatasetInfo): string {
  return pythonJson(typedInfo(orderInfoKeys(info)));
}

/** The tables a dataset declares, with its custom fields, and which table each logical view uses. */
export interface DatasetSchema {
  readonly tables: ReadonlyMap<TableName, TableSchema>;
  /** logical view name → view table (several views may share a table). */
  readonly views: ReadonlyMap<string, TableName>;
}

export function datasetSchemaOf(info: DatasetInfo, embeddingDim?: number): DatasetSchema {
  const tables = new Map<TableName, TableSchema>();
  for (const slot of ALL_SLOTS) {
    const m = info[slot] as SchemaManifest | null | undefined;
    if (!m) continue;
    const t = tableByBaseClass(m.base);
    if (!t || (t.slot !== slot && !(slot === "entity" && t.name === "entities"))) {
      throw new SchemaError(
        "bad_slot",
        `info.json:${slot}: base ${JSON.stringify(m.base)} does not belong in this slot`,
      );
    }
    tables.set(t.name, tableSchemaFromManifest(m, t.name));
  }
  if (!tables.has("records")) tables.set("records", tableSchemaFromManifest(null, "records"));
  const views = new Map<string, TableName>();
  for (const [name, m] of Object.entries(info.views)) {
    const t = tableByBaseClass(m.base);
    if (!t || t.group !== "views")
      throw new SchemaError("bad_slot", `info.json:views.${name}: ${JSON.stringify(m.base)} is not a view class`);
    const existing = tables.get(t.name);
    if (existing && existing.className !== (m.name ?? t.baseClass)) {
      throw new SchemaError(
        "bad_slot",
        `info.json:views.${name}: views sharing ${t.name} must use the same schema class`,
      );
    }
    tables.set(t.name, existing ?? tableSchemaFromManifest(m, t.name));
    views.set(name, t.name);
  }
  if (embeddingDim !== undefined) tables.set("embeddings", tableSchemaFromManifest(null, "embeddings", embeddingDim));
  return { tables, views };
}

/** The schema slots and views of Pixano's folder-builder workspace presets (spec §3.5). */
export function workspacePreset(workspace: Workspace): { slots: Slot[]; views: Record<string, string> } {
  switch (workspace) {
    case "image":
      return { slots: ["record", "entity", "bbox", "mask", "keypoint", "multi_path"], views: { image: "Image" } };
    case "video":
      return {
        slots: ["record", "entity", "entity_dynamic_state", "bbox", "mask", "keypoint", "tracklet"],
        views: { image: "SequenceFrame" },
      };
    case "image_vqa":
      return { slots: ["record", "entity", "bbox", "message"], views: { image: "Image" } };
    case "image_text_entity_linking":
      return { slots: ["record", "entity", "text_span", "bbox", "mask"], views: { image: "Image", text: "Text" } };
    case "undefined":
      return { slots: ["record", "entity"], views: {} };
  }
}
