import { Router, type Request } from "express";
import type { DatasetHandle } from "@tessera/dataset";
import {
  ALL_FILTERS,
  kindsInRouteOrder,
  TABLES,
  tableSchemaFromManifest,
  type Filter,
  type ResourceFilter,
  type TableName,
  type TableSchema,
} from "@tessera/shared-crdt";
import { describeColumns } from "../catalogue.js";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { createRow, deleteRow, getRow, updateRow, type TableAccess } from "../crud.js";
import { docsFor } from "../recordDocs.js";
import { badRequest, notFound } from "../errors.js";
import { checkFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { pageOf, pageQuery, paginated } from "../pagination.js";
import type { QueryParamDoc } from "../routeTable.js";
import { modelStem, paginatedOf, ref } from "../schemas.js";
import { readableColumns, serializeRow } from "../serialize.js";
import { whereToFilters } from "../whereClause.js";
import { paginationDocs, whereDoc } from "./docs.js";

/**
 * The generic CRUD routers of Pixano's component resources (`routers/resources.py` +
 * `api/resources.py`): one definition per resource, one factory.
 */

export type ListFilter = ResourceFilter;

export interface ResourceDef {
  readonly table: TableName;
  /** Singular name used in operation ids (`get_bbox`). */
  readonly name: string;
  readonly tag: string;
  readonly filters: readonly ListFilter[];
  readonly update: boolean;
  readonly delete: boolean;
  /** Columns neither accepted nor returned. */
  readonly exclude?: ReadonlySet<string>;
}

/** Pixano 0.8's resources, with the filters each one accepts; annotation kinds come from the kind registry. */
export const RESOURCES: readonly ResourceDef[] = [
  { table: "entities", name: "entity", tag: "Entities", filters: ["record_id"], update: true, delete: true },
  {
    table: "entity_dynamic_states",
    name: "entity_dynamic_state",
    tag: "Entity Dynamic States",
    filters: ALL_FILTERS,
    update: true,
    delete: true,
  },
  ...kindsInRouteOrder().map((k): ResourceDef => ({
    table: k.id as TableName,
    name: k.rest.name,
    tag: k.rest.tag,
    filters: k.rest.filters,
    update: true,
    delete: true,
  })),
  {
    table: "embeddings",
    name: "embedding",
    tag: "Embeddings",
    filters: ["record_id", "view_name"],
    update: false,
    delete: false,
    exclude: new Set(["vector"]),
  },
];

const FILTER_DOCS: Readonly<Record<ListFilter, QueryParamDoc>> = {
  record_id: { name: "record_id", schema: { type: "string" } },
  entity_id: { name: "entity_id", schema: { type: "string" } },
  view_name: {
    name: "view_name",
    schema: { type: "string" },
    description: "Matches view_id (Pixano's behaviour for annotations).",
  },
  source_type: { name: "source_type", schema: { type: "string" } },
  tracklet_id: { name: "tracklet_id", schema: { type: "string" } },
  frame_index: { name: "frame_index", schema: { type: "integer" } },
};

/**
 * The exact-match filters of a resource listing, from the router-checked query (empty strings are
 * ignored, as in Pixano).
 */
export function readListFilters(
  q: Readonly<Record<string, unknown>>,
  allowed: readonly ListFilter[],
  viewColumn: "view_id" | "logical_name",
): Filter[] {
  const out: Filter[] = [];
  for (const f of allowed) {
    if (f === "frame_index") {
      const n = q.frame_index;
      if (typeof n === "number") out.push({ column: "frame_index", op: "eq", values: [String(n)] });
      continue;
    }
    const v = q[f];
    if (typeof v !== "string" || v === "") continue;
    out.push({ column: f === "view_name" ? viewColumn : f, op: "eq", values: [v] });
  }
  return out;
}

/** Filters whose column this table does not have are a 400, not an engine error. */
export function checkColumnsExist(schema: TableSchema, filters: readonly Filter[]): void {
  for (const f of filters) {
    if (!schema.columns.some((c) => c.name === f.column)) {
      throw badRequest(`Filter '${f.column}' does not apply to ${schema.table.resource}.`);
    }
  }
}

/**
 * The table's schema as the dataset declares it. Undeclared annotation tables (which the library
 * creates on first write, as Pixano's `resolve_table` does) and the embeddings table (whose vector
 * width only the disk knows) fall back to the base schema; other undeclared tables do not exist.
 */
function resolveTable(handle: DatasetHandle, def: ResourceDef): TableSchema | null {
  const declared = declaredTable(handle, def.table);
  if (declared) return declared;
  if (isAnnotation(def) || def.table === "embeddings") return tableSchemaFromManifest(null, def.table);
  return null;
}

function noTable(def: ResourceDef) {
  return notFound(`No table found for resource '${TABLES[def.table].resource}'.`);
}

function isAnnotation(def: ResourceDef): boolean {
  return TABLES[def.table].group === "annotations";
}

export function resourceRouter(ctx: AppContext, def: ResourceDef): Router {
  const router = Router();
  const resource = TABLES[def.table].resource;
  const base = `/datasets/{dataset_id}/${resource}`;
  const stem = modelStem(def.table);
  const op = resource.replace(/-/g, "_");
  const tags = [def.tag];

  const access = async (
    datasetId: string,
    req: Request,
  ): Promise<{ handle: DatasetHandle; access: TableAccess | null }> => {
    const handle = await openDataset(ctx, datasetId);
    const schema = resolveTable(handle, def);
    return { handle, access: schema ? { handle, schema, exclude: def.exclude, ...docsFor(ctx.docs, req) } : null };
  };

  ctx.routes.add(
    router,
    {
      method: "get",
      path: base,
      operationId: `list_${op}`,
      summary: `List ${def.tag.toLowerCase()}`,
      tags,
      query: [...paginationDocs, ...def.filters.map((f) => FILTER_DOCS[f]), whereDoc],
      responses: {
        "200": { description: "A page of rows.", content: { "application/json": paginatedOf(ref(`${stem}Response`)) } },
      },
    },
    async (req, res) => {
      const { access: a } = await access(param(req.params, "dataset_id"), req);
      const page = pageOf(req.query);
      const exact = readListFilters(req.query, def.filters, "view_id");
      const where = req.query.where;
      if (!a) throw noTable(def);
      const filters = [...exact, ...checkFilters(describeColumns(a.schema), whereToFilters(where))];
      checkColumnsExist(a.schema, filters);
      const result = await a.handle.query(def.table, {
        filters,
        ...pageQuery(page),
        columns: readableColumns(a.schema, { exclude: def.exclude }),
      });
      const items = result.items.map((row) => serializeRow(a.schema, row, { exclude: def.exclude }));
      sendJson(res, 200, paginated(items, result.total, page));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/{id}`,
      operationId: `get_${def.name}`,
      summary: `Get a ${def.name}`,
      tags,
      responses: { "200": { description: "The row.", content: { "application/json": ref(`${stem}Response`) } } },
    },
    async (req, res) => {
      const { access: a } = await access(param(req.params, "dataset_id"), req);
      const id = param(req.params, "id");
      if (!a) throw noTable(def);
      sendJson(res, 200, serializeRow(a.schema, await getRow(a, id), { exclude: def.exclude }));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: base,
      operationId: `create_${def.name}`,
      summary: `Create a ${def.name}`,
      tags,
      body: ref(`${stem}Create`),
      responses: {
        "201": {
          description: "The created row (or the identical one already stored).",
          content: { "application/json": ref(`${stem}Response`) },
        },
        "400": {
          description:
            'Foreign key or cross-entity violation, or Pixano\'s model validator refused the row ("Invalid data: …").',
          content: { "application/json": ref("HTTPError") },
        },
        "409": { description: "Another row already has this id.", content: { "application/json": ref("HTTPError") } },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const { access: a } = await access(param(req.params, "dataset_id"), req);
      if (!a) throw noTable(def);
      const { row } = await createRow(a, req.body);
      sendJson(res, 201, serializeRow(a.schema, row, { exclude: def.exclude }));
    },
  );

  if (def.update) {
    ctx.routes.add(
      router,
      {
        method: "put",
        path: `${base}/{id}`,
        operationId: `replace_${def.name}`,
        summary: `Update a ${def.name}`,
        tags,
        body: ref(`${stem}Update`),
        responses: {
          "200": { description: "The merged row.", content: { "application/json": ref(`${stem}Response`) } },
          "400": {
            description: "Foreign key or cross-entity violation, or Pixano's model validator refused the merged row.",
            content: { "application/json": ref("HTTPError") },
          },
        },
      },
      jsonBody(ctx.jsonLimitBytes),
      async (req, res) => {
        const { access: a } = await access(param(req.params, "dataset_id"), req);
        const id = param(req.params, "id");
        if (!a) throw noTable(def);
        sendJson(res, 200, serializeRow(a.schema, await updateRow(a, id, req.body), { exclude: def.exclude }));
      },
    );
  }

  if (def.delete) {
    ctx.routes.add(
      router,
      {
        method: "delete",
        path: `${base}/{id}`,
        operationId: `delete_${def.name}`,
        summary: `Delete a ${def.name}`,
        tags,
        responses: {
          "204": {
            description:
              "Deleted with what hangs on it (SPEC D-CASCADE: an entity its annotations, a tracklet its per-frame annotations).",
          },
        },
      },
      async (req, res) => {
        const { access: a } = await access(param(req.params, "dataset_id"), req);
        const id = param(req.params, "id");
        if (!a) throw noTable(def);
        await deleteRow(a, id);
        res.status(204).end();
      },
    );
  }
  return router;
}
