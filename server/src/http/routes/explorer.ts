import { Router } from "express";
import type { ColumnDescriptor as ColumnDescriptorResponse, FilterSchemaResponse } from "@tessera/shared-crdt/api";
import { catalogueOrder, describeColumns, type ColumnDescriptor } from "../catalogue.js";
import { openDataset, param, type AppContext } from "../context.js";
import { checkFilters, checkQueryText, checkSort, parseExplorerFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { ref } from "../schemas.js";
import { scanAll } from "../scan.js";
import { whereToFilters } from "../whereClause.js";
import { explorerQueryDocs } from "./docs.js";
import { recordsTable } from "./records.js";
import { reviewFilter, reviewListDocs } from "../reviewListing.js";
import type { NeighborsResponse } from "@tessera/shared-crdt/api";
import { searchCapabilities } from "../../inference/search/capabilities.js";

/**
 * The 0.8.x explorer (Pixano `routers/explorer.py`): the filter capability document and
 * previous/next navigation inside the current filtered, sorted set of records.
 */

const ENUMERABLE = new Set(["split", "status"]);
const MAX_ENUMERABLE_VALUES = 100;

async function enumerate(
  ctx: AppContext,
  datasetId: string,
  column: string,
  read: () => Promise<unknown[]>,
): Promise<{ values: string[]; complete: boolean }> {
  return ctx.library.memo(datasetId, `values:${column}`, async () => {
    const seen = new Set<string>();
    let complete = true;
    for (const v of await read()) {
      if (v === null || v === undefined) continue;
      const s = String(v);
      if (seen.has(s)) continue;
      if (seen.size >= MAX_ENUMERABLE_VALUES) {
        complete = false;
        break;
      }
      seen.add(s);
    }
    return { values: [...seen].sort(), complete };
  });
}

function descriptorOut(
  d: ColumnDescriptor,
  values: { values: string[]; complete: boolean } | null,
  indexed: boolean,
): ColumnDescriptorResponse {
  return {
    name: d.name,
    type: d.type,
    collection: d.collection,
    source: d.source,
    filterable: d.filterable,
    sortable: d.sortable,
    searchable: d.searchable,
    // A column covered by an index of the table (LanceDB `listIndices`), as Pixano reports it.
    indexed,
    operators: [...d.operators],
    ...(values ? { values: values.values } : {}),
    values_complete: values ? values.complete : true,
  };
}

export function explorerRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Explorer"];

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/filters",
      operationId: "get_filter_schema",
      summary: "Filter capability document",
      tags,
      responses: {
        "200": {
          description: "Filterable/sortable record columns, operators, enumerable values and search modes.",
          content: { "application/json": ref("FilterSchemaResponse") },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const schema = recordsTable(handle);
      const columns: ColumnDescriptorResponse[] = [];
      const indexed = await handle.indexedColumns("records");
      for (const d of catalogueOrder(describeColumns(schema))) {
        const values =
          ENUMERABLE.has(d.name) && d.filterable
            ? await enumerate(ctx, handle.id, d.name, async () =>
                (await scanAll(handle, "records", { columns: [d.name] })).map((r) => r[d.name]),
              )
            : null;
        columns.push(descriptorOut(d, values, indexed.has(d.name)));
      }
      const total = await handle.count("records");
      const reply: FilterSchemaResponse = {
        table: "records",
        columns,
        search: await searchCapabilities(handle, total),
      };
      sendJson(res, 200, reply);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/records/{record_id}/neighbors",
      operationId: "get_record_neighbors",
      summary: "Record neighbors",
      tags,
      query: [...explorerQueryDocs, ...reviewListDocs],
      responses: {
        "200": {
          description: "Previous/next record ids, 1-based position and total of the current set.",
          content: { "application/json": ref("NeighborsResponse") },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { filter: tokens, q: text, sort: sortParam, order, where } = req.query;
      const catalogue = describeColumns(recordsTable(handle));
      const filters = [...parseExplorerFilters(catalogue, tokens), ...checkFilters(catalogue, whereToFilters(where))];
      // Tessera's review columns (SPEC RV6); no record matches → an id that no record has.
      const byReview = await reviewFilter(ctx, handle.id, req.query);
      if (byReview) filters.push(byReview.values.length > 0 ? byReview : { column: "id", op: "in", values: [""] });
      const options = { filters, q: checkQueryText(text), sort: checkSort(catalogue, sortParam, order) };
      const found = await handle.neighbors(param(req.params, "record_id"), options);
      if (found) {
        const reply: NeighborsResponse = {
          prev: found.previous,
          next: found.next,
          position: found.position,
          total: found.total,
        };
        sendJson(res, 200, reply);
        return;
      }
      const total = await handle.count("records", { filters: options.filters, q: options.q });
      const reply: NeighborsResponse = { prev: null, next: null, position: null, total };
      sendJson(res, 200, reply);
    },
  );
  return router;
}
