import type { Page, TextResponse } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "../../api/http.js";

/** A text view of the record (Pixano `texts`): the caption spans point into. */
export interface TextView {
  readonly id: string;
  readonly logicalName: string;
  /** The text, or null when the row only references it (`uri`) and the server did not embed it. */
  readonly content: string | null;
  readonly uri: string;
}

/** The record's text views, in the server's order (`GET …/records/{id}/texts`). */
export async function loadTextViews(datasetId: string, recordId: string): Promise<TextView[]> {
  const page = await requestJson<Page<TextResponse>>(
    `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}/texts${queryString({ limit: 1000 })}`,
  );
  // The answer crosses a trust boundary: keep only rows with the fields the panel reads.
  const items: unknown = (page as { items?: unknown }).items;
  if (!Array.isArray(items)) return [];
  const out: TextView[] = [];
  for (const raw of items as unknown[]) {
    if (typeof raw !== "object" || raw === null) continue;
    const r = raw as Record<string, unknown>;
    if (typeof r.id !== "string") continue;
    out.push({
      id: r.id,
      logicalName: typeof r.logical_name === "string" ? r.logical_name : "",
      content:
        typeof r.content === "string" && (r.content !== "" || r.uri === "" || r.uri === undefined) ? r.content : null,
      uri: typeof r.uri === "string" ? r.uri : "",
    });
  }
  return out;
}

/**
 * The text a span's `view_id` points at: the view with that id; else the one whose logical name it
 * is (rows written through Pixano's `view_name` filter bug); else, for an empty `view_id` (Pixano
 * UI rows saved without it, Pixano #656), the record's only text. Display only: the row is kept as
 * it is.
 */
export function viewOfSpan(viewId: string, views: readonly TextView[]): TextView | undefined {
  return (
    views.find((v) => v.id === viewId) ??
    (viewId !== "" ? views.find((v) => v.logicalName === viewId) : views.length === 1 ? views[0] : undefined)
  );
}
