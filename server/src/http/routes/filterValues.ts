import { Router } from "express";
import {
  FILTER_VALUES_LIMIT_DEFAULT,
  FILTER_VALUES_LIMIT_MAX,
  FilterValuesResponse,
  type FilterValue,
} from "@tessera/shared-crdt/api";
import type { DatasetHandle } from "@tessera/dataset";
import { describeColumns } from "../catalogue.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { sendJson } from "../json.js";
import { scanAll } from "../scan.js";
import { recordsTable } from "./records.js";

/**
 * The explorer filter builder's pick-lists: for one filterable record column, the dataset's own
 * pick-list (`features_values.json`: Pixano keeps the records' under `item`, 0.8 also `records`)
 * and the values the records hold, with counts. One column scan, memoised per dataset until the
 * next write; distinct values are counted up to {@link DISTINCT_CAP}, so a free-text column costs
 * bounded memory and answers `more`.
 */

/** Column types a pick-list makes sense for (dates and times are ranges, not picks). */
const ENUMERABLE_TYPES = new Set(["str", "int", "float", "bool"]);
/** Distinct values counted per column at most; beyond, the column is not a pick-list (`more`). */
const DISTINCT_CAP = 1000;
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

interface ColumnCounts {
  readonly counts: ReadonlyMap<string, number>;
  /** More distinct values than {@link DISTINCT_CAP} were seen. */
  readonly capped: boolean;
}

async function countValues(handle: DatasetHandle, column: string): Promise<ColumnCounts> {
  const counts = new Map<string, number>();
  let capped = false;
  for (const row of await scanAll(handle, "records", { columns: [column] })) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    const s = String(v);
    const n = counts.get(s);
    if (n !== undefined) counts.set(s, n + 1);
    else if (counts.size < DISTINCT_CAP) counts.set(s, 1);
    else capped = true;
  }
  return { counts, capped };
}

/** The records' pick-list for a column: `records` (Pixano 0.8) or `item` (the legacy group name). */
function pickListOf(handle: DatasetHandle, column: string): { values: string[]; restricted: boolean } | null {
  const fv = handle.featuresValues;
  for (const group of ["records", "item"]) {
    const entry = fv[group]?.records?.find((c) => c.name === column);
    if (entry) return { values: entry.values.map(String), restricted: entry.restricted };
  }
  return null;
}

/** Pick-list values first (its order), then the rest by count, most frequent first, then by value. */
function rankValues(
  pickList: readonly string[],
  counts: ReadonlyMap<string, number>,
  limit: number,
): { values: FilterValue[]; total: number } {
  const listed = new Set(pickList);
  const first = [...listed].map((value) => ({ value, count: counts.get(value) ?? 0 }));
  const rest = [...counts]
    .filter(([value]) => !listed.has(value))
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const all = [...first, ...rest];
  return { values: all.slice(0, limit), total: all.length };
}

export function filterValuesRouter(ctx: AppContext): Router {
  const router = Router();
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/filters/{column}/values",
      operationId: "get_filter_values",
      summary: "Pick-list of a record column for the filter builder",
      tags: ["Explorer"],
      query: [
        {
          name: "limit",
          schema: {
            type: "integer",
            minimum: 1,
            maximum: FILTER_VALUES_LIMIT_MAX,
            default: FILTER_VALUES_LIMIT_DEFAULT,
          },
        },
      ],
      responses: {
        "200": {
          description:
            "The dataset's pick-list values, then the values records hold (most frequent first), each with its record count; `more` when others exist.",
          content: { "application/json": FilterValuesResponse },
        },
        "404": { description: "No such dataset or record column.", content: HTTPError },
        "422": {
          description: "The column cannot be filtered by picking values (a date, a list, bytes).",
          content: HTTPError,
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const column = param(req.params, "column");
      const d = describeColumns(recordsTable(handle)).find((c) => c.name === column);
      if (!d) throw new HttpError(404, `Records have no column '${column}'.`);
      if (!d.filterable || !ENUMERABLE_TYPES.has(d.type))
        throw new HttpError(422, `Column '${column}' (${d.type}) has no pick-list: filter it with a typed value.`);
      const limit = Number(req.query.limit ?? FILTER_VALUES_LIMIT_DEFAULT);
      const { counts, capped } = await ctx.library.memo(handle.id, `filter-values:${column}`, () =>
        countValues(handle, column),
      );
      const declared = pickListOf(handle, column);
      const bools = d.type === "bool" ? ["false", "true"] : [];
      const { values, total } = rankValues(declared?.values ?? bools, counts, limit);
      const reply: FilterValuesResponse = {
        column,
        type: d.type,
        values,
        more: capped || total > values.length,
        pick_list: declared !== null,
        restricted: declared?.restricted ?? false,
      };
      sendJson(res, 200, reply);
    },
  );
  return router;
}
