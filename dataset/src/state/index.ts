export type { LogEntry, LogPosition, RecordKey, RecordLog, RecordSnapshot, SnapshotStore } from "./types.js";
