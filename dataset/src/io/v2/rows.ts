import path from "node:path";
import type { Row, TableName, ViewTable } from "@tessera/shared-crdt";
import { polygonsToCocoRle } from "../cocoPoly.js";
import { ImportError, pointerJoin, type SourceLocation } from "../errors.js";
import { stableId } from "../ids.js";
import { globFiles, isRemoteUri } from "../media.js";
import { sidecarRows, stemOf } from "../sidecars.js";
import type { PendingRow } from "../source.js";
import { videoRow } from "../video.js";
import { frameRow, imageRow, textRow, type BuiltView } from "../viewRows.js";
import {
  v2Table,
  type AnnotationSpec,
  type EntitySpec,
  type HeaderDefaults,
  type LineSpec,
  type SidecarSpec,
  type TrackletSpec,
} from "./grammar.js";
import type { ImportSpec } from "./spec.js";

/**
 * JSONL v2 line → table rows, following Pixano 0.8's `PixanoJsonlImporter._build_line` so that
 * the same source gives the same rows and the same deterministic ids here and in Pixano.
 */
export interface LineContext {
  readonly spec: ImportSpec;
  readonly splitDir: string;
  /** Source-relative split folder, for messages. */
  readonly file: string;
  readonly namespace: string;
  readonly defaults: HeaderDefaults;
  readonly previews: boolean;
  readonly hasTable: (t: TableName) => boolean;
}

interface ViewRefs {
  /** logical view → the row annotations point at (the first frame for sequences). */
  readonly views: Map<string, BuiltView<ViewTable>>;
  /** logical view → frame index → frame row. */
  readonly frames: Map<string, Map<number, BuiltView<"sequence_frames">>>;
  /** logical view → frame file stem → frame index. */
  readonly stems: Map<string, Map<string, number>>;
  readonly fps: Map<string, number>;
}

class RowSink {
  readonly rows: PendingRow[] = [];
  add(table: TableName, row: Row, pointer?: string): void {
    this.rows.push(pointer === undefined ? { table, row } : { table, row, pointer });
  }
}

function singleView(ctx: LineContext): string | undefined {
  return ctx.spec.viewKinds.size === 1 ? [...ctx.spec.viewKinds.keys()][0] : undefined;
}

/** Media reference → what the row stores: a local path to embed, or a URI kept verbatim. */
function resolveMedia(ctx: LineContext, uri: string, where: SourceLocation): string {
  if (isRemoteUri(uri)) return uri;
  if (ctx.spec.media.mode === "uri") {
    if (ctx.spec.media.uriPrefix) return `${ctx.spec.media.uriPrefix.replace(/\/+$/, "")}/${uri.replace(/^\/+/, "")}`;
    throw new ImportError(
      "invalid_value",
      `"${uri}" is a local path, which browsers cannot fetch in media mode "uri"; use media mode "embed" or set media.uri_prefix`,
      where,
    );
  }
  return path.isAbsolute(uri) ? uri : path.join(ctx.splitDir, uri);
}

