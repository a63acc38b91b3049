import { annotationKinds } from "./registry.js";
import type { AnnotationKind } from "./types.js";

/**
 * The annotation kinds (docs/ARCHITECTURE.md §9), read once: importing this module freezes the
 * registry. Everything that lists annotation tables derives from {@link ANNOTATION_KINDS}.
 */
export const ANNOTATION_KINDS: readonly AnnotationKind[] = annotationKinds();

const byId = new Map(ANNOTATION_KINDS.map((k) => [k.id, k]));

/** The kind whose table is `table`, if it is an annotation table. */
export function kindOf(table: string): AnnotationKind | undefined {
  return byId.get(table);
}

/** The kind a JSONL v1 key or alias (`bbox`, `polygon`, …) names. */
export function kindByV1Key(key: string): AnnotationKind | undefined {
  return ANNOTATION_KINDS.find((k) => k.io.v1 !== undefined && (k.io.v1.key === key || k.io.v1.aliases.includes(key)));
}

/** The kind a JSONL v2 annotation `kind` names. */
export function kindByV2Key(key: string): AnnotationKind | undefined {
  return ANNOTATION_KINDS.find((k) => k.io.v2?.key === key);
}

/** Kinds in Pixano's REST router order. */
export function kindsInRouteOrder(): readonly AnnotationKind[] {
  return [...ANNOTATION_KINDS].sort((a, b) => a.rest.order - b.rest.order);
}

/** Kinds in `info.json` slot order. */
export function kindsInSlotOrder(): readonly AnnotationKind[] {
  return [...ANNOTATION_KINDS].sort((a, b) => a.slotOrder - b.slotOrder);
}

export type { TableRule } from "../schema/rules.js";
export { BUILTIN_KINDS, type BuiltinKindId, type BuiltinKindSlot } from "./builtins.js";
export { isRegistryFrozen, KindRegistryError, registerAnnotationKind } from "./registry.js";
export {
  ALL_FILTERS,
  defineKind,
  ENTITY_ANNOTATION_FILTERS,
  ENTITY_ANNOTATION_REFS,
  isEntityAttached,
  PER_FRAME_REFS,
  type AnnotationKind,
  type KindIo,
  type KindReference,
  type KindRest,
  type ReferenceTarget,
  type ResourceFilter,
} from "./types.js";
