import type { ColumnDef } from "../schema/columns.js";
import type { TableRule } from "../schema/rules.js";

/**
 * One annotation kind, declared once (docs/ARCHITECTURE.md §9). Every place that used to list the
 * annotation tables — the canonical tables, the reference table, `info.json` slots, the record
 * document layout, REST resources and their permissions, OpenAPI schemas, the JSONL v1/v2 import
 * and export grammars — reads these descriptors. The client's per-kind view modules are keyed by
 * `id`.
 */
export interface AnnotationKind<Id extends string = string, C extends readonly ColumnDef[] = readonly ColumnDef[]> {
  /** The kind's id: its Pixano table name (`bboxes`, `multi_paths`, …). */
  readonly id: Id;
  /** The LanceDB table (always equal to `id`; kept as its own field for readers of the contract). */
  readonly table: Id;
  /** Pixano's pydantic class (the `base` of an `info.json` manifest). */
  readonly baseClass: string;
  /** The `info.json` slot key (`bbox`, `keypoint`, …). */
  readonly slot: string;
  /** Position of the slot among the annotation slots of `info.json` (Pixano's key order). */
  readonly slotOrder: number;
  /** The Pixano release that introduced the slot: 0.8 slots are listed apart (`SLOTS_08`). */
  readonly since: "0.7" | "0.8" | "tessera";
  /** Ordered columns, base-class fields first (Pixano's pydantic order). */
  readonly columns: C;
  /** Drawn on one frame of a view: has `tracklet_id`, `entity_dynamic_state_id`, `frame_id`, `frame_index`. */
  readonly perFrame: boolean;
  /**
   * Whether a row hangs off one entity through an `entity_id` column (the default). `false` for a
   * kind whose rows are not one entity's (`messages`, which lists `entity_ids`): the entity list,
   * the orphan check of a delete and Pixano's `annotations` order read it instead of the table name.
   */
  readonly entityAttached?: boolean;
  /** The references this kind's rows hold (SPEC D-REF, D-CASCADE). */
  readonly references: readonly KindReference[];
  readonly rest: KindRest;
  /** Who may write it through REST: `annotate` = annotators and up (SPEC W-ROLES). */
  readonly permissions: "annotate";
  /**
   * Value rules checked after the column types (SPEC S-…), for a kind outside the built-ins (the
   * built-ins' rules live in `schema/rules.ts`, cited by their S- ids).
   */
  readonly rules?: readonly TableRule[];
  /** JSONL import/export keys; a kind without them travels only as rows of its table. */
  readonly io: KindIo;
}

/** A reference target: a table, or a group of tables resolved when the reference table is built. */
export type ReferenceTarget = "records" | "views" | "entities" | "entity_dynamic_states" | "tracklets" | "annotations";

export interface KindReference {
  readonly field: string;
  readonly target: ReferenceTarget;
  readonly scope: "record" | "dataset";
  readonly onDelete: "cascade" | "clear";
  readonly many?: boolean;
  readonly sameEntity?: boolean;
}

/** The exact-match filters a REST listing accepts (Pixano's `routers/resources.py`). */
export type ResourceFilter = "record_id" | "entity_id" | "view_name" | "source_type" | "tracklet_id" | "frame_index";

export interface KindRest {
  /** REST path segment (`/datasets/{id}/<resource>/`). */
  readonly resource: string;
  /** Singular name used in operation ids (`get_bbox`, `create_keypoints`). */
  readonly name: string;
  /** OpenAPI tag. */
  readonly tag: string;
  readonly filters: readonly ResourceFilter[];
  /** Position among Pixano's resource routers (the OpenAPI document's path order). */
  readonly order: number;
}

export interface KindIo {
  /** Pixano 0.7 `metadata.jsonl`: the canonical entity key, its aliases and the value's keys. */
  readonly v1?: { readonly key: string; readonly aliases: readonly string[]; readonly fields: readonly string[] };
  /**
   * JSONL v2: the annotation `kind`, the keys a line may carry (`fields`), the row columns the
   * exporter writes back as keys (`exportFields`).
   */
  readonly v2?: { readonly key: string; readonly fields: readonly string[]; readonly exportFields: readonly string[] };
}

/** Declares a kind, keeping its id and column tuple literal (row types derive from them). */
export function defineKind<const Id extends string, const C extends readonly ColumnDef[]>(
  kind: AnnotationKind<Id, C>,
): AnnotationKind<Id, C> {
  return kind;
}

/** Whether the kind's rows belong to one entity (its `entity_id`); see {@link AnnotationKind.entityAttached}. */
export function isEntityAttached(kind: Pick<AnnotationKind, "entityAttached">): boolean {
  return kind.entityAttached !== false;
}

/** The references every entity-attached annotation holds (record, view, entity). */
export const ENTITY_ANNOTATION_REFS: readonly KindReference[] = [
  { field: "record_id", target: "records", scope: "dataset", onDelete: "cascade" },
  { field: "view_id", target: "views", scope: "dataset", onDelete: "cascade" },
  { field: "entity_id", target: "entities", scope: "record", onDelete: "cascade" },
];

/** What a per-frame annotation adds: its frame, its tracklet, its optional dynamic state. */
export const PER_FRAME_REFS: readonly KindReference[] = [
  { field: "frame_id", target: "views", scope: "dataset", onDelete: "cascade" },
  { field: "tracklet_id", target: "tracklets", scope: "record", onDelete: "cascade", sameEntity: true },
  // A dynamic state is optional on a per-frame annotation: the annotation stays, unlinked.
  {
    field: "entity_dynamic_state_id",
    target: "entity_dynamic_states",
    scope: "record",
    onDelete: "clear",
    sameEntity: true,
  },
];

export const ALL_FILTERS: readonly ResourceFilter[] = [
  "record_id",
  "entity_id",
  "view_name",
  "source_type",
  "tracklet_id",
  "frame_index",
];
export const ENTITY_ANNOTATION_FILTERS: readonly ResourceFilter[] = [
  "record_id",
  "entity_id",
  "view_name",
  "source_type",
];
