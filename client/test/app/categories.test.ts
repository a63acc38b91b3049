import { describe, expect, it } from "vitest";
import { datasetSchemaOf, parseDatasetInfo } from "@tessera/shared-crdt";
import {
  CATEGORY_PALETTE,
  categoryColor,
  cssColor,
  entityLabelField,
  UNLABELLED_COLOR,
} from "../../src/app/categories.js";

const schemaWith = (fields: Record<string, unknown>) =>
  datasetSchemaOf(
    parseDatasetInfo({ id: "ds", entity: { base: "Entity", name: "Obj", fields }, views: {} }),
  ).tables.get("entities");
const str = { collection: false, type: "str", required: false, default: "" };

describe("categories", () => {
  it("takes the entity field that has a pick-list", () => {
    const fv = { entities: { entities: [{ name: "kind", restricted: true, values: ["a", "b"] }] } };
    expect(entityLabelField(schemaWith({ category: str, kind: str }), fv)).toEqual({
      name: "kind",
      values: ["a", "b"],
      restricted: true,
    });
  });

  it("falls back to `category`, then to the first custom string field", () => {
    expect(entityLabelField(schemaWith({ name: str, category: str }), {})).toEqual({
      name: "category",
      values: [],
      restricted: false,
    });
    expect(entityLabelField(schemaWith({ name: str }), undefined)).toEqual({
      name: "name",
      values: [],
      restricted: false,
    });
    expect(entityLabelField(schemaWith({}), {})).toBeNull();
    expect(entityLabelField(undefined, {})).toBeNull();
  });

  it("colours by pick-list position, else by a stable hash", () => {
    expect(categoryColor("b", ["a", "b"])).toBe(CATEGORY_PALETTE[1]);
    expect(categoryColor("zebra", [])).toBe(categoryColor("zebra", ["a"]));
    expect(categoryColor("", ["a"])).toBe(UNLABELLED_COLOR);
    expect(cssColor(0x00ff00)).toBe("#00ff00");
  });
});
