import { col, type ColumnDef, type RowOf } from "./columns.js";

/**
 * Pixano's canonical tables, one definition each (Pixano spec §2, §3.4). Column order is the
 * pydantic field order: base-class fields first, then subclass fields. Everything else —
 * TS row types, validators, the Arrow schema, the record-document layout — derives from here.
 */

const recordComponent = [col.str("id"), col.str("record_id")] as const;

const provenance = [col.str("source_type"), col.str("source_name"), col.str("source_metadata", "{}")] as const;

export const recordColumns = [
  col.str("id"),
  col.str("split", "default"),
  col.timestamp("created_at"),
  col.timestamp("updated_at"),
  col.str("status", "new"),
  col.str("comment"),
] as const;

const viewColumns = [
  ...recordComponent,
  col.str("logical_name"),
  col.str("uri"),
  col.largeBinary("raw_bytes"),
  col.binary("preview"),
  col.str("preview_format"),
] as const;

export const imageColumns = [...viewColumns, col.int("width"), col.int("height"), col.str("format")] as const;
export const sequenceFrameColumns = [...imageColumns, col.float("timestamp"), col.int("frame_index")] as const;
export const videoColumns = [
  ...viewColumns,
  col.int("num_frames"),
  col.float("fps"),
  col.int("width"),
  col.int("height"),
  col.str("format"),
  col.float("duration"),
  // 0.8: the time window inside the file (-1 = end), backfilled by Pixano on open (spec §2.3).
  col.float("from_timestamp", 0),
  col.float("to_timestamp", -1),
] as const;
export const textColumns = [...viewColumns, col.str("content")] as const;
export const pdfColumns = [...viewColumns, col.int("num_pages")] as const;
export const pointCloudColumns = [...viewColumns] as const;

export const entityColumns = [...recordComponent, col.str("parent_id")] as const;

export const entityDynamicStateColumns = [
  ...recordComponent,
  col.str("entity_id"),
  col.str("tracklet_id"),
  ...provenance,
  col.str("view_id"),
  col.str("frame_id"),
  col.int("frame_index", -1),
] as const;

const entityAnnotation = [...recordComponent, col.str("entity_id"), ...provenance, col.str("view_id")] as const;

const perFrame = [
  ...entityAnnotation,
  col.str("tracklet_id"),
  col.str("entity_dynamic_state_id"),
  col.str("frame_id"),
  col.int("frame_index", -1),
] as const;

export const bboxColumns = [
  ...perFrame,
  col.floatList("coords"),
  col.str("format", "xywh"),
  col.bool("is_normalized", true),
  col.float("confidence", -1),
] as const;
export const maskColumns = [...perFrame, col.intList("size"), col.binaryText("counts")] as const;
export const keypointColumns = [
  ...perFrame,
  col.str("template_id"),
  col.floatList("coords"),
  col.strList("states"),
] as const;
export const multiPathColumns = [
  ...perFrame,
  col.floatList("coords"),
  col.intList("num_points"),
  col.bool("is_closed"),
] as const;
export const trackletColumns = [
  ...entityAnnotation,
  col.int("start_timestep", -1),
  col.int("end_timestep", -1),
  col.float("start_timestamp", -1),
  col.float("end_timestamp", -1),
] as const;
export const textSpanColumns = [
  ...entityAnnotation,
  col.str("mention"),
  col.intList("spans_start"),
  col.intList("spans_end"),
] as const;
export const messageColumns = [
  ...recordComponent,
  col.strList("entity_ids"),
  ...provenance,
  col.str("view_id"),
  col.str("conversation_id"),
  col.int("number"),
  col.str("user"),
  col.str("type"),
  col.str("content"),
  col.strList("choices"),
  col.str("question_type"),
] as const;
export const classificationColumns = [
  ...entityAnnotation,
  col.strList("labels"),
  col.floatList("confidences"),
] as const;
export const relationColumns = [
  ...entityAnnotation,
  col.str("predicate"),
  col.str("subject_id"),
  col.str("object_id"),
] as const;
/** `vector` is typed per dataset (`Vector(dim)`): see {@link embeddingColumns}. */
export function embeddingColumns(dim: number) {
  return [
    ...recordComponent,
    col.str("view_id"),
    col.str("frame_id"),
    col.vector("vector", dim),
    col.intList("shape"),
  ] as const;
}

export type RecordRow = RowOf<typeof recordColumns>;
export type ImageRow = RowOf<typeof imageColumns>;
export type SequenceFrameRow = RowOf<typeof sequenceFrameColumns>;
export type VideoRow = RowOf<typeof videoColumns>;
export type TextRow = RowOf<typeof textColumns>;
export type EntityRow = RowOf<typeof entityColumns>;
export type EntityDynamicStateRow = RowOf<typeof entityDynamicStateColumns>;
export type BBoxRow = RowOf<typeof bboxColumns>;
export type MaskRow = RowOf<typeof maskColumns>;
export type KeypointsRow = RowOf<typeof keypointColumns>;
export type MultiPathRow = RowOf<typeof multiPathColumns>;
export type TrackletRow = RowOf<typeof trackletColumns>;
export type TextSpanRow = RowOf<typeof textSpanColumns>;
export type MessageRow = RowOf<typeof messageColumns>;
export type ClassificationRow = RowOf<typeof classificationColumns>;
export type RelationRow = RowOf<typeof relationColumns>;
export type EmbeddingRow = RowOf<ReturnType<typeof embeddingColumns>>;

