import type { Router } from "express";
import { Type } from "@sinclair/typebox";
import { PreannotateError, type PreannotateService } from "../../inference/preannotate/PreannotateService.js";
import { describeColumns } from "../catalogue.js";
import type { AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { checkFilters, checkQueryText, parseExplorerFilters } from "../explorerQuery.js";
import { jobRouter, jobErrorMapper } from "../jobRoutes.js";
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

export const mapPreannotateError: ErrorMapper = jobErrorMapper(PreannotateError);

export function preannotateRouter(ctx: AppContext): Router {
  const jobsPath = "/inference/datasets/{dataset_id}/preannotate/jobs";
  return jobRouter(ctx, {
    service: (c: AppContext): PreannotateService | undefined => c.preannotate,
    offDetail: "Pre-annotation needs the inference worker and live records.",
    start: {
      path: "/inference/datasets/{dataset_id}/preannotate",
      operationId: "create_preannotation_job",
      summary: "Run a detector over a record, a selection, an explorer filter or the dataset as a job",
      body: PreannotateRequest,
      responses: {
        "202": { description: "The job, started (or waiting for the one before it)." },
        "404": { description: "No such dataset, model or record.", content: HTTPError },
        "422": { description: "The model is not a detector, or the filter is invalid.", content: HTTPError },
        "503": { description: "The inference worker or live records are off.", content: HTTPError },
      },
      run: async (service, handle, body, req) => {
        if (body.record_ids && (body.where !== undefined || body.q !== undefined || body.filter !== undefined))
          throw new HttpError(422, "Give record_ids or a filter (filter, where, q), not both.");
        const catalogue = describeColumns(recordsTable(handle));
        const filters = [
          ...parseExplorerFilters(catalogue, body.filter ?? []),
          ...checkFilters(catalogue, whereToFilters(body.where)),
        ];
        const q = checkQueryText(body.q);
        return service.start(
          handle,
          {
            model: body.model,
            threshold: body.threshold ?? 0.25,
            scope: body.record_ids ? { recordIds: body.record_ids } : { filters, ...(q ? { q } : {}) },
          },
          restIdentity(req),
        );
      },
    },
    list: {
      path: jobsPath,
      operationId: "list_preannotation_jobs",
      summary: "The dataset's pre-annotation jobs, most recent first",
      description: "The jobs.",
      list: (service, datasetId) => service.list(datasetId),
    },
    get: { path: `${jobsPath}/{job_id}`, operationId: "get_preannotation_job", summary: "One pre-annotation job" },
    cancel: {
      path: `${jobsPath}/{job_id}/cancel`,
      operationId: "cancel_preannotation_job",
      summary: "Cancel a pre-annotation job: it stops between two records; proposals already written stay",
    },
    jobDescription: "The job (Pixano's job shape, `kind: preannotate`).",
    notFound: "No such dataset or job.",
  });
}
