/**
 * Import/export failures. Input problems carry where they are (`file:line[:json-pointer]`) so the
 * CLI can print them the way compilers do and an editor can jump to them.
 */
export type ImportErrorReason =
  | "invalid_json"
  | "invalid_line"
  | "invalid_value"
  | "unknown_key"
  | "type_conflict"
  | "missing_media"
  | "unreadable_media"
  | "invalid_spec"
  | "unknown_format"
  | "target_exists"
  | "target_in_use"
  | "target_missing"
  | "schema_mismatch"
  | "invalid_row"
  | "duplicate_id"
  | "empty_source";

export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  /** RFC 6901 pointer inside the line's JSON value (`/entities/0/annotations/1`). */
  readonly pointer?: string;
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.pointer !== undefined && loc.pointer !== "") s += `:${loc.pointer}`;
  return s;
}

export class ImportError extends Error {
  override name = "ImportError";
  constructor(
    readonly reason: ImportErrorReason,
    readonly detail: string,
    readonly location?: SourceLocation,
  ) {
    super(location ? `${formatLocation(location)}: ${detail}` : detail);
  }
}

/** Export cannot proceed (unknown dataset, destination not empty, …). */
export class ExportError extends Error {
  override name = "ExportError";
  constructor(
    readonly reason: "dataset_not_found" | "destination_not_empty" | "unsupported_format" | "invalid_row",
    message: string,
  ) {
    super(message);
  }
}

/** Extends a JSON pointer with one more reference token (escaped per RFC 6901). */
export function pointerJoin(base: string, token: string | number): string {
  const t = String(token).replace(/~/g, "~0").replace(/\//g, "~1");
  return `${base}/${t}`;
}
