import type { QueryOptions } from "@tessera/dataset";

export interface Pagination {
  readonly limit: number;
  readonly offset: number;
  /**
   * Keyset cursor (`after=`): the id of the last row of the previous page. Present (even empty, which
   * starts a walk), the listing is in its sort order — `id` where the route has no sort — and holds the
   * rows strictly after that row; `offset` then counts from there. Absent: Pixano's storage-order
   * `offset` pages.
   */
  readonly after?: string;
}

/** The page of a route declaring `paginationDocs`: the router has checked the bounds and applied the defaults. */
export function pageOf(query: Pagination): Pagination {
  return { limit: query.limit, offset: query.offset, ...(query.after !== undefined ? { after: query.after } : {}) };
}

/**
 * The library's query options for a page: limit, offset and, with a cursor, the keyset order
 * (`sort` of the route, else `id` ascending; an empty cursor is the first page of that order).
 */
export function pageQuery(
  page: Pagination,
): Pick<QueryOptions, "limit" | "offset" | "after" | "sort"> & { readonly limit: number; readonly offset: number } {
  const base = { limit: page.limit, offset: page.offset };
  if (page.after === undefined) return base;
  if (page.after === "") return { ...base, sort: { column: "id", order: "asc" } };
  return { ...base, after: { id: page.after } };
}

/** `PaginatedResponse {items, total, limit, offset}`, keys in Pixano's order. */
export function paginated<T>(
  items: readonly T[],
  total: number,
  page: Pagination,
): { items: readonly T[]; total: number; limit: number; offset: number } {
  return { items, total, limit: page.limit, offset: page.offset };
}
