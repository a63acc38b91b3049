import { datasetSchemaOf, parseDatasetInfo, type DatasetInfo, type DatasetSchema } from "@tessera/shared-crdt";
import { getDataset, getFilters } from "../api/endpoints.js";
import type { FeatureValues, FilterDocument } from "../api/types.js";
import { entityLabelField, type LabelField } from "./categories.js";

/**
 * What the explorer and the workspace need to know about a dataset, fetched once per visit:
 * its `info.json` (→ the shared schema), pick-lists (`features_values`) and the filter document.
 */
export interface DatasetMeta {
  readonly id: string;
  readonly name: string;
  readonly info: DatasetInfo;
  readonly schema: DatasetSchema;
  readonly featureValues: FeatureValues;
  readonly labelField: LabelField | null;
}

const metas = new Map<string, Promise<DatasetMeta>>();
const filterDocs = new Map<string, Promise<FilterDocument>>();

export function datasetMeta(datasetId: string): Promise<DatasetMeta> {
  let p = metas.get(datasetId);
  if (!p) {
    p = getDataset(datasetId).then((detail) => {
      const info = parseDatasetInfo(detail.info);
      const schema = datasetSchemaOf(info);
      const featureValues = detail.feature_values ?? {};
      return {
        id: datasetId,
        name: info.name,
        info,
        schema,
        featureValues,
        labelField: entityLabelField(schema.tables.get("entities"), featureValues),
      };
    });
    // A failed load is retried on the next visit rather than cached.
    p.catch(() => metas.delete(datasetId));
    metas.set(datasetId, p);
  }
  return p;
}

export function filterDocument(datasetId: string): Promise<FilterDocument> {
  let p = filterDocs.get(datasetId);
  if (!p) {
    p = getFilters(datasetId);
    p.catch(() => filterDocs.delete(datasetId));
    filterDocs.set(datasetId, p);
  }
  return p;
}

/** The custom record fields shown as explorer columns and in the Record tab. */
export function customRecordFields(meta: DatasetMeta): string[] {
  return (meta.schema.tables.get("records")?.columns ?? []).filter((c) => c.source === "custom").map((c) => c.name);
}
