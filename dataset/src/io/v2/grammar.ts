import type { TableName } from "@tessera/shared-crdt";
import { pointerJoin } from "../errors.js";
import { isPlainObject } from "../jsonl.js";
import { suggest, type Checker } from "./check.js";
import { kindKeys, v2Table, V2_KINDS } from "./kinds.js";
import {
  DEFAULT_HEADER,
  type AnnotationSpec,
  type ConversationSpec,
  type EntitySpec,
  type GrammarContext,
  type HeaderDefaults,
  type LineSpec,
  type MessageSpec,
  type SidecarSpec,
  type SourceSpec,
  type ViewPayload,
} from "./lineSpecs.js";
import { ANN_COMMON, kindFields, viewPayload } from "./payloads.js";

export { v2Table } from "./kinds.js";
export {
  DEFAULT_HEADER,
  type AnnotationSpec,
  type EntitySpec,
  type GrammarContext,
  type HeaderDefaults,
  type LineSpec,
  type SidecarSpec,
  type TrackletSpec,
} from "./lineSpecs.js";

/**
 * The JSONL v2 line grammar (Pixano 0.8 spec §5): strict, no aliases, no shape inference. Each
 * line is parsed into typed specs; every problem is an error at `file:line:json-pointer`.
 *
 * Tessera extensions (all optional, written by our exporter only when a stored value cannot be
 * re-derived, so exports of Pixano-built datasets stay pure Pixano grammar): `id` on view
 * payloads, frames, states and messages; `number`, `entity_ids` and `source` on messages;
 * `source` on tracklets.
 */
export const HEADER_KEY = "$pixano";
const SOURCE_TYPES = ["model", "human", "ground_truth", "other"] as const;
const TOP_KEYS = ["id", "split", "attrs", "views", "entities", "conversations", "annotation_files"];
const V1_MARKERS = new Set(["objects", "object", "view", "messages", "status"]);
const RESERVED_KINDS = ["bbox3d", "keypoints3d", "relation"];

function source(c: Checker, v: unknown, p: string): SourceSpec {
  const o = c.object(v, p, ["type", "name"]);
  return {
    type: o.type === undefined ? "ground_truth" : c.oneOf(o.type, pointerJoin(p, "type"), SOURCE_TYPES),
    name: c.optString(o, "name", p) ?? "import",
  };
}

/** Parses the optional header line (`{"$pixano": "jsonl/2", "defaults": …}`). */
export function parseHeader(c: Checker, o: Record<string, unknown>): HeaderDefaults {
  c.object(o, "", [HEADER_KEY, "defaults"]);
  if (o[HEADER_KEY] !== "jsonl/2")
    c.fail(`/${HEADER_KEY.replace(/~/g, "~0")}`, `expected "jsonl/2", got ${JSON.stringify(o[HEADER_KEY])}`);
  if (o.defaults === undefined) return DEFAULT_HEADER;
  const d = c.object(o.defaults, "/defaults", ["bbox", "source"]);
  let bbox: HeaderDefaults["bbox"] = {};
  if (d.bbox !== undefined) {
    const b = c.object(d.bbox, "/defaults/bbox", ["format", "is_normalized"]);
    const format =
      b.format === undefined || b.format === null
        ? undefined
        : c.oneOf(b.format, "/defaults/bbox/format", ["xywh", "xyxy"] as const);
    const isNormalized = c.optBool(b, "is_normalized", "/defaults/bbox");
    bbox = { ...(format ? { format } : {}), ...(isNormalized !== undefined ? { isNormalized } : {}) };
  }
  return { bbox, source: d.source === undefined ? DEFAULT_HEADER.source : source(c, d.source, "/defaults/source") };
}

function columnsOf(ctx: GrammarContext, table: TableName): Set<string> | undefined {
  const t = ctx.schema.tables.get(table);
  return t ? new Set(t.columns.map((col) => col.name)) : undefined;
}

function checkAttrs(
  c: Checker,
  attrs: Record<string, unknown>,
  p: string,
  allowed: Set<string> | undefined,
  what: string,
  reserved: readonly string[],
): void {
  for (const k of Object.keys(attrs)) {
    if (reserved.includes(k) || !allowed?.has(k)) {
      const hint = allowed
        ? suggest(
            k,
            [...allowed].filter((a) => !reserved.includes(a)),
          )
        : undefined;
      c.fail(
        pointerJoin(p, k),
        `${what} attr "${k}" is not declared in the schema (dataset.yaml)${hint ? `; did you mean "${hint}"?` : ""}`,
        "unknown_key",
      );
    }
  }
}

