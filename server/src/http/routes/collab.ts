import { Router } from "express";
import type { ActivityEntry, Presence } from "@tessera/shared-crdt";
import { LIMIT_MAX, WorkflowRequest } from "@tessera/shared-crdt/api";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";
import { getRow } from "../crud.js";
import { serializeRow } from "../serialize.js";
import { ref } from "../schemas.js";
import { recordsTable } from "./records.js";

/** What the collaboration routes read from the live channel. */
export interface LiveReadPort {
  activity(datasetId: string, options: { recordId?: string; limit?: number }): Promise<ActivityEntry[]>;
  presence(datasetId: string): Promise<Presence[]>;
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
      body: WorkflowRequest,
      responses: {
        "200": {
          description: "The transition and the record after it.",
          content: { "application/json": ref("WorkflowResponse") },
        },
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
      // `req.body` is a WorkflowRequest, checked by the router: a comment past its maxLength was refused, not cut.
      const { action, comment = "", pin } = req.body;
      const schema = recordsTable(handle);
      await getRow({ handle, schema }, id);
      const { from, to } = await ctx.docs.workflow(handle.id, id, action, restIdentity(req), comment, pin ?? null);
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
        { name: "limit", schema: { type: "integer", minimum: 1, maximum: LIMIT_MAX, default: 100 } },
      ],
      responses: {
        "200": { description: "Activity entries.", content: { "application/json": { type: "array", items: object } } },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { record_id: recordId, limit } = req.query;
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
      sendJson(res, 200, ctx.live ? await ctx.live.presence(handle.id) : []);
    },
  );
  return router;
}
