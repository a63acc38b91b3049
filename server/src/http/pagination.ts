import { LIMIT_MAX } from "@tessera/shared-crdt/api";
import type { QueryReader } from "./queryParams.js";

/** Pixano's page bounds: `limit` 1..1000 (default 100), `offset` ≥ 0 — the declared ones (routes/docs.ts). */
export const MAX_LIMIT = LIMIT_MAX;
export const DEFAULT_LIMIT = 100;

export interface Pagination {
  readonly limit: number;
  readonly offset: number;
}

/** Reads `limit`/`offset`; out-of-range values become 422 issues when the reader is finished. */
export function readPagination(q: QueryReader): Pagination {
  const limit = q.int("limit", { ge: 1, le: MAX_LIMIT }) ?? DEFAULT_LIMIT;
  const offset = q.int("offset", { ge: 0 }) ?? 0;
  return { limit, offset };
}

/** `PaginatedResponse {items, total, limit, offset}`, keys in Pixano's order. */
export function paginated<T>(
  items: readonly T[],
  total: number,
  page: Pagination,
): { items: readonly T[]; total: number; limit: number; offset: number } {
  return { items, total, limit: page.limit, offset: page.offset };
}