async function buildViews(
  ctx: LineContext,
  line: LineSpec,
  recordId: string,
  where: (p: string) => SourceLocation,
  sink: RowSink,
): Promise<ViewRefs> {
  const refs: ViewRefs = { views: new Map(), frames: new Map(), stems: new Map(), fps: new Map() };
  const embedPreview = ctx.previews;
  for (const [name, payload] of line.views) {
    const p = pointerJoin("/views", name);
    switch (payload.kind) {
      case "image": {
        const row = await imageRow({
          id: payload.id ?? stableId(recordId, "view", name),
          recordId,
          logicalName: name,
          media: resolveMedia(ctx, payload.uri, where(p)),
          where: where(p),
          preview: embedPreview,
          ...(payload.width !== undefined ? { width: payload.width } : {}),
          ...(payload.height !== undefined ? { height: payload.height } : {}),
        });
        refs.views.set(name, row);
        sink.add("images", row, p);
        break;
      }
      case "sequence_frames": {
        const fps = payload.fps;
        if (fps) refs.fps.set(name, fps);
        let frames: Array<{ index: number; uri: string; timestamp: number; id?: string }>;
        if (payload.framePattern !== undefined) {
          const files = await globFiles(ctx.splitDir, payload.framePattern);
          if (files.length === 0)
            throw new ImportError(
              "missing_media",
              `frame_pattern "${payload.framePattern}" matches no files`,
              where(p),
            );
          frames = files.map((f, i) => ({ index: i, uri: f, timestamp: i / fps! }));
        } else {
          frames = (payload.frames ?? []).map((f, pos) => {
            const index = f.frameIndex ?? pos;
            return {
              index,
              uri: f.uri,
              timestamp: f.timestamp ?? (fps ? index / fps : 0),
              ...(f.id ? { id: f.id } : {}),
            };
          });
        }
        const byIndex = new Map<number, BuiltView<"sequence_frames">>();
        const byStem = new Map<string, number>();
        for (const f of frames) {
          const fp = pointerJoin(p, "frames");
          const row = await frameRow({
            id: f.id ?? stableId(recordId, "view", name, f.index),
            recordId,
            logicalName: name,
            media: resolveMedia(ctx, f.uri, where(fp)),
            where: where(fp),
            // Like Pixano 0.8, only the first frame of a sequence carries the grid thumbnail.
            preview: embedPreview && f.index === 0,
            frameIndex: f.index,
            timestamp: f.timestamp,
          });
          if (!refs.views.has(name)) refs.views.set(name, row);
          byIndex.set(f.index, row);
          byStem.set(stemOf(f.uri), f.index);
          sink.add("sequence_frames", row, p);
        }
        refs.frames.set(name, byIndex);
        refs.stems.set(name, byStem);
        break;
      }
      case "text": {
        const id = payload.id ?? stableId(recordId, "view", name);
        let row: BuiltView<"texts">;
        if (payload.content !== undefined) row = textRow(id, recordId, name, payload.content);
        else if (isRemoteUri(payload.uri!)) row = textRow(id, recordId, name, "", payload.uri);
        else {
          const { readFile } = await import("node:fs/promises");
          const file = resolveMedia(ctx, payload.uri!, where(p));
          let content: string;
          try {
            content = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(file));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT")
              throw new ImportError("missing_media", `media file not found: ${file}`, where(p));
            throw new ImportError("unreadable_media", `text file ${file} is not valid UTF-8`, where(p));
          }
          row = textRow(id, recordId, name, content);
        }
        refs.views.set(name, row);
        sink.add("texts", row, p);
        break;
      }
      case "video": {
        const row = await videoRow({
          id: payload.id ?? stableId(recordId, "view", name),
          recordId,
          logicalName: name,
          media: resolveMedia(ctx, payload.uri, where(p)),
          ...(payload.fps !== undefined ? { fps: payload.fps } : {}),
          fromTimestamp: payload.fromTimestamp,
          toTimestamp: payload.toTimestamp,
          where: where(p),
        });
        if (payload.fps) refs.fps.set(name, payload.fps);
        refs.views.set(name, row);
        sink.add("videos", row, p);
        break;
      }
      case "point_cloud":
        throw new ImportError(
          "unknown_format",
          "point_cloud views are not supported by the Tessera importer yet",
          where(p),
        );
    }
  }
  return refs;
}

function deriveTracklets(entity: EntitySpec, ctx: LineContext): TrackletSpec[] {
  const byView = new Map<string, number[]>();
  for (const a of entity.annotations) {
    if (a.frameIndex === undefined) continue;
    const view = a.view ?? singleView(ctx) ?? "";
    byView.set(view, [...(byView.get(view) ?? []), a.frameIndex]);
  }
  return [...byView.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([view, idx]) => ({ view, startTimestep: Math.min(...idx), endTimestep: Math.max(...idx) }));
}

