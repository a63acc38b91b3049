import { Type, type Static } from "@sinclair/typebox";
import type { FilterOp } from "../query/filter.js";

/**
 * Response bodies of Tessera's REST routes, declared once: the server builds its answers as these
 * `Static<>` types and embeds the schemas in `/openapi.json`; the web client reads them as the same
 * types. (Row responses of Pixano's tables are derived from `TABLES`, not declared here.)
 */

/** One column of the explorer's catalogue (Pixano 0.8.x `build_column_catalogue`). */
export const ColumnDescriptor = Type.Object({
  name: Type.String(),
  /** `str|int|float|bool|datetime` for scalars; `bytes`, `FixedSizeList` (or a raw type name) otherwise. */
  type: Type.String(),
  collection: Type.Boolean(),
  source: Type.Unsafe<"base" | "custom">({ enum: ["base", "custom"] }),
  filterable: Type.Boolean(),
  sortable: Type.Boolean(),
  searchable: Type.Boolean(),
  /** Covered by an index of the table (LanceDB `listIndices`). */
  indexed: Type.Boolean(),
  operators: Type.Array(Type.Unsafe<FilterOp>({ type: "string" })),
  /** The column's distinct values, when it has few enough to enumerate. */
  values: Type.Optional(Type.Array(Type.String())),
  values_complete: Type.Boolean(),
});
export type ColumnDescriptor = Static<typeof ColumnDescriptor>;

/** `GET /datasets/{id}/filters`: the records table's catalogue and what search can do. */
export const FilterSchemaResponse = Type.Object({
  table: Type.String(),
  columns: Type.Array(Type.Unsafe<ColumnDescriptor>({ $ref: "#/components/schemas/ColumnDescriptor" })),
  search: Type.Object({
    modes: Type.Array(Type.String()),
    models: Type.Array(Type.String()),
    status: Type.String(),
    detail: Type.Optional(Type.String()),
    embedded_rows: Type.Integer(),
    total_records: Type.Integer(),
  }),
});
export type FilterSchemaResponse = Static<typeof FilterSchemaResponse>;

const component = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A table's schema as `info.json` keeps it (Pixano's schema manifest). */
export const SchemaManifest = Type.Object({
  base: Type.String(),
  fields: Type.Unsafe<Readonly<Record<string, unknown>>>({ type: "object" }),
  name: Type.Optional(Type.String()),
});
export type SchemaManifest = Static<typeof SchemaManifest>;

/** Schema slots in the order Pixano 0.8 serialises `DatasetInfo`. */
export const INFO_SLOTS = [
  "record",
  "entity",
  "entity_dynamic_state",
  "bbox",
  "mask",
  "multi_path",
  "keypoint",
  "classification",
  "relation",
  "tracklet",
  "message",
  "timeseries",
  "text_span",
] as const;

const slot = Type.Optional(Type.Union([Type.Unsafe<SchemaManifest>(component("SchemaManifest")), Type.Null()]));
type InfoSlots = { readonly [S in (typeof INFO_SLOTS)[number]]: typeof slot };
const infoSlots = Object.fromEntries(INFO_SLOTS.map((s) => [s, slot])) as InfoSlots;

/** `GET /datasets` item and `GET /datasets/info/{id}`: Pixano 0.8's `DatasetInfo` plus `num_records`. */
export const DatasetInfoResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  size: Type.Optional(Type.String()),
  /** A data URL of the preview mosaic, or "". */
  preview: Type.Optional(Type.String()),
  creation_date: Type.Optional(Type.String()),
  bookmarks: Type.Optional(Type.Array(Type.String())),
  workspace: Type.Optional(Type.String()),
  storage_mode: Type.Optional(Type.String()),
  spec_version: Type.Optional(Type.Integer()),
  ...infoSlots,
  views: Type.Optional(
    Type.Unsafe<Readonly<Record<string, SchemaManifest>>>({
      type: "object",
      additionalProperties: component("SchemaManifest"),
    }),
  ),
  num_records: Type.Integer(),
});
export type DatasetInfoResponse = Static<typeof DatasetInfoResponse>;

/** One field's pick-list in `features_values.json`. */
export const FeatureValuesEntry = Type.Object({
  name: Type.String(),
  restricted: Type.Boolean(),
  values: Type.Array(Type.String()),
});
export type FeatureValuesEntry = Static<typeof FeatureValuesEntry>;

const featureGroup = Type.Optional(Type.Record(Type.String(), Type.Array(FeatureValuesEntry)));

/** `features_values.json`: group → table → fields. */
export const FeatureValues = Type.Object({
  item: featureGroup,
  records: featureGroup,
  views: featureGroup,
  entities: featureGroup,
  entity_dynamic_states: featureGroup,
  annotations: featureGroup,
});
export type FeatureValues = Static<typeof FeatureValues>;

/** `GET /datasets/{id}`. */
export const DatasetResponse = Type.Object({
  id: Type.String(),
  path: Type.String({ description: "Dataset folder, relative to the library." }),
  previews_path: Type.Optional(Type.String()),
  thumbnail: Type.Optional(Type.String()),
  tables: Type.Unsafe<Readonly<Record<string, string>>>({ type: "object", additionalProperties: { type: "string" } }),
  feature_values: Type.Optional(FeatureValues),
  info: Type.Unsafe<DatasetInfoResponse>(component("DatasetInfoResponse")),
});
export type DatasetResponse = Static<typeof DatasetResponse>;

/** The fields every view response starts with. */
const viewBase = {
  id: Type.String(),
  record_id: Type.String(),
  logical_name: Type.Optional(Type.String({ default: "" })),
  created_at: Type.Optional(Type.String({ default: "" })),
  updated_at: Type.Optional(Type.String({ default: "" })),
};

/** An image view; `src` is where its bytes are (a media URL or the blob route). */
export const ImageResponse = Type.Object({
  ...viewBase,
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  format: Type.Optional(Type.String()),
  src: Type.String(),
});
export type ImageResponse = Static<typeof ImageResponse>;

/** One frame of a sequence. */
export const SFrameResponse = Type.Object({
  ...viewBase,
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  format: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.Number()),
  frame_index: Type.Optional(Type.Integer()),
  src: Type.String(),
});
export type SFrameResponse = Static<typeof SFrameResponse>;

export const TextResponse = Type.Object({
  ...viewBase,
  content: Type.Optional(Type.String()),
  uri: Type.Optional(Type.String()),
});
export type TextResponse = Static<typeof TextResponse>;

export const VideoResponse = Type.Object({
  ...viewBase,
  num_frames: Type.Optional(Type.Integer()),
  fps: Type.Optional(Type.Number()),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  format: Type.Optional(Type.String()),
  duration: Type.Optional(Type.Number()),
  from_timestamp: Type.Optional(Type.Number()),
  to_timestamp: Type.Optional(Type.Number()),
  src: Type.String(),
});
export type VideoResponse = Static<typeof VideoResponse>;
