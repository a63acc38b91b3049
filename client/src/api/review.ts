import type { ReviewPin, ReviewQueue, ReviewStamp, ReviewThread, ReviewThreadCreate } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";

/** Typed calls to the review routes (SPEC RV): threads, the review queue, who submitted and reviewed. */

const threadsPath = (datasetId: string, recordId: string) =>
  `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}/review/threads`;

export function listThreads(datasetId: string, recordId: string): Promise<ReviewThread[]> {
  return requestJson<ReviewThread[]>(threadsPath(datasetId, recordId));
}

export function openThread(
  datasetId: string,
  recordId: string,
  text: string,
  pin: ReviewPin | null,
): Promise<ReviewThread> {
  const body: ReviewThreadCreate = pin ? { text, pin } : { text };
  return requestJson<ReviewThread>(threadsPath(datasetId, recordId), { method: "POST", body });
}

export function replyThread(
  datasetId: string,
  recordId: string,
  threadId: string,
  text: string,
): Promise<ReviewThread> {
  return requestJson<ReviewThread>(`${threadsPath(datasetId, recordId)}/${encodeURIComponent(threadId)}/replies`, {
    method: "POST",
    body: { text },
  });
}

export function resolveThread(
  datasetId: string,
  recordId: string,
  threadId: string,
  resolved: boolean,
): Promise<ReviewThread> {
  return requestJson<ReviewThread>(`${threadsPath(datasetId, recordId)}/${encodeURIComponent(threadId)}`, {
    method: "PATCH",
    body: { resolved },
  });
}

export function getReviewQueue(datasetId: string, limit = 100): Promise<ReviewQueue> {
  return requestJson<ReviewQueue>(`/datasets/${encodeURIComponent(datasetId)}/review/queue${queryString({ limit })}`);
}

export function listStamps(datasetId: string, recordIds?: readonly string[]): Promise<ReviewStamp[]> {
  const qs = recordIds ? queryString({ record_id: recordIds }) : "";
  return requestJson<ReviewStamp[]>(`/datasets/${encodeURIComponent(datasetId)}/review/stamps${qs}`);
}
