import {
  COMPONENT_TABLES,
  RECORD_COLUMNS_OUTSIDE_DOC,
  type ComponentTable,
  type RecordRows,
  type Row,
} from "@tessera/shared-crdt";

/**
 * Three-way merge of a record's rows, used when LanceDB changed behind our back (Pixano writing
 * to the same dataset):
 * - `base`: the rows of the last snapshot (what LanceDB held when it was saved);
 * - `theirs`: the rows LanceDB holds now;
 * - `ours`: the document (snapshot + log), which may hold edits not yet written.
 * Their changes are replayed onto ours field by field: a field they changed takes their value, a
 * row they added is added (their fields win if we added the same id), a row they deleted is
 * deleted (a delete wins over our edit of it), a row we deleted stays deleted. Everything else is
 * ours. Returns the merged rows and, per table, the ids their side deleted (so the caller can
 * remove what depended on them).
 */
export interface ExternalMerge {
  readonly rows: RecordRows;
  readonly deleted: Map<ComponentTable, Set<string>>;
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function changedFields(before: Row, after: Row): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !same(before[k], after[k]));
}

function byId(rows: readonly Row[] | undefined): Map<string, Row> {
  return new Map((rows ?? []).map((r) => [r.id as string, r]));
}

export function mergeExternalRows(base: RecordRows, theirs: RecordRows, ours: RecordRows): ExternalMerge {
  const record: Row = { ...ours.record };
  for (const k of changedFields(base.record, theirs.record)) {
    if (RECORD_COLUMNS_OUTSIDE_DOC.has(k)) continue;
    if (k in theirs.record) record[k] = theirs.record[k];
    else delete record[k];
  }
  const tables: RecordRows["tables"] = {};
  const deleted = new Map<ComponentTable, Set<string>>();
  for (const t of COMPONENT_TABLES) {
    const b = byId(base.tables[t]);
    const th = byId(theirs.tables[t]);
    const merged = byId(ours.tables[t]);
    for (const id of new Set([...b.keys(), ...th.keys()])) {
      const before = b.get(id);
      const now = th.get(id);
      const mine = merged.get(id);
      if (before && !now) {
        if (merged.delete(id)) {
          let set = deleted.get(t);
          if (!set) deleted.set(t, (set = new Set()));
          set.add(id);
        }
      } else if (!before && now) {
        merged.set(id, mine ? { ...mine, ...now } : now);
      } else if (before && now && mine) {
        const fields = changedFields(before, now);
        if (fields.length === 0) continue;
        const next: Row = { ...mine };
        for (const k of fields) {
          if (k in now) next[k] = now[k];
          else delete next[k];
        }
        merged.set(id, next);
      }
    }
    if (merged.size > 0) tables[t] = [...merged.values()].sort((x, y) => String(x.id).localeCompare(String(y.id)));
  }
  return { rows: { record, tables }, deleted };
}
