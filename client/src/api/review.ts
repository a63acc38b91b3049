import type { ReviewQueue, ReviewStamp, ReviewThread } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";

/**
 * Typed calls to the review routes the client reads (SPEC RV): threads, the review queue, who submitted and reviewed.
 * Thread changes go over the live channel (`LiveConnection.openThread` …), as the person of that connection.
 */

const threadsPath = (datasetId: string, recordId: string) =>
  `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}/review/threads`;

export function listThreads(datasetId: string, recordId: string): Promise<ReviewThread[]> {
  return requestJson<ReviewThread[]>(threadsPath(datasetId, recordId));
}

export function getReviewQueue(datasetId: string, limit = 100): Promise<ReviewQueue> {
  return requestJson<ReviewQueue>(`/datasets/${encodeURIComponent(datasetId)}/review/queue${queryString({ limit })}`);
}

export function listStamps(datasetId: string, recordIds?: readonly string[]): Promise<ReviewStamp[]> {
  const qs = recordIds ? queryString({ record_id: recordIds }) : "";
  return requestJson<ReviewStamp[]>(`/datasets/${encodeURIComponent(datasetId)}/review/stamps${qs}`);
}
