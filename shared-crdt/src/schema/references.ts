import { ANNOTATION_KINDS } from "../kinds/index.js";
import type { BuiltinKindId } from "../kinds/builtins.js";
import { isEntityAttached, type AnnotationKind, type ReferenceTarget } from "../kinds/types.js";
import { COMPONENT_TABLES, VIEW_TABLES, type ComponentTable, type TableName } from "./tables.js";
import type { EntityAnnotationTable } from "./rowTypes.js";

/**
 * Every reference between Pixano rows, once (SPEC D-REF, D-CASCADE): which field points at which
 * tables, whether both ends live in one record document, and what deleting the target does to the
 * referencing row. The record documents (integrity, cascade, repair), the dataset library (foreign
 * key checks, cascading deletes on LanceDB) and REST all read this table and `planDelete`.
 */
export interface Reference {
  readonly table: TableName;
  readonly field: string;
  /** Tables the referenced id may live in. */
  readonly target: readonly TableName[];
  /** A list of ids (`messages.entity_ids`) rather than a single id. */
  readonly many: boolean;
  /**
   * `record`: both ends are rows of one record document, so the document checks and cascades it;
   * `dataset`: the target (a record, a view) is not in any document: only the library follows it.
   */
  readonly scope: "record" | "dataset";
  /** Deleting the target deletes this row (`cascade`) or removes the id from the field (`clear`). */
  readonly onDelete: "cascade" | "clear";
  /** The target must belong to the same entity as this row (Pixano's cross-entity check). */
  readonly sameEntity: boolean;
}

/** Pixano's `annotations` group: what a relation's `subject_id` / `object_id` may point at. */
export const ANNOTATION_TABLES: readonly BuiltinKindId[] = kindsByAttachment().map((k) => k.id as BuiltinKindId);

/** The annotation tables whose rows belong to one entity (`entity_id`): all but `messages` (`entityAttached`). */
// A registered kind is typed as a built-in one: the registry checks that an entity-attached kind has `entity_id`.
export const ENTITY_ANNOTATION_TABLES: readonly EntityAnnotationTable[] = ANNOTATION_KINDS.filter(isEntityAttached).map(
  (k) => k.id as EntityAnnotationTable,
);

/** The kinds in Pixano's `annotations` order: those attached to one entity first, then the others (messages). */
function kindsByAttachment(): readonly AnnotationKind[] {
  return [...ANNOTATION_KINDS.filter(isEntityAttached), ...ANNOTATION_KINDS.filter((k) => !isEntityAttached(k))];
}

function ref(
  table: TableName,
  field: string,
  target: readonly TableName[],
  scope: Reference["scope"],
  onDelete: Reference["onDelete"],
  extra: Partial<Pick<Reference, "many" | "sameEntity">> = {},
): Reference {
  return { table, field, target, scope, onDelete, many: extra.many ?? false, sameEntity: extra.sameEntity ?? false };
}

const TARGETS: Readonly<Record<ReferenceTarget, readonly TableName[]>> = {
  records: ["records"],
  views: VIEW_TABLES,
  entities: ["entities"],
  entity_dynamic_states: ["entity_dynamic_states"],
  tracklets: ["tracklets"],
  annotations: ANNOTATION_TABLES,
};

/**
 * The references of the tables that are not annotation kinds, by field: those listed before the
 * kinds' own references to the same field, and after them (the table keeps Pixano's order:
 * record, view, frame, entity links, tracklet, dynamic state, relation ends).
 */
