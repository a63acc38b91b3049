import type { Row, TableName } from "@tessera/shared-crdt";
import type { SourceLocation } from "./errors.js";
import type { ImportTarget } from "./target.js";

/**
 * What every format reader hands the import engine: the target dataset, what it found while
 * reading the metadata (per-split counts, inferred custom fields, warnings) and, on demand, one
 * bundle of rows per record in source order.
 */
export type ImportFormat = "pixano_v1" | "pixano_jsonl" | "media" | "coco";

/** A row a reader built, not yet validated; `pointer` locates it inside the source line. */
export interface PendingRow {
  readonly table: TableName;
  readonly row: Row;
  readonly pointer?: string;
}

/** Everything one record contributes (the record row, its views, entities, annotations). */
export interface RecordBundle {
  readonly split: string;
  readonly location: SourceLocation;
  readonly rows: PendingRow[];
}

export interface ImportWarning {
  readonly code: string;
  readonly message: string;
  readonly location?: SourceLocation;
}

/** A custom field found in the metadata and kept as a column. */
export interface InferredFieldReport {
  readonly table: TableName;
  readonly name: string;
  /** `str`, `int`, `float`, `bool`, or `list[…]`. */
  readonly type: string;
  /** Rows that carried a value. */
  readonly count: number;
}

export interface SourceReader {
  readonly format: ImportFormat;
  readonly sourceDir: string;
  readonly target: ImportTarget;
  /** Records per split, in split order. */
  readonly splits: ReadonlyMap<string, number>;
  readonly inferred: readonly InferredFieldReport[];
  readonly warnings: readonly ImportWarning[];
  bundles(): AsyncGenerator<RecordBundle>;
}

/** Options every reader understands. */
export interface ReaderOptions {
  /** Target dataset name (default: `dataset.yaml` name, else the source folder name). */
  readonly name?: string;
  /** Workspace preset for v1 and media-only sources. */
  readonly workspace?: string;
  /** Pixano's `--use-image-name-as-id`: view ids (and media-only record ids) from file stems. */
  readonly useImageNameAsId?: boolean;
  readonly now?: () => Date;
  /** COCO: `uri` stores each image's `coco_url` instead of embedding the file (Pixano's `--media uri`). */
  readonly media?: "embed" | "uri";
  /** Skip thumbnails (dry runs): rows are still built and validated. */
  readonly skipPreviews?: boolean;
}
