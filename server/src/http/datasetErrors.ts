import { SchemaError, ValidationError } from "@tessera/shared-crdt";
import { toFieldIssues } from "./bodyIssues.js";
import type { ErrorMapper } from "./errors.js";

/**
 * How the dataset library's typed errors reach clients. Pixano's statuses where it has them:
 * foreign-key and cross-entity violations → 400 with Pixano's wording, a different row under an
 * existing id → 409 `id_conflict` (Pixano 0.8), unknown dataset/table/row → 404, a bad query → 400.
 * Invalid rows → 422 with located issues.
 */

interface Reasoned {
  readonly name: string;
  readonly reason: string;
  readonly message: string;
}

function reasoned(err: unknown, name: string): err is Reasoned {
  return err instanceof Error && err.name === name && typeof (err as { reason?: unknown }).reason === "string";
}

export const mapDatasetError: ErrorMapper = (err) => {
  if (err instanceof ValidationError) return { status: 422, detail: toFieldIssues(err.issues, undefined) };
  if (err instanceof SchemaError) return { status: 400, detail: err.message };
  if (reasoned(err, "QueryError")) return { status: 400, detail: err.message };
  if (reasoned(err, "IntegrityError")) {
    if (err.reason === "duplicate_id") return { status: 409, detail: { code: "id_conflict", message: err.message } };
    return { status: 400, detail: err.message };
  }
  if (reasoned(err, "DatasetError")) {
    switch (err.reason) {
      case "dataset_not_found":
      case "table_not_found":
      case "row_not_found":
        return { status: 404, detail: err.message };
      case "dataset_exists":
        return { status: 409, detail: err.message };
      case "invalid_argument":
        return { status: 400, detail: err.message };
      default:
        return null; // invalid_dataset: a server-side problem, logged as such
    }
  }
  if (reasoned(err, "MediaError")) {
    switch (err.reason) {
      case "outside_media":
      case "bad_image":
        return { status: 400, detail: err.message };
      default:
        return { status: 404, detail: err.message };
    }
  }
  return null;
};
