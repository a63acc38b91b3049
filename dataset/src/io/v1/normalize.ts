import { ANNOTATION_KINDS } from "@tessera/shared-crdt";
import { ImportError, pointerJoin } from "../errors.js";
import { isPlainObject } from "../jsonl.js";

/**
 * Pixano 0.7's folder `metadata.jsonl` (spec §5.2) is lenient: case-insensitive keys, view
 * aliases (`<view>_image`, a nested `views` object), `objects`/`object` for `entities`,
 * `conversations` for `messages`, bare bbox lists, a "dict of lists" entity form. This module
 * turns one line into a canonical {@link V1Line}; unknown top-level keys are custom record
 * fields, unknown entity keys custom entity fields — nothing is dropped.
 */
/** A v1 annotation kind: the `io.v1.key` of an annotation kind (`bbox`, `mask`, `keypoints`, …). */
export type V1Kind = string;
export type V1ViewKind = "image" | "sequence_frames" | "text";

/** Every v1 entity key that names an annotation (a kind's key and its aliases) → the kind's key. */
const KIND_ALIASES: ReadonlyMap<string, V1Kind> = new Map(
  ANNOTATION_KINDS.flatMap((k) => {
    const v1 = k.io.v1;
    return v1 ? [v1.key, ...v1.aliases].map((alias) => [alias, v1.key] as const) : [];
  }),
);

/** The v1 annotation keys for error messages: each kind's key, its aliases in parentheses. */
const KNOWN_KINDS = ANNOTATION_KINDS.flatMap((k) =>
  k.io.v1 ? [k.io.v1.aliases.length > 0 ? `${k.io.v1.key} (${k.io.v1.aliases.join(", ")})` : k.io.v1.key] : [],
).join(", ");

interface V1Annotation {
  readonly kind: V1Kind;
  /** The alias used (`polygon`, `polyline`, … shape the conversion). */
  readonly key: string;
  readonly value: unknown;
  readonly pointer: string;
}

interface V1Group {
  readonly view: string;
  readonly frameIndex?: number;
  readonly pointer: string;
  readonly annotations: V1Annotation[];
}

interface V1State {
  readonly frameIndex: number;
  readonly fields: Record<string, unknown>;
  readonly pointer: string;
}

interface V1Entity {
  readonly pointer: string;
  readonly id?: string;
  readonly parentId?: string;
  /** Custom entity fields (category, …). */
  readonly fields: Record<string, unknown>;
  readonly groups: V1Group[];
  readonly states: V1State[];
}

export interface V1Line {
  readonly line: number;
  readonly id?: string;
  readonly split?: string;
  /** Record fields: `status`, `comment` and custom fields. */
  readonly fields: Record<string, unknown>;
  readonly fps: number;
  /** Logical view → raw media value (path, glob, list, `{content}`), with its pointer. */
  readonly views: Map<string, { value: unknown; pointer: string }>;
  readonly entities: V1Entity[];
  readonly messages?: { value: unknown; pointer: string };
  /** Video sidecar globs. */
  readonly maskSidecar?: { pattern: string; pointer: string };
  readonly bboxSidecar?: { pattern: string; pointer: string };
}

export interface NormalizeContext {
  readonly file: string;
  readonly views: ReadonlyMap<string, V1ViewKind>;
  readonly entitySlot: boolean;
  readonly messageSlot: boolean;
}

const RECORD_BASE = new Set(["status", "comment"]);
const ENTITY_KEYS = new Set(["entities", "objects", "object"]);
const MESSAGE_KEYS = new Set(["messages", "conversations", "conversation"]);

function fail(
  ctx: NormalizeContext,
  line: number,
  pointer: string,
  message: string,
  reason: ConstructorParameters<typeof ImportError>[0] = "invalid_value",
): never {
  throw new ImportError(reason, message, { file: ctx.file, line, pointer });
}

/** The declared view a metadata key names (`image`, `Image`, `image_image`, `rgb_text`, …). */
function viewOfKey(key: string, views: ReadonlyMap<string, V1ViewKind>): string | undefined {
  const k = key.toLowerCase();
  for (const name of views.keys()) {
    const n = name.toLowerCase();
    if (k === n || k === `${n}_image` || k === `${n}_text` || k === `${n}_pdf`) return name;
  }
  return undefined;
}

function defaultView(ctx: NormalizeContext): string | undefined {
  return ctx.views.keys().next().value;
}

