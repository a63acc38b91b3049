import { Router } from "express";
import { readInfo, writeInfo, type DatasetHandle } from "@tessera/dataset";
import { TABLES, typedInfo, type DatasetInfo, type SchemaGroup } from "@tessera/shared-crdt";
import { INFO_SLOTS } from "@tessera/shared-crdt/api";
import type { DatasetEntry } from "../../library/port.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, notFound } from "../errors.js";
import { sendJson } from "../json.js";
import { ref } from "../schemas.js";
import { scanAll } from "../scan.js";

/**
 * Datasets (Pixano `routers/datasets.py`). `GET /datasets` is served from the library's cache
 * (counts and mosaics are not recomputed per call); `GET /datasets/{id}` gives paths relative to
 * the library instead of the server's absolute paths.
 */

/**
 * `DatasetInfoResponse`: Pixano 0.8's `DatasetInfo` key order, every slot present, plus
 * `num_records`. Float field defaults are floats (`0.0`), as Pixano serialises them.
 */
function infoResponse(info: DatasetInfo, numRecords: number, preview: string): Record<string, unknown> {
  const typed = typedInfo(info);
  const out: Record<string, unknown> = {
    id: info.id,
    name: info.name,
    description: info.description,
    size: info.size,
    preview,
    creation_date: typeof info.creation_date === "string" ? info.creation_date : "",
    bookmarks: Array.isArray(info.bookmarks) ? info.bookmarks : [],
    workspace: info.workspace,
    storage_mode: info.storage_mode,
    spec_version: typeof info.spec_version === "number" ? info.spec_version : 1,
  };
  for (const slot of INFO_SLOTS) out[slot] = typed[slot] ?? null;
  out.views = typed.views;
  out.num_records = numRecords;
  return out;
}

/** Pixano 0.8's `BOOKMARK_TYPES`. */
const BOOKMARK_TYPES = ["TODO", "NEW", "FAVORITE"] as const;

const FEATURE_GROUPS = [
  "item",
  "records",
  "views",
  "entities",
  "entity_dynamic_states",
  "annotations",
  "embeddings",
] as const;

function featureValues(handle: DatasetHandle): Record<string, unknown> {
  const fv = handle.featuresValues as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const g of FEATURE_GROUPS) out[g] = fv[g] ?? {};
  for (const [k, v] of Object.entries(fv)) if (!(k in out)) out[k] = v;
  return out;
}

const STATS_GROUPS: readonly SchemaGroup[] = [
  "views",
  "entities",
  "entity_dynamic_states",
  "annotations",
  "embeddings",
];

async function countOf(ctx: AppContext, handle: DatasetHandle, table: keyof typeof TABLES): Promise<number> {
  try {
    return await handle.count(table);
  } catch (err) {
    // Pixano answers 0 for a table it cannot count; the listing stays useful and the cause is logged.
    ctx.logger.warn("cannot count rows", {
      dataset: handle.id,
      table,
      error: err instanceof Error ? err.message : String(err),
    });
    return 0;
  }
}

async function entryOf(ctx: AppContext, id: string): Promise<DatasetEntry> {
  const entry = (await ctx.library.list()).find((e) => e.id === id);
  if (!entry) throw notFound(`Dataset '${id}' not found.`);
  return entry;
}

