import { Router } from "express";
import type { DatasetHandle } from "@tessera/dataset";
import { TABLES, type Row, type TableSchema } from "@tessera/shared-crdt";
import { describeColumns } from "../catalogue.js";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { createRow, deleteRow, getRow, updateRow } from "../crud.js";
import { docsFor } from "../recordDocs.js";
import { badRequest } from "../errors.js";
import { checkFilters, checkQueryText, checkSort, parseExplorerFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { pageOf, paginated } from "../pagination.js";
import { paginatedOf, ref } from "../schemas.js";
import { serializeRow } from "../serialize.js";
import { resolveViewPreviews, type PreviewDescriptor } from "../viewPreviews.js";
import { whereToFilters } from "../whereClause.js";
import { explorerQueryDocs, paginationDocs } from "./docs.js";
import { reviewFilter, reviewListDocs } from "../reviewListing.js";

/** Records (Pixano `routers/records.py` + 0.8.x explorer query): list, get, create, update, delete. */

const ALLOWED_INCLUDES = ["view_previews"];
const BASE_RECORD_FIELDS = new Set<string>(TABLES.records.columns.map((c) => c.name));

function parseInclude(include: string | undefined): Set<string> {
  if (include === undefined) return new Set();
  const values = new Set(
    include
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== ""),
  );
  const unknown = [...values].filter((v) => !ALLOWED_INCLUDES.includes(v)).sort();
  if (unknown.length > 0) {
    throw badRequest(
      `Unknown include value(s): ${unknown.join(", ")}. Allowed values: ${ALLOWED_INCLUDES.join(", ")}.`,
    );
  }
  return values;
}

export function recordsTable(handle: DatasetHandle): TableSchema {
  const schema = declaredTable(handle, "records");
  if (!schema) throw new Error(`dataset ${handle.id} has no records table in its schema`);
  return schema;
}

/** Record fields, with `view_previews` after Pixano's base fields and before custom ones (pydantic's order). */
function recordListItem(
  schema: TableSchema,
  row: Row,
  previews: Record<string, PreviewDescriptor> | undefined,
): Record<string, unknown> {
  const base = serializeRow(schema, row);
  if (!previews || Object.keys(previews).length === 0) return base;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) if (BASE_RECORD_FIELDS.has(k)) out[k] = v;
  out.view_previews = previews;
  for (const [k, v] of Object.entries(base)) if (!BASE_RECORD_FIELDS.has(k)) out[k] = v;
  return out;
}

export function recordsRouter(ctx: AppContext): Router {
  const router = Router();
  const base = "/datasets/{dataset_id}/records";
  const tags = ["Records"];

  ctx.routes.add(
    router,
    {
      method: "get",
      path: base,
      operationId: "list_records",
      summary: "List records",
      tags,
      query: [
        ...paginationDocs,
        ...explorerQueryDocs,
        ...reviewListDocs,
        {
          name: "include",
          schema: { type: "string" },
          description: "Comma-separated expansions: only view_previews (another is a 400, as in Pixano).",
        },
      ],
      responses: {
        "200": {
          description: "A page of records.",
          content: { "application/json": paginatedOf(ref("RecordListResponse")) },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const page = pageOf(req.query);
      const { filter: tokens, q: text, sort, order, where, include } = req.query;
      const includes = parseInclude(include);
      const schema = recordsTable(handle);
      const catalogue = describeColumns(schema);
      const filters = [...parseExplorerFilters(catalogue, tokens), ...checkFilters(catalogue, whereToFilters(where))];
      // Tessera's review columns (SPEC RV6) filter through the review stamps: an `id in (…)` of the records they match.
      const byReview = await reviewFilter(ctx, handle.id, req.query);
      if (byReview?.values.length === 0) {
        sendJson(res, 200, paginated([], 0, page));
        return;
      }
      if (byReview) filters.push(byReview);
      const result = await handle.query("records", {
        filters,
        q: checkQueryText(text),
        sort: checkSort(catalogue, sort, order),
        limit: page.limit,
        offset: page.offset,
        ...(page.after ? { after: { id: page.after } } : {}),
      });
      const previews = includes.has("view_previews")
        ? await resolveViewPreviews(
            handle,
            handle.id,
            result.items.map((r) => String(r.id)),
          )
        : new Map<string, Record<string, PreviewDescriptor>>();
      const items = result.items.map((row) => recordListItem(schema, row, previews.get(String(row.id))));
      sendJson(res, 200, paginated(items, result.total, page));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/{id}`,
      operationId: "get_record",
      summary: "Get a record",
      tags,
      responses: { "200": { description: "The record.", content: { "application/json": ref("RecordResponse") } } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const schema = recordsTable(handle);
      sendJson(res, 200, serializeRow(schema, await getRow({ handle, schema }, param(req.params, "id"))));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: base,
      operationId: "create_record",
      summary: "Create a record",
      tags,
      body: ref("RecordCreate"),
      responses: {
        "201": {
          description: "The created record (or the identical one already stored).",
          content: { "application/json": ref("RecordResponse") },
        },
        "409": {
          description: "Another record already has this id.",
          content: { "application/json": ref("HTTPError") },
        },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const schema = recordsTable(handle);
      const { row, created } = await createRow({ handle, schema, ...docsFor(ctx.docs, req) }, req.body);
      if (created) ctx.library.touched(handle.id);
      sendJson(res, 201, serializeRow(schema, row));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "put",
      path: `${base}/{id}`,
      operationId: "replace_record",
      summary: "Update a record",
      tags,
      body: ref("RecordUpdate"),
      responses: {
        "200": { description: "The merged record.", content: { "application/json": ref("RecordResponse") } },
        "403": {
          description:
            "This role may not edit the record in its status, or not make this status change (annotators take the workflow transitions only). Nothing was written.",
          content: { "application/json": ref("HTTPError") },
        },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const schema = recordsTable(handle);
      const row = await updateRow({ handle, schema, ...docsFor(ctx.docs, req) }, param(req.params, "id"), req.body);
      ctx.library.touched(handle.id);
      sendJson(res, 200, serializeRow(schema, row));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "delete",
      path: `${base}/{id}`,
      operationId: "delete_record",
      summary: "Delete a record and everything that hangs on it",
      tags,
      responses: { "204": { description: "Deleted, with its views, entities, annotations and embeddings." } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      await deleteRow({ handle, schema: recordsTable(handle), ...docsFor(ctx.docs, req) }, param(req.params, "id"));
      ctx.library.touched(handle.id);
      res.status(204).end();
    },
  );

  return router;
}