/** Pixano's schema groups (keys of `/stats` and of the multi-table insert order). */
export type SchemaGroup = "records" | "views" | "entities" | "entity_dynamic_states" | "annotations" | "embeddings";

export const TABLE_NAMES = [
  "records",
  "images",
  "sequence_frames",
  "videos",
  "texts",
  "pdfs",
  "point_clouds",
  "entities",
  "entity_dynamic_states",
  "bboxes",
  "masks",
  "keypoints",
  "multi_paths",
  "tracklets",
  "text_spans",
  "messages",
  "classifications",
  "relations",
  "embeddings",
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface TableDef {
  readonly name: TableName;
  /** Pixano's schema class name (the `base` of an `info.json` manifest). */
  readonly baseClass: string;
  readonly group: SchemaGroup;
  /** REST resource path segment (`multi-paths`, `sframes`, …). */
  readonly resource: string;
  /** The `info.json` slot; views have none (they live under `views`). */
  readonly slot: string | null;
  readonly columns: readonly ColumnDef[];
}

function table(
  name: TableName,
  baseClass: string,
  group: SchemaGroup,
  resource: string,
  slot: string | null,
  columns: readonly ColumnDef[],
): TableDef {
  return { name, baseClass, group, resource, slot, columns };
}

/** Every canonical table. Order = Pixano's multi-table insert order (records → … → embeddings). */
export const TABLES: Readonly<Record<TableName, TableDef>> = {
  records: table("records", "Record", "records", "records", "record", recordColumns),
  images: table("images", "Image", "views", "images", null, imageColumns),
  sequence_frames: table("sequence_frames", "SequenceFrame", "views", "sframes", null, sequenceFrameColumns),
  videos: table("videos", "Video", "views", "videos", null, videoColumns),
  texts: table("texts", "Text", "views", "texts", null, textColumns),
  pdfs: table("pdfs", "PDF", "views", "pdfs", null, pdfColumns),
  point_clouds: table("point_clouds", "PointCloud", "views", "point-clouds", null, pointCloudColumns),
  entities: table("entities", "Entity", "entities", "entities", "entity", entityColumns),
  entity_dynamic_states: table(
    "entity_dynamic_states",
    "EntityDynamicState",
    "entity_dynamic_states",
    "entity-dynamic-states",
    "entity_dynamic_state",
    entityDynamicStateColumns,
  ),
  bboxes: table("bboxes", "BBox", "annotations", "bboxes", "bbox", bboxColumns),
  masks: table("masks", "CompressedRLE", "annotations", "masks", "mask", maskColumns),
  keypoints: table("keypoints", "KeyPoints", "annotations", "keypoints", "keypoint", keypointColumns),
  multi_paths: table("multi_paths", "MultiPath", "annotations", "multi-paths", "multi_path", multiPathColumns),
  tracklets: table("tracklets", "Tracklet", "annotations", "tracklets", "tracklet", trackletColumns),
  text_spans: table("text_spans", "TextSpan", "annotations", "text-spans", "text_span", textSpanColumns),
  messages: table("messages", "Message", "annotations", "messages", "message", messageColumns),
  classifications: table(
    "classifications",
    "Classification",
    "annotations",
    "classifications",
    "classification",
    classificationColumns,
  ),
  relations: table("relations", "Relation", "annotations", "relations", "relation", relationColumns),
  embeddings: table("embeddings", "Embedding", "embeddings", "embeddings", null, embeddingColumns(0)),
};

/** The tables that hold a record's annotation state: what a record document carries. */
export const COMPONENT_TABLES = [
  "entities",
  "entity_dynamic_states",
  "bboxes",
  "masks",
  "keypoints",
  "multi_paths",
  "tracklets",
  "text_spans",
  "messages",
  "classifications",
  "relations",
] as const satisfies readonly TableName[];
export type ComponentTable = (typeof COMPONENT_TABLES)[number];

export const VIEW_TABLES = [
  "images",
  "sequence_frames",
  "videos",
  "texts",
  "pdfs",
  "point_clouds",
] as const satisfies readonly TableName[];
export type ViewTable = (typeof VIEW_TABLES)[number];

export function tableByResource(resource: string): TableDef | undefined {
  return Object.values(TABLES).find((t) => t.resource === resource);
}

export function tableByBaseClass(baseClass: string): TableDef | undefined {
  return Object.values(TABLES).find((t) => t.baseClass === baseClass);
}

export function tableBySlot(slot: string): TableDef | undefined {
  return Object.values(TABLES).find((t) => t.slot === slot);
}

export function isTableName(name: string): name is TableName {
  return (TABLE_NAMES as readonly string[]).includes(name);
}