function annotationRow(ctx: LineContext, a: AnnotationSpec, common: Row, refs: ViewRefs, where: SourceLocation): Row {
  const f = a.fields;
  switch (a.kind) {
    case "bbox":
      return {
        ...common,
        coords: f.coords,
        format: f.format,
        is_normalized: f.is_normalized,
        confidence: f.confidence,
      };
    case "mask": {
      if (f.size !== undefined) return { ...common, size: f.size, counts: f.counts };
      const view = refs.views.get(a.view ?? singleView(ctx) ?? "");
      const dims: Readonly<Row> = view ?? {}; // texts have no size
      const h = typeof dims.height === "number" ? dims.height : 0;
      const w = typeof dims.width === "number" ? dims.width : 0;
      if (!h || !w)
        throw new ImportError(
          "invalid_value",
          "polygon masks need the view's pixel dimensions (embed the image or set width/height)",
          where,
        );
      // Pixano scales normalised polygons to pixels, then rasterises them with pycocotools.
      const pixels = (f.polygons as number[][]).map((poly) => poly.map((v, i) => v * (i % 2 === 0 ? w : h)));
      const rle = polygonsToCocoRle(pixels, h, w);
      return { ...common, size: [...rle.size], counts: rle.counts };
    }
    case "keypoints":
      return { ...common, template_id: f.template_id, coords: f.coords, states: f.states };
    case "multi_path":
      return { ...common, coords: f.coords, num_points: f.num_points, is_closed: f.is_closed };
    case "text_span":
      return { ...common, mention: f.mention, spans_start: f.spans_start, spans_end: f.spans_end };
    case "classification": {
      const labels = f.labels as string[];
      return { ...common, labels, confidences: (f.confidences as number[] | undefined) ?? labels.map(() => 1) };
    }
    default:
      // A registered kind without a conversion of its own: its keys are its columns.
      return { ...common, ...f };
  }
}

function buildEntity(
  ctx: LineContext,
  recordId: string,
  ordinal: number,
  e: EntitySpec,
  refs: ViewRefs,
  where: (p: string) => SourceLocation,
  sink: RowSink,
): void {
  const entityId = e.id ?? stableId(recordId, "ent", ordinal);
  sink.add("entities", { id: entityId, record_id: recordId, parent_id: e.parentId ?? "", ...e.attrs }, e.pointer);
  const trackletIds = new Map<string, string>();
  if (ctx.hasTable("tracklets")) {
    const specs = e.tracklets.length > 0 ? e.tracklets : deriveTracklets(e, ctx);
    specs.forEach((t, i) => {
      const id = t.id ?? stableId(entityId, "tracklet", i);
      trackletIds.set(t.view, id);
      const fps = refs.fps.get(t.view) ?? 0;
      sink.add(
        "tracklets",
        {
          id,
          record_id: recordId,
          entity_id: entityId,
          view_id: refs.views.get(t.view)?.id ?? "",
          start_timestep: t.startTimestep,
          end_timestep: t.endTimestep,
          start_timestamp: t.startTimestamp ?? (fps ? t.startTimestep / fps : 0),
          end_timestamp: t.endTimestamp ?? (fps ? t.endTimestep / fps : 0),
          source_type: (t.source ?? ctx.defaults.source).type,
          source_name: (t.source ?? ctx.defaults.source).name,
        },
        pointerJoin(e.pointer, "tracklets"),
      );
    });
  }
  const stateIds = new Map<number, string>();
  e.states.forEach((s, i) => {
    const stateView = e.tracklets[0]?.view ?? singleView(ctx) ?? "";
    const id = s.id ?? stableId(entityId, "state", i);
    stateIds.set(s.frameIndex, id);
    sink.add(
      "entity_dynamic_states",
      {
        id,
        record_id: recordId,
        entity_id: entityId,
        tracklet_id: trackletIds.values().next().value ?? "",
        view_id: refs.views.get(stateView)?.id ?? "",
        frame_id: refs.frames.get(stateView)?.get(s.frameIndex)?.id ?? "",
        frame_index: s.frameIndex,
        ...s.attrs,
      },
      pointerJoin(pointerJoin(e.pointer, "states"), i),
    );
  });
  e.annotations.forEach((a, i) => {
    const viewName = a.view ?? singleView(ctx) ?? "";
    const source = a.source ?? ctx.defaults.source;
    const common: Row = {
      id: a.id ?? stableId(entityId, a.kind, i),
      record_id: recordId,
      entity_id: entityId,
      view_id: refs.views.get(viewName)?.id ?? "",
      source_type: source.type,
      source_name: source.name,
    };
    if (a.frameIndex !== undefined) {
      common.frame_index = a.frameIndex;
      common.frame_id = refs.frames.get(viewName)?.get(a.frameIndex)?.id ?? "";
      common.tracklet_id = trackletIds.get(viewName) ?? "";
      common.entity_dynamic_state_id = stateIds.get(a.frameIndex) ?? "";
    }
    sink.add(v2Table(a.kind), { ...annotationRow(ctx, a, common, refs, where(a.pointer)), ...a.attrs }, a.pointer);
  });
}

