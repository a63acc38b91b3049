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
