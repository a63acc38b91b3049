import { formatFilter, parseFilter, type Filter, type SortSpec } from "@tessera/shared-crdt";

/**
 * The explorer's query (filters, free text, sort, page) — the same object drives the records
 * table, the neighbors route (previous/next keeps the filtered order) and the URL hash. Pure.
 */
export interface ExplorerQuery {
  readonly filters: readonly Filter[];
  readonly q: string;
  readonly sort: SortSpec | null;
  readonly limit: number;
  readonly offset: number;
  /** Tessera's review columns (SPEC RV6): records last submitted / reviewed by this account (id or name). */
  readonly submittedBy?: string;
  readonly reviewedBy?: string;
  /** Records assigned to this account (id), as annotator or reviewer (SPEC AS). */
  readonly assignedTo?: string;
  /** Semantic search: `q` is embedded and records are ranked by similarity (Pixano's `semantic=1`). */
  readonly semantic?: boolean;
  /** "More like this": records ranked by similarity to this record (Pixano's `similar_to`). */
  readonly similarTo?: string;
}

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_QUERY: ExplorerQuery = { filters: [], q: "", sort: null, limit: 50, offset: 0 };

/** REST parameters (`filter=col:op:value` repeated, `q`, `sort`, `order`). Paging is added by the caller. */
export function restParams(query: ExplorerQuery): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (query.filters.length > 0) out.filter = query.filters.map(formatFilter);
  if (query.q.trim() !== "") out.q = query.q.trim();
  if (query.sort) {
    out.sort = query.sort.column;
    out.order = query.sort.order;
  }
  if (query.submittedBy) out.submitted_by = query.submittedBy;
  if (query.reviewedBy) out.reviewed_by = query.reviewedBy;
  if (query.assignedTo) out.assigned_to = query.assignedTo;
  return out;
}

/** Hash-route parameters: the REST ones plus `page` size and `offset` when not the defaults. */
export function queryToSearch(query: ExplorerQuery): URLSearchParams {
  const sp = new URLSearchParams();
  for (const f of query.filters) sp.append("filter", formatFilter(f));
  if (query.q.trim() !== "") sp.set("q", query.q.trim());
  if (query.sort) {
    sp.set("sort", query.sort.column);
    sp.set("order", query.sort.order);
  }
  if (query.limit !== DEFAULT_QUERY.limit) sp.set("limit", String(query.limit));
  if (query.offset > 0) sp.set("offset", String(query.offset));
  if (query.submittedBy) sp.set("submitted_by", query.submittedBy);
  if (query.reviewedBy) sp.set("reviewed_by", query.reviewedBy);
  if (query.assignedTo) sp.set("assigned_to", query.assignedTo);
  if (query.semantic) sp.set("semantic", "1");
  if (query.similarTo) sp.set("similar_to", query.similarTo);
  return sp;
}

/** Inverse of {@link queryToSearch}; malformed parts are dropped (a hand-edited URL never breaks the page). */
export function searchToQuery(sp: URLSearchParams): ExplorerQuery {
  const filters: Filter[] = [];
  for (const raw of sp.getAll("filter")) {
    try {
      filters.push(parseFilter(raw));
    } catch (err) {
      // The server would refuse it too; dropping it keeps the rest of the URL usable.
      if (!(err instanceof Error)) throw err;
    }
  }
  const sortColumn = sp.get("sort");
  const order = sp.get("order") === "desc" ? "desc" : "asc";
  const limit = Number(sp.get("limit"));
  const offset = Number(sp.get("offset"));
  return {
    filters,
    q: sp.get("q") ?? "",
    sort: sortColumn ? { column: sortColumn, order } : null,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : DEFAULT_QUERY.limit,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
    ...(sp.get("submitted_by") ? { submittedBy: sp.get("submitted_by") ?? "" } : {}),
    ...(sp.get("reviewed_by") ? { reviewedBy: sp.get("reviewed_by") ?? "" } : {}),
    ...(sp.get("assigned_to") ? { assignedTo: sp.get("assigned_to") ?? "" } : {}),
    ...(sp.get("semantic") === "1" ? { semantic: true } : {}),
    ...(sp.get("similar_to") ? { similarTo: sp.get("similar_to") ?? "" } : {}),
  };
}

/** Clicking a header: ascending, then descending, then no sort. */
export function nextSort(current: SortSpec | null, column: string): SortSpec | null {
  if (!current || current.column !== column) return { column, order: "asc" };
  if (current.order === "asc") return { column, order: "desc" };
  return null;
}
