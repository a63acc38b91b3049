import { COMPONENT_TABLES, TABLES, type ColumnDef, type ColumnType, type TableName } from "@tessera/shared-crdt";
import {
  ColumnDescriptor,
  DatasetInfoResponse,
  DatasetResponse,
  FilterSchemaResponse,
  ImageResponse,
  SchemaManifest,
  SFrameResponse,
  TextResponse,
  VideoResponse,
  NeighborsResponse,
  PreviewDescriptor,
  WorkflowResponse,
} from "@tessera/shared-crdt/api";
import type { JsonSchema } from "./routeTable.js";

/**
 * JSON Schemas of the API's bodies, derived from shared-crdt's table definitions so that a column
 * added to the model shows up in the OpenAPI document without anyone touching this file.
 */

function scalarSchema(kind: string): JsonSchema {
  switch (kind) {
    case "utf8":
    case "binary_text":
      return { type: "string" };
    case "timestamp_us":
      return { type: "string", format: "date-time" };
    case "int64":
      return { type: "integer" };
    case "float64":
    case "float32":
      return { type: "number" };
    case "bool":
      return { type: "boolean" };
    default:
      return { type: "string", contentEncoding: "base64" };
  }
}

function columnTypeSchema(t: ColumnType): JsonSchema {
  if (t.kind === "list") return { type: "array", items: scalarSchema(t.of) };
  if (t.kind === "fixed_size_list")
    return { type: ["array", "null"], items: { type: "number" }, minItems: t.dim, maxItems: t.dim };
  return scalarSchema(t.kind);
}

function isBytes(c: ColumnDef): boolean {
  return c.type.kind === "binary" || c.type.kind === "large_binary";
}

const SERVER_OWNED = new Set(["created_at", "updated_at"]);

/** Pixano's transport-model name stem of a table (`BBox`, `Mask`, `KeyPoints`, …). */
export function modelStem(table: TableName): string {
  const stems: Partial<Record<TableName, string>> = { masks: "Mask", sequence_frames: "SFrame" };
  return stems[table] ?? TABLES[table].baseClass;
}

function properties(columns: readonly ColumnDef[], keep: (c: ColumnDef) => boolean): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const c of columns) {
    if (!keep(c)) continue;
    const dflt = c.default({ now: () => new Date(0) });
    const schema: Record<string, unknown> = { ...columnTypeSchema(c.type) };
    // Timestamps default to "now", bytes and vectors have no JSON default.
    if (dflt !== null && !(dflt instanceof Uint8Array) && c.type.kind !== "timestamp_us") schema.default = dflt;
    out[c.name] = schema;
  }
  return out;
}

/** `<Stem>Response`, `<Stem>Create`, `<Stem>Update` for a component table (custom fields allowed). */
function tableSchemas(table: TableName): Record<string, JsonSchema> {
  const def = TABLES[table];
  const columns = def.columns;
  const noVector = (c: ColumnDef) => !(table === "embeddings" && c.name === "vector");
  const stem = modelStem(table);
  const response: JsonSchema = {
    type: "object",
    title: `${stem}Response`,
    properties: properties(columns, (c) => !isBytes(c) && noVector(c)),
    required: columns.filter((c) => !isBytes(c) && noVector(c)).map((c) => c.name),
    additionalProperties: true,
  };
  const create: JsonSchema = {
    type: "object",
    title: `${stem}Create`,
    properties: properties(columns, (c) => !isBytes(c) && noVector(c) && !SERVER_OWNED.has(c.name)),
    required: ["id"],
    additionalProperties: true,
  };
  const update: JsonSchema = {
    type: "object",
    title: `${stem}Update`,
    properties: properties(columns, (c) => !isBytes(c) && noVector(c) && !SERVER_OWNED.has(c.name) && c.name !== "id"),
    additionalProperties: true,
  };
  return { [`${stem}Response`]: response, [`${stem}Create`]: create, [`${stem}Update`]: update };
}

export function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

export function paginatedOf(item: JsonSchema): JsonSchema {
  return {
    type: "object",
    properties: {
      items: { type: "array", items: item },
      total: { type: "integer" },
      limit: { type: "integer" },
      offset: { type: "integer" },
    },
    required: ["items", "total", "limit", "offset"],
  };
}

/** The tables with named schemas: records, entities, dynamic states, every annotation kind, embeddings. */
const COMPONENT_SCHEMA_TABLES: readonly TableName[] = ["records", ...COMPONENT_TABLES, "embeddings"];

/** Every named schema the document references. */
export function componentSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const t of COMPONENT_SCHEMA_TABLES) {
    Object.assign(out, tableSchemas(t));
  }
  out.HTTPError = { type: "object", properties: { detail: {} }, required: ["detail"] };
  out.ValidationError = {
    type: "object",
    properties: {
      type: { type: "string" },
      loc: { type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
      msg: { type: "string" },
      input: {},
      ctx: { type: "object" },
    },
    required: ["type", "loc", "msg"],
  };
  out.HTTPValidationError = {
    type: "object",
    properties: { detail: { type: "array", items: ref("ValidationError") } },
    required: ["detail"],
  };
  out.PreviewDescriptor = PreviewDescriptor;
  out.RecordListResponse = {
    allOf: [
      ref("RecordResponse"),
      {
        type: "object",
        properties: { view_previews: { type: "object", additionalProperties: ref("PreviewDescriptor") } },
      },
    ],
  };
  out.ImageResponse = ImageResponse;
  out.SFrameResponse = SFrameResponse;
  out.TextResponse = TextResponse;
  out.VideoResponse = VideoResponse;
  out.ConversationResponse = {
    type: "object",
    properties: { conversation_id: { type: "string" }, messages: { type: "array", items: ref("MessageResponse") } },
    required: ["conversation_id", "messages"],
  };
  out.SchemaManifest = SchemaManifest;
  out.DatasetInfoResponse = DatasetInfoResponse;
  out.DatasetResponse = DatasetResponse;
  out.ColumnDescriptor = ColumnDescriptor;
  out.FilterSchemaResponse = FilterSchemaResponse;
  out.NeighborsResponse = NeighborsResponse;
  out.WorkflowResponse = WorkflowResponse;
  return out;
}
