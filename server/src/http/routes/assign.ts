import { Router, type Request } from "express";
import { Type } from "@sinclair/typebox";
import {
  ASSIGN_BODY_MAX_BYTES,
  ASSIGN_IDS_MAX,
  AssignCandidate,
  AssignLockUpdate,
  AssignmentList,
  AssignProgress,
  AssignRequest,
  AssignResult,
  NextForMe,
  UnassignRequest,
  type AssignFilter,
  type AssignPerson,
  type AssignRole,
  type Assignment,
  type PersonProgress,
} from "@tessera/shared-crdt/api";
import type { Filter, Role } from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { AssignError } from "../../assign/AssignError.js";
import type { AssignShare, AssignStore } from "../../assign/AssignStore.js";
import { shareOut } from "../../assign/split.js";
import { describeColumns } from "../catalogue.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { checkFilters, checkQueryText, parseExplorerFilters } from "../explorerQuery.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";
import { scanAll } from "../scan.js";
import { whereToFilters } from "../whereClause.js";
import { recordsTable } from "./records.js";

/**
 * Assignments (SPEC AS): a lead gives records to annotators and reviewers; "next for me", per-person progress and
 * the assignment lock. Tessera's own state under `DATA_DIR/.tessera/assign`; changes reach everyone on the dataset
 * over the live channel (`assign:changed`).
 */

const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

/** Someone who may take assignments on a dataset (the dataset's accounts), or null when there are no accounts. */
export type PeoplePort = (datasetId: string) => Array<{ id: string; name: string; role: Role }> | null;

/** `AssignError` (matched by name) → its status and `{"detail"}`. */
export const mapAssignError: ErrorMapper = (err) =>
  err instanceof Error && err.name === "AssignError"
    ? { status: (err as Error & { status: number }).status, detail: err.message }
    : null;

function storeOf(ctx: AppContext): AssignStore {
  if (!ctx.assign) throw new HttpError(503, "assignments need live record documents, which are off on this server");
  return ctx.assign;
}

function who(req: Request): AssignPerson & { role: Role } {
  const { id, name, role } = restIdentity(req);
  return { id, name, role };
}

/** The records a request names: an explicit list (each must exist) or the explorer's filter, resolved here (AS2). */
async function selection(
  handle: DatasetHandle,
  body: { record_ids?: readonly string[] | undefined; filter?: AssignFilter | undefined },
): Promise<string[]> {
  if ((body.record_ids === undefined) === (body.filter === undefined))
    throw new AssignError("bad_request", "Give either 'record_ids' or 'filter', not both and not neither.");
  if (body.record_ids !== undefined) {
    const wanted = [...new Set(body.record_ids)];
    if (wanted.length === 0) return [];
    const found = new Set(
      (
        await scanAll(handle, "records", { filters: [{ column: "id", op: "in", values: wanted }], columns: ["id"] })
      ).map((r) => String(r.id)),
    );
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new AssignError(
        "not_found",
        `${missing.length} record(s) not found: ${missing
          .slice(0, 5)
          .map((id) => `'${id}'`)
          .join(", ")}${missing.length > 5 ? ", …" : ""}.`,
      );
    return wanted;
  }
  const f = body.filter ?? {};
  const catalogue = describeColumns(recordsTable(handle));
  const filters: Filter[] = [
    ...parseExplorerFilters(catalogue, f.filter ?? []),
    ...checkFilters(catalogue, whereToFilters(f.where)),
  ];
  const q = checkQueryText(f.q);
  const rows = await scanAll(handle, "records", { filters, columns: ["id"], ...(q ? { q } : {}) });
  if (rows.length > ASSIGN_IDS_MAX)
    throw new AssignError(
      "too_many",
      `The filter matches ${rows.length} records; at most ${ASSIGN_IDS_MAX} are assigned per request: narrow it.`,
    );
  return rows.map((r) => String(r.id)).sort(cmp);
}

/** Account ids → people, checked against who may take that side on the dataset (AS4). */
function resolvePeople(
  people: PeoplePort,
  datasetId: string,
  ids: readonly string[],
  role: AssignRole,
): AssignPerson[] {
  const known = people(datasetId);
  const unique = [...new Set(ids)];
  if (known === null) return unique.map((id) => ({ id, name: id }));
  return unique.map((id) => {
    const p = known.find((k) => k.id === id);
    if (!p) throw new AssignError("bad_request", `'${id}' is not an account that can work on this dataset.`);
    if (role === "reviewer" && p.role !== "reviewer" && p.role !== "admin")
      throw new AssignError("bad_request", `${p.name} is a ${p.role} on this dataset and cannot review.`);
    if (p.role === "viewer") throw new AssignError("bad_request", `${p.name} is a viewer on this dataset.`);
    return { id: p.id, name: p.name };
  });
}

