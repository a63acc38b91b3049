import { describe, expect, it } from "vitest";
import {
  datasetSchemaOf,
  parseDatasetInfo,
  SchemaError,
  serializeDatasetInfo,
  tableSchemaFromManifest,
  validateRow,
} from "../../src/index.js";
import { schema } from "../../src/index.js";

const info = {
  id: "voc07_sample",
  name: "VOC 2007 sample",
  description: "Café",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "embedded",
  record: {
    base: "Record",
    fields: { weather: { collection: false, type: "str", required: false, default: "sunny" } },
    name: "VocRecord",
  },
  entity: {
    base: "Entity",
    fields: {
      category: { collection: false, type: "str", required: false, default: "" },
      is_difficult: { collection: false, type: "bool", required: false, default: false },
    },
    name: "VOCObject",
  },
  entity_dynamic_state: null,
  bbox: { base: "BBox", fields: {} },
  mask: null,
  keypoint: null,
  tracklet: null,
  message: null,
  multi_path: null,
  text_span: null,
  views: { image: { base: "Image", fields: {} } },
  x_custom_key: { keep: true },
};

describe("info.json manifests (S-MANIFEST)", () => {
  it("appends custom fields after the base columns, in manifest order", () => {
    const s = datasetSchemaOf(parseDatasetInfo(info));
    const entity = s.tables.get("entities");
    expect(entity?.columns.map((c) => c.name)).toEqual(["id", "record_id", "parent_id", "category", "is_difficult"]);
    expect(entity?.className).toBe("VOCObject");
    expect(s.views.get("image")).toBe("images");
    const rec = validateRow(s.tables.get("records")!, { id: "r1" }, { mode: "create" });
    expect(rec.ok && rec.row.weather).toBe("sunny");
  });

  it("a manifest without name is the plain base class (Pixano 0.7 semantics)", () => {
    const t = tableSchemaFromManifest(
      { base: "Entity", fields: { category: { collection: false, type: "str", required: false } } },
      "entities",
    );
    expect(t.columns.map((c) => c.name)).toEqual(["id", "record_id", "parent_id"]);
  });

  it("maps field payloads to column types, vectors included", () => {
    const t = tableSchemaFromManifest(
      {
        base: "Entity",
        name: "E",
        fields: {
          tags: { collection: true, type: "str", required: false, default: [] },
          score: { collection: false, type: "float", required: true },
          emb: { collection: false, type: "FixedSizeList", dim: 8, value_type: "float", required: false },
        },
      },
      "entities",
    );
    expect(t.columns.slice(3).map((c) => [c.name, schema.typeToString(c.type), c.nullable])).toEqual([
      ["tags", "list<utf8>", false],
      ["score", "float64", false],
      ["emb", "fixed_size_list<float32>[8]", true],
    ]);
    expect(t.required.has("score")).toBe(true);
    const r = validateRow(t, { id: "e" }, { mode: "create" });
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(["entities.score"]);
    expect(schema.manifestOfTableSchema(t).fields.emb).toEqual({
      collection: false,
      type: "FixedSizeList",
      dim: 8,
      value_type: "float",
      required: false,
    });
  });

  it("refuses unsupported field types and misplaced bases", () => {
    expect(() =>
      tableSchemaFromManifest(
        { base: "Entity", name: "E", fields: { x: { collection: false, type: "Widget", required: false } } },
        "entities",
      ),
    ).toThrow(SchemaError);
    expect(() => datasetSchemaOf(parseDatasetInfo({ ...info, bbox: { base: "KeyPoints", fields: {} } }))).toThrow(
      /does not belong/,
    );
    expect(() => parseDatasetInfo({ ...info, id: "has space" })).toThrow(SchemaError);
  });

  it("writes info.json in Pixano's key order with 4-space indent, escaping non-ASCII, keeping unknown keys", () => {
    const shuffled = Object.fromEntries(Object.entries(info).reverse());
    const text = serializeDatasetInfo(parseDatasetInfo(shuffled));
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual([
      "id",
      "name",
      "description",
      "size",
      "preview",
      "workspace",
      "storage_mode",
      "record",
      "entity",
      "entity_dynamic_state",
      "bbox",
      "mask",
      "keypoint",
      "tracklet",
      "message",
      "multi_path",
      "text_span",
      "views",
      "x_custom_key",
    ]);
    expect(text).toContain('\n    "id": "voc07_sample",');
    expect(text).toContain('"description": "Caf\\u00e9"');
    expect((JSON.parse(text) as { x_custom_key: unknown }).x_custom_key).toEqual({ keep: true });
  });
});
