import { pixanoIssuesAsIs } from "@tessera/dataset";
import type { ComponentTable, DatasetSchema, Row, ValidationIssue } from "@tessera/shared-crdt";

/** Pixano 0.8's table models as document row rules (REST writes, SPEC R-PIXANO); a row must pass unconverted. */
export function pixanoRowRules(schema: DatasetSchema): (table: ComponentTable, row: Row) => ValidationIssue[] {
  return (table, row) => {
    const ts = schema.tables.get(table);
    if (!ts) return [{ path: `${table}[${String(row.id)}]`, message: `the dataset has no ${table} table` }];
    return pixanoIssuesAsIs(ts, row, () => new Date()).map((i) => ({
      path: `${table}[${String(row.id)}].${i.field}`,
      message: i.message,
    }));
  };
}