/** Each record's status and whether its last review was a rejection. */
async function statuses(
  ctx: AppContext,
  handle: DatasetHandle,
): Promise<Map<string, { status: string; rejected: boolean }>> {
  const rows = await scanAll(handle, "records", { columns: ["id", "status"] });
  const rejected = new Set(
    (ctx.review ? await ctx.review.stamps(handle.id) : []).filter((s) => s.rejected).map((s) => s.record_id),
  );
  return new Map(
    rows.map((r) => {
      const id = String(r.id);
      const status = typeof r.status === "string" && r.status !== "" ? r.status : "new";
      return [id, { status, rejected: rejected.has(id) && status === "inProgress" }];
    }),
  );
}

/** AS5: an annotator's record is unfinished while new or in progress (rejected included); a reviewer's while in review. */
function unfinishedFor(role: AssignRole, status: string): boolean {
  return role === "annotator" ? status === "new" || status === "inProgress" : status === "inReview";
}

export function assignRouter(ctx: AppContext, people: PeoplePort): Router {
  const router = Router();
  const tags = ["Assignments"];
  const base = "/datasets/{dataset_id}/assignments";
  const body = jsonBody(Math.min(ctx.jsonLimitBytes, ASSIGN_BODY_MAX_BYTES));

  ctx.routes.add(
    router,
    {
      method: "get",
      path: base,
      operationId: "list_assignments",
      summary: "The dataset's assignments (record id order) and its lock",
      tags,
      query: [
        { name: "person", schema: { type: "string", maxLength: 256 }, description: "Only this account's (id)." },
        {
          name: "role",
          schema: { type: "string", enum: ["annotator", "reviewer"] },
          description: "With `person`: only as this side.",
        },
        {
          name: "status",
          schema: { type: "string", enum: ["new", "inProgress", "inReview", "validated", "rejected"] },
          description: "Only records with this status (`rejected`: in progress after a rejection).",
        },
      ],
      responses: {
        "200": { description: "Assignments and lock.", content: { "application/json": AssignmentList } },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { items, lock } = await storeOf(ctx).list(handle.id);
      const { person, role, status } = req.query;
      const byStatus = status ? await statuses(ctx, handle) : null;
      const kept = items.filter((a) => {
        if (person && !isPersonOf(a, person, role)) return false;
        if (byStatus) {
          const s = byStatus.get(a.record_id);
          if (!s) return false;
          return status === "rejected" ? s.rejected : s.status === status;
        }
        return true;
      });
      sendJson(res, 200, { items: kept, total: kept.length, lock });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: base,
      operationId: "assign_records",
      summary: "Assign records (a selection or the explorer's filter) to annotators and/or reviewers, split among them",
      tags,
      body: AssignRequest,
      responses: {
        "200": {
          description: "What changed, on disk and sent to everyone on the dataset.",
          content: { "application/json": AssignResult },
        },
        "404": { description: "No such dataset or record.", content: HTTPError },
        "413": { description: "The body or the filter's match is larger than allowed.", content: HTTPError },
        "422": { description: "Not a valid request (no people, unknown account, bad filter).", content: HTTPError },
      },
    },
    body,
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const me = who(req);
      const annotators = resolvePeople(people, handle.id, req.body.annotators ?? [], "annotator");
      const reviewers = resolvePeople(people, handle.id, req.body.reviewers ?? [], "reviewer");
      if (annotators.length === 0 && reviewers.length === 0)
        throw new AssignError("bad_request", "Name at least one annotator or reviewer.");
      const ids = await selection(handle, req.body);
      const mode = req.body.mode ?? "split_evenly";
      const shares: AssignShare[] = [];
      for (const [role, list] of [
        ["annotator", annotators],
        ["reviewer", reviewers],
      ] as const)
        for (const s of shareOut(ids, list, mode)) shares.push({ role, to: s.person, record_ids: s.items });
      const changed = await storeOf(ctx).assign(handle.id, shares, { id: me.id, name: me.name });
      sendJson(res, 200, {
        changed,
        per_person: shares.map((s) => ({ person: s.to, role: s.role, count: s.record_ids.length })),
      });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: `${base}/unassign`,
      operationId: "unassign_records",
      summary: "Clear the annotator and/or reviewer of records (a selection or the explorer's filter)",
      tags,
      body: UnassignRequest,
      responses: {
        "200": { description: "What changed.", content: { "application/json": AssignResult } },
        "404": { description: "No such dataset or record.", content: HTTPError },
        "413": { description: "The body or the filter's match is larger than allowed.", content: HTTPError },
      },
    },
    body,
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const me = who(req);
      const ids = await selection(handle, req.body);
      const changed = await storeOf(ctx).unassign(handle.id, ids, req.body.role ?? null, { id: me.id, name: me.name });
      sendJson(res, 200, { changed, per_person: [] });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "put",
      path: `${base}/lock`,
      operationId: "set_assignment_lock",
      summary: "Lock or unlock assignment: locked, only a record's annotator (and reviewers, admins) edit it",
      tags,
      body: AssignLockUpdate,
      responses: {
        "200": {
          description: "The lock as it is now.",
          content: { "application/json": Type.Object({ locked: Type.Boolean() }) },
        },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    body,
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const me = who(req);
      sendJson(res, 200, await storeOf(ctx).setLock(handle.id, req.body.locked, { id: me.id, name: me.name }));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/next-for-me`,
      operationId: "get_next_for_me",
      summary: "The next record assigned to me that is not finished for my side, oldest assignment first",
      tags,
      query: [
        {
          name: "as",
          schema: { type: "string", enum: ["annotator", "reviewer"] },
          description: "Only this side of my assignments (both when absent).",
        },
        {
          name: "current",
          schema: { type: "string", maxLength: 256 },
          description: "The record I am on: skipped.",
        },
      ],
      responses: {
        "200": {
          description: "The next record, or `item: null` when none is left.",
          content: { "application/json": NextForMe },
        },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const me = who(req);
      const { items } = await storeOf(ctx).list(handle.id);
      const state = await statuses(ctx, handle);
      const sides: AssignRole[] = req.query.as ? [req.query.as as AssignRole] : ["annotator", "reviewer"];
      const mine = items
        .flatMap((a) =>
          sides.filter((side) => a[side]?.id === me.id).map((side) => ({ a, side, s: state.get(a.record_id) ?? null })),
        )
        .filter((x) => x.s !== null && unfinishedFor(x.side, x.s.status))
        .sort((x, y) => cmp(x.a.assigned_at, y.a.assigned_at) || cmp(x.a.record_id, y.a.record_id));
      const next = mine.find((x) => x.a.record_id !== req.query.current) ?? null;
      sendJson(res, 200, {
        item:
          next && next.s
            ? {
                record_id: next.a.record_id,
                role: next.side,
                status: next.s.status,
                rejected: next.s.rejected,
                assigned_at: next.a.assigned_at,
              }
            : null,
        remaining: mine.length,
      });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/progress`,
      operationId: "get_assignment_progress",
      summary: "Per person: records assigned, done, in review, rejected",
      tags,
      responses: {
        "200": { description: "One row per person and side.", content: { "application/json": AssignProgress } },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { items } = await storeOf(ctx).list(handle.id);
      const state = await statuses(ctx, handle);
      const rows = new Map<string, PersonProgress>();
      for (const a of items) {
        const s = state.get(a.record_id);
        if (!s) continue;
        for (const side of ["annotator", "reviewer"] as const) {
          const p = a[side];
          if (!p) continue;
          const key = JSON.stringify([side, p.id]);
          const row = rows.get(key) ?? { person: p, role: side, assigned: 0, done: 0, in_review: 0, rejected: 0 };
          row.assigned++;
          if (side === "annotator" ? s.status === "inReview" || s.status === "validated" : s.status === "validated")
            row.done++;
          if (s.status === "inReview") row.in_review++;
          if (s.rejected) row.rejected++;
          rows.set(key, row);
        }
      }
      const assigned = new Set(items.filter((a) => state.has(a.record_id)).map((a) => a.record_id));
      const people = [...rows.values()].sort((x, y) => cmp(x.role, y.role) || cmp(x.person.name, y.person.name));
      sendJson(res, 200, { people, unassigned: state.size - assigned.size, total: state.size });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/people`,
      operationId: "list_assignable_people",
      summary: "Accounts that can take assignments on this dataset (annotators, reviewers, admins)",
      tags,
      responses: {
        "200": {
          description: "Id, name and role on this dataset.",
          content: { "application/json": Type.Array(AssignCandidate) },
        },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const list = (people(handle.id) ?? []).filter((p) => p.role !== "viewer");
      sendJson(
        res,
        200,
        list.sort((a, b) => cmp(a.name, b.name)),
      );
    },
  );
  return router;
}

function isPersonOf(a: Assignment, person: string, role: string | undefined): boolean {
  if (role === "annotator") return a.annotator?.id === person;
  if (role === "reviewer") return a.reviewer?.id === person;
  return a.annotator?.id === person || a.reviewer?.id === person;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
