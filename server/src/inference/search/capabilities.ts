import type { DatasetHandle } from "@tessera/dataset";
import { health } from "./embeddingStore.js";

/**
 * The `search` part of `GET /datasets/{id}/filters`, as Pixano 0.8 answers it: `semantic` joins the
 * modes (with the model that made the vectors) once a healthy embeddings table exists; a degraded
 * one is reported in `status`/`detail` so a UI offers to recompute instead of a search that fails.
 */
export async function searchCapabilities(
  handle: DatasetHandle,
  totalRecords: number,
): Promise<{
  modes: string[];
  models: string[];
  status: string;
  detail?: string;
  embedded_rows: number;
  total_records: number;
}> {
  const h = await health(handle);
  const usable = h.status === "ready" || h.status === "partial";
  return {
    modes: usable ? ["text", "semantic"] : ["text"],
    models: usable && h.model_id ? [h.model_id] : [],
    status: h.status,
    ...(h.detail ? { detail: h.detail } : {}),
    embedded_rows: h.rows,
    total_records: totalRecords,
  };
}
