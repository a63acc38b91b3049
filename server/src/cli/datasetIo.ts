/**
 * Adapter: `@tessera/dataset` does not re-export its `io` module (import/export) yet, so the CLI
 * reaches it by path. When the package exports it (`export * from "./io/index.js"` or a `./io`
 * subpath), this file becomes a one-line re-export of the package.
 */
export {
  exportDataset,
  formatLocation,
  ExportError,
  FORMATS,
  importDataset,
  ImportError,
  type ExportReport,
  type FormatOption,
  type ImportMode,
  type ImportProgress,
  type ImportReport,
} from "../../../dataset/src/io/index.js";
