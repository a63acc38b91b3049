import { describe, expect, it } from "vitest";
import { formatFilter, parseFilter } from "@tessera/shared-crdt";
import type { FilterColumn } from "../../src/api/types.js";
import {
  emptyRow,
  filterToRow,
  operatorsOf,
  rowsToFilters,
  rowToFilter,
  type FilterRow,
} from "../../src/app/filterRows.js";

const col = (
  name: string,
  type: FilterColumn["type"],
  operators: FilterColumn["operators"],
  extra: Partial<FilterColumn> = {},
): FilterColumn => ({
  name,
  type,
  operators,
  collection: false,
  source: "base",
  filterable: true,
  sortable: true,
  searchable: false,
  indexed: false,
  values_complete: true,
  ...extra,
});

const columns: FilterColumn[] = [
  col("status", "str", ["eq", "ne", "in", "nin", "contains"], {
    values: ["new", "inProgress", "inReview", "validated"],
  }),
  col("count", "int", ["eq", "ne", "lt", "lte", "gt", "gte", "in", "nin"], { source: "custom" }),
  col("score", "float", ["eq", "lt", "gt"]),
  col("flag", "bool", ["eq", "ne"]),
  col("updated_at", "datetime", ["eq", "lt", "gt", "between"]),
  col("blob", "str", [], { filterable: false }),
];

const row = (r: Partial<FilterRow>): FilterRow => ({ column: "status", op: "eq", value: "", value2: "", ...r });

describe("filter builder rows ↔ grammar", () => {
  it("builds what the shared grammar parses", () => {
    const r = rowToFilter(row({ op: "in", value: "new, inReview" }), columns);
    expect(r).toEqual({ ok: true, filter: { column: "status", op: "in", values: ["new", "inReview"] } });
    if (r.ok) expect(formatFilter(r.filter)).toBe("status:in:new,inReview");
  });

  it("keeps escaped commas inside list values through the round trip", () => {
    const f = parseFilter("status:in:a\\,b,c");
    expect(f.values).toEqual(["a,b", "c"]);
    const back = rowToFilter(filterToRow(f), columns);
    expect(back).toEqual({ ok: true, filter: f });
  });

  it("round-trips every operator kind", () => {
    for (const expr of [
      "status:eq:new",
      "count:gte:3",
      "score:lt:0.5",
      "flag:eq:true",
      "updated_at:between:2026-01-01,2026-02-01",
      "status:nin:new,validated",
    ]) {
      const f = parseFilter(expr);
      const r = rowToFilter(filterToRow(f), columns);
      expect(r.ok && formatFilter(r.filter)).toBe(expr);
    }
  });

  it("says why a row is not a filter", () => {
    expect(rowToFilter(row({ column: "blob" }), columns)).toEqual({ ok: false, error: "blob cannot be filtered" });
    expect(rowToFilter(row({ column: "nope" }), columns).ok).toBe(false);
    expect(rowToFilter(row({ op: "lt", value: "x" }), columns)).toEqual({
      ok: false,
      error: "< does not apply to status",
    });
    expect(rowToFilter(row({ column: "count", op: "eq", value: "3.5" }), columns)).toEqual({
      ok: false,
      error: "count needs a whole number",
    });
    expect(rowToFilter(row({ column: "flag", op: "eq", value: "yes" }), columns)).toEqual({
      ok: false,
      error: "flag is true or false",
    });
    expect(rowToFilter(row({ column: "updated_at", op: "between", value: "2026-01-01", value2: "" }), columns).ok).toBe(
      false,
    );
    expect(rowToFilter(row({ column: "status", op: "in", value: " , " }), columns).ok).toBe(false);
  });

  it("collects valid rows and the first error, capped at eight filters", () => {
    const rows = [
      row({ value: "new" }),
      row({ column: "count", op: "gt", value: "x" }),
      ...Array.from({ length: 8 }, () => row({ value: "inReview" })),
    ];
    const { filters, error } = rowsToFilters(rows, columns);
    expect(filters).toHaveLength(8);
    expect(error).toBe("at most 8 filters");
    expect(rowsToFilters(rows.slice(0, 2), columns)).toEqual({
      filters: [{ column: "status", op: "eq", values: ["new"] }],
      error: "count needs a whole number",
    });
  });

  it("offers the column's operators and starts on the first filterable column", () => {
    expect(operatorsOf(columns, "flag")).toEqual(["eq", "ne"]);
    expect(operatorsOf(columns, "missing")).toEqual([]);
    expect(emptyRow(columns)).toEqual({ column: "status", op: "eq", value: "", value2: "" });
  });
});
