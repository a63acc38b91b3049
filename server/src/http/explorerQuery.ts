import {
  MAX_FILTER_VALUE_LENGTH,
  MAX_QUERY_TEXT_LENGTH,
  parseFilters,
  type Filter,
  type SortSpec,
} from "@tessera/shared-crdt";
import type { ColumnDescriptor } from "./catalogue.js";
import { badRequest } from "./errors.js";

/**
 * Checks the explorer's query against a table's catalogue with Pixano 0.8.x's rules and wording
 * (`api/query.py`): unknown column, operator not allowed for the type, unparseable value — each a
 * 400 naming the problem. The checked filters then go to the dataset library, never raw SQL.
 */

function checkValue(d: ColumnDescriptor, value: string): void {
  if (value.length > MAX_FILTER_VALUE_LENGTH)
    throw badRequest(`Value for '${d.name}' exceeds ${MAX_FILTER_VALUE_LENGTH} characters.`);
  switch (d.type) {
    case "int":
      if (!/^\s*[+-]?\d+\s*$/.test(value))
        throw badRequest(`'${value}' is not a valid integer for column '${d.name}'.`);
      return;
    case "float":
      if (value.trim() === "" || !Number.isFinite(Number(value)))
        throw badRequest(`'${value}' is not a valid number for column '${d.name}'.`);
      return;
    case "bool":
      if (!["true", "1", "false", "0"].includes(value.trim().toLowerCase())) {
        throw badRequest(`'${value}' is not a valid boolean for column '${d.name}'.`);
      }
      return;
    case "datetime":
      if (
        !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$/.test(value.trim()) ||
        Number.isNaN(Date.parse(value.trim().slice(0, 10)))
      ) {
        throw badRequest(`'${value}' is not a valid ISO date/datetime for column '${d.name}'.`);
      }
      return;
    default:
      return;
  }
}

/** Checks already-parsed filters against the catalogue; `in`/`nin` drop empty items as Pixano does. */
export function checkFilters(catalogue: readonly ColumnDescriptor[], filters: readonly Filter[]): Filter[] {
  const byName = new Map(catalogue.map((d) => [d.name, d]));
  return filters.map((f) => {
    const d = byName.get(f.column);
    if (!d) throw badRequest(`Unknown column '${f.column}'. Call GET /datasets/{id}/filters for the list.`);
    if (!d.filterable) throw badRequest(`Column '${f.column}' is not filterable.`);
    if (!d.operators.includes(f.op)) {
      throw badRequest(`Operator '${f.op}' is not valid for '${f.column}' (allowed: ${d.operators.join(", ")}).`);
    }
    let values = f.values;
    if (f.op === "in" || f.op === "nin") {
      values = values.filter((v) => v !== "");
      if (values.length === 0) throw badRequest(`'${f.op}' on '${f.column}' needs at least one value.`);
    }
    if (f.op === "between" && values.length !== 2)
      throw badRequest(`'between' on '${f.column}' needs exactly two values.`);
    for (const v of values) checkValue(d, v);
    return { column: f.column, op: f.op, values };
  });
}

/**
 * Parses repeated `filter=col:op:value` with the shared grammar, then checks each against the
 * catalogue. Cross-table columns (`entities.category`) are refused like Pixano refuses them.
 */
export function parseExplorerFilters(catalogue: readonly ColumnDescriptor[], tokens: readonly string[]): Filter[] {
  for (const t of tokens) {
    const first = t.indexOf(":");
    const column = first > 0 ? t.slice(0, first) : "";
    if (column.includes(".")) throw badRequest(`Cross-table filters ('${column}') are planned for a future release.`);
  }
  return checkFilters(catalogue, parseFilters(tokens));
}

export function checkQueryText(q: string | undefined): string | undefined {
  if (q === undefined || q === "") return undefined;
  if (q.length > MAX_QUERY_TEXT_LENGTH) throw badRequest(`Search text exceeds ${MAX_QUERY_TEXT_LENGTH} characters.`);
  return q;
}

/** `sort`/`order`, defaulting to `id asc` as Pixano's records listing does. */
export function checkSort(
  catalogue: readonly ColumnDescriptor[],
  sort: string | undefined,
  order: string | undefined,
): SortSpec {
  const column = sort || "id";
  const normalized = (order || "asc").toLowerCase();
  if (normalized !== "asc" && normalized !== "desc")
    throw badRequest(`Sort order must be 'asc' or 'desc' (got '${order}').`);
  const d = catalogue.find((c) => c.name === column);
  if (!d) throw badRequest(`Unknown sort column '${column}'.`);
  if (!d.sortable) throw badRequest(`Column '${column}' is not sortable.`);
  return { column, order: normalized };
}
