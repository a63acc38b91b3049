import { Router } from "express";
import { Type } from "@sinclair/typebox";
import type { DatasetHandle } from "@tessera/dataset";
import type { InferenceService } from "../../inference/InferenceService.js";
import { EmbedJobStateError } from "../../inference/search/embedJobs.js";
import { SearchError } from "../../inference/search/SearchError.js";
import { MAX_K, searchServiceOf, type SearchService } from "../../inference/search/SearchService.js";
import { describeColumns } from "../catalogue.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { checkFilters, parseExplorerFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { serializeRow } from "../serialize.js";
import { resolveViewPreviews } from "../viewPreviews.js";
import { whereToFilters } from "../whereClause.js";
import { recordsTable } from "./records.js";

/**
 * Pixano 0.8's semantic search (`pixano/api/routers/explorer.py`), answered by Tessera's inference
 * worker and the dataset's `embeddings` table:
 *
 * - `POST /datasets/{dataset_id}/embeddings/compute {model, provider_name?, force}` → 202 `{job_id}`;
 *   the job is polled at `GET /io/jobs/{job_id}` and cancelled at `POST /io/jobs/{job_id}/cancel`.
 * - `POST /datasets/{dataset_id}/records/search {text? | similar_to?, model?, k=50, filter?, where?}`
 *   → `{items: [record + _distance + view_previews], total, model, mode: text|similar, k}`, nearest
 *   first (cosine distance); 400/404/409/503 with Pixano's actionable messages.
 */
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

const RecordSearchRequest = Type.Object(
  {
    model: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
    text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    similar_to: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    k: Type.Optional(Type.Integer()),
    filter: Type.Optional(Type.Union([Type.Array(Type.String(), { maxItems: 8 }), Type.Null()])),
    where: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { title: "RecordSearchRequest" },
);

const ComputeEmbeddingsRequest = Type.Object(
  {
    model: Type.String({ maxLength: 256 }),
    provider_name: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
    force: Type.Optional(Type.Boolean()),
  },
  { title: "ComputeEmbeddingsRequest" },
);

/** Search and embedding-job refusals as `{"detail"}` answers. */
export const mapSearchError: ErrorMapper = (err) => {
  if (err instanceof SearchError) return { status: err.status, detail: err.message };
  if (err instanceof EmbedJobStateError) return { status: 409, detail: err.message };
  return null;
};

function serviceOf(ctx: AppContext): { service: SearchService; inference: InferenceService } {
  if (!ctx.inference) throw new HttpError(404, "No inference provider connected");
  return { service: searchServiceOf(ctx.inference, ctx.library, ctx.logger), inference: ctx.inference };
}

/** The records the explorer's filters keep (null: no filter), Pixano's `_prefilter_record_ids`. */
async function allowedRecords(
  handle: DatasetHandle,
  tokens: readonly string[] | null | undefined,
  where: string | null | undefined,
): Promise<Set<string> | null> {
  if ((!tokens || tokens.length === 0) && !where) return null;
  const catalogue = describeColumns(recordsTable(handle));
  const filters = [
    ...parseExplorerFilters(catalogue, tokens ?? []),
    ...checkFilters(catalogue, whereToFilters(where ?? undefined)),
  ];
  const rows = (await handle.query("records", { filters, columns: ["id"] })).items;
  return new Set(rows.map((r) => String(r.id)));
}

export function searchRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Explorer"];

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/datasets/{dataset_id}/records/search",
      operationId: "search_records",
      summary: "Semantic record search (text → records, or records like a record)",
      tags,
      body: RecordSearchRequest,
      responses: {
        "200": { description: "Records nearest first, each with its `_distance` and `view_previews`." },
        "400": { description: "No embeddings yet, or neither text nor similar_to.", content: HTTPError },
        "404": { description: "No such record embedding, model or provider.", content: HTTPError },
        "409": { description: "Stale embeddings (another model or dimension).", content: HTTPError },
        "503": { description: "Broken embedding storage, or the inference queue is full.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { service } = serviceOf(ctx);
      const body = req.body;
      const k = body.k ?? 50;
      if (k < 1) throw new HttpError(400, "Search failed. k must be a strictly positive integer.");
      const answer = await service.search(handle, {
        text: body.text ?? null,
        similarTo: body.similar_to ?? null,
        model: body.model ?? null,
        k: Math.min(k, MAX_K),
        allowed: await allowedRecords(handle, body.filter, body.where),
      });
      const ids = answer.hits.map((h) => h.recordId);
      const schema = recordsTable(handle);
      const rows = new Map((await handle.getMany("records", ids)).map((r) => [String(r.id), r]));
      const previews = await resolveViewPreviews(handle, handle.id, ids);
      const items = answer.hits.flatMap((h) => {
        const row = rows.get(h.recordId);
        if (!row) return [];
        const p = previews.get(h.recordId);
        return [
          {
            ...serializeRow(schema, row),
            _distance: h.distance,
            view_previews: p && Object.keys(p).length > 0 ? p : null,
          },
        ];
      });
      sendJson(res, 200, { items, total: items.length, model: answer.model, mode: answer.mode, k });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/datasets/{dataset_id}/embeddings/compute",
      operationId: "compute_record_embeddings",
      summary: "Compute the image embeddings of every image view (a job: poll GET /io/jobs/{id})",
      tags,
      body: ComputeEmbeddingsRequest,
      responses: {
        "202": { description: "`{job_id}`" },
        "404": { description: "No such dataset, model or provider.", content: HTTPError },
        "409": {
          description: "Another model's embeddings (force=true replaces them), or a job already runs.",
          content: HTTPError,
        },
        "422": { description: "The model is not an image embedding model.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const datasetId = param(req.params, "dataset_id");
      await openDataset(ctx, datasetId);
      const { service } = serviceOf(ctx);
      const body = req.body;
      if (body.provider_name != null && body.provider_name !== "tessera")
        throw new HttpError(404, `Unknown inference provider '${body.provider_name}'`);
      const job = await service.compute(datasetId, body.model, body.force ?? false);
      sendJson(res, 202, { job_id: job.job_id });
    },
  );
  return router;
}
