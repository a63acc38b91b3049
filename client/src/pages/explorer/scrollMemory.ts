import { queryToSearch, type ExplorerQuery } from "../../api/explorerQuery.js";

/**
 * Where the explorer was when a record was opened: the page (offset) and the table's scroll, per
 * dataset, for the same filters and sort. Coming back from the record (its "back", which keeps the
 * filters but not the page) returns there instead of to the top of the first page.
 */
export interface ExplorerPlace {
  readonly offset: number;
  readonly scrollTop: number;
}

interface Saved extends ExplorerPlace {
  /** The filters and sort it belongs to (the query without its offset). */
  readonly search: string;
}

const places = new Map<string, Saved>();

function searchOf(query: ExplorerQuery): string {
  return queryToSearch({ ...query, offset: 0 }).toString();
}

export function rememberPlace(datasetId: string, query: ExplorerQuery, scrollTop: number): void {
  places.set(datasetId, { search: searchOf(query), offset: query.offset, scrollTop });
}

/**
 * The place to return to for `query`, once: when it has the same filters and sort, and either the
 * same page or none named (offset 0, what the workspace's "back" asks for).
 */
export function takePlace(datasetId: string, query: ExplorerQuery): ExplorerPlace | null {
  const saved = places.get(datasetId);
  if (!saved || saved.search !== searchOf(query)) return null;
  if (query.offset !== 0 && query.offset !== saved.offset) return null;
  places.delete(datasetId);
  return { offset: saved.offset, scrollTop: saved.scrollTop };
}
