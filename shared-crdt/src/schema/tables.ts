import { ANNOTATION_KINDS } from "../kinds/index.js";
import type { BuiltinKindId } from "../kinds/builtins.js";
import type { bboxes } from "../kinds/bboxes.js";
import type { classifications } from "../kinds/classifications.js";
import type { keypoints } from "../kinds/keypoints.js";
import type { masks } from "../kinds/masks.js";
import type { messages } from "../kinds/messages.js";
import type { multiPaths } from "../kinds/multiPaths.js";
import type { relations } from "../kinds/relations.js";
import type { textSpans } from "../kinds/textSpans.js";
import type { tracklets } from "../kinds/tracklets.js";
import { provenance, recordComponent } from "./columnGroups.js";
import { col, type ColumnDef, type RowOf } from "./columns.js";

/**
 * Pixano's canonical tables, one definition each (Pixano spec §2, §3.4). Column order is the
 * pydantic field order: base-class fields first, then subclass fields. Everything else —
 * TS row types, validators, the Arrow schema, the record-document layout — derives from here.
 * Annotation tables are declared by their kind modules (`src/kinds/`, docs/ARCHITECTURE.md §9)
 * and derived here from the kind registry.
 */

const recordColumns = [
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

const imageColumns = [...viewColumns, col.int("width"), col.int("height"), col.str("format")] as const;
const sequenceFrameColumns = [...imageColumns, col.float("timestamp"), col.int("frame_index")] as const;
const videoColumns = [
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
const textColumns = [...viewColumns, col.str("content")] as const;
export const pdfColumns = [...viewColumns, col.int("num_pages")] as const;
export const pointCloudColumns = [...viewColumns] as const;

const entityColumns = [...recordComponent, col.str("parent_id")] as const;

const entityDynamicStateColumns = [
  ...recordComponent,
  col.str("entity_id"),
  col.str("tracklet_id"),
  ...provenance,
  col.str("view_id"),
  col.str("frame_id"),
  col.int("frame_index", -1),
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
export type BBoxRow = RowOf<(typeof bboxes)["columns"]>;
export type MaskRow = RowOf<(typeof masks)["columns"]>;
export type KeypointsRow = RowOf<(typeof keypoints)["columns"]>;
export type MultiPathRow = RowOf<(typeof multiPaths)["columns"]>;
export type TrackletRow = RowOf<(typeof tracklets)["columns"]>;
export type TextSpanRow = RowOf<(typeof textSpans)["columns"]>;
export type MessageRow = RowOf<(typeof messages)["columns"]>;
export type ClassificationRow = RowOf<(typeof classifications)["columns"]>;
export type RelationRow = RowOf<(typeof relations)["columns"]>;
export type EmbeddingRow = RowOf<ReturnType<typeof embeddingColumns>>;

/** Pixano's schema groups (keys of `/stats` and of the multi-table insert order). */
export type SchemaGroup = "records" | "views" | "entities" | "entity_dynamic_states" | "annotations" | "embeddings";

/** The tables that are not annotation kinds, in Pixano's multi-table insert order. */
const FIXED_BEFORE_KINDS = [
  "records",
  "images",
  "sequence_frames",
  "videos",
  "texts",
  "pdfs",
  "point_clouds",
  "entities",
  "entity_dynamic_states",
] as const;

/**
 * A canonical table's name. The built-in annotation kinds are part of the literal union; a kind
 * registered at run time (a test-only kind) is a `TableName` at run time only: code reaches it
 * through {@link registeredTableName}, which checks the registry.
 */
export type TableName = (typeof FIXED_BEFORE_KINDS)[number] | BuiltinKindId | "embeddings";

/** Every table, in Pixano's multi-table insert order (records → views → … → annotations → embeddings). */
export const TABLE_NAMES: readonly TableName[] = [
  ...FIXED_BEFORE_KINDS,
  ...ANNOTATION_KINDS.map((k) => k.id as TableName),
  "embeddings",
];

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

const FIXED_TABLES: readonly TableDef[] = [
  table("records", "Record", "records", "records", "record", recordColumns),
  table("images", "Image", "views", "images", null, imageColumns),
  table("sequence_frames", "SequenceFrame", "views", "sframes", null, sequenceFrameColumns),
  table("videos", "Video", "views", "videos", null, videoColumns),
  table("texts", "Text", "views", "texts", null, textColumns),
  table("pdfs", "PDF", "views", "pdfs", null, pdfColumns),
  table("point_clouds", "PointCloud", "views", "point-clouds", null, pointCloudColumns),
  table("entities", "Entity", "entities", "entities", "entity", entityColumns),
  table(
    "entity_dynamic_states",
    "EntityDynamicState",
    "entity_dynamic_states",
    "entity-dynamic-states",
    "entity_dynamic_state",
    entityDynamicStateColumns,
  ),
  table("embeddings", "Embedding", "embeddings", "embeddings", null, embeddingColumns(0)),
];

function buildTables(): Readonly<Record<TableName, TableDef>> {
  const defs = new Map<string, TableDef>(FIXED_TABLES.map((d) => [d.name, d]));
  for (const k of ANNOTATION_KINDS) {
    defs.set(k.id, table(k.id as TableName, k.baseClass, "annotations", k.rest.resource, k.slot, k.columns));
  }
  // Every name of TABLE_NAMES has its definition (the fixed list and the registry cover them).
  return Object.fromEntries(TABLE_NAMES.map((n) => [n, defs.get(n)])) as Record<TableName, TableDef>;
}

/** Every canonical table. Order = Pixano's multi-table insert order (records → … → embeddings). */
export const TABLES: Readonly<Record<TableName, TableDef>> = buildTables();

/** The tables that hold a record's annotation state: what a record document carries. */
export type ComponentTable = "entities" | "entity_dynamic_states" | BuiltinKindId;
export const COMPONENT_TABLES: readonly ComponentTable[] = [
  "entities",
  "entity_dynamic_states",
  ...ANNOTATION_KINDS.map((k) => k.id as ComponentTable),
];

/**
 * A registered kind's table as a `TableName` (and `ComponentTable`): the id must be in the
 * registry, else this throws. Built-in ids need no call (they are literals of the union).
 */
export function registeredTableName(id: string): ComponentTable {
  if (!(COMPONENT_TABLES as readonly string[]).includes(id) || id === "entities" || id === "entity_dynamic_states")
    throw new Error(`"${id}" is not a registered annotation kind`);
  return id as ComponentTable;
}

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
