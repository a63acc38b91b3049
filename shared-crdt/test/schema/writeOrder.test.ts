import { describe, expect, it } from "vitest";
import { COMPONENT_TABLES, REFERENCES, WRITE_ORDER } from "../../src/index.js";

describe("WRITE_ORDER: the order rows become visible in LanceDB", () => {
  it("holds every component table once", () => {
    expect([...WRITE_ORDER].sort()).toEqual([...COMPONENT_TABLES].sort());
  });

  it("puts every referenced component table before the tables that reference it (a box never before its tracklet)", () => {
    const at = (t: string) => WRITE_ORDER.indexOf(t as (typeof WRITE_ORDER)[number]);
    for (const r of REFERENCES) {
      if (at(r.table) < 0) continue;
      for (const target of r.target)
        if (at(target) >= 0 && target !== r.table)
          expect(at(target), `${r.table}.${r.field} → ${target}`).toBeLessThan(at(r.table));
    }
    expect(at("tracklets")).toBeLessThan(at("bboxes"));
    expect(at("entities")).toBe(0);
  });
});
