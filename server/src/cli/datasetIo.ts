/** The CLI's view of the import/export module of `@tessera/dataset`. */
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
} from "@tessera/dataset/io";
