import { promises as fs } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { kindsInSlotOrder } from "@tessera/shared-crdt";
import type { schema } from "@tessera/shared-crdt";
import { ImportError, pointerJoin } from "../errors.js";
import { buildTarget, manifest, type ImportTarget } from "../target.js";
import { Checker } from "./check.js";

type SchemaManifest = schema.SchemaManifest;
type FieldPayload = schema.FieldPayload;
type Slot = schema.Slot;

const YAML = createRequire(import.meta.url)("yaml") as { parse(text: string): unknown };

/**
 * `dataset.yaml`, Pixano 0.8's declarative import spec (spec §5.3): dataset name/workspace, media
 * policy, id namespace and a schema shorthand compiled onto the workspace preset, exactly as
 * Pixano's `SchemaSpec.compile` does (custom fields become a `Custom<Base>` class manifest).
 */
export type ViewKind = "image" | "sequence_frames" | "video" | "text" | "point_cloud";

export interface ImportSpec {
  readonly name: string;
  readonly description: string;
  readonly workspace: string;
  readonly media: { readonly mode: "embed" | "uri"; readonly uriPrefix?: string };
  readonly namespace?: string;
  /** Logical view name → kind. */
  readonly viewKinds: ReadonlyMap<string, ViewKind>;
  readonly target: ImportTarget;
}

const VIEW_CLASS: Record<ViewKind, string> = {
  image: "Image",
  sequence_frames: "SequenceFrame",
  video: "Video",
  text: "Text",
  point_cloud: "PointCloud",
};
const VIEW_KINDS = Object.keys(VIEW_CLASS) as ViewKind[];

/** Annotation slot → Pixano base class, from the kind registry (Pixano 0.7's slots, then 0.8's, then registered kinds'). */
const SLOT_BASE: Partial<Record<Slot, string>> = Object.fromEntries(
  [...kindsInSlotOrder().filter((k) => k.since === "0.7"), ...kindsInSlotOrder().filter((k) => k.since !== "0.7")].map(
    (k) => [k.slot, k.baseClass],
  ),
);
const ANNOTATION_SLOTS = Object.keys(SLOT_BASE) as Slot[];
const WORKSPACES = ["image", "video", "image_vqa", "image_text_entity_linking", "undefined"] as const;

const MEL_NAME: Record<string, FieldPayload> = {
  name: { collection: false, type: "str", required: false, default: "" },
};

interface Preset {
  slots: Partial<Record<Slot, SchemaManifest | null>>;
  views: Record<string, SchemaManifest>;
  /** Fields the preset's entity class adds over `Entity` (MEL's `name`). */
  entityFields: Record<string, FieldPayload>;
  entityClass?: string;
}

/** Pixano 0.8's `workspace_preset` (the deleted folder builders' DEFAULT_INFOs, as data). */
function pixano08Preset(workspace: string): Preset {
  const base = { record: manifest("Record"), entity: manifest("Entity") };
  switch (workspace) {
    case "image":
      return {
        slots: { ...base, bbox: manifest("BBox"), keypoint: manifest("KeyPoints") },
        views: { image: manifest("Image") },
        entityFields: {},
      };
    case "video":
      return {
        slots: {
          ...base,
          entity_dynamic_state: manifest("EntityDynamicState"),
          bbox: manifest("BBox"),
          keypoint: manifest("KeyPoints"),
          tracklet: manifest("Tracklet"),
        },
        views: { image: manifest("SequenceFrame") },
        entityFields: {},
      };
    case "image_vqa":
      return {
        slots: { ...base, message: manifest("Message") },
        views: { image: manifest("Image") },
        entityFields: {},
      };
    case "image_text_entity_linking":
      return {
        slots: {
          record: manifest("Record"),
          entity: manifest("Entity", MEL_NAME, "MelEntity"),
          text_span: manifest("TextSpan"),
          bbox: manifest("BBox"),
          mask: manifest("CompressedRLE"),
        },
        views: { image: manifest("Image"), text: manifest("Text") },
        entityFields: MEL_NAME,
        entityClass: "MelEntity",
      };
    default:
      return { slots: base, views: { image: manifest("Image") }, entityFields: {} };
  }
}

