export interface Pagination {
  readonly limit: number;
  readonly offset: number;
}

/** The page of a route declaring `paginationDocs`: the router has checked the bounds and applied the defaults. */
export function pageOf(query: Pagination): Pagination {
  return { limit: query.limit, offset: query.offset };
}

/** `PaginatedResponse {items, total, limit, offset}`, keys in Pixano's order. */
export function paginated<T>(
  items: readonly T[],
  total: number,
  page: Pagination,
): { items: readonly T[]; total: number; limit: number; offset: number } {
  return { items, total, limit: page.limit, offset: page.offset };
}
