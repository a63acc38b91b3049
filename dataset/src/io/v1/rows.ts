import path from "node:path";
import type { DatasetSchema, Row, TableName } from "@tessera/shared-crdt";
import { ImportError, type SourceLocation } from "../errors.js";
import { stableId } from "../ids.js";
import { globFiles, hasGlobMagic, isFile, isImageFile, isRemoteUri } from "../media.js";
import { sidecarRows, stemOf } from "../sidecars.js";
import type { PendingRow } from "../source.js";
import { frameRow, imageRow, textRow, type BuiltView } from "../viewRows.js";
import { convertAnnotation, splitAnnotation, v1Table, type ViewInfo } from "./annotations.js";
import { buildMessages } from "./messages.js";
import type { V1Line, V1ViewKind } from "./normalize.js";

/**
 * A normalised v1 line → rows. Ids are deterministic (Pixano 0.8's `stable_id` scheme) so that
 * `--mode add` re-imports converge and an export re-imports with equal ids; provenance is 0.7's
 * folder builder's (`source_type "other"`, `source_name "Builder"`).
 */
const V1_SOURCE = { type: "other", name: "Builder" } as const;

export interface V1Context {
  readonly sourceDir: string;
  readonly namespace: string;
  readonly views: ReadonlyMap<string, V1ViewKind>;
  readonly schema: DatasetSchema;
  readonly useImageNameAsId: boolean;
  readonly previews: boolean;
  readonly warn: (message: string, where: SourceLocation) => void;
}

/** Resolves a media path like Pixano 0.7: against the split folder, then the source folder. */
async function resolveV1Media(ctx: V1Context, split: string, value: string): Promise<string | undefined> {
  if (isRemoteUri(value)) return value;
  if (path.isAbsolute(value)) return (await isFile(value)) ? value : undefined;
  const parts = value.split(/[\\/]/);
  const candidates =
    parts[0] === split
      ? [path.join(ctx.sourceDir, value)]
      : [path.join(ctx.sourceDir, split, value), path.join(ctx.sourceDir, value)];
  for (const c of candidates) if (await isFile(c)) return c;
  return undefined;
}

/** Frame files of a sequence view value (glob, list or single path), in frame order. */
export async function resolveFrames(
  ctx: V1Context,
  split: string,
  value: unknown,
  where: SourceLocation,
): Promise<string[]> {
  if (typeof value === "string" && hasGlobMagic(value)) {
    let files = await globFiles(path.join(ctx.sourceDir, split), value);
    let base = path.join(ctx.sourceDir, split);
    if (files.length === 0) {
      files = await globFiles(ctx.sourceDir, value);
      base = ctx.sourceDir;
    }
    const frames = files.filter(isImageFile).map((f) => path.join(base, f));
    if (frames.length === 0)
      throw new ImportError("missing_media", `frame pattern "${value}" matches no image file`, where);
    return frames;
  }
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : undefined;
  if (!list || list.some((v) => typeof v !== "string"))
    throw new ImportError("invalid_value", "a sequence view is a glob pattern or a list of frame files", where);
  const out: string[] = [];
  for (const v of list as string[]) {
    const f = await resolveV1Media(ctx, split, v);
    if (!f) throw new ImportError("missing_media", `media file not found: ${v}`, where);
    if (isImageFile(f)) out.push(f);
  }
  return out;
}

/** A still-image or text view value → the media it names. */
export async function resolveSingle(
  ctx: V1Context,
  split: string,
  value: unknown,
  where: SourceLocation,
): Promise<string> {
  let v = value;
  if (Array.isArray(v)) {
    if (v.length !== 1)
      throw new ImportError(
        "invalid_value",
        "a list of images for one view (Pixano's mosaic) is not supported; declare one file per view",
        where,
      );
    v = v[0];
  }
  if (typeof v !== "string") throw new ImportError("invalid_value", "a view is a media file path", where);
  const f = await resolveV1Media(ctx, split, v);
  if (!f) throw new ImportError("missing_media", `media file not found: ${v}`, where);
  return f;
}

interface ViewRefs {
  readonly rows: Map<string, BuiltView<"images" | "sequence_frames" | "texts">>;
  readonly frames: Map<string, Map<number, BuiltView<"sequence_frames">>>;
  readonly stems: Map<string, Map<string, number>>;
  readonly order: Array<[string, string]>;
}

