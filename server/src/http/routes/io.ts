import { Type } from "@sinclair/typebox";
import { Router, type Request } from "express";
import {
  EXPORT_FORMATS,
  IO_FORMATS,
  IoRequestError,
  JobQueueFullError,
  JobStateError,
  SourcePathError,
  type IoService,
} from "../../io/IoService.js";
import { UploadError } from "../../io/uploads.js";
import { streamDirectoryZip, ZipWriteError } from "../../io/zipWrite.js";
import type { AppContext } from "../context.js";
import { param } from "../context.js";
import { drainRejectedBody } from "../drainBody.js";
import { HttpError, notFound, type ErrorMapper } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { embedJobsOf } from "../../inference/search/SearchService.js";

/**
 * Pixano 0.8's data import/export API (`pixano/api/routers/data_io.py`): formats, upload
 * sessions, analyze (dry run → `ImportPlan`), import/export jobs, cancel; `resume` and rollback
 * (`DELETE`) answer 501 (Tessera runs neither). Tessera adds one-request uploads of a zip or a
 * folder and the download of an export as a zip. Sources are read only inside the import root.
 */

const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };
/** io request bodies are small JSON objects. */
const IO_JSON_LIMIT = 64 * 1024;

const Job = Type.Object(
  {
    job_id: Type.String(),
    kind: Type.String(),
    dataset: Type.String(),
    status: Type.String(),
    progress: Type.Record(Type.String(), Type.Unknown()),
    error: Type.Record(Type.String(), Type.Unknown()),
    created_at: Type.Number(),
    updated_at: Type.Number(),
  },
  { title: "JobResponse" },
);
const UploadSession = Type.Object(
  { upload_id: Type.String(), source: Type.String() },
  { title: "UploadSessionResponse" },
);
const Spec = Type.Record(Type.String(), Type.Unknown());
const AnalyzeRequest = Type.Object(
  {
    source: Type.String({ maxLength: 4096 }),
    spec: Type.Optional(Spec),
    save_plan: Type.Optional(Type.Boolean()),
  },
  { title: "AnalyzeRequest" },
);
const ImportRequestIO = Type.Object(
  {
    plan_id: Type.Optional(Type.String({ maxLength: 128 })),
    source: Type.Optional(Type.String({ maxLength: 4096 })),
    spec: Type.Optional(Spec),
  },
  { title: "ImportRequestIO" },
);
const ExportRequestIO = Type.Object(
  {
    dataset: Type.String({ maxLength: 256 }),
    destination: Type.String({ maxLength: 4096 }),
    format: Type.Optional(Type.String({ maxLength: 64 })),
    media: Type.Optional(Type.Union([Type.Literal("files"), Type.Literal("uris")])),
    options: Type.Optional(Spec),
  },
  { title: "ExportRequestIO" },
);

/** The io layer's refusals as `{"detail"}` answers. */
export const mapIoError: ErrorMapper = (err) => {
  if (err instanceof IoRequestError || err instanceof SourcePathError || err instanceof UploadError)
    return { status: err.status, detail: err.message };
  if (err instanceof JobStateError) return { status: 409, detail: err.message };
  if (err instanceof JobQueueFullError) return { status: 429, detail: err.message };
  if (err instanceof ZipWriteError) return { status: 413, detail: err.message };
  return null;
};

function ioOf(io: IoService | undefined): IoService {
  if (!io) throw new HttpError(503, "Data import/export is not available on this server.");
  return io;
}

/** A refused upload's rest is read and discarded so the client sees the answer. */
function drainOnError(req: Request, err: unknown): never {
  if (!req.complete && req.res) drainRejectedBody(req, req.res);
  throw err;
}

