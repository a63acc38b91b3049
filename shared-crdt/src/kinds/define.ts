/**
 * What a module declaring an annotation kind needs, without reading the registry (importing
 * `@tessera/shared-crdt` itself freezes it): `@tessera/shared-crdt/kinds`. A kind outside the
 * built-ins is declared with these and registered with {@link registerAnnotationKind} before the
 * first import of the package root (docs/ARCHITECTURE.md §9).
 */
export { col, type ColumnDef } from "../schema/columns.js";
export type { Row, TableRule } from "../schema/rules.js";
export { entityAnnotation, perFrame, provenance, recordComponent } from "../schema/columnGroups.js";
export { isRegistryFrozen, KindRegistryError, registerAnnotationKind } from "./registry.js";
export {
  ALL_FILTERS,
  defineKind,
  ENTITY_ANNOTATION_FILTERS,
  ENTITY_ANNOTATION_REFS,
  isEntityAttached,
  PER_FRAME_REFS,
  type AnnotationKind,
  type KindReference,
  type ResourceFilter,
} from "./types.js";