async function buildViews(
  ctx: V1Context,
  line: V1Line,
  split: string,
  recordId: string,
  where: (p: string) => SourceLocation,
  out: PendingRow[],
): Promise<ViewRefs> {
  const refs: ViewRefs = { rows: new Map(), frames: new Map(), stems: new Map(), order: [] };
  for (const [name, { value, pointer }] of line.views) {
    const kind = ctx.views.get(name)!;
    if (kind === "sequence_frames") {
      const files = await resolveFrames(ctx, split, value, where(pointer));
      const byIndex = new Map<number, BuiltView<"sequence_frames">>();
      const byStem = new Map<string, number>();
      for (const [i, file] of files.entries()) {
        const row = await frameRow({
          id: ctx.useImageNameAsId ? stemOf(file) : stableId(recordId, "view", name, i),
          recordId,
          logicalName: name,
          media: file,
          where: where(pointer),
          preview: ctx.previews && i === 0,
          frameIndex: i,
          // Pixano 0.7's folder builder: milliseconds, fps from the line (default 24).
          timestamp: (i * 1000) / line.fps,
        });
        if (i === 0) refs.rows.set(name, row);
        byIndex.set(i, row);
        byStem.set(stemOf(file), i);
        out.push({ table: "sequence_frames", row, pointer });
      }
      refs.frames.set(name, byIndex);
      refs.stems.set(name, byStem);
      if (files.length > 0) refs.order.push([name, byIndex.get(0)!.id]);
      continue;
    }
    if (kind === "text") {
      const id = stableId(recordId, "view", name);
      let row: BuiltView<"texts">;
      if (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        typeof (value as Record<string, unknown>).content === "string"
      ) {
        row = textRow(id, recordId, name, (value as Record<string, string>).content!);
      } else {
        const file = await resolveSingle(ctx, split, value, where(pointer));
        if (isRemoteUri(file)) row = textRow(id, recordId, name, "", file);
        else {
          const { readFile } = await import("node:fs/promises");
          let content: string;
          try {
            content = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(file));
          } catch (err) {
            void err;
            throw new ImportError("unreadable_media", `text file ${file} is not valid UTF-8`, where(pointer));
          }
          row = textRow(ctx.useImageNameAsId ? stemOf(file) : id, recordId, name, content);
        }
      }
      refs.rows.set(name, row);
      refs.order.push([name, row.id]);
      out.push({ table: "texts", row, pointer });
      continue;
    }
    const file = await resolveSingle(ctx, split, value, where(pointer));
    const row = await imageRow({
      id: ctx.useImageNameAsId && !isRemoteUri(file) ? stemOf(file) : stableId(recordId, "view", name),
      recordId,
      logicalName: name,
      media: file,
      where: where(pointer),
      preview: ctx.previews,
    });
    refs.rows.set(name, row);
    refs.order.push([name, row.id]);
    out.push({ table: "images", row, pointer });
  }
  return refs;
}

function viewInfo(row: Readonly<Row> | undefined): ViewInfo | undefined {
  if (!row) return undefined;
  return {
    width: typeof row.width === "number" ? row.width : 0,
    height: typeof row.height === "number" ? row.height : 0,
    ...(typeof row.content === "string" ? { content: row.content } : {}),
  };
}