function annotation(c: Checker, ctx: GrammarContext, defaults: HeaderDefaults, v: unknown, p: string): AnnotationSpec {
  const raw = c.object(v, p);
  const kindRaw = raw.kind;
  if (typeof kindRaw === "string" && RESERVED_KINDS.includes(kindRaw)) {
    c.fail(
      pointerJoin(p, "kind"),
      `annotation kind "${kindRaw}" is reserved for a later release and cannot be imported yet`,
    );
  }
  const kind = c.oneOf(kindRaw, pointerJoin(p, "kind"), V2_KINDS);
  const o = c.object(v, p, [...ANN_COMMON, ...kindKeys(kind)]);
  const view = c.optString(o, "view", p);
  if (view === undefined && ctx.viewKinds.size > 1)
    c.fail(p, "the schema declares several views: every annotation needs a 'view'");
  if (view !== undefined && !ctx.viewKinds.has(view)) c.fail(pointerJoin(p, "view"), `view "${view}" is not declared`);
  const fields = kindFields(c, kind, o, p);
  if (kind === "bbox") {
    if (fields.format === undefined) fields.format = defaults.bbox.format;
    if (fields.is_normalized === undefined) fields.is_normalized = defaults.bbox.isNormalized;
    if (fields.format === undefined || fields.is_normalized === undefined) {
      c.fail(
        p,
        "bbox 'format' and 'is_normalized' are required — set them on the annotation or in the header defaults",
      );
    }
  }
  const attrs = o.attrs === undefined ? {} : c.object(o.attrs, pointerJoin(p, "attrs"));
  const table = v2Table(kind);
  if (!ctx.schema.tables.has(table))
    c.fail(pointerJoin(p, "kind"), `${kind} annotation but the schema has no ${table} table`, "schema_mismatch");
  checkAttrs(c, attrs, pointerJoin(p, "attrs"), columnsOf(ctx, table), kind, [
    ...Object.keys(fields),
    "id",
    "record_id",
    "entity_id",
    "view_id",
    "source_type",
    "source_name",
    "frame_index",
    "frame_id",
    "tracklet_id",
    "entity_dynamic_state_id",
  ]);
  const id = c.optString(o, "id", p);
  const frameIndex = c.optInt(o, "frame_index", p);
  return {
    kind,
    pointer: p,
    ...(view !== undefined ? { view } : {}),
    ...(id ? { id } : {}),
    ...(frameIndex !== undefined ? { frameIndex } : {}),
    ...(o.source !== undefined && o.source !== null ? { source: source(c, o.source, pointerJoin(p, "source")) } : {}),
    attrs,
    fields,
  };
}