export function ioRouter(ctx: AppContext, service: IoService | undefined): Router {
  const router = Router();
  const tags = ["Data IO"];

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/io/formats",
      operationId: "list_io_formats",
      summary: "List data formats and what Tessera can import and export in each",
      tags,
      responses: { "200": { description: "The formats.", content: { "application/json": { type: "array" } } } },
    },
    (_req, res) => sendJson(res, 200, IO_FORMATS),
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/io/uploads",
      operationId: "create_upload_session",
      summary: "Open an upload session (a folder in the import root the browser's files stream into)",
      tags,
      responses: {
        "201": { description: "The session.", content: { "application/json": UploadSession } },
        "429": { description: "Too many sessions are open.", content: HTTPError },
      },
    },
    async (_req, res) => sendJson(res, 201, await ioOf(service).uploads.create()),
  );

  ctx.routes.add(
    router,
    {
      method: "put",
      path: "/io/uploads/{upload_id}/files/{rel_path}",
      wildcard: "rel_path",
      operationId: "upload_session_file",
      summary: "Stream one file's raw body into an upload session at its relative path",
      tags,
      responses: {
        "200": { description: "Stored.", content: { "application/json": { type: "object" } } },
        "400": { description: "The path is not a plain relative path.", content: HTTPError },
        "404": { description: "No such session.", content: HTTPError },
        "413": { description: "The session would exceed its byte or file limit.", content: HTTPError },
      },
    },
    async (req, res) => {
      const io = ioOf(service);
      const rel = param(req.params, "rel_path");
      const stored = await io.uploads
        .putFile(param(req.params, "upload_id"), rel, req)
        .catch((err: unknown) => drainOnError(req, err));
      sendJson(res, 200, stored);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "delete",
      path: "/io/uploads/{upload_id}",
      operationId: "delete_upload_session",
      summary: "Discard an upload session",
      tags,
      responses: {
        "204": { description: "Removed." },
        "404": { description: "No such session.", content: HTTPError },
      },
    },
    async (req, res) => {
      await ioOf(service).uploads.remove(param(req.params, "upload_id"));
      res.status(204).end();
    },
  );

  for (const kind of ["archive", "folder"] as const) {
    ctx.routes.add(
      router,
      {
        method: "post",
        path: `/io/uploads/${kind}`,
        operationId: `upload_${kind}`,
        summary:
          kind === "archive"
            ? "Upload a zip (multipart, one file part): extracted into a new upload session"
            : "Upload a folder (multipart, each part's filename its relative path) into a new upload session",
        tags,
        responses: {
          "201": {
            description: "The session, its files and bytes; `source` is the folder to analyze.",
            content: { "application/json": { type: "object" } },
          },
          "400": { description: "A path is not a plain relative path, or the body is malformed.", content: HTTPError },
          "413": { description: "Too many bytes, files or entries, or a zip bomb.", content: HTTPError },
          "415": { description: "Not multipart/form-data.", content: HTTPError },
          "422": { description: "Not a readable zip, a symbolic link inside, or no files.", content: HTTPError },
        },
      },
      async (req, res) => {
        const summary = await ioOf(service)
          .uploads.receive(kind, req.headers, req)
          .catch((err: unknown) => drainOnError(req, err));
        sendJson(res, 201, summary);
      },
    );
  }

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/io/analyze",
      operationId: "analyze_import_source",
      summary: "Dry-run an import of a source folder inside the import root: the plan (counts, schema, findings)",
      tags,
      body: AnalyzeRequest,
      responses: {
        "200": {
          description: "The ImportPlan (plus `plan_id` when saved).",
          content: { "application/json": { type: "object" } },
        },
        "403": { description: "The source is outside the import root.", content: HTTPError },
        "404": { description: "The source does not exist.", content: HTTPError },
        "422": { description: "The spec is not valid.", content: HTTPError },
      },
    },
    jsonBody(IO_JSON_LIMIT),
    async (req, res) => {
      const plan = await ioOf(service).analyze(req.body.source, req.body.spec ?? {}, req.body.save_plan ?? true);
      sendJson(res, 200, plan);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/io/imports",
      operationId: "start_import_job",
      summary: "Queue an import job from a saved plan or a source and spec",
      tags,
      body: ImportRequestIO,
      responses: {
        "202": { description: "The job.", content: { "application/json": Job } },
        "409": { description: "The plan is unknown or expired.", content: HTTPError },
        "429": { description: "Too many jobs are waiting.", content: HTTPError },
        "422": { description: "Neither a plan nor a source.", content: HTTPError },
      },
    },
    jsonBody(IO_JSON_LIMIT),
    async (req, res) => {
      const job = await ioOf(service).startImport(req.body.plan_id ?? "", req.body.source ?? "", req.body.spec ?? {});
      sendJson(res, 202, job);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/io/exports",
      operationId: "start_export_job",
      summary: "Queue an export job (pixano_jsonl or coco) into a folder under the export root",
      tags,
      body: ExportRequestIO,
      responses: {
        "202": { description: "The job.", content: { "application/json": Job } },
        "404": { description: "No such dataset.", content: HTTPError },
        "422": { description: "Unsupported format or a destination outside the export root.", content: HTTPError },
        "429": { description: "Too many jobs are waiting.", content: HTTPError },
      },
    },
    jsonBody(IO_JSON_LIMIT),
    async (req, res) => {
      const io = ioOf(service);
      const format = EXPORT_FORMATS.find((f) => f === (req.body.format ?? "pixano_jsonl"));
      if (format === undefined)
        throw new HttpError(
          422,
          `export format '${req.body.format ?? ""}' is not supported on Tessera (${EXPORT_FORMATS.join(", ")})`,
        );
      const wanted = req.body.dataset;
      const entry = (await ctx.library.list()).find(
        (e) => e.id === wanted || e.folder === wanted || e.info.name === wanted,
      );
      if (!entry) throw notFound(`Dataset '${wanted}' not found in the library.`);
      sendJson(
        res,
        202,
        io.startExport(entry.id, entry.info.name, req.body.destination, req.body.media ?? "files", format),
      );
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/io/jobs",
      operationId: "list_io_jobs",
      summary: "Import and export jobs, most recent first",
      tags,
      query: [{ name: "limit", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } }],
      responses: { "200": { description: "The jobs.", content: { "application/json": Type.Array(Job) } } },
    },
    (req, res) => {
      const jobs: Array<{ created_at: number }> = [
        ...ioOf(service).runner.list(req.query.limit),
        ...(embedJobsOf(ctx.inference)?.list() ?? []),
      ];
      sendJson(res, 200, jobs.sort((a, b) => b.created_at - a.created_at).slice(0, req.query.limit));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/io/jobs/{job_id}",
      operationId: "get_io_job",
      summary: "One import or export job",
      tags,
      responses: {
        "200": { description: "The job.", content: { "application/json": Job } },
        "404": { description: "No such job.", content: HTTPError },
      },
    },
    (req, res) => {
      const id = param(req.params, "job_id");
      const job = service?.runner.get(id) ?? embedJobsOf(ctx.inference)?.get(id) ?? ioOf(service).runner.get(id);
      if (!job) throw notFound(`Job '${id}' not found.`);
      sendJson(res, 200, job);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/io/jobs/{job_id}/cancel",
      operationId: "cancel_io_job",
      summary: "Cancel a job: its process is stopped; a cancelled create import leaves nothing in the library",
      tags,
      responses: {
        "200": { description: "The job, cancelled.", content: { "application/json": Job } },
        "404": { description: "No such job.", content: HTTPError },
        "409": { description: "The job already ended.", content: HTTPError },
      },
    },
    async (req, res) => {
      const id = param(req.params, "job_id");
      const embedJobs = embedJobsOf(ctx.inference);
      if (!service?.runner.get(id) && embedJobs?.get(id)) return sendJson(res, 200, embedJobs.cancel(id));
      const io = ioOf(service);
      if (!io.runner.get(id)) throw notFound(`Job '${id}' not found.`);
      sendJson(res, 200, await io.runner.cancel(id));
    },
  );

  for (const [method, path, operationId, what] of [
    ["post", "/io/jobs/{job_id}/resume", "resume_io_job", "Resuming an interrupted import"],
    ["delete", "/io/jobs/{job_id}", "rollback_io_job", "Rolling back a completed import"],
  ] as const) {
    ctx.routes.add(
      router,
      {
        method,
        path,
        operationId,
        summary: `${what} (not implemented on Tessera: 501)`,
        tags,
        responses: { "501": { description: "Not implemented.", content: HTTPError } },
      },
      () => {
        throw new HttpError(501, `${what} is not implemented on Tessera; start the import again.`);
      },
    );
  }

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/io/jobs/{job_id}/download",
      operationId: "download_io_export",
      summary: "A finished export as a zip",
      tags,
      responses: {
        "200": { description: "The zip.", content: { "application/zip": { type: "string", format: "binary" } } },
        "404": { description: "No such finished export.", content: HTTPError },
      },
    },
    async (req, res) => {
      const io = ioOf(service);
      const id = param(req.params, "job_id");
      const job = io.runner.get(id);
      if (!job || job.kind !== "export" || job.status !== "done" || !("message" in job.progress))
        throw notFound(`No finished export '${id}'.`);
      const dir = job.progress.message;
      const name = `${job.dataset.replace(/[^A-Za-z0-9._-]+/g, "_") || "export"}.zip`;
      await streamDirectoryZip(io.exportDestination(dir), res, name);
    },
  );

  return router;
}
