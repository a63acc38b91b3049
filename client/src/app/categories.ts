import type { TableSchema } from "@tessera/shared-crdt";
import type { FeatureValues, FeatureValuesEntry } from "../api/types.js";

/**
 * Categories: which entity field is "the label" and its pick-list (`features_values`), and the
 * category colours shapes are drawn in (separate from people colours, UI.md "People"). Pure.
 */
export interface LabelField {
  readonly name: string;
  readonly values: readonly string[];
  /** True when only these values are allowed (Pixano's `restricted`). */
  readonly restricted: boolean;
}

/** Tableau 10: distinct on dark and light backgrounds. */
export const CATEGORY_PALETTE: readonly number[] = [
  0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac,
];
export const UNLABELLED_COLOR = 0x9aa0a6;

/** Pick-lists of a table's fields: `feature_values[group][table]`. */
export function pickLists(
  fv: FeatureValues | undefined,
  group: keyof FeatureValues,
  table: string,
): FeatureValuesEntry[] {
  return fv?.[group]?.[table] ?? [];
}

/**
 * The entity field used as the label: the first custom string field with a pick-list, else one
 * named `category`, else the first custom string field (`name` in entity-linking datasets).
 */
export function entityLabelField(entities: TableSchema | undefined, fv: FeatureValues | undefined): LabelField | null {
  if (!entities) return null;
  const custom = entities.columns.filter((c) => c.source === "custom" && c.type.kind === "utf8");
  const lists = pickLists(fv, "entities", "entities");
  for (const c of custom) {
    const list = lists.find((l) => l.name === c.name);
    if (list && list.values.length > 0) return { name: c.name, values: list.values, restricted: list.restricted };
  }
  const chosen = custom.find((c) => c.name === "category") ?? custom[0];
  return chosen ? { name: chosen.name, values: [], restricted: false } : null;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A category's colour: its place in the pick-list when it has one, else a stable hash. */
export function categoryColor(value: string | null | undefined, known: readonly string[]): number {
  if (!value) return UNLABELLED_COLOR;
  const i = known.indexOf(value);
  const n = CATEGORY_PALETTE.length;
  return CATEGORY_PALETTE[(i >= 0 ? i : hash(value)) % n] ?? UNLABELLED_COLOR;
}

export function cssColor(n: number): string {
  return `#${n.toString(16).padStart(6, "0")}`;
}
