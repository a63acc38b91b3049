import type { DatasetDashboard } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";

/** A dataset's dashboard (SPEC D-DASH): the server's summary of the window (`from`/`to` ISO, `bucket`). */
export function getDashboard(
  datasetId: string,
  window: { from?: string; to?: string; bucket?: "auto" | "hour" | "day" } = {},
): Promise<DatasetDashboard> {
  return requestJson<DatasetDashboard>(`/datasets/${encodeURIComponent(datasetId)}/dashboard${queryString(window)}`);
}
