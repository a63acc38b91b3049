import type { PreannotateJob } from "@tessera/shared-crdt";
import { requestJson } from "./http.js";

/**
 * Pre-annotation jobs (SPEC INF-PREANN): the registry's detectors
 * (`GET /inference/models/list?task=detection`), start a job over ids or the explorer's filter,
 * list the dataset's jobs, cancel one.
 */
export function detectionModels(): Promise<Array<{ name: string }>> {
  return requestJson<Array<{ name: string }>>("/inference/models/list?task=detection");
}

export interface PreannotateScope {
  readonly record_ids?: readonly string[];
  readonly filter?: readonly string[];
  readonly q?: string;
}

const base = (datasetId: string) => `/inference/datasets/${encodeURIComponent(datasetId)}/preannotate`;

export function startPreannotation(
  datasetId: string,
  body: { model: string; threshold: number } & PreannotateScope,
): Promise<PreannotateJob> {
  return requestJson<PreannotateJob>(base(datasetId), { method: "POST", body });
}

export function preannotationJobs(datasetId: string): Promise<PreannotateJob[]> {
  return requestJson<PreannotateJob[]>(`${base(datasetId)}/jobs`);
}

export function cancelPreannotation(datasetId: string, jobId: string): Promise<PreannotateJob> {
  return requestJson<PreannotateJob>(`${base(datasetId)}/jobs/${encodeURIComponent(jobId)}/cancel`, {
    method: "POST",
  });
}