function annotationGroup(ctx: NormalizeContext, line: number, view: string, raw: unknown, pointer: string): V1Group {
  if (!isPlainObject(raw))
    fail(ctx, line, pointer, `annotations for view "${view}" must be an object ({"bbox": …, "mask": …})`);
  let frameIndex: number | undefined;
  const annotations: V1Annotation[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const p = pointerJoin(pointer, key);
    if (key.toLowerCase() === "frame_index") {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
        fail(ctx, line, p, "frame_index must be an integer ≥ 0");
      frameIndex = value;
      continue;
    }
    const kind = KIND_ALIASES.get(key.toLowerCase());
    if (!kind) fail(ctx, line, p, `unknown annotation "${key}" (known: ${KNOWN_KINDS})`, "unknown_key");
    if (value === null || value === undefined) continue;
    annotations.push({ kind, key: key.toLowerCase(), value, pointer: p });
  }
  return { view, ...(frameIndex !== undefined ? { frameIndex } : {}), pointer, annotations };
}

function entity(ctx: NormalizeContext, line: number, raw: unknown, pointer: string): V1Entity {
  if (!isPlainObject(raw)) fail(ctx, line, pointer, "each entity must be an object");
  const fields: Record<string, unknown> = {};
  const groups: V1Group[] = [];
  const states: V1State[] = [];
  const direct: V1Annotation[] = [];
  let id: string | undefined;
  let parentId: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    const p = pointerJoin(pointer, key);
    const k = key.toLowerCase();
    if (k === "id") {
      if (typeof value !== "string" || value === "") fail(ctx, line, p, "an entity id must be a non-empty string");
      id = value;
    } else if (k === "parent_id") {
      if (typeof value !== "string") fail(ctx, line, p, "parent_id must be a string");
      parentId = value;
    } else if (k === "record_id") {
      fail(ctx, line, p, "record_id is set by the importer", "unknown_key");
    } else if (k === "annotations") {
      if (value === null) continue;
      if (!isPlainObject(value))
        fail(ctx, line, p, 'annotations must be grouped by view name: {"<view>": {"bbox": …}}');
      for (const [viewKey, group] of Object.entries(value)) {
        const view = viewOfKey(viewKey, ctx.views);
        const gp = pointerJoin(p, viewKey);
        if (!view)
          fail(
            ctx,
            line,
            gp,
            `view "${viewKey}" is not a view of this workspace (${[...ctx.views.keys()].join(", ")})`,
          );
        if (group === null) continue;
        const list = Array.isArray(group) ? group : [group];
        list.forEach((g, i) =>
          groups.push(annotationGroup(ctx, line, view, g, Array.isArray(group) ? pointerJoin(gp, i) : gp)),
        );
      }
    } else if (k === "states") {
      if (!Array.isArray(value)) fail(ctx, line, p, "states must be a list of {frame_index, …attributes}");
      value.forEach((s, i) => {
        const sp = pointerJoin(p, i);
        if (!isPlainObject(s) || typeof s.frame_index !== "number" || !Number.isSafeInteger(s.frame_index)) {
          fail(ctx, line, sp, "a state needs an integer frame_index");
        }
        const { frame_index: frameIndex, ...rest } = s;
        states.push({ frameIndex: frameIndex as number, fields: rest, pointer: sp });
      });
    } else if (KIND_ALIASES.get(k) !== undefined && value !== null && typeof value === "object") {
      // 0.6-style: annotations directly on the entity apply to the default view.
      direct.push({ kind: KIND_ALIASES.get(k) ?? k, key: k, value, pointer: p });
    } else {
      fields[key] = value;
    }
  }
  if (direct.length > 0) {
    const view = defaultView(ctx);
    if (!view) fail(ctx, line, pointer, "annotations need a view");
    groups.push({ view, pointer, annotations: direct });
  }
  return {
    pointer,
    ...(id !== undefined ? { id } : {}),
    ...(parentId !== undefined ? { parentId } : {}),
    fields,
    groups,
    states,
  };
}

