import { Router } from "express";
import { isNamedAction, WORKFLOW_ACTIONS, type ActivityEntry, type Presence } from "@tessera/shared-crdt";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, RequestValidationError } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { QueryReader } from "../queryParams.js";
import { restIdentity } from "../recordDocs.js";
import { getRow } from "../crud.js";
import { serializeRow } from "../serialize.js";
import { recordsTable } from "./records.js";

/** What the collaboration routes read from the live channel. */
export interface LiveReadPort {
  activity(datasetId: string, options: { recordId?: string; limit?: number }): Promise<ActivityEntry[]>;
  presence(datasetId: string): Presence[];
}

const object = { type: "object" } as const;

/**
 * Tessera's collaboration routes: workflow transitions (the shared state machine, enforced here as
 * on the live channel), the activity feed and who is working where.
 */
export function collabRouter(ctx: AppContext & { live?: LiveReadPort }): Router {
  const router = Router();
  const tags = ["Collaboration"];

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/datasets/{dataset_id}/records/{id}/workflow",
      operationId: "record_workflow",
      summary: "Apply a workflow action (edit = start, submit, approve, reject with a comment, reopen)",
      tags,
      body: {
        type: "object",
        required: ["action"],
        properties: {
          action: { type: "string", enum: [...WORKFLOW_ACTIONS] },
          comment: { type: "string", maxLength: 4000 },
        },
      },
      responses: {
        "200": { description: "The transition and the record after it.", content: { "application/json": object } },
        "403": { description: "This role may not take this action." },
        "409": { description: "The record's status does not allow this action." },
        "422": { description: "A rejection needs a comment." },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      if (!ctx.docs) throw new HttpError(503, "live record documents are not enabled on this server");
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const id = param(req.params, "id");
      const body = req.body as { action?: unknown; comment?: unknown } | null;
      const action = body?.action;
      if (!isNamedAction(action))
        throw new RequestValidationError([
          {
            type: "enum",
            loc: ["body", "action"],
            msg: `Input should be one of ${WORKFLOW_ACTIONS.join(", ")}`,
            input: action,
          },
        ]);
      const comment = typeof body?.comment === "string" ? body.comment.slice(0, 4000) : "";
      const schema = recordsTable(handle);
      await getRow({ handle, schema }, id);
      const { from, to } = await ctx.docs.workflow(handle.id, id, action, restIdentity(req), comment);
      sendJson(res, 200, { from, to, action, record: serializeRow(schema, await getRow({ handle, schema }, id)) });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/activity",
      operationId: "list_activity",
      summary: "Activity feed: edit batches and status transitions, newest first",
      tags,
      query: [
        { name: "record_id", schema: { type: "string" } },
        { name: "limit", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        "200": { description: "Activity entries.", content: { "application/json": { type: "array", items: object } } },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const q = new QueryReader(req);
      const recordId = q.str("record_id");
      const limit = q.int("limit", { ge: 1, le: 1000 }) ?? 100;
      q.done();
      const entries = ctx.live
        ? await ctx.live.activity(handle.id, recordId === undefined ? { limit } : { recordId, limit })
        : [];
      sendJson(res, 200, entries);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/presence",
      operationId: "list_presence",
      summary: "Who is connected to the dataset, and on which record",
      tags,
      responses: {
        "200": {
          description: "One entry per connection.",
          content: { "application/json": { type: "array", items: object } },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, ctx.live ? ctx.live.presence(handle.id) : []);
    },
  );
  return router;
}
