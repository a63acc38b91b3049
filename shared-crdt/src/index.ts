/**
 * @tessera/shared-crdt — the model, pure: schema (one definition per Pixano table), validators,
 * `info.json` manifests, geometry, and (later) record documents and wire protocol types.
 */
export * as schema from "./schema/index.js";
export {
  assertRow,
  COMPONENT_TABLES,
  datasetSchemaOf,
  parseDatasetInfo,
  SchemaError,
  serializeDatasetInfo,
  TABLES,
  tableSchemaFromManifest,
  validateRow,
  ValidationError,
  type DatasetInfo,
  type DatasetSchema,
  type Row,
  type TableName,
  type TableSchema,
} from "./schema/index.js";
export {
  escapeListValue,
  FILTER_OPS,
  FilterSyntaxError,
  formatFilter,
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTERS,
  MAX_QUERY_TEXT_LENGTH,
  OPS_BY_TYPE,
  parseFilter,
  parseFilters,
  splitListValue,
  type Filter,
  type FilterOp,
  type FilterValueType,
  type SortSpec,
} from "./query/filter.js";
