/** Typed errors of Tessera's durable state (write-ahead log, snapshots, record loading, persist). */

export type RecordLogErrorReason = "closed" | "read_only" | "io" | "corrupt" | "too_large" | "fenced";

/**
 * The write-ahead log refused or failed an operation; `io` means the entry is not durable; `fenced`
 * (scaled mode): this process no longer owns the record, so it may not append to its log.
 */
export class RecordLogError extends Error {
  override name = "RecordLogError";
  constructor(
    readonly reason: RecordLogErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SnapshotErrorReason = "corrupt" | "unsupported_version" | "key_mismatch";

/** A snapshot file exists but cannot be used. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
  constructor(
    readonly reason: SnapshotErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export type RecordStateErrorReason =
  "record_not_found" | "dataset_not_found" | "no_snapshot" | "invalid_key" | "rows_mismatch" | "closed";

/** A record document cannot be loaded or persisted. */
export class RecordStateError extends Error {
  override name = "RecordStateError";
  constructor(
    readonly reason: RecordStateErrorReason,
    message: string,
  ) {
    super(message);
  }
}
