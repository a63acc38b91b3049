import { formatTimestamp, type Row, type TableName } from "@tessera/shared-crdt";
import { emptyFeaturesValues as emptyDatasetFeaturesValues, type FeaturesValues } from "@tessera/dataset";
import type { Prng } from "@tessera/shared-crdt";

/**
 * What one demo dataset is, before it is written: its `info.json` content, its pick-lists and its
 * rows per table. Builders produce plans (pure data plus rendered media); one writer turns any
 * plan into a dataset through `@tessera/dataset`, so each builder stays small and testable.
 */
interface DemoInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly workspace: "image" | "video" | "image_vqa" | "image_text_entity_linking";
  /** `info.json` slots → manifest (`{base, fields, name?}`) or null, and `views`. */
  readonly slots: Readonly<Record<string, unknown>>;
  readonly views: Readonly<Record<string, unknown>>;
}

export interface DemoPlan {
  readonly info: DemoInfo;
  readonly featuresValues: FeaturesValues;
  /** Rows per table (written with one `addRecords`, in Pixano's table order). */
  readonly rows: Partial<Record<TableName, Row[]>>;
  /** Up to four embedded images for `previews/dataset_preview.jpg`. */
  readonly mosaic: readonly Uint8Array[];
}

/** What every builder receives. */
export interface DemoContext {
  readonly rng: Prng;
  readonly now: () => Date;
}

export type Status = "new" | "inProgress" | "inReview" | "validated";

/** A campaign in progress: most records untouched, some being worked on, a few done. */
export function pickStatus(rng: Prng): Status {
  return rng.weighted([
    ["new", 40],
    ["inProgress", 25],
    ["inReview", 20],
    ["validated", 15],
  ]);
}

const REVIEW_NOTES = [
  "Please double-check the box around the far object.",
  "Mask looks tight, ready for review.",
  "Is the sign occluded? Not sure about its extent.",
  "Added the missing person, check the keypoints.",
];
const REJECT_NOTES = ["Rejected: the polygon misses part of the roof.", "Rejected: one object is not annotated."];

/** A status-consistent annotator comment (Pixano's `comment` column). */
export function commentFor(status: Status, rng: Prng): string {
  if (status === "inReview" && rng.chance(0.5)) return rng.pick(REVIEW_NOTES);
  if (status === "inProgress" && rng.chance(0.25)) return rng.pick(REJECT_NOTES);
  return "";
}

/**
 * Record timestamps: created some minutes before `now`, touched later if someone worked on the
 * record. Naive ISO strings, as Pixano stores them.
 */
export function recordTimes(
  ctx: DemoContext,
  index: number,
  total: number,
  status: Status,
): { created_at: string; updated_at: string } {
  const now = ctx.now().getTime();
  const created = now - (total - index) * 60_000 - 7 * 24 * 3_600_000;
  const touched = status === "new" ? created : Math.min(now, created + ctx.rng.int(5, 6 * 24 * 60) * 60_000);
  return { created_at: formatTimestamp(new Date(created)), updated_at: formatTimestamp(new Date(touched)) };
}

type FieldType = "str" | "int" | "float" | "bool";
const ZERO: Record<FieldType, unknown> = { str: "", int: 0, float: 0.0, bool: false };

/** `{base, fields, name}` for a subclass with custom scalar fields (`str` unless typed `name:type`). */
export function customManifest(base: string, name: string, fields: readonly string[]): Record<string, unknown> {
  const entries = fields.map((spec) => {
    const [field = spec, type = "str"] = spec.split(":") as [string, FieldType | undefined];
    return [field, { collection: false, type, required: false, default: ZERO[type] }] as const;
  });
  return { base, fields: Object.fromEntries(entries), name };
}

export const plain = (base: string) => ({ base, fields: {} });

/** Empty pick-lists in Pixano 0.8's `features_values.json` shape (the dataset library's). */
export function emptyFeaturesValues(): FeaturesValues {
  return emptyDatasetFeaturesValues();
}

/** Provenance columns for an annotation, by who made it. */
export function provenance(kind: "human" | "ground_truth" | "model"): {
  source_type: string;
  source_name: string;
  source_metadata: string;
} {
  switch (kind) {
    case "human":
      return { source_type: "human", source_name: "demo annotator", source_metadata: "{}" };
    case "ground_truth":
      return { source_type: "ground_truth", source_name: "demo generator", source_metadata: "{}" };
    case "model":
      return {
        source_type: "model",
        source_name: "Pre-annotation",
        source_metadata: JSON.stringify({ model: "demo-detector" }),
      };
  }
}

/** Adds rows to a plan's table list. */
export function push(rows: Partial<Record<TableName, Row[]>>, table: TableName, row: Row): void {
  (rows[table] ??= []).push(row);
}

/** Runs async jobs with at most `limit` in flight (sharp renders use the libuv pool). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The per-frame columns of an annotation on a still image (no tracklet, no frame: `-1`). */
export function onStillImage(viewId: string): {
  view_id: string;
  tracklet_id: string;
  entity_dynamic_state_id: string;
  frame_id: string;
  frame_index: number;
} {
  return { view_id: viewId, tracklet_id: "", entity_dynamic_state_id: "", frame_id: "", frame_index: -1 };
}
