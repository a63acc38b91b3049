/** The CLI's view of the import/export module of `@tessera/dataset`. */
export {
  exportDataset,
  formatLocation,
  ExportError,
  FORMATS,
  importDataset,
  ImportError,
  type FormatOption,
  type ImportMode,
  type ImportReport,
} from "@tessera/dataset/io";