const FIELD_ORDER = [
  "record_id",
  "view_id",
  "frame_id",
  "parent_id",
  "entity_id",
  "entity_ids",
  "tracklet_id",
  "entity_dynamic_state_id",
  "subject_id",
  "object_id",
] as const;
const FIXED: Readonly<Record<string, { readonly before: readonly Reference[]; readonly after: readonly Reference[] }>> =
  {
    // Pixano's `delete_records`: a record takes every row of it.
    record_id: {
      before: ([...VIEW_TABLES, "entities", "entity_dynamic_states"] as const).map((t) =>
        ref(t, "record_id", ["records"], "dataset", "cascade"),
      ),
      after: [ref("embeddings", "record_id", ["records"], "dataset", "cascade")],
    },
    // A view takes what is drawn on it.
    view_id: {
      before: [ref("entity_dynamic_states", "view_id", VIEW_TABLES, "dataset", "cascade")],
      after: [ref("embeddings", "view_id", VIEW_TABLES, "dataset", "cascade")],
    },
    frame_id: {
      before: [ref("entity_dynamic_states", "frame_id", VIEW_TABLES, "dataset", "cascade")],
      after: [ref("embeddings", "frame_id", VIEW_TABLES, "dataset", "cascade")],
    },
    // Pixano's app (`deleteEntityFull`): an entity takes its child entities and everything of it.
    parent_id: { before: [ref("entities", "parent_id", ["entities"], "record", "cascade")], after: [] },
    entity_id: { before: [ref("entity_dynamic_states", "entity_id", ["entities"], "record", "cascade")], after: [] },
    // Pixano's app (`deleteEntity` on a tracklet): a tracklet takes its per-frame rows.
    tracklet_id: {
      before: [ref("entity_dynamic_states", "tracklet_id", ["tracklets"], "record", "cascade", { sameEntity: true })],
      after: [],
    },
  };

function buildReferences(): readonly Reference[] {
  const fromKinds = kindsByAttachment().flatMap((k) =>
    k.references.map((r) =>
      ref(k.id as TableName, r.field, TARGETS[r.target], r.scope, r.onDelete, {
        many: r.many ?? false,
        sameEntity: r.sameEntity ?? false,
      }),
    ),
  );
  const unknown = fromKinds.find((r) => !(FIELD_ORDER as readonly string[]).includes(r.field));
  if (unknown) throw new Error(`reference ${unknown.table}.${unknown.field}: add its field to FIELD_ORDER`);
  return FIELD_ORDER.flatMap((field) => [
    ...(FIXED[field]?.before ?? []),
    ...fromKinds.filter((r) => r.field === field),
    ...(FIXED[field]?.after ?? []),
  ]);
}

/** The reference table (SPEC D-CASCADE): the fixed tables' references and every kind's own. */
export const REFERENCES: readonly Reference[] = buildReferences();

/** The references a row of `table` holds. */
export function referencesOf(table: TableName): readonly Reference[] {
  return REFERENCES.filter((r) => r.table === table);
}

/** The reference `table.field`, if that field is one. */
export function referenceAt(table: TableName, field: string): Reference | undefined {
  return REFERENCES.find((r) => r.table === table && r.field === field);
}

/**
 * A question `planDelete` asks its row source: the ids of the rows of `table` whose `field` is one
 * of `values` (for a list field: holds one of them). `field` is `"id"` for "which of these exist".
 * A source without that table or column answers `[]`.
 */
export interface RowQuery {
  readonly table: TableName;
  readonly field: string;
  readonly many: boolean;
  readonly values: readonly string[];
}

/** Ids removed from one reference field of rows that stay. */
export interface ReferenceClear {
  readonly table: TableName;
  readonly field: string;
  readonly many: boolean;
  /** Rows to change. */
  readonly ids: ReadonlySet<string>;
  /** The deleted ids: a scalar field holding one becomes `""`, a list field loses them. */
  readonly values: ReadonlySet<string>;
}

export interface DeletePlan {
  /** Rows to delete per table, in the order their tables were reached (dependents after targets). */
  readonly deletes: ReadonlyMap<TableName, ReadonlySet<string>>;
  readonly clears: readonly ReferenceClear[];
}

/** The steps of a plan: yields queries, receives their answers, returns the plan. */
export type DeleteWalk = Generator<RowQuery, DeletePlan, readonly string[]>;

/**
 * What deleting `ids` of `table` removes and clears (SPEC D-CASCADE), over any row source: the
 * named rows that exist, then every row with a `cascade` reference to a removed row, in waves,
 * then `clear` references to removed rows on rows that stay. `scope` limits the references
 * followed (a record document follows only `record` ones; the library follows all).
 */
export function* planDelete(
  table: TableName,
  ids: readonly string[],
  scope: Reference["scope"] = "dataset",
): DeleteWalk {
  const found = ids.length === 0 ? [] : yield { table, field: "id", many: false, values: [...new Set(ids)] };
  return yield* planDependents(new Map([[table, new Set(found)]]), scope, true);
}

