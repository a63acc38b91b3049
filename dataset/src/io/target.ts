import {
  kindsInSlotOrder,
  datasetSchemaOf,
  parseDatasetInfo,
  type DatasetInfo,
  type DatasetSchema,
} from "@tessera/shared-crdt";
import type { schema } from "@tessera/shared-crdt";

type SchemaManifest = schema.SchemaManifest;
type Slot = schema.Slot;

/**
 * The dataset an import produces: its `info.json` (name, workspace, schema manifests) and the
 * tables those manifests declare. Readers build one; the engine validates every row against it.
 */
export interface ImportTarget {
  readonly info: DatasetInfo;
  readonly schema: DatasetSchema;
}

export interface TargetSpec {
  readonly name: string;
  readonly description?: string;
  readonly workspace: string;
  /** Slot → manifest; slots left out are written as `null`. */
  readonly slots: Partial<Record<Slot, SchemaManifest | null>>;
  readonly views: Record<string, SchemaManifest>;
  readonly storageMode?: string;
  readonly now?: () => Date;
}

/** Pixano 0.8's `creation_date`: `datetime.now(timezone.utc).isoformat()`. */
function creationDate(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000+00:00`;
}

/**
 * Builds the target `info.json`. The id is a placeholder until the dataset is created (the engine
 * assigns a fresh one, or keeps the existing dataset's in `add` mode). Keys follow Pixano 0.8.
 */
export function buildTarget(spec: TargetSpec): ImportTarget {
  const now = spec.now ?? (() => new Date());
  const raw: Record<string, unknown> = {
    id: "pending",
    name: spec.name,
    description: spec.description ?? "",
    size: "Unknown",
    preview: "",
    creation_date: creationDate(now()),
    bookmarks: [],
    workspace: spec.workspace,
    storage_mode: spec.storageMode ?? "embedded",
    spec_version: 2,
  };
  // Pixano's info.json key order: the fixed slots, then the annotation kinds' (kind registry).
  const order: Slot[] = ["record", "entity", "entity_dynamic_state", ...kindsInSlotOrder().map((k) => k.slot as Slot)];
  for (const slot of order) raw[slot] = spec.slots[slot] ?? null;
  raw.timeseries = null;
  raw.views = spec.views;
  const info = parseDatasetInfo(raw);
  return { info, schema: datasetSchemaOf(info) };
}

/** The same target with another `info` header (id, name, storage mode) and the same tables. */
export function withInfo(target: ImportTarget, patch: Partial<DatasetInfo>): ImportTarget {
  return { info: { ...target.info, ...patch }, schema: target.schema };
}

/** A manifest for a table with custom fields (`name` = the Python class Pixano would create). */
export function manifest(base: string, fields: SchemaManifest["fields"] = {}, className?: string): SchemaManifest {
  const m: SchemaManifest = { base, fields };
  if (className !== undefined) m.name = className;
  else if (Object.keys(fields).length > 0) m.name = `Custom${base}`;
  return m;
}
