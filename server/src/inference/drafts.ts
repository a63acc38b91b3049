import type * as Y from "yjs";
import {
  createEntity,
  isProposal,
  patchRowCells,
  randomId,
  readRowCells,
  restOrigin,
  storedReviewStatus,
  type DatasetSchema,
} from "@tessera/shared-crdt";
import { InferenceError } from "./InferenceError.js";

/**
 * A draft mask (SPEC INF-DRAFT): a model's mask proposal in the record document, which everyone
 * on the record sees live. It is a `masks` row with `source_type: "model"`, `source_name` = the
 * model and the predicted IoU as `source_metadata.confidence` — a pending proposal of SPEC
 * D-PROPOSAL — on a new entity. Refining it (more points) replaces its mask in place while it is
 * still pending; accepting and discarding are the proposal mutators' and the row deletion's.
 */
export interface DraftMask {
  readonly model: string;
  readonly viewId: string;
  readonly mask: { readonly size: [number, number]; readonly counts: string };
  readonly score: number;
  /** The prompt that produced it, kept in `source_metadata` so a refinement can add to it. */
  readonly prompt: unknown;
}

function metadata(draft: DraftMask, previous: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...previous, confidence: draft.score, prompt: draft.prompt });
}

function parseMetadata(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "string" || raw === "") return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (err) {
    if (err instanceof SyntaxError) return {};
    throw err;
  }
}

/** Writes a new draft (entity + mask) into `doc`; call inside the record document's edit. */
export function writeDraft(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  draft: DraftMask,
): { entityId: string; maskId: string } {
  const { entityId, annotationId } = createEntity({ doc, schema, recordId, newId: randomId }, restOrigin(userId), {
    annotation: {
      table: "masks",
      row: {
        view_id: draft.viewId,
        size: [...draft.mask.size],
        counts: draft.mask.counts,
        source_type: "model",
        source_name: draft.model,
        source_metadata: metadata(draft),
      },
    },
  });
  if (annotationId === null) throw new Error("createEntity wrote no mask");
  return { entityId, maskId: annotationId };
}

/** Replaces a pending draft's mask (a refinement); refuses a row that is not a pending model draft. */
export function refineDraft(doc: Y.Doc, maskId: string, draft: DraftMask): { entityId: string; maskId: string } {
  const row = readRowCells(doc, "masks", maskId);
  if (!row) throw new InferenceError("not_found", `Draft mask '${maskId}' not found in this record.`);
  if (!isProposal(row) || row.source_type !== "model")
    throw new InferenceError("bad_prompt", `Mask '${maskId}' is not a model's draft.`);
  const status = storedReviewStatus(row);
  if (status !== "" && status !== "pending")
    throw new InferenceError("bad_prompt", `Mask '${maskId}' was already ${status}: it is no longer a draft.`);
  if (row.view_id !== draft.viewId)
    throw new InferenceError("bad_prompt", `Draft mask '${maskId}' is on another view.`);
  patchRowCells(doc, "masks", maskId, {
    size: [...draft.mask.size],
    counts: draft.mask.counts,
    source_name: draft.model,
    source_metadata: metadata(draft, parseMetadata(row.source_metadata)),
  });
  return { entityId: typeof row.entity_id === "string" ? row.entity_id : "", maskId };
}
