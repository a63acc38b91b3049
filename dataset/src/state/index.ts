export type { LogEntry, LogPosition, RecordKey, RecordLog, RecordSnapshot, SnapshotStore } from "./types.js";
export { RecordLogError, RecordStateError, SnapshotError, type RecordLogErrorReason, type RecordStateErrorReason, type SnapshotErrorReason } from "./errors.js";
export { FileRecordLog, walDir, type FileRecordLogOptions, type FileRecordLogStats } from "./FileRecordLog.js";
export { FileSnapshotStore, snapshotDir, type FileSnapshotStoreOptions } from "./FileSnapshotStore.js";
export { decodeId, encodeId, type SyncFn, type SyncKind } from "./stateFiles.js";
export { crc32 } from "./crc32.js";