/**
 * What depends on rows already gone (`gone`, by table): the same waves as `planDelete` without the
 * first step. `includeGone` puts the gone rows in the plan's deletes.
 */
export function* planDependents(
  gone: ReadonlyMap<TableName, ReadonlySet<string>>,
  scope: Reference["scope"] = "dataset",
  includeGone = false,
): DeleteWalk {
  const refs = REFERENCES.filter((r) => scope === "dataset" || r.scope === "record");
  const deletes = new Map<TableName, Set<string>>();
  const goneIds = new Map<TableName, Set<string>>();
  let frontier = new Map<TableName, string[]>();
  for (const [t, s] of gone) {
    goneIds.set(t, new Set(s));
    if (includeGone && s.size > 0) deletes.set(t, new Set(s));
    if (s.size > 0) frontier.set(t, [...s]);
  }
  const clearRequests = new Map<Reference, string[]>();
  while (frontier.size > 0) {
    const next = new Map<TableName, string[]>();
    for (const r of refs) {
      const values = r.target.flatMap((t) => frontier.get(t) ?? []);
      if (values.length === 0) continue;
      if (r.onDelete === "clear") {
        const pending = clearRequests.get(r);
        if (pending) pending.push(...values);
        else clearRequests.set(r, [...values]);
        continue;
      }
      const hits = yield { table: r.table, field: r.field, many: r.many, values };
      let known = goneIds.get(r.table);
      if (!known) goneIds.set(r.table, (known = new Set()));
      for (const id of hits) {
        if (known.has(id)) continue;
        known.add(id);
        let d = deletes.get(r.table);
        if (!d) deletes.set(r.table, (d = new Set()));
        d.add(id);
        let n = next.get(r.table);
        if (!n) next.set(r.table, (n = []));
        n.push(id);
      }
    }
    frontier = next;
  }
  const clears: ReferenceClear[] = [];
  for (const [r, values] of clearRequests) {
    const hits = yield { table: r.table, field: r.field, many: r.many, values };
    const known = goneIds.get(r.table);
    const stay = new Set(hits.filter((id) => !known?.has(id)));
    if (stay.size > 0)
      clears.push({ table: r.table, field: r.field, many: r.many, ids: stay, values: new Set(values) });
  }
  return { deletes, clears };
}

/** Runs a plan against a synchronous row source (a record document inside a transaction). */
export function runDeleteWalk(walk: DeleteWalk, answer: (q: RowQuery) => readonly string[]): DeletePlan {
  let step = walk.next();
  while (!step.done) step = walk.next(answer(step.value));
  return step.value;
}

/** Runs a plan against an asynchronous row source (LanceDB). */
export async function runDeleteWalkAsync(
  walk: DeleteWalk,
  answer: (q: RowQuery) => Promise<readonly string[]>,
): Promise<DeletePlan> {
  let step = walk.next();
  while (!step.done) step = walk.next(await answer(step.value));
  return step.value;
}

/**
 * The component tables, each after every table its rows reference within a record (targets first;
 * otherwise `COMPONENT_TABLES` order): the order a writer makes rows visible in, so a reader between
 * two writes never meets a reference before its target (a per-frame box before its tracklet). Deletes
 * run it backwards.
 */
export const WRITE_ORDER: readonly ComponentTable[] = writeOrder();

function writeOrder(): ComponentTable[] {
  const component = new Set<string>(COMPONENT_TABLES);
  const after = new Map<ComponentTable, Set<ComponentTable>>(COMPONENT_TABLES.map((t) => [t, new Set()]));
  for (const r of REFERENCES) {
    if (!component.has(r.table)) continue;
    for (const target of r.target)
      if (component.has(target) && target !== r.table)
        after.get(r.table as ComponentTable)?.add(target as ComponentTable);
  }
  const out: ComponentTable[] = [];
  const placed = new Set<ComponentTable>();
  while (out.length < COMPONENT_TABLES.length) {
    const next = COMPONENT_TABLES.find((t) => !placed.has(t) && [...(after.get(t) ?? [])].every((d) => placed.has(d)));
    // A cycle between tables (none today) keeps the remaining tables in their declared order.
    const pick = next ?? COMPONENT_TABLES.find((t) => !placed.has(t));
    if (pick === undefined) break;
    out.push(pick);
    placed.add(pick);
  }
  return out;
}
