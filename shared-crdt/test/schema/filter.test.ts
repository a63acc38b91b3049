import { describe, expect, it } from "vitest";
import { formatFilter, FilterSyntaxError, parseFilter, parseFilters, splitListValue } from "../../src/index.js";

describe("explorer filter grammar (S-FILTER)", () => {
  it("parses col:op:value, keeping colons inside the value", () => {
    expect(parseFilter("status:eq:inReview")).toEqual({ column: "status", op: "eq", values: ["inReview"] });
    expect(parseFilter("updated_at:gte:2026-01-01T10:00:00")).toEqual({
      column: "updated_at",
      op: "gte",
      values: ["2026-01-01T10:00:00"],
    });
  });

  it("splits list values on unescaped commas", () => {
    expect(parseFilter("split:in:train,val").values).toEqual(["train", "val"]);
    expect(splitListValue("a\\,b,c\\\\")).toEqual(["a,b", "c\\"]);
    const f = { column: "x", op: "in", values: ["a,b", "c"] } as const;
    expect(parseFilter(formatFilter(f))).toEqual(f);
  });

  it("refuses bad columns, operators, sizes and counts", () => {
    expect(() => parseFilter("status")).toThrow(FilterSyntaxError);
    expect(() => parseFilter("1=1 or:eq:x")).toThrow(/invalid column/);
    expect(() => parseFilter("status:like:x")).toThrow(/unknown operator/);
    expect(() => parseFilter(`comment:eq:${"x".repeat(513)}`)).toThrow(/512/);
    expect(() => parseFilter("updated_at:between:2026-01-01")).toThrow(/two values/);
    expect(() => parseFilters(Array.from({ length: 9 }, () => "a:eq:b"))).toThrow(/at most 8/);
  });
});
