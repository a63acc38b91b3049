import type { Filter } from "@tessera/shared-crdt";
import type { AppContext } from "./context.js";
import type { QueryParamDoc } from "./routeTable.js";

/** The review query parameters of the record listing (Tessera's explorer columns, SPEC RV6). */
export const reviewListDocs = [
  {
    name: "submitted_by",
    schema: { type: "string", maxLength: 256 },
    description: "Tessera: only records last submitted by this account (id or name), from the review stamps.",
  },
  {
    name: "reviewed_by",
    schema: { type: "string", maxLength: 256 },
    description: "Tessera: only records last approved or rejected by this account (id or name).",
  },
  {
    name: "assigned_to",
    schema: { type: "string", maxLength: 256 },
    description: "Tessera: only records assigned to this account (id), as annotator or reviewer (SPEC AS).",
  },
] as const satisfies readonly QueryParamDoc[];

/**
 * The `id in (…)` filter the review query parameters of a listing stand for; `null` when none is set, and an
 * empty list when they match no record (the caller answers an empty page).
 */
export async function reviewFilter(
  ctx: AppContext,
  datasetId: string,
  query: { submitted_by?: string | undefined; reviewed_by?: string | undefined; assigned_to?: string | undefined },
): Promise<Filter | null> {
  const { submitted_by: submitted, reviewed_by: reviewed, assigned_to: assigned } = query;
  const byAssign = assigned ? await assignedIds(ctx, datasetId, assigned) : null;
  if (!submitted && !reviewed) return byAssign ? { column: "id", op: "in", values: byAssign } : null;
  const matches = (p: { id: string; name: string } | null, who: string | undefined) =>
    who === undefined || who === "" || (p !== null && (p.id === who || p.name === who));
  const stamps = ctx.review ? await ctx.review.stamps(datasetId) : [];
  const ids = stamps
    .filter((s) => matches(s.submitted_by, submitted) && matches(s.reviewed_by, reviewed))
    .map((s) => s.record_id)
    .filter((id) => byAssign === null || byAssign.includes(id));
  return { column: "id", op: "in", values: ids };
}

/** Records assigned to an account, as annotator or reviewer (SPEC AS). */
async function assignedIds(ctx: AppContext, datasetId: string, who: string): Promise<string[]> {
  const items = ctx.assign ? (await ctx.assign.list(datasetId)).items : [];
  return items.filter((a) => a.annotator?.id === who || a.reviewer?.id === who).map((a) => a.record_id);
}
