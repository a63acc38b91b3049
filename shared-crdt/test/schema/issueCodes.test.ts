import { describe, expect, it } from "vitest";
import { ISSUE_CODES, tableSchemaFromManifest, validateRow, type IssueCode } from "../../src/index.js";
import type { TableName } from "../../src/index.js";

const clock = { now: () => new Date("2026-01-02T03:04:05.678Z") };
const codes = (t: TableName, row: unknown, mode: "create" | "patch" | "full" = "create") => {
  const r = validateRow(tableSchemaFromManifest(null, t), row, { mode, ctx: clock });
  return r.ok ? [] : r.issues.map((i) => [i.path, i.code]);
};

const bbox = { id: "b1", record_id: "r1", entity_id: "e1", coords: [0.1, 0.2, 0.3, 0.4], is_normalized: true };

describe("ValidationIssue codes are set where the issue is made (pydantic's error types)", () => {
  it("type errors carry the code of the expected type, not just English text", () => {
    expect(codes("bboxes", { ...bbox, confidence: "high" })).toEqual([["bboxes.confidence", "float_type"]]);
    expect(codes("bboxes", { ...bbox, coords: [0.1, Number.NaN, 0.2, 0.2] })).toEqual([
      ["bboxes.coords[1]", "float_type"],
    ]);
    expect(codes("bboxes", { ...bbox, is_normalized: "yes" })).toEqual([["bboxes.is_normalized", "bool_type"]]);
    expect(codes("bboxes", { ...bbox, coords: "0,0,1,1" })).toEqual([["bboxes.coords", "list_type"]]);
    expect(codes("bboxes", { ...bbox, format: 3 })).toEqual([["bboxes.format", "string_type"]]);
    expect(codes("bboxes", { ...bbox, frame_index: 1.5 })).toEqual([["bboxes.frame_index", "int_type"]]);
    expect(codes("bboxes", { ...bbox, frame_index: 2n ** 70n })).toEqual([["bboxes.frame_index", "int_range"]]);
    expect(codes("bboxes", { ...bbox, format: null })).toEqual([["bboxes.format", "none_forbidden"]]);
    expect(codes("records", { id: "r1", created_at: "yesterday" })).toEqual([
      ["records.created_at", "datetime_from_date_parsing"],
    ]);
  });

  it("shape errors: a missing field is `missing`, a non-object row `model_attributes_type`", () => {
    expect(codes("entities", {}, "full")).toContainEqual(["entities.id", "missing"]);
    expect(codes("entities", [1, 2])).toEqual([["entities", "model_attributes_type"]]);
  });

  it("table rules and unknown fields are `value_error` (their message is the explanation)", () => {
    expect(codes("bboxes", { ...bbox, coords: [0.1, 0.2, 1.3, 0.4] })).toEqual([["bboxes.coords[2]", "value_error"]]);
    expect(codes("entities", { id: "a/b" })).toEqual([["entities.id", "value_error"]]);
    expect(codes("bboxes", { ...bbox, colour: "red" })).toEqual([["bboxes.colour", "value_error"]]);
  });

  it("every code is one of the declared ISSUE_CODES", () => {
    const seen: (IssueCode | undefined)[] = [
      ...codes("bboxes", { ...bbox, confidence: "x", coords: 3, format: null, frame_index: 0.5 }),
    ].map(([, c]) => c as IssueCode | undefined);
    expect(seen.length).toBe(4);
    for (const c of seen) expect(ISSUE_CODES).toContain(c);
  });
});