function buildConversations(ctx: LineContext, line: LineSpec, recordId: string, refs: ViewRefs, sink: RowSink): void {
  line.conversations.forEach((conv, ci) => {
    const conversationId = conv.id ?? stableId(recordId, "conv", ci);
    let question = -1;
    conv.messages.forEach((m, mi) => {
      let number: number;
      if (m.type === "QUESTION") number = ++question;
      else if (m.type === "ANSWER") number = Math.max(question, 0);
      else number = 0;
      const view = m.views?.[0];
      sink.add(
        "messages",
        {
          id: m.id ?? stableId(conversationId, "msg", mi),
          record_id: recordId,
          entity_ids: m.entityIds ?? [],
          conversation_id: conversationId,
          number: m.number ?? number,
          user: m.user ?? ctx.defaults.source.name,
          type: m.type,
          content: m.content,
          question_type: m.questionType ?? "",
          choices: m.choices ?? [],
          view_id: view === undefined ? "" : (refs.views.get(view)?.id ?? ""),
          source_type: (m.source ?? ctx.defaults.source).type,
          source_name: (m.source ?? ctx.defaults.source).name,
        },
        pointerJoin(pointerJoin(pointerJoin("/conversations", ci), "messages"), mi),
      );
    });
  });
}

async function buildSidecar(
  ctx: LineContext,
  recordId: string,
  s: SidecarSpec,
  refs: ViewRefs,
  where: SourceLocation,
  sink: RowSink,
): Promise<void> {
  const frames = refs.frames.get(s.view);
  const stems = refs.stems.get(s.view);
  if (!frames || !stems || stems.size === 0)
    throw new ImportError(
      "invalid_value",
      `annotation_files sidecars need a sequence_frames view ("${s.view}")`,
      where,
    );
  const { format, isNormalized } = ctx.defaults.bbox;
  if (s.kind === "bbox" && (format === undefined || isNormalized === undefined)) {
    throw new ImportError(
      "invalid_value",
      "track_json sidecars need bbox defaults (format, is_normalized) in the header",
      where,
    );
  }
  const fps = refs.fps.get(s.view) ?? 0;
  await sidecarRows(
    {
      kind: s.kind,
      files: (await globFiles(ctx.splitDir, s.pattern)).map((rel) => path.join(ctx.splitDir, rel)),
      entityMap: s.entityMap,
      recordId,
      frames,
      stems,
      source: ctx.defaults.source,
      bbox: () => ({ format: format!, isNormalized: isNormalized! }),
      timestamp: (index) => (fps ? index / fps : 0),
      schema: ctx.spec.target.schema,
      where,
    },
    (table, row) => sink.add(table, row),
  );
}

/** Every row of one record line, in Pixano's order (record, views, entities, conversations, sidecars). */
export async function buildLineRows(ctx: LineContext, line: LineSpec, split: string): Promise<PendingRow[]> {
  const where = (pointer: string): SourceLocation => ({ file: ctx.file, line: line.line, pointer });
  const sink = new RowSink();
  const recordId = line.id ?? stableId(ctx.namespace, split, "metadata", line.line);
  sink.add("records", { id: recordId, split, ...line.attrs }, "");
  const refs = await buildViews(ctx, line, recordId, where, sink);
  line.entities.forEach((e, i) => buildEntity(ctx, recordId, i, e, refs, where, sink));
  buildConversations(ctx, line, recordId, refs, sink);
  for (const [i, s] of line.annotationFiles.entries())
    await buildSidecar(ctx, recordId, s, refs, where(pointerJoin("/annotation_files", i)), sink);
  return sink.rows;
}
