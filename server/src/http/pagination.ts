import { LIMIT_MAX } from "@tessera/shared-crdt/api";

/** Pixano's page bounds: `limit` 1..1000 (default 100), `offset` ≥ 0 — the declared ones (routes/docs.ts). */
export const MAX_LIMIT = LIMIT_MAX;
export const DEFAULT_LIMIT = 100;

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
