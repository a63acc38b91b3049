import { Router } from "express";
import { Type } from "@sinclair/typebox";
import { PreannotateError, type PreannotateService } from "../../inference/preannotate/PreannotateService.js";
import { describeColumns } from "../catalogue.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { checkFilters, checkQueryText, parseExplorerFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";
import { whereToFilters } from "../whereClause.js";
import { recordsTable } from "./records.js";

/**
 * Pre-annotation jobs (SPEC INF-PREANN): a registered detector run over one record, a selection,
 * an explorer filter (its `filter` tokens, Pixano's `where` clause, free text `q`) or the whole dataset; the job's
 * JSON is the import/export job shape with `kind: "preannotate"`, and its progress also reaches the
 * dataset's live channel as `job:progress` events.
 *
 * - `POST /inference/datasets/{dataset_id}/preannotate` → 202 and the job;
 * - `GET /inference/datasets/{dataset_id}/preannotate/jobs` (most recent first), `GET …/jobs/{job_id}`;
 * - `POST …/jobs/{job_id}/cancel`: stops it between two records; what was written stays.
 */
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };
const MAX_SELECTION = 100_000;

const PreannotateRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 64 }),
    /** Scores under this are dropped (default 0.25, the stock YOLO exports' default). */
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** One record or a selection; absent with no `where`/`q`: the whole dataset. */
    record_ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: MAX_SELECTION }),
    ),
    /** The explorer's filter tokens (its `filter` query parameter), as the explorer sends them. */
    filter: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64 })),
    where: Type.Optional(Type.String({ maxLength: 4096 })),
    q: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const mapPreannotateError: ErrorMapper = (err) => {
  if (!(err instanceof PreannotateError)) return null;
  const status = err.reason === "not_found" ? 404 : err.reason === "conflict" ? 409 : 422;
  return { status, detail: err.message };
};

function serviceOf(ctx: AppContext): PreannotateService {
  if (!ctx.preannotate) throw new HttpError(503, "Pre-annotation needs the inference worker and live records.");
  return ctx.preannotate;
}

export function preannotateRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Inference"];
  const jobsPath = "/inference/datasets/{dataset_id}/preannotate/jobs";
  const jobDoc = { "200": { description: "The job (Pixano's job shape, `kind: preannotate`)." } };
  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/inference/datasets/{dataset_id}/preannotate",
      operationId: "create_preannotation_job",
      summary: "Run a detector over a record, a selection, an explorer filter or the dataset as a job",
      tags,
      body: PreannotateRequest,
      responses: {
        "202": { description: "The job, started (or waiting for the one before it)." },
        "404": { description: "No such dataset, model or record.", content: HTTPError },
        "422": { description: "The model is not a detector, or the filter is invalid.", content: HTTPError },
        "503": { description: "The inference worker or live records are off.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const service = serviceOf(ctx);
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const body = req.body;
      if (body.record_ids && (body.where !== undefined || body.q !== undefined || body.filter !== undefined))
        throw new HttpError(422, "Give record_ids or a filter (filter, where, q), not both.");
      const catalogue = describeColumns(recordsTable(handle));
      const filters = [
        ...parseExplorerFilters(catalogue, body.filter ?? []),
        ...checkFilters(catalogue, whereToFilters(body.where)),
      ];
      const q = checkQueryText(body.q);
      const job = await service.start(
        handle,
        {
          model: body.model,
          threshold: body.threshold ?? 0.25,
          scope: body.record_ids ? { recordIds: body.record_ids } : { filters, ...(q ? { q } : {}) },
        },
        restIdentity(req),
      );
      sendJson(res, 202, job);
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: jobsPath,
      operationId: "list_preannotation_jobs",
      summary: "The dataset's pre-annotation jobs, most recent first",
      tags,
      responses: {
        "200": { description: "The jobs." },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).list(handle.id));
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${jobsPath}/{job_id}`,
      operationId: "get_preannotation_job",
      summary: "One pre-annotation job",
      tags,
      responses: { ...jobDoc, "404": { description: "No such dataset or job.", content: HTTPError } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).get(handle.id, param(req.params, "job_id")));
    },
  );
  ctx.routes.add(
    router,
    {
      method: "post",
      path: `${jobsPath}/{job_id}/cancel`,
      operationId: "cancel_preannotation_job",
      summary: "Cancel a pre-annotation job: it stops between two records; proposals already written stay",
      tags,
      responses: { ...jobDoc, "404": { description: "No such dataset or job.", content: HTTPError } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).cancel(handle.id, param(req.params, "job_id")));
    },
  );
  return router;
}
