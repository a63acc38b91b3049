/** One problem with one value, located by a path such as `bboxes[b1].coords[4]`. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** A row (or a manifest) that breaks the schema; carries every issue found, not just the first. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "));
  }
}

/** A schema manifest (`info.json`) that cannot be turned into tables. */
export class SchemaError extends Error {
  override name = "SchemaError";
  constructor(
    readonly reason: "unknown_base" | "unsupported_field_type" | "invalid_manifest" | "bad_slot",
    message: string,
  ) {
    super(message);
  }
}
