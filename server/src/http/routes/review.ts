import { Router, type Request } from "express";
import { Type } from "@sinclair/typebox";
import {
  LIMIT_MAX,
  ReviewQueue,
  ReviewReplyCreate,
  ReviewStamp,
  ReviewThread,
  ReviewThreadCreate,
  ReviewThreadUpdate,
  type ReviewQueueItem,
} from "@tessera/shared-crdt/api";
import type { DatasetHandle } from "@tessera/dataset";
import type { ReviewStore } from "../../review/ReviewStore.js";
import { openDataset, param, type AppContext } from "../context.js";
import { getRow } from "../crud.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";
import { scanAll } from "../scan.js";
import { recordsTable } from "./records.js";

/**
 * Review threads, the review queue and who submitted / reviewed each record (SPEC RV): Tessera's own state under
 * `DATA_DIR/.tessera/review`, never a Pixano column. Changes reach everyone on the dataset over the live channel.
 */

const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

/** `ReviewError` (matched by name, like the record documents' errors) → its status and `{"detail"}`. */
export const mapReviewError: ErrorMapper = (err) =>
  err instanceof Error && err.name === "ReviewError"
    ? { status: (err as Error & { status: number }).status, detail: err.message }
    : null;

function storeOf(ctx: AppContext): ReviewStore {
  if (!ctx.review) throw new HttpError(503, "review threads need live record documents, which are off on this server");
  return ctx.review;
}

async function existingRecord(handle: DatasetHandle, id: string): Promise<void> {
  await getRow({ handle, schema: recordsTable(handle) }, id);
}

/** What every thread route starts from: the dataset, the record (404 when either is missing) and who asks. */
async function threadTarget(
  ctx: AppContext,
  req: Request,
): Promise<{ datasetId: string; recordId: string; who: { id: string; name: string } }> {
  const handle = await openDataset(ctx, param(req.params, "dataset_id"));
  const recordId = param(req.params, "id");
  await existingRecord(handle, recordId);
  const { id, name } = restIdentity(req);
  return { datasetId: handle.id, recordId, who: { id, name } };
}

export function reviewRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Review"];
  const threads = "/datasets/{dataset_id}/records/{id}/review/threads";

  ctx.routes.add(
    router,
    {
      method: "get",
      path: threads,
      operationId: "list_review_threads",
      summary: "A record's review threads, oldest first",
      tags,
      responses: {
        "200": {
          description: "The threads with their messages.",
          content: { "application/json": Type.Array(ReviewThread) },
        },
        "404": { description: "No such dataset or record.", content: HTTPError },
      },
    },
    async (req, res) => {
      const t = await threadTarget(ctx, req);
      sendJson(res, 200, await storeOf(ctx).list(t.datasetId, t.recordId));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: threads,
      operationId: "create_review_thread",
      summary: "Open a review thread on a record, optionally pinned to an object or a point/region of a view",
      tags,
      body: ReviewThreadCreate,
      responses: {
        "201": {
          description: "The thread, on disk and sent to everyone on the dataset.",
          content: { "application/json": ReviewThread },
        },
        "404": { description: "No such dataset or record.", content: HTTPError },
        "409": { description: "The record has as many threads as allowed.", content: HTTPError },
        "422": { description: "The text or the pin is not valid.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const t = await threadTarget(ctx, req);
      const { text, pin } = req.body;
      const thread = await storeOf(ctx).open(t.datasetId, t.recordId, t.who, text.trim() || text, { pin: pin ?? null });
      sendJson(res, 201, thread);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: `${threads}/{thread_id}/replies`,
      operationId: "reply_review_thread",
      summary: "Answer a review thread",
      tags,
      body: ReviewReplyCreate,
      responses: {
        "201": { description: "The thread with the reply.", content: { "application/json": ReviewThread } },
        "404": { description: "No such dataset, record or thread.", content: HTTPError },
        "409": { description: "The thread has as many replies as allowed.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const t = await threadTarget(ctx, req);
      const text = req.body.text.trim() || req.body.text;
      const thread = await storeOf(ctx).reply(t.datasetId, t.recordId, param(req.params, "thread_id"), t.who, text);
      sendJson(res, 201, thread);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "patch",
      path: `${threads}/{thread_id}`,
      operationId: "update_review_thread",
      summary: "Resolve or reopen a review thread (reviewers and admins)",
      tags,
      body: ReviewThreadUpdate,
      responses: {
        "200": { description: "The thread after the change.", content: { "application/json": ReviewThread } },
        "404": { description: "No such dataset, record or thread.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const t = await threadTarget(ctx, req);
      const threadId = param(req.params, "thread_id");
      const thread = await storeOf(ctx).setResolved(t.datasetId, t.recordId, threadId, t.who, req.body.resolved);
      sendJson(res, 200, thread);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/review/queue",
      operationId: "get_review_queue",
      summary: "Records waiting for review, oldest submission first",
      tags,
      query: [{ name: "limit", schema: { type: "integer", minimum: 1, maximum: LIMIT_MAX, default: 100 } }],
      responses: {
        "200": {
          description:
            "Every record in review (no assignments yet: the queue is the same for every reviewer), the longest waiting first.",
          content: { "application/json": ReviewQueue },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const rows = await scanAll(handle, "records", {
        filters: [{ column: "status", op: "eq", values: ["inReview"] }],
        columns: ["id", "updated_at"],
      });
      const stamps = new Map((ctx.review ? await ctx.review.stamps(handle.id) : []).map((s) => [s.record_id, s]));
      const items: ReviewQueueItem[] = rows.map((r) => {
        const id = String(r.id);
        const s = stamps.get(id);
        return {
          record_id: id,
          submitted_by: s?.submitted_by ?? null,
          waiting_since: s?.submitted_at ?? isoOf(r.updated_at),
        };
      });
      items.sort((a, b) => Date.parse(a.waiting_since) - Date.parse(b.waiting_since) || cmp(a.record_id, b.record_id));
      sendJson(res, 200, { items: items.slice(0, req.query.limit), total: items.length });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/review/stamps",
      operationId: "list_review_stamps",
      summary: "Who last submitted and reviewed each record, open threads (the explorer's review columns)",
      tags,
      query: [
        {
          name: "record_id",
          schema: { type: "array", items: { type: "string" } },
          description: "Only these records (repeatable); every record Tessera keeps a stamp for when absent.",
        },
      ],
      responses: {
        "200": {
          description: "One stamp per record (records without any are listed with nulls when asked by id).",
          content: { "application/json": Type.Array(ReviewStamp) },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const store = storeOf(ctx);
      const wanted = req.query.record_id;
      if (wanted.length > LIMIT_MAX) throw new HttpError(400, `At most ${LIMIT_MAX} record_id values.`);
      sendJson(
        res,
        200,
        wanted.length > 0
          ? await Promise.all(wanted.map((id) => store.stamp(handle.id, id)))
          : await store.stamps(handle.id),
      );
    },
  );
  return router;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stored `updated_at` (Pixano writes naive UTC datetimes) as an ISO instant. */
function isoOf(v: unknown): string {
  const s = v instanceof Date ? v.toISOString() : String(v ?? "");
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}