function entity(c: Checker, ctx: GrammarContext, defaults: HeaderDefaults, v: unknown, p: string): EntitySpec {
  const o = c.object(v, p, ["id", "parent_id", "attrs", "annotations", "tracklets", "states"]);
  if (!ctx.schema.tables.has("entities"))
    c.fail(p, "the line has entities but the schema has no entities table", "schema_mismatch");
  const attrs = o.attrs === undefined ? {} : c.object(o.attrs, pointerJoin(p, "attrs"));
  checkAttrs(c, attrs, pointerJoin(p, "attrs"), columnsOf(ctx, "entities"), "entity", ["id", "record_id", "parent_id"]);
  const annotations =
    o.annotations === undefined
      ? []
      : c
          .array(o.annotations, pointerJoin(p, "annotations"))
          .map((a, i) => annotation(c, ctx, defaults, a, pointerJoin(pointerJoin(p, "annotations"), i)));
  const tracklets =
    o.tracklets === undefined
      ? []
      : c.array(o.tracklets, pointerJoin(p, "tracklets")).map((t, i) => {
          const tp = pointerJoin(pointerJoin(p, "tracklets"), i);
          const to = c.object(t, tp, [
            "id",
            "view",
            "start_timestep",
            "end_timestep",
            "start_timestamp",
            "end_timestamp",
            "source",
          ]);
          const view = c.string(to.view, pointerJoin(tp, "view"));
          if (!ctx.viewKinds.has(view)) c.fail(pointerJoin(tp, "view"), `view "${view}" is not declared`);
          const id = c.optString(to, "id", tp);
          const startTimestamp = c.optNumber(to, "start_timestamp", tp);
          const endTimestamp = c.optNumber(to, "end_timestamp", tp);
          return {
            view,
            startTimestep: c.int(to.start_timestep, pointerJoin(tp, "start_timestep")),
            endTimestep: c.int(to.end_timestep, pointerJoin(tp, "end_timestep")),
            ...(id ? { id } : {}),
            ...(startTimestamp !== undefined ? { startTimestamp } : {}),
            ...(endTimestamp !== undefined ? { endTimestamp } : {}),
            ...(to.source !== undefined && to.source !== null
              ? { source: source(c, to.source, pointerJoin(tp, "source")) }
              : {}),
          };
        });
  const states =
    o.states === undefined
      ? []
      : c.array(o.states, pointerJoin(p, "states")).map((s, i) => {
          const sp = pointerJoin(pointerJoin(p, "states"), i);
          const so = c.object(s, sp, ["frame_index", "attrs", "id"]);
          const sattrs = so.attrs === undefined ? {} : c.object(so.attrs, pointerJoin(sp, "attrs"));
          if (!ctx.schema.tables.has("entity_dynamic_states"))
            c.fail(sp, "states need an entity_dynamic_state slot in the schema", "schema_mismatch");
          checkAttrs(c, sattrs, pointerJoin(sp, "attrs"), columnsOf(ctx, "entity_dynamic_states"), "state", [
            "id",
            "record_id",
            "entity_id",
            "tracklet_id",
            "view_id",
            "frame_id",
            "frame_index",
          ]);
          const id = c.optString(so, "id", sp);
          return {
            frameIndex: c.int(so.frame_index, pointerJoin(sp, "frame_index")),
            attrs: sattrs,
            ...(id ? { id } : {}),
          };
        });
  const id = c.optString(o, "id", p);
  const parentId = c.optString(o, "parent_id", p);
  return {
    pointer: p,
    ...(id ? { id } : {}),
    ...(parentId ? { parentId } : {}),
    attrs,
    annotations,
    tracklets,
    states,
  };
}

function conversation(c: Checker, ctx: GrammarContext, v: unknown, p: string): ConversationSpec {
  const o = c.object(v, p, ["id", "messages"]);
  if (!ctx.schema.tables.has("messages"))
    c.fail(p, "the line has conversations but the schema has no message slot", "schema_mismatch");
  const msgs = c.array(o.messages, pointerJoin(p, "messages"));
  if (msgs.length === 0) c.fail(pointerJoin(p, "messages"), "a conversation needs at least one message");
  const messages = msgs.map((m, i): MessageSpec => {
    const mp = pointerJoin(pointerJoin(p, "messages"), i);
    const mo = c.object(m, mp, [
      "type",
      "content",
      "question_type",
      "choices",
      "user",
      "views",
      "id",
      "number",
      "entity_ids",
      "source",
    ]);
    const type = c.oneOf(mo.type, pointerJoin(mp, "type"), ["SYSTEM", "QUESTION", "ANSWER"] as const);
    const questionType = c.optString(mo, "question_type", mp);
    if (type === "QUESTION" && !questionType) c.fail(mp, "QUESTION messages must declare a 'question_type'");
    const views =
      mo.views === undefined || mo.views === null ? undefined : c.strings(mo.views, pointerJoin(mp, "views"));
    for (const [j, view] of (views ?? []).entries()) {
      if (!ctx.viewKinds.has(view)) c.fail(pointerJoin(pointerJoin(mp, "views"), j), `view "${view}" is not declared`);
    }
    const choices =
      mo.choices === undefined || mo.choices === null ? undefined : c.strings(mo.choices, pointerJoin(mp, "choices"));
    const user = c.optString(mo, "user", mp);
    const id = c.optString(mo, "id", mp);
    const number = c.optInt(mo, "number", mp);
    const entityIds =
      mo.entity_ids === undefined || mo.entity_ids === null
        ? undefined
        : c.strings(mo.entity_ids, pointerJoin(mp, "entity_ids"));
    return {
      type,
      content: c.string(mo.content, pointerJoin(mp, "content")),
      ...(questionType ? { questionType } : {}),
      ...(choices ? { choices } : {}),
      ...(user ? { user } : {}),
      ...(views ? { views } : {}),
      ...(id ? { id } : {}),
      ...(number !== undefined ? { number } : {}),
      ...(entityIds ? { entityIds } : {}),
      ...(mo.source !== undefined && mo.source !== null
        ? { source: source(c, mo.source, pointerJoin(mp, "source")) }
        : {}),
    };
  });
  const id = c.optString(o, "id", p);
  return { ...(id ? { id } : {}), messages };
}

