import type { TrackJob } from "@tessera/shared-crdt";
import { requestJson } from "./http.js";

/**
 * Tracking assist on video: the registry's trackers (`GET /inference/models/list?task=tracking`),
 * start a run on a track of a record, list the record's runs, cancel one.
 */
export function trackingModels(): Promise<Array<{ name: string }>> {
  return requestJson<Array<{ name: string }>>("/inference/models/list?task=tracking");
}

const ds = (datasetId: string) => `/inference/datasets/${encodeURIComponent(datasetId)}`;

export function startTracking(
  datasetId: string,
  recordId: string,
  body: { model: string; tracklet_id: string; start_frame: number; max_frames?: number },
): Promise<TrackJob> {
  return requestJson<TrackJob>(`${ds(datasetId)}/records/${encodeURIComponent(recordId)}/track`, {
    method: "POST",
    body,
  });
}

export function trackingRuns(datasetId: string, recordId: string): Promise<TrackJob[]> {
  return requestJson<TrackJob[]>(`${ds(datasetId)}/records/${encodeURIComponent(recordId)}/track/jobs`);
}

export function cancelTracking(datasetId: string, jobId: string): Promise<TrackJob> {
  return requestJson<TrackJob>(`${ds(datasetId)}/track/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
}