const ATTR_TYPES = ["str", "int", "float", "bool", "datetime", "bytes"] as const;
const ZERO: Record<string, unknown> = { str: "", int: 0, float: 0, bool: false };

/** One shorthand attr (`weather: str` or `{type, collection?, required?, default?}`) → manifest payload. */
function attrPayload(c: Checker, value: unknown, pointer: string): FieldPayload {
  const o =
    typeof value === "string"
      ? { type: value }
      : c.object(value, pointer, ["type", "collection", "required", "default"]);
  const type = c.oneOf(o.type, pointerJoin(pointer, "type"), ATTR_TYPES);
  const collection = c.optBool(o, "collection", pointer) ?? false;
  if (c.optBool(o, "required", pointer) === true) return { collection, type, required: true };
  if (o.default !== undefined) {
    if (collection && !Array.isArray(o.default))
      c.fail(pointerJoin(pointer, "default"), "a collection default must be a list");
    return { collection, type, required: false, default: o.default };
  }
  if (collection) return { collection, type, required: false, default: [] };
  if (type in ZERO) return { collection, type, required: false, default: ZERO[type] };
  return { collection, type, required: true };
}

function attrsOf(c: Checker, block: unknown, pointer: string): Record<string, FieldPayload> {
  if (block === undefined || block === null) return {};
  const o = c.object(block, pointer, ["attrs"]);
  if (o.attrs === undefined || o.attrs === null) return {};
  const attrs = c.object(o.attrs, pointerJoin(pointer, "attrs"));
  const out: Record<string, FieldPayload> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = attrPayload(c, v, pointerJoin(pointerJoin(pointer, "attrs"), k));
  return out;
}

/** Pixano's `_synthesize(base, attrs)`: a `Custom<Class>` manifest extending the preset class. */
function synthesize(
  base: string,
  className: string,
  inherited: Record<string, FieldPayload>,
  attrs: Record<string, FieldPayload>,
): SchemaManifest {
  return manifest(base, { ...inherited, ...attrs }, `Custom${className}`);
}

/** Reads and compiles `SOURCE/dataset.yaml` (or a spec object, for tests and media-only sources). */
export async function loadSpec(
  sourceDir: string,
  overrides: { name?: string; workspace?: string; now?: () => Date } = {},
): Promise<ImportSpec> {
  const file = path.join(sourceDir, "dataset.yaml");
  let raw: unknown = {};
  let text: string | undefined;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) {
    try {
      raw = YAML.parse(text) ?? {};
    } catch (err) {
      throw new ImportError("invalid_spec", `invalid YAML: ${(err as Error).message}`, { file: "dataset.yaml" });
    }
  }
  return compileSpec(raw, path.basename(path.resolve(sourceDir)), overrides);
}

