/**
 * Import and export of Pixano datasets: the folder format v1 (0.7 `metadata.jsonl`), Pixano
 * JSONL v2 (`dataset.yaml`, 0.8), media-only folders, and the `pixano_jsonl` exporter. Used by
 * `tessera data import|export` and usable from scripts.
 */
export {
  importDataset,
  snakeCase,
  type ImportMode,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
} from "./importer.js";
export { exportDataset, type ExportOptions, type ExportReport } from "./exporter.js";
export { detectFormat, FORMATS, openSource, type FormatOption } from "./detect.js";
export { ExportError, formatLocation, ImportError, type ImportErrorReason, type SourceLocation } from "./errors.js";
export { namespacePrefix, shortUuid, stableId } from "./ids.js";
export type {
  ImportFormat,
  ImportWarning,
  InferredFieldReport,
  PendingRow,
  ReaderOptions,
  RecordBundle,
  SourceReader,
} from "./source.js";