/** `{"category": ["a", "b"], "bbox": [[…], […]]}` → `[{category: "a", bbox: […]}, …]`. */
function fromColumns(ctx: NormalizeContext, line: number, raw: Record<string, unknown>, pointer: string): unknown[] {
  const lengths = new Set(
    Object.values(raw)
      .filter((v) => v !== null)
      .map((v) => (Array.isArray(v) ? v.length : 1)),
  );
  if (lengths.size > 1)
    fail(ctx, line, pointer, "every list of a column-wise entities object must have the same length");
  const n = lengths.values().next().value ?? 0;
  const out: Record<string, unknown>[] = Array.from({ length: n }, () => ({}));
  for (const [k, v] of Object.entries(raw)) {
    if (v === null) continue;
    const list = Array.isArray(v) ? v : [v];
    list.forEach((x, i) => (out[i]![k] = x));
  }
  return out;
}

/** Classifies the keys of one metadata line. */
export function normalizeLine(ctx: NormalizeContext, value: unknown, line: number): V1Line {
  if (!isPlainObject(value)) fail(ctx, line, "", "each line must be a JSON object", "invalid_line");
  const fields: Record<string, unknown> = {};
  const views = new Map<string, { value: unknown; pointer: string }>();
  let id: string | undefined;
  let split: string | undefined;
  let fps = 24;
  let entities: V1Entity[] = [];
  let messages: V1Line["messages"];
  let maskSidecar: V1Line["maskSidecar"];
  let bboxSidecar: V1Line["bboxSidecar"];
  const setView = (name: string, v: unknown, p: string) => {
    if (views.has(name)) fail(ctx, line, p, `view "${name}" is given twice`);
    views.set(name, { value: v, pointer: p });
  };
  for (const [key, v] of Object.entries(value)) {
    const p = pointerJoin("", key);
    const k = key.toLowerCase();
    const view = viewOfKey(key, ctx.views);
    if (k === "id") {
      if (typeof v !== "string" || v === "") fail(ctx, line, p, "a record id must be a non-empty string");
      id = v;
    } else if (k === "split") {
      if (typeof v !== "string" || v === "") fail(ctx, line, p, "split must be a non-empty string");
      split = v;
    } else if (k === "fps") {
      if (typeof v !== "number" || !(v > 0)) fail(ctx, line, p, "fps must be a positive number");
      fps = v;
    } else if (RECORD_BASE.has(k)) {
      fields[k] = v;
    } else if (k === "created_at" || k === "updated_at") {
      fields[k] = v;
    } else if (k === "views") {
      if (!isPlainObject(v)) fail(ctx, line, p, 'views must be an object {"<view>": "file"}');
      for (const [vk, vv] of Object.entries(v)) {
        const name = viewOfKey(vk, ctx.views);
        if (!name)
          fail(
            ctx,
            line,
            pointerJoin(p, vk),
            `view "${vk}" is not a view of this workspace (${[...ctx.views.keys()].join(", ")})`,
            "unknown_key",
          );
        setView(name, vv, pointerJoin(p, vk));
      }
    } else if (view !== undefined) {
      setView(view, v, p);
    } else if (ENTITY_KEYS.has(k)) {
      if (v === null) continue;
      if (!ctx.entitySlot) fail(ctx, line, p, "this workspace has no entity table");
      const list = Array.isArray(v)
        ? v
        : isPlainObject(v)
          ? fromColumns(ctx, line, v, p)
          : fail(ctx, line, p, "entities must be a list of objects");
      entities = list.map((e, i) => entity(ctx, line, e, pointerJoin(p, i)));
    } else if (MESSAGE_KEYS.has(k)) {
      if (v === null) continue;
      if (!ctx.messageSlot) fail(ctx, line, p, `"${key}" needs the image_vqa workspace (messages table)`);
      messages = { value: v, pointer: p };
    } else if (
      (k === "mask" || k === "masks") &&
      typeof v === "string" &&
      ctx.views.size > 0 &&
      [...ctx.views.values()].includes("sequence_frames")
    ) {
      maskSidecar = { pattern: v, pointer: p };
    } else if (
      (k === "bbox" || k === "bboxes") &&
      typeof v === "string" &&
      [...ctx.views.values()].includes("sequence_frames")
    ) {
      bboxSidecar = { pattern: v, pointer: p };
    } else {
      fields[key] = v;
    }
  }
  if (views.size === 0)
    fail(ctx, line, "", `the line names no view (expected one of: ${[...ctx.views.keys()].join(", ")})`);
  return {
    line,
    ...(id !== undefined ? { id } : {}),
    ...(split !== undefined ? { split } : {}),
    fields,
    fps,
    views,
    entities,
    ...(messages ? { messages } : {}),
    ...(maskSidecar ? { maskSidecar } : {}),
    ...(bboxSidecar ? { bboxSidecar } : {}),
  };
}