function compileSpec(
  raw: unknown,
  sourceName: string,
  overrides: { name?: string; workspace?: string; now?: () => Date } = {},
): ImportSpec {
  const c = new Checker("dataset.yaml");
  const o = c.object(raw, "", [
    "pixano",
    "dataset",
    "format",
    "media",
    "schema",
    "schema_manifest",
    "defaults",
    "ids",
    "mode",
    "options",
  ]);
  if (o.pixano !== undefined && o.pixano !== 2)
    c.fail("/pixano", `unsupported spec version ${JSON.stringify(o.pixano)} (expected 2)`, "invalid_spec");
  const ds = o.dataset === undefined ? {} : c.object(o.dataset, "/dataset", ["name", "description", "workspace"]);
  const workspace =
    overrides.workspace ??
    (ds.workspace === undefined ? "undefined" : c.oneOf(ds.workspace, "/dataset/workspace", WORKSPACES));
  const name = overrides.name ?? c.optString(ds, "name", "/dataset") ?? sourceName;
  const description = c.optString(ds, "description", "/dataset") ?? "";
  const media = o.media === undefined ? {} : c.object(o.media, "/media", ["mode", "uri_prefix"]);
  const mode = media.mode === undefined ? "embed" : c.oneOf(media.mode, "/media/mode", ["embed", "uri"] as const);
  const uriPrefix = c.optString(media, "uri_prefix", "/media");
  const ids = o.ids === undefined ? {} : c.object(o.ids, "/ids", ["policy", "namespace"]);
  const namespace = c.optString(ids, "namespace", "/ids");
  if (o.schema_manifest !== undefined)
    c.fail("/schema_manifest", "schema_manifest is not supported yet; use the schema shorthand", "invalid_spec");

  const preset = pixano08Preset(workspace);
  const slots: Partial<Record<Slot, SchemaManifest | null>> = { ...preset.slots };
  let views: Record<string, SchemaManifest> = { ...preset.views };
  if (o.schema !== undefined && o.schema !== null) {
    const s = c.object(o.schema, "/schema", ["views", "record", "entity", "entity_dynamic_state", "annotations"]);
    const recordAttrs = attrsOf(c, s.record, "/schema/record");
    if (Object.keys(recordAttrs).length > 0) slots.record = synthesize("Record", "Record", {}, recordAttrs);
    const entityAttrs = attrsOf(c, s.entity, "/schema/entity");
    if (Object.keys(entityAttrs).length > 0) {
      slots.entity = synthesize("Entity", preset.entityClass ?? "Entity", preset.entityFields, entityAttrs);
    }
    if (s.entity_dynamic_state !== undefined && s.entity_dynamic_state !== null) {
      const edsAttrs = attrsOf(c, s.entity_dynamic_state, "/schema/entity_dynamic_state");
      slots.entity_dynamic_state =
        Object.keys(edsAttrs).length > 0
          ? synthesize("EntityDynamicState", "EntityDynamicState", {}, edsAttrs)
          : manifest("EntityDynamicState");
    }
    if (s.annotations !== undefined && s.annotations !== null) {
      const anns: Record<string, unknown> = Array.isArray(s.annotations)
        ? Object.fromEntries(c.strings(s.annotations, "/schema/annotations").map((k) => [k, {}]))
        : c.object(s.annotations, "/schema/annotations");
      if (Object.keys(anns).length > 0) {
        for (const slot of ANNOTATION_SLOTS) slots[slot] = null;
        for (const [slot, spec] of Object.entries(anns)) {
          const p = pointerJoin("/schema/annotations", slot);
          if (!(ANNOTATION_SLOTS as string[]).includes(slot)) {
            c.fail(p, `unknown annotation slot "${slot}" (known: ${ANNOTATION_SLOTS.join(", ")})`, "invalid_spec");
          }
          const base = SLOT_BASE[slot as Slot]!;
          const attrs = attrsOf(c, spec, p);
          slots[slot as Slot] = Object.keys(attrs).length > 0 ? synthesize(base, base, {}, attrs) : manifest(base);
        }
      }
    }
    if (s.views !== undefined && s.views !== null) {
      const v = c.object(s.views, "/schema/views");
      if (Object.keys(v).length > 0) {
        views = {};
        const byKind = new Map<ViewKind, SchemaManifest>();
        for (const [logical, spec] of Object.entries(v)) {
          const p = pointerJoin("/schema/views", logical);
          const vo = typeof spec === "string" ? { kind: spec } : c.object(spec, p, ["kind", "attrs"]);
          const kind = c.oneOf(vo.kind, pointerJoin(p, "kind"), VIEW_KINDS);
          const attrs = attrsOf(c, { attrs: vo.attrs }, p);
          const m =
            Object.keys(attrs).length > 0
              ? synthesize(VIEW_CLASS[kind], VIEW_CLASS[kind], {}, attrs)
              : manifest(VIEW_CLASS[kind]);
          const existing = byKind.get(kind);
          if (existing && JSON.stringify(existing) !== JSON.stringify(m)) {
            c.fail(p, `views of kind "${kind}" share one table and must declare identical attrs`, "invalid_spec");
          }
          byKind.set(kind, existing ?? m);
          views[logical] = existing ?? m;
        }
      }
    }
  }
  const viewKinds = new Map<string, ViewKind>();
  for (const [logical, m] of Object.entries(views)) {
    const kind = VIEW_KINDS.find((k) => VIEW_CLASS[k] === m.base);
    if (kind) viewKinds.set(logical, kind);
  }
  const target = buildTarget({
    name,
    description,
    workspace,
    slots,
    views,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  return {
    name,
    description,
    workspace,
    media: uriPrefix === undefined ? { mode } : { mode, uriPrefix },
    ...(namespace !== undefined ? { namespace } : {}),
    viewKinds,
    target,
  };
}
