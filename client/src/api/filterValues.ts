import type { FilterValuesResponse } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";

/** Column types the server offers pick-lists for (`GET …/filters/{column}/values`). */
export const PICKABLE_TYPES: ReadonlySet<string> = new Set(["str", "int", "float", "bool"]);
/** Values a pick-list shows before "more…". */
const PICK_LIST_LIMIT = 50;

const cache = new Map<string, Promise<FilterValuesResponse>>();

/**
 * A record column's pick-list (the dataset's `features_values` first, then held values by count),
 * fetched once per explorer visit and column; a failed fetch is retried next time.
 */
export function getFilterValues(datasetId: string, column: string): Promise<FilterValuesResponse> {
  const key = `${datasetId}\u0000${column}`;
  let p = cache.get(key);
  if (!p) {
    p = requestJson<FilterValuesResponse>(
      `/datasets/${encodeURIComponent(datasetId)}/filters/${encodeURIComponent(column)}/values${queryString({ limit: PICK_LIST_LIMIT })}`,
    );
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** Forgets the pick-lists of a dataset (its records changed under the explorer). */
export function forgetFilterValues(datasetId: string): void {
  for (const key of cache.keys()) if (key.startsWith(`${datasetId}\u0000`)) cache.delete(key);
}
