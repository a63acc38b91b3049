/**
 * Typed errors of `@tessera/dataset`. The REST layer maps them to status codes by class and
 * `reason`; nothing here knows about HTTP.
 */

/** A query that cannot be compiled (unknown column, bad operator or value): a client error (400). */
export class QueryError extends Error {
  override name = "QueryError";
  constructor(
    readonly reason:
      | "unknown_column"
      | "not_filterable"
      | "bad_operator"
      | "bad_value"
      | "too_many_filters"
      | "bad_sort"
      | "bad_pagination"
      | "bad_columns",
    message: string,
  ) {
    super(message);
  }
}

/** One referential problem found while checking a batch (Pixano's integrity rules, spec §10.8). */
export interface IntegrityIssue {
  readonly table: string;
  readonly rowId: string;
  readonly field: string;
  readonly value: string;
  readonly reason: IntegrityReason;
  readonly message: string;
}

export type IntegrityReason = "foreign_key" | "duplicate_id" | "cross_entity";

/**
 * Rows that would break referential integrity. `reason` is the first issue's; `issues` lists all
 * of them (the message repeats the first few, in Pixano's wording: "Foreign key violation: …").
 */
export class IntegrityError extends Error {
  override name = "IntegrityError";
  readonly reason: IntegrityReason;
  constructor(readonly issues: readonly IntegrityIssue[]) {
    const shown = issues.slice(0, 5).map((i) => i.message);
    if (issues.length > shown.length) shown.push(`… and ${issues.length - shown.length} more`);
    super(shown.join("; "));
    this.reason = issues[0]?.reason ?? "foreign_key";
  }
}

/** Datasets, tables or rows that do not exist, already exist, or cannot be read. */
export class DatasetError extends Error {
  override name = "DatasetError";
  constructor(
    readonly reason:
      | "dataset_not_found"
      | "table_not_found"
      | "row_not_found"
      | "dataset_exists"
      | "invalid_dataset"
      | "invalid_argument",
    message: string,
  ) {
    super(message);
  }
}

/** A media reference that cannot be served: outside `DATA_DIR/media`, remote, or missing. */
export class MediaError extends Error {
  override name = "MediaError";
  constructor(
    readonly reason: "outside_media" | "remote" | "not_found" | "no_media" | "bad_image",
    message: string,
  ) {
    super(message);
  }
}
