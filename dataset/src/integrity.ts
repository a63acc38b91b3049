import { referenceAt, type Row, type TableName } from "@tessera/shared-crdt";
import type { IntegrityIssue } from "./errors.js";

/**
 * Pixano's referential rules (spec §2.1, §10.8; `utils/integrity.py`, `api/service.py`) over the
 * shared reference table (`REFERENCES` in `@tessera/shared-crdt`): string foreign keys where `""`
 * means "no reference", ids unique per table, per-frame `tracklet_id` and `entity_dynamic_state_id`
 * belonging to the row's own entity, message `entity_ids` existing.
 */

/** The tables a reference field may point to, or null when the field is not a foreign key. */
export function fkTargets(table: TableName, field: string): readonly TableName[] | null {
  return referenceAt(table, field)?.target ?? null;
}

/** How a cross-entity failure names the target, per field. */
const SAME_ENTITY_LABEL: Readonly<Record<string, string>> = { tracklet_id: "tracklet", entity_dynamic_state_id: "EDS" };

/** Reads `id` (and `entity_id` when the table has it) of the given rows of a table; [] if it does not exist. */
export type IdLookup = (
  table: TableName,
  ids: readonly string[],
) => Promise<ReadonlyArray<{ id: string; entity_id?: string }>>;

export interface IntegrityContext {
  readonly lookup: IdLookup;
  /** Rows being written in the same operation, by table (they satisfy references too). */
  readonly pending?: ReadonlyMap<TableName, ReadonlyMap<string, Row>>;
}

function quoteList(tables: readonly string[]): string {
  return tables.length === 1 ? `'${tables[0]}'` : `any of ${tables.map((t) => `'${t}'`).join(", ")}`;
}

/** Checks the foreign keys of rows about to be written to `table` (only columns the table has). */
export async function checkForeignKeys(
  table: TableName,
  columns: readonly string[],
  rows: readonly Row[],
  ctx: IntegrityContext,
): Promise<IntegrityIssue[]> {
  const issues: IntegrityIssue[] = [];
  const fields = columns.filter((c) => c !== "id" && fkTargets(table, c) !== null);
  for (const field of fields) {
    const targets = fkTargets(table, field)!;
    const wanted = new Set<string>();
    for (const r of rows) {
      const v = r[field];
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === "string" && x !== "") wanted.add(x);
    }
    if (wanted.size === 0) continue;
    // value → entity_id of the row found (or "" when that table has no entity_id)
    const found = new Map<string, string>();
    for (const target of targets) {
      const pending = ctx.pending?.get(target);
      if (pending) {
        for (const v of wanted) {
          const row = pending.get(v);
          if (row && !found.has(v)) found.set(v, typeof row.entity_id === "string" ? row.entity_id : "");
        }
      }
      const rest = [...wanted].filter((v) => !found.has(v));
      if (rest.length === 0) break;
      for (const hit of await ctx.lookup(target, rest)) if (!found.has(hit.id)) found.set(hit.id, hit.entity_id ?? "");
    }
    for (const r of rows) {
      const v = r[field];
      const rowId = String(r.id);
      for (const x of Array.isArray(v) ? v : [v]) {
        if (typeof x !== "string" || x === "") continue;
        const owner = found.get(x);
        if (owner === undefined) {
          issues.push({
            table,
            rowId,
            field,
            value: x,
            reason: "foreign_key",
            message: `Foreign key violation: ${field}='${x}' not found in ${quoteList(targets)} (${table} row '${rowId}').`,
          });
          continue;
        }
        const label = referenceAt(table, field)?.sameEntity ? (SAME_ENTITY_LABEL[field] ?? field) : undefined;
        const expected = r.entity_id;
        if (
          label !== undefined &&
          typeof expected === "string" &&
          expected !== "" &&
          owner !== "" &&
          owner !== expected
        ) {
          issues.push({
            table,
            rowId,
            field,
            value: x,
            reason: "cross_entity",
            message: `Cross-entity check failed: ${label} '${x}' belongs to entity '${owner}', not '${expected}' (${table} row '${rowId}').`,
          });
        }
      }
    }
  }
  return issues;
}

/** Duplicate ids within a batch. */
export function duplicateIdsInBatch(table: TableName, rows: readonly Row[]): IntegrityIssue[] {
  const seen = new Set<string>();
  const issues: IntegrityIssue[] = [];
  for (const r of rows) {
    const id = String(r.id);
    if (seen.has(id)) issues.push(duplicateIssue(table, id));
    seen.add(id);
  }
  return issues;
}

export function duplicateIssue(table: TableName, id: string): IntegrityIssue {
  return {
    table,
    rowId: id,
    field: "id",
    value: id,
    reason: "duplicate_id",
    message: `Duplicate id '${id}' in table '${table}'.`,
  };
}
