/**
 * @tessera/dataset — Pixano's Python `Dataset` in TypeScript, on LanceDB: library scan,
 * create/open, typed reads with structured filters, validated writes, cascading deletes,
 * statistics, previews and media bytes.
 */
export type {
  AddOptions,
  CommitListener,
  DatasetHandle,
  DatasetSummary,
  DeleteReport,
  FeatureConstraint,
  FeaturesValues,
  MediaBytes,
  Page,
  QueryOptions,
  StatsEntry,
} from "./types.js";
export {
  DatasetError,
  IntegrityError,
  MediaError,
  QueryError,
  type IntegrityIssue,
  type IntegrityReason,
} from "./errors.js";
export {
  arrow,
  arrowSchemaOf,
  arrowTypeOf,
  columnTypeOfArrow,
  tableLayoutFromArrow,
  tableSchemaFromArrow,
  type TableLayout,
} from "./arrow.js";
export { getRow, getRows, isTableRow, queryRows } from "./typedRows.js";
export { arrowRowToRow, arrowTableToRows, rowsToArrowTable, timestampFromMicros } from "./arrowRows.js";
export {
  Library,
  LIBRARY_DIR,
  MEDIA_DIR,
  MODELS_DIR,
  randomId,
  SPEC_VERSION,
  STATE_DIR,
  type LibraryOptions,
} from "./library.js";
export { Dataset, type DatasetOptions } from "./dataset.js";
export { INDEX_COLUMNS, optimizeTable } from "./indexes.js";
export {
  compileFilters,
  compileFilter,
  compileSearch,
  compileWhereMap,
  filterTypeOf,
  searchableColumns,
} from "./compileFilters.js";
export {
  DB_DIR,
  emptyFeaturesValues,
  FEATURES_VALUES_FILE,
  INFO_FILE,
  parseFeaturesValues,
  PREVIEWS_DIR,
  readFeaturesValues,
  readInfo,
  readStats,
  STATS_FILE,
  writeFeaturesValues,
  writeInfo,
  writeStats,
} from "./datasetFiles.js";
export { LANCE_DATA_STORAGE_VERSION } from "./tableStore.js";
export { MEDIA_COLUMNS, SMALL_RESULT } from "./reader.js";
export { isRemoteUri, mimeOfFormat, resolveMediaPath } from "./media.js";
export {
  datasetMosaic,
  imageInfo,
  makeMosaic,
  makePreview,
  thumbnailSize,
  type ImageInfo,
  type Preview,
} from "./previews.js";
export { checkForeignKeys, fkTargets, type IdLookup } from "./integrity.js";
export { checkPixanoRow, type PixanoRowCheck } from "./io/pixanoRows.js";
export { lenientAccepts, pixanoIssuesAsIs } from "./lenientRows.js";
export { computeStats, NUM_BINS } from "./stats.js";
