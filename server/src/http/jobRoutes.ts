import type { Static, TSchema } from "@sinclair/typebox";
import { Router, type Request } from "express";
import type { DatasetHandle } from "@tessera/dataset";
import { openDataset, param, type AppContext } from "./context.js";
import { HttpError, type ErrorMapper } from "./errors.js";
import { sendJson } from "./json.js";
import { jsonBody } from "./jsonBody.js";
import type { RouteSpec } from "./routeTable.js";

/**
 * The routes of a dataset's inference jobs (pre-annotation, tracking runs): start one (202 and the
 * job), list them, read one, cancel one, each answered with the job's JSON. A job kind declares its
 * paths, its request body and how a request starts it; the status codes, the 503 when the service
 * is off and the error answers are the same for every kind.
 */
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

/** What a job service throws when it refuses a request. */
interface JobRefusal extends Error {
  readonly reason: "not_found" | "bad_request" | "conflict";
}

/** A job service's refusals as `{"detail"}` answers: 404 not found, 409 conflict, 422 otherwise. */
export function jobErrorMapper(refusal: abstract new (...args: never[]) => JobRefusal): ErrorMapper {
  return (err) => {
    if (!(err instanceof refusal)) return null;
    const status = err.reason === "not_found" ? 404 : err.reason === "conflict" ? 409 : 422;
    return { status, detail: err.message };
  };
}

/** What the routes ask of a job service: a job by id, and its cancellation. */
interface JobService {
  get(datasetId: string, jobId: string): unknown;
  cancel(datasetId: string, jobId: string): unknown;
}

/** One route's OpenAPI path template, operation id and summary. */
type RouteName = Pick<RouteSpec, "path" | "operationId" | "summary">;

export interface JobRoutes<S extends JobService, B extends TSchema> {
  /** The service, or `undefined` when it is off: every route then answers 503 with `offDetail`. */
  readonly service: (ctx: AppContext) => S | undefined;
  readonly offDetail: string;
  /** `POST` → 202 and the job `run` started. */
  readonly start: RouteName & {
    readonly body: B;
    readonly responses: RouteSpec["responses"];
    run(service: S, handle: DatasetHandle, body: Static<B>, req: Request): Promise<unknown>;
  };
  /** `GET` → 200 and the jobs `list` returns. */
  readonly list: RouteName & {
    readonly description: string;
    list(service: S, datasetId: string, req: Request): unknown;
  };
  /** `GET` one job and `POST` its cancellation → 200 and the job (404: `notFound`). */
  readonly get: RouteName;
  readonly cancel: RouteName;
  readonly jobDescription: string;
  readonly notFound: string;
}

/** Registers a job kind's four routes on a new router. */
export function jobRouter<S extends JobService, B extends TSchema>(ctx: AppContext, routes: JobRoutes<S, B>): Router {
  const router = Router();
  const tags = ["Inference"];
  const serviceOf = (): S => {
    const service = routes.service(ctx);
    if (!service) throw new HttpError(503, routes.offDetail);
    return service;
  };
  const { start, list } = routes;
  const oneJob = {
    "200": { description: routes.jobDescription },
    "404": { description: routes.notFound, content: HTTPError },
  };
  ctx.routes.add(
    router,
    {
      method: "post",
      path: start.path,
      operationId: start.operationId,
      summary: start.summary,
      tags,
      body: start.body,
      responses: start.responses,
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const service = serviceOf();
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      // The router checked the body against `start.body` before this handler runs.
      const job = await start.run(service, handle, req.body as Static<B>, req);
      sendJson(res, 202, job);
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: list.path,
      operationId: list.operationId,
      summary: list.summary,
      tags,
      responses: {
        "200": { description: list.description },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, list.list(serviceOf(), handle.id, req));
    },
  );
  ctx.routes.add(router, { method: "get", ...routes.get, tags, responses: oneJob }, async (req, res) => {
    const handle = await openDataset(ctx, param(req.params, "dataset_id"));
    sendJson(res, 200, serviceOf().get(handle.id, param(req.params, "job_id")));
  });
  ctx.routes.add(router, { method: "post", ...routes.cancel, tags, responses: oneJob }, async (req, res) => {
    const handle = await openDataset(ctx, param(req.params, "dataset_id"));
    sendJson(res, 200, serviceOf().cancel(handle.id, param(req.params, "job_id")));
  });
  return router;
}