function withoutNulls(o: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** Every row of one v1 line, in Pixano's insert order. */
export async function buildV1Rows(
  ctx: V1Context,
  line: V1Line,
  split: string,
  recordId: string,
  file: string,
): Promise<PendingRow[]> {
  const where = (pointer: string): SourceLocation => ({ file, line: line.line, pointer });
  const out: PendingRow[] = [];
  const has = (t: TableName) => ctx.schema.tables.has(t);
  out.push({
    table: "records",
    row: { id: recordId, split: line.split ?? split, ...withoutNulls(line.fields) },
    pointer: "",
  });
  const refs = await buildViews(ctx, line, split, recordId, where, out);

  for (const [ei, e] of line.entities.entries()) {
    const entityId = e.id ?? stableId(recordId, "ent", ei);
    out.push({
      table: "entities",
      row: { id: entityId, record_id: recordId, parent_id: e.parentId ?? "", ...withoutNulls(e.fields) },
      pointer: e.pointer,
    });
    // Tracklets: one per sequence view the entity is annotated on, first to last annotated frame.
    const trackletIds = new Map<string, string>();
    const framesByView = new Map<string, number[]>();
    for (const g of e.groups) {
      if (ctx.views.get(g.view) !== "sequence_frames") continue;
      if (g.frameIndex === undefined)
        throw new ImportError(
          "invalid_value",
          `annotations on the sequence view "${g.view}" need a "frame_index"`,
          where(g.pointer),
        );
      if (!refs.frames.get(g.view)?.has(g.frameIndex))
        throw new ImportError(
          "invalid_value",
          `frame_index ${g.frameIndex} is not a frame of view "${g.view}"`,
          where(g.pointer),
        );
      if (g.annotations.length > 0) framesByView.set(g.view, [...(framesByView.get(g.view) ?? []), g.frameIndex]);
    }
    if (has("tracklets")) {
      [...framesByView.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .forEach(([view, idx], ti) => {
          const id = stableId(entityId, "tracklet", ti);
          trackletIds.set(view, id);
          const start = Math.min(...idx);
          const end = Math.max(...idx);
          const frames = refs.frames.get(view)!;
          out.push({
            table: "tracklets",
            row: {
              id,
              record_id: recordId,
              entity_id: entityId,
              view_id: refs.rows.get(view)?.id ?? "",
              start_timestep: start,
              end_timestep: end,
              start_timestamp: frames.get(start)!.timestamp,
              end_timestamp: frames.get(end)!.timestamp,
              source_type: V1_SOURCE.type,
              source_name: V1_SOURCE.name,
            },
            pointer: e.pointer,
          });
        });
    }
    const stateIds = new Map<number, string>();
    for (const [si, s] of e.states.entries()) {
      if (!has("entity_dynamic_states"))
        throw new ImportError(
          "schema_mismatch",
          "entity states need the video workspace (entity_dynamic_states table)",
          where(s.pointer),
        );
      const view =
        [...ctx.views.entries()].find(([, k]) => k === "sequence_frames")?.[0] ?? ctx.views.keys().next().value ?? "";
      const frame = refs.frames.get(view)?.get(s.frameIndex);
      const id = stableId(entityId, "state", si);
      stateIds.set(s.frameIndex, id);
      out.push({
        table: "entity_dynamic_states",
        row: {
          id,
          record_id: recordId,
          entity_id: entityId,
          tracklet_id: trackletIds.values().next().value ?? "",
          view_id: refs.rows.get(view)?.id ?? "",
          frame_id: frame?.id ?? "",
          frame_index: s.frameIndex,
          ...withoutNulls(s.fields),
        },
        pointer: s.pointer,
      });
    }
    let ordinal = 0;
    for (const g of e.groups) {
      const kind = ctx.views.get(g.view)!;
      const viewRow = kind === "sequence_frames" ? refs.frames.get(g.view)?.get(g.frameIndex!) : refs.rows.get(g.view);
      if (!viewRow)
        throw new ImportError(
          "invalid_value",
          `entity annotated on view "${g.view}", which this line does not give`,
          where(g.pointer),
        );
      for (const a of g.annotations) {
        const table = v1Table(a.kind);
        if (!has(table))
          throw new ImportError(
            "schema_mismatch",
            `${a.kind} annotations need a ${table} table, which this workspace does not have`,
            where(a.pointer),
          );
        const converted = convertAnnotation(a.kind, a.key, a.value, viewInfo(viewRow), where(a.pointer));
        if (converted.warning) ctx.warn(converted.warning, where(a.pointer));
        const { id: explicitId, ...fields } = converted.fields;
        const row: Row = {
          id: typeof explicitId === "string" ? explicitId : stableId(entityId, a.kind, ordinal),
          record_id: recordId,
          entity_id: entityId,
          view_id: refs.rows.get(g.view)?.id ?? "",
          source_type: V1_SOURCE.type,
          source_name: V1_SOURCE.name,
          ...fields,
          ...withoutNulls(splitAnnotation(a.kind, a.value).custom),
        };
        if (kind === "sequence_frames") {
          row.frame_index = g.frameIndex;
          row.frame_id = viewRow.id;
          row.tracklet_id = trackletIds.get(g.view) ?? "";
          row.entity_dynamic_state_id = stateIds.get(g.frameIndex!) ?? "";
        }
        if (table === "text_spans" || table === "classifications") {
          delete row.frame_index;
          delete row.frame_id;
          delete row.tracklet_id;
          delete row.entity_dynamic_state_id;
        }
        out.push({ table, row, pointer: a.pointer });
        ordinal++;
      }
    }
  }

  if (line.messages) {
    const msgs = buildMessages(
      {
        recordId,
        views: refs.order,
        viewOf: (n) => refs.rows.get(n)?.id,
        source: V1_SOURCE,
        where,
      },
      line.messages.value,
      line.messages.pointer,
    );
    for (const m of msgs) out.push({ table: "messages", row: m.row, pointer: m.pointer });
  }

  for (const [kind, sc] of [
    ["mask", line.maskSidecar],
    ["bbox", line.bboxSidecar],
  ] as const) {
    if (!sc) continue;
    const view = [...ctx.views.entries()].find(([, k]) => k === "sequence_frames")?.[0];
    const frames = view ? refs.frames.get(view) : undefined;
    if (!view || !frames)
      throw new ImportError(
        "invalid_value",
        `a ${kind} sidecar needs the sequence view's frames on the same line`,
        where(sc.pointer),
      );
    const base = path.join(ctx.sourceDir, split);
    let files = (await globFiles(base, sc.pattern)).map((f) => path.join(base, f));
    if (files.length === 0)
      files = (await globFiles(ctx.sourceDir, sc.pattern)).map((f) => path.join(ctx.sourceDir, f));
    await sidecarRows(
      {
        kind,
        files,
        entityMap: "auto",
        recordId,
        frames,
        stems: refs.stems.get(view)!,
        source: V1_SOURCE,
        bbox: (coords) => ({ format: "xywh", isNormalized: coords.every((c) => c >= 0 && c <= 1) }),
        timestamp: (i) => frames.get(i)?.timestamp ?? 0,
        schema: ctx.schema,
        where: where(sc.pointer),
        linkToView: refs.rows.get(view)?.id ?? "",
      },
      (table, row) => out.push({ table, row, pointer: sc.pointer }),
    );
  }
  return out;
}
