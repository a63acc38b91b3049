import { formatFilter } from "@tessera/shared-crdt";
import { requestJson } from "./http.js";
import type { ExplorerQuery } from "./explorerQuery.js";
import type { Page, RecordItem } from "./types.js";

/** A record of a semantic search, with its cosine distance to the query (smaller is closer). */
export type RankedRecord = RecordItem & { readonly _distance: number };

/** How many ranked records the explorer asks for (one page: the search answers in rank order). */
const SEARCH_K = 100;

/**
 * `POST /datasets/{id}/records/search` (Pixano 0.8's shape): `text` (semantic mode) or
 * `similar_to` ("more like this"), restricted by the explorer's filters; nearest first.
 */
export async function searchRecords(datasetId: string, query: ExplorerQuery): Promise<Page<RankedRecord>> {
  const body = {
    ...(query.similarTo ? { similar_to: query.similarTo } : { text: query.q.trim() }),
    k: SEARCH_K,
    ...(query.filters.length > 0 ? { filter: query.filters.map(formatFilter) } : {}),
  };
  const answer = await requestJson<{ items: RankedRecord[]; total: number }>(
    `/datasets/${encodeURIComponent(datasetId)}/records/search`,
    { method: "POST", body },
  );
  return { items: answer.items, total: answer.total, limit: SEARCH_K, offset: 0 };
}

/** Whether the query is a semantic search (rather than the paginated listing). */
export function isSemanticQuery(query: ExplorerQuery): boolean {
  return Boolean(query.similarTo) || (query.semantic === true && query.q.trim() !== "");
}