export function datasetsRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Datasets"];

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets",
      operationId: "list_datasets_info",
      summary: "List datasets",
      tags,
      responses: {
        "200": {
          description: "Every dataset of the library.",
          content: { "application/json": { type: "array", items: ref("DatasetInfoResponse") } },
        },
      },
    },
    async (_req, res) => {
      const entries = [...(await ctx.library.list())].sort((a, b) =>
        a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0,
      );
      const out = [];
      for (const e of entries) out.push(infoResponse(e.info, e.numRecords, await ctx.library.preview(e.id)));
      sendJson(res, 200, out);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{id}/info",
      operationId: "get_dataset_info",
      summary: "Dataset info",
      tags,
      responses: {
        "200": {
          description: "The dataset's info with its record count.",
          content: { "application/json": ref("DatasetInfoResponse") },
        },
      },
    },
    async (req, res) => {
      const e = await entryOf(ctx, param(req.params, "id"));
      sendJson(res, 200, infoResponse(e.info, e.numRecords, await ctx.library.preview(e.id)));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{id}/stats",
      operationId: "get_dataset_stats",
      summary: "Row counts per table, by schema group",
      tags,
      responses: {
        "200": {
          description: "{group: {table: rows}} for every group but records.",
          content: {
            "application/json": {
              type: "object",
              additionalProperties: { type: "object", additionalProperties: { type: "integer" } },
            },
          },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "id"));
      const out: Record<string, Record<string, number>> = {};
      for (const group of STATS_GROUPS) {
        const counts: Record<string, number> = {};
        for (const table of handle.schema.tables.keys()) {
          if (TABLES[table].group === group) counts[table] = await countOf(ctx, handle, table);
        }
        if (Object.keys(counts).length > 0) out[group] = counts;
      }
      sendJson(res, 200, out);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/info/{id}/splits",
      operationId: "get_dataset_splits",
      summary: "Record counts per split and status",
      tags,
      responses: {
        "200": {
          description: "[{split, status, count}] sorted by split then status.",
          content: {
            "application/json": {
              type: "array",
              items: {
                type: "object",
                properties: { split: { type: "string" }, status: { type: "string" }, count: { type: "integer" } },
              },
            },
          },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "id"));
      const rows = await ctx.library.memo(handle.id, "splits", async () => {
        const counts = new Map<string, { split: string; status: string; count: number }>();
        for (const r of await scanAll(handle, "records", { columns: ["split", "status"] })) {
          const split = String(r.split ?? "");
          const status = String(r.status ?? "");
          const key = JSON.stringify([split, status]);
          const cur = counts.get(key) ?? { split, status, count: 0 };
          cur.count++;
          counts.set(key, cur);
        }
        return [...counts.values()].sort((a, b) =>
          a.split === b.split ? (a.status < b.status ? -1 : 1) : a.split < b.split ? -1 : 1,
        );
      });
      sendJson(res, 200, rows);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "patch",
      path: "/datasets/info/{id}/bookmark",
      operationId: "toggle_dataset_bookmark",
      summary: "Toggle a bookmark on a dataset",
      tags,
      // Pixano declares a plain string and answers its own 422 text for an unknown bookmark.
      query: [
        {
          name: "bookmark",
          required: true,
          schema: { type: "string" },
          description: `One of ${BOOKMARK_TYPES.join(", ")}; another is a 422 with Pixano's message.`,
        },
      ],
      responses: {
        "200": {
          description: "The dataset's info after the toggle.",
          content: { "application/json": ref("DatasetInfoResponse") },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "id"));
      const { bookmark } = req.query;
      if (!(BOOKMARK_TYPES as readonly string[]).includes(bookmark)) {
        throw new HttpError(
          422,
          `Invalid bookmark type '${bookmark}'. Must be one of (${BOOKMARK_TYPES.map((b) => `'${b}'`).join(", ")}).`,
        );
      }
      // Read the file, not the cached info: another writer may have changed it since.
      const info = await readInfo(handle.path);
      const marks = Array.isArray(info.bookmarks)
        ? info.bookmarks.filter((b): b is string => typeof b === "string")
        : [];
      info.bookmarks = marks.includes(bookmark) ? marks.filter((b) => b !== bookmark) : [...marks, bookmark];
      await writeInfo(handle.path, info);
      ctx.library.touched(handle.id);
      sendJson(
        res,
        200,
        infoResponse(info, await countOf(ctx, handle, "records"), await ctx.library.preview(handle.id)),
      );
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{id}",
      operationId: "get_dataset",
      summary: "Dataset",
      tags,
      responses: {
        "200": {
          description: "Tables, feature values and info (paths relative to the library).",
          content: { "application/json": ref("DatasetResponse") },
        },
      },
    },
    async (req, res) => {
      const id = param(req.params, "id");
      const handle = await openDataset(ctx, id);
      const folder = (await ctx.library.folderOf(handle.id)) ?? handle.id;
      const tables: Record<string, string> = {};
      for (const [name, schema] of handle.schema.tables) tables[name] = schema.className;
      const numRecords = await countOf(ctx, handle, "records");
      sendJson(res, 200, {
        id: handle.id,
        path: folder,
        previews_path: `${folder}/previews`,
        thumbnail: `${folder}/preview.png`,
        tables,
        feature_values: featureValues(handle),
        info: infoResponse(handle.info, numRecords, ""),
      });
    },
  );
  return router;
}
