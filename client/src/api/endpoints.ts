import type { ActivityEntry, Presence } from "@tessera/shared-crdt";
import type { VideoResponse } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";
import { restParams, type ExplorerQuery } from "./explorerQuery.js";
import type { DatasetDetail, DatasetSummary, FilterDocument, Neighbors, Page, RecordItem, ViewItem } from "./types.js";

/** Typed calls to the REST routes the client uses; one function per route. */

const ds = (id: string) => `/datasets/${encodeURIComponent(id)}`;

export function listDatasets(): Promise<DatasetSummary[]> {
  return requestJson<DatasetSummary[]>("/datasets");
}

export function getDataset(datasetId: string): Promise<DatasetDetail> {
  return requestJson<DatasetDetail>(ds(datasetId));
}

export function getFilters(datasetId: string): Promise<FilterDocument> {
  return requestJson<FilterDocument>(`${ds(datasetId)}/filters`);
}

export function listRecords(
  datasetId: string,
  query: ExplorerQuery,
  options: { previews?: boolean; signal?: AbortSignal; after?: string } = {},
): Promise<Page<RecordItem>> {
  // With a cursor (the last id of the page before) the server seeks to the page instead of
  // counting `offset` rows to it; the page is the same.
  const qs = queryString({
    ...restParams(query),
    limit: query.limit,
    offset: options.after !== undefined ? 0 : query.offset,
    after: options.after,
    include: options.previews ? "view_previews" : undefined,
  });
  return requestJson<Page<RecordItem>>(
    `${ds(datasetId)}/records${qs}`,
    options.signal ? { signal: options.signal } : {},
  );
}

/** How many records match `status=…` (one cheap page of one). */
export async function countRecords(datasetId: string, query: Pick<ExplorerQuery, "filters" | "q">): Promise<number> {
  const page = await listRecords(datasetId, { ...query, sort: null, limit: 1, offset: 0 });
  return page.total;
}

export function getRecord(datasetId: string, recordId: string): Promise<RecordItem> {
  return requestJson<RecordItem>(`${ds(datasetId)}/records/${encodeURIComponent(recordId)}`);
}

export function getNeighbors(datasetId: string, recordId: string, query: ExplorerQuery): Promise<Neighbors> {
  return requestJson<Neighbors>(
    `${ds(datasetId)}/records/${encodeURIComponent(recordId)}/neighbors${queryString(restParams(query))}`,
  );
}

/** A record's images or sequence frames (`resource` = `images` | `sframes`). */
export function listRecordViews(
  datasetId: string,
  recordId: string,
  resource: "images" | "sframes",
): Promise<Page<ViewItem>> {
  return requestJson<Page<ViewItem>>(
    `${ds(datasetId)}/records/${encodeURIComponent(recordId)}/${resource}${queryString({ limit: 1000 })}`,
  );
}

/** A record's video files (`videos` rows; their frames come from `…/videos/{id}/frames`). */
export function listRecordVideos(datasetId: string, recordId: string): Promise<Page<VideoResponse>> {
  return requestJson<Page<VideoResponse>>(
    `${ds(datasetId)}/records/${encodeURIComponent(recordId)}/videos${queryString({ limit: 1000 })}`,
  );
}

export function listActivity(
  datasetId: string,
  options: { recordId?: string; limit?: number } = {},
): Promise<ActivityEntry[]> {
  return requestJson<ActivityEntry[]>(
    `${ds(datasetId)}/activity${queryString({ record_id: options.recordId, limit: options.limit })}`,
  );
}

export function listPresence(datasetId: string): Promise<Presence[]> {
  return requestJson<Presence[]>(`${ds(datasetId)}/presence`);
}