function sidecar(c: Checker, ctx: GrammarContext, v: unknown, p: string): SidecarSpec {
  const o = c.object(v, p, ["kind", "view", "pattern", "encoding", "entity_map"]);
  const kind = c.oneOf(o.kind, pointerJoin(p, "kind"), ["mask", "bbox"] as const);
  const encoding = c.oneOf(o.encoding, pointerJoin(p, "encoding"), ["index_png", "track_json"] as const);
  if ((kind === "mask") !== (encoding === "index_png"))
    c.fail(
      pointerJoin(p, "encoding"),
      `sidecar kind '${kind}' requires encoding '${kind === "mask" ? "index_png" : "track_json"}'`,
    );
  const view = c.string(o.view, pointerJoin(p, "view"));
  if (!ctx.viewKinds.has(view)) c.fail(pointerJoin(p, "view"), `view "${view}" is not declared`);
  let entityMap: SidecarSpec["entityMap"] = "auto";
  if (o.entity_map !== undefined && o.entity_map !== "auto") {
    const m = c.object(o.entity_map, pointerJoin(p, "entity_map"));
    entityMap = Object.fromEntries(
      Object.entries(m).map(([k, val]) => [k, c.string(val, pointerJoin(pointerJoin(p, "entity_map"), k))]),
    );
  }
  return { kind, view, pattern: c.string(o.pattern, pointerJoin(p, "pattern")), encoding, entityMap };
}

/** Parses one record line; throws {@link import("../errors.js").ImportError} at its first problem. */
export function parseLine(
  c: Checker,
  ctx: GrammarContext,
  defaults: HeaderDefaults,
  value: unknown,
  line: number,
): LineSpec {
  if (!isPlainObject(value)) c.fail("", "each line must be a JSON object", "invalid_line");
  for (const k of Object.keys(value)) {
    if (V1_MARKERS.has(k)) {
      c.fail(
        pointerJoin("", k),
        `"${k}" belongs to the 0.7 metadata.jsonl dialect; this source is JSONL v2 (dataset.yaml or $pixano header). Use --format pixano_v1 for the old dialect`,
        "unknown_key",
      );
    }
  }
  const o = c.object(value, "", TOP_KEYS);
  if (o.views === undefined) c.fail("/views", 'a line needs "views"');
  const rawViews = c.object(o.views, "/views");
  const views = new Map<string, ViewPayload>();
  for (const [name, v] of Object.entries(rawViews)) {
    const kind = ctx.viewKinds.get(name);
    if (!kind)
      c.fail(
        pointerJoin("/views", name),
        `view "${name}" is not declared in the schema (declared: ${[...ctx.viewKinds.keys()].join(", ") || "none"})`,
      );
    views.set(name, viewPayload(c, kind, v, pointerJoin("/views", name)));
  }
  const attrs = o.attrs === undefined ? {} : c.object(o.attrs, "/attrs");
  checkAttrs(c, attrs, "/attrs", columnsOf(ctx, "records"), "record", ["id", "split"]);
  const entities =
    o.entities === undefined
      ? []
      : c.array(o.entities, "/entities").map((e, i) => entity(c, ctx, defaults, e, pointerJoin("/entities", i)));
  const conversations =
    o.conversations === undefined
      ? []
      : c
          .array(o.conversations, "/conversations")
          .map((cv, i) => conversation(c, ctx, cv, pointerJoin("/conversations", i)));
  const annotationFiles =
    o.annotation_files === undefined
      ? []
      : c
          .array(o.annotation_files, "/annotation_files")
          .map((s, i) => sidecar(c, ctx, s, pointerJoin("/annotation_files", i)));
  const id = c.optString(o, "id", "");
  const split = c.optString(o, "split", "");
  return {
    line,
    ...(id ? { id } : {}),
    ...(split ? { split } : {}),
    attrs,
    views,
    entities,
    conversations,
    annotationFiles,
  };
}
