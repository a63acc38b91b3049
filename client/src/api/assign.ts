import type {
  AssignCandidate,
  AssignmentList,
  AssignProgress,
  AssignRequest,
  AssignResult,
  AssignRole,
  NextForMe,
} from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "./http.js";

/** Typed calls to the assignment routes (SPEC AS). */

const base = (datasetId: string) => `/datasets/${encodeURIComponent(datasetId)}/assignments`;

export function listAssignments(datasetId: string): Promise<AssignmentList> {
  return requestJson<AssignmentList>(base(datasetId));
}

export function assignRecords(datasetId: string, body: AssignRequest): Promise<AssignResult> {
  return requestJson<AssignResult>(base(datasetId), { method: "POST", body });
}

export function unassignRecords(
  datasetId: string,
  body: { record_ids: readonly string[]; role?: AssignRole },
): Promise<AssignResult> {
  return requestJson<AssignResult>(`${base(datasetId)}/unassign`, { method: "POST", body });
}

export function setAssignLock(datasetId: string, locked: boolean): Promise<{ locked: boolean }> {
  return requestJson<{ locked: boolean }>(`${base(datasetId)}/lock`, { method: "PUT", body: { locked } });
}

export function nextForMe(datasetId: string, current: string | null): Promise<NextForMe> {
  return requestJson<NextForMe>(`${base(datasetId)}/next-for-me${queryString({ current })}`);
}

export function assignProgress(datasetId: string): Promise<AssignProgress> {
  return requestJson<AssignProgress>(`${base(datasetId)}/progress`);
}

export function assignablePeople(datasetId: string): Promise<AssignCandidate[]> {
  return requestJson<AssignCandidate[]>(`${base(datasetId)}/people`);
}
