import { TABLES, VIEW_TABLES, type TableName } from "@tessera/shared-crdt";

/**
 * What a cascading delete removes (like Pixano's Python `delete_records`, extended to every kind of
 * row so no reference is left dangling):
 * - record → every row whose `record_id` is one of them (views, entities, annotations, embeddings);
 * - entity → child entities (`parent_id`, recursively), every row whose `entity_id` is one of them
 *   (dynamic states, annotations, tracklets); its id is removed from messages' `entity_ids`;
 * - view → rows drawn on it (`view_id` or `frame_id`);
 * - annotation → relations whose `subject_id`/`object_id` is one of them;
 * - tracklet / dynamic state → not deleted further: per-frame rows keep existing with their
 *   `tracklet_id` / `entity_dynamic_state_id` cleared to `""`.
 */

export interface CascadeIo {
  /** Tables present on disk with their columns. */
  readonly columns: ReadonlyMap<TableName, readonly string[]>;
  /** Ids of rows of `table` whose `field` is one of `values`. */
  idsWhere(table: TableName, field: string, values: readonly string[]): Promise<string[]>;
  /** Ids of rows of `table` whose list `field` holds one of `values`. */
  idsWhereListHas(table: TableName, field: string, values: readonly string[]): Promise<string[]>;
  /** Which of `ids` exist in `table`. */
  existing(table: TableName, ids: readonly string[]): Promise<string[]>;
}

export interface FieldClear {
  readonly table: TableName;
  readonly field: string;
  readonly ids: ReadonlySet<string>;
}

export interface ListRemoval {
  readonly table: TableName;
  readonly field: string;
  readonly ids: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
}

export interface DeletePlan {
  readonly deletes: ReadonlyMap<TableName, ReadonlySet<string>>;
  /** Reference fields set to `""` on rows that stay. */
  readonly clears: readonly FieldClear[];
  /** Values removed from list fields (messages' `entity_ids`) of rows that stay. */
  readonly listRemovals: readonly ListRemoval[];
}

const PER_REFERENCE_CLEAR: Readonly<Partial<Record<TableName, string>>> = {
  tracklets: "tracklet_id",
  entity_dynamic_states: "entity_dynamic_state_id",
};

export async function planCascade(io: CascadeIo, table: TableName, ids: readonly string[]): Promise<DeletePlan> {
  const deletes = new Map<TableName, Set<string>>();
  const queue: Array<{ table: TableName; ids: string[] }> = [];
  const enqueue = (t: TableName, found: readonly string[]) => {
    let set = deletes.get(t);
    if (!set) deletes.set(t, (set = new Set()));
    const fresh = found.filter((id) => !set.has(id));
    for (const id of fresh) set.add(id);
    if (fresh.length > 0) queue.push({ table: t, ids: fresh });
  };
  if (io.columns.has(table)) enqueue(table, await io.existing(table, [...new Set(ids)]));

  const clearRequests: Array<{ table: TableName; field: string; values: string[] }> = [];
  const listRequests: Array<{ table: TableName; field: string; values: string[] }> = [];
  const withColumn = (field: string) => [...io.columns].filter(([, cols]) => cols.includes(field)).map(([t]) => t);

  while (queue.length > 0) {
    const { table: t, ids: batch } = queue.shift()!;
    const group = TABLES[t].group;
    const follow = async (targets: readonly TableName[], field: string) => {
      for (const target of targets) enqueue(target, await io.idsWhere(target, field, batch));
    };
    if (t === "records") {
      await follow(withColumn("record_id").filter((x) => x !== "records"), "record_id");
    } else if (t === "entities") {
      await follow(withColumn("parent_id").filter((x) => x === "entities"), "parent_id");
      await follow(withColumn("entity_id"), "entity_id");
      for (const target of withColumn("entity_ids")) listRequests.push({ table: target, field: "entity_ids", values: batch });
    } else if ((VIEW_TABLES as readonly string[]).includes(t)) {
      await follow(withColumn("view_id"), "view_id");
      await follow(withColumn("frame_id"), "frame_id");
    }
    if (group === "annotations") {
      await follow(withColumn("subject_id"), "subject_id");
      await follow(withColumn("object_id"), "object_id");
    }
    const clearField = PER_REFERENCE_CLEAR[t];
    if (clearField) for (const target of withColumn(clearField)) clearRequests.push({ table: target, field: clearField, values: batch });
  }

  const keep = (target: TableName, found: readonly string[]) => new Set(found.filter((id) => !deletes.get(target)?.has(id)));
  const clears: FieldClear[] = [];
  for (const r of clearRequests) {
    const ids = keep(r.table, await io.idsWhere(r.table, r.field, r.values));
    if (ids.size > 0) clears.push({ table: r.table, field: r.field, ids });
  }
  const listRemovals: ListRemoval[] = [];
  for (const r of listRequests) {
    const ids = keep(r.table, await io.idsWhereListHas(r.table, r.field, r.values));
    if (ids.size > 0) listRemovals.push({ table: r.table, field: r.field, ids, values: new Set(r.values) });
  }
  return { deletes, clears, listRemovals };
}
