import { Router } from "express";
import type { Row } from "@tessera/shared-crdt";
import { describeColumns } from "../catalogue.js";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { notFound } from "../errors.js";
import { checkFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { pageOf, paginated } from "../pagination.js";
import { paginatedOf, ref } from "../schemas.js";
import { scanAll } from "../scan.js";
import { serializeRow } from "../serialize.js";
import { whereToFilters } from "../whereClause.js";
import { paginationDocs, whereDoc } from "./docs.js";
import { checkColumnsExist, readListFilters } from "./resources.js";

/**
 * Conversations (Pixano `routers/conversations.py`): a read-only aggregate of `messages` grouped
 * by `conversation_id` (ascending), messages ordered by `number`; pagination counts conversations.
 */

function byNumber(a: Row, b: Row): number {
  return Number(a.number ?? 0) - Number(b.number ?? 0);
}

export function conversationsRouter(ctx: AppContext): Router {
  const router = Router();
  const base = "/datasets/{dataset_id}/conversations";
  const tags = ["Conversations"];

  ctx.routes.add(
    router,
    {
      method: "get",
      path: base,
      operationId: "list_conversations",
      summary: "List conversations",
      tags,
      query: [
        ...paginationDocs,
        { name: "record_id", schema: { type: "string" } },
        { name: "view_name", schema: { type: "string" }, description: "Matches the messages' view_id." },
        { name: "source_type", schema: { type: "string" } },
        whereDoc,
      ],
      responses: {
        "200": {
          description: "A page of conversations.",
          content: { "application/json": paginatedOf(ref("ConversationResponse")) },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const page = pageOf(req.query);
      const exact = readListFilters(req.query, ["record_id", "view_name", "source_type"], "view_id");
      const where = req.query.where;
      const schema = declaredTable(handle, "messages");
      if (!schema) {
        sendJson(res, 200, paginated([], 0, page));
        return;
      }
      const filters = [...exact, ...checkFilters(describeColumns(schema), whereToFilters(where))];
      checkColumnsExist(schema, filters);
      const idRows = await scanAll(handle, "messages", { filters, columns: ["conversation_id"] });
      const ids = [
        ...new Set(idRows.map((r) => r.conversation_id).filter((v): v is string => typeof v === "string" && v !== "")),
      ].sort();
      // Conversations are listed by id, so a cursor is the first id past it.
      const start = page.after ? sortedIndexAfter(ids, page.after) : 0;
      const pageIds = ids.slice(start + page.offset, start + page.offset + page.limit);
      const grouped = new Map<string, Row[]>(pageIds.map((id) => [id, []]));
      if (pageIds.length > 0) {
        const rows = await scanAll(handle, "messages", {
          filters: [...filters, { column: "conversation_id", op: "in", values: pageIds }],
        });
        for (const row of rows) grouped.get(String(row.conversation_id))?.push(row);
      }
      const items = pageIds
        .filter((id) => (grouped.get(id)?.length ?? 0) > 0)
        .map((id) => ({
          conversation_id: id,
          messages: (grouped.get(id) ?? []).sort(byNumber).map((r) => serializeRow(schema, r)),
        }));
      sendJson(res, 200, paginated(items, ids.length, page));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/{conversation_id}`,
      operationId: "get_conversation",
      summary: "Get a conversation",
      tags,
      responses: {
        "200": { description: "The conversation.", content: { "application/json": ref("ConversationResponse") } },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const id = param(req.params, "conversation_id");
      const schema = declaredTable(handle, "messages");
      const rows = schema
        ? await scanAll(handle, "messages", { filters: [{ column: "conversation_id", op: "eq", values: [id] }] })
        : [];
      if (!schema || rows.length === 0) throw notFound(`Conversation '${id}' not found.`);
      sendJson(res, 200, { conversation_id: id, messages: rows.sort(byNumber).map((r) => serializeRow(schema, r)) });
    },
  );
  return router;
}

/** The index of the first id strictly greater than `after` in ascending `ids`. */
function sortedIndexAfter(ids: readonly string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] ?? "") <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
