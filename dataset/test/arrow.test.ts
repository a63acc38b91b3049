import { schema as model, tableSchemaFromManifest, TABLES, type TableName } from "@tessera/shared-crdt";
import { describe, expect, it } from "vitest";
import {
  arrow,
  arrowRowToRow,
  arrowSchemaOf,
  arrowTableToRows,
  rowsToArrowTable,
  tableLayoutFromArrow,
  timestampFromMicros,
} from "../src/index.js";

describe("Arrow schema mapping", () => {
  it("maps every column type as LanceDB's pydantic mapping does", () => {
    const s = arrowSchemaOf(tableSchemaFromManifest(null, "embeddings", 3));
    const byName = new Map(s.fields.map((f) => [f.name, f]));
    expect(String(byName.get("id")!.type)).toBe("Utf8");
    expect(byName.get("id")!.nullable).toBe(false);
    const vector = byName.get("vector")!;
    expect(arrow.DataType.isFixedSizeList(vector.type)).toBe(true);
    expect(vector.nullable).toBe(true);
    expect(vector.type.children[0]).toMatchObject({ name: "item", nullable: true });
    expect(String(vector.type.children[0]!.type)).toBe("Float32");
    expect((vector.type as InstanceType<typeof arrow.FixedSizeList>).listSize).toBe(3);
    const shape = byName.get("shape")!;
    expect(String(shape.type)).toBe("List<Int64>");
    expect(shape.type.children[0]).toMatchObject({ name: "item", nullable: true });

    const records = arrowSchemaOf(tableSchemaFromManifest(null, "records"));
    const ts = records.fields.find((f) => f.name === "created_at")!;
    expect(arrow.DataType.isTimestamp(ts.type) && ts.type.unit).toBe(arrow.TimeUnit.MICROSECOND);
    expect((ts.type as InstanceType<typeof arrow.Timestamp>).timezone ?? null).toBeNull();

    const images = arrowSchemaOf(tableSchemaFromManifest(null, "images"));
    expect(images.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ["id", "Utf8", false],
      ["record_id", "Utf8", false],
      ["logical_name", "Utf8", false],
      ["uri", "Utf8", false],
      ["raw_bytes", "LargeBinary", true],
      ["preview", "Binary", false],
      ["preview_format", "Utf8", false],
      ["width", "Int64", false],
      ["height", "Int64", false],
      ["format", "Utf8", false],
    ]);
    const masks = arrowSchemaOf(tableSchemaFromManifest(null, "masks"));
    expect(String(masks.fields.find((f) => f.name === "counts")!.type)).toBe("Binary");
  });

  it("round-trips rows through Arrow exactly (int64, microsecond timestamps, bytes, binary text, lists, nulls)", () => {
    const records = tableSchemaFromManifest(
      {
        base: "Record",
        name: "R",
        fields: {
          big: { collection: false, type: "int", required: false, default: 0 },
          when: { collection: true, type: "datetime", required: false, default: [] },
        },
      },
      "records",
    );
    const rows = [
      {
        id: "a",
        split: "train",
        created_at: "2024-02-29T23:59:59.999999",
        updated_at: "1969-12-31T23:59:59.000001",
        status: "new",
        comment: "é😀",
        big: 2 ** 53 - 1,
        when: ["2020-01-01T00:00:00"],
      },
      {
        id: "b",
        split: "",
        created_at: "2024-01-01T00:00:00",
        updated_at: "2024-01-01T00:00:00.5",
        status: "validated",
        comment: "",
        big: -5,
        when: [],
      },
    ];
    const table = rowsToArrowTable(records, rows);
    const back = arrowTableToRows(records, table);
    expect(back[0]).toEqual(rows[0]);
    expect(back[1]).toEqual({ ...rows[1], updated_at: "2024-01-01T00:00:00.500000" });

    const masks = tableSchemaFromManifest(null, "masks");
    const mask = {
      ...Object.fromEntries(masks.columns.map((c) => [c.name, c.default({ now: () => new Date(0) })])),
      id: "m",
      size: [3, 4],
      counts: "0;1",
    };
    const maskTable = rowsToArrowTable(masks, [mask]);
    expect(Buffer.from(maskTable.getChild("counts")!.get(0) as Uint8Array).toString("utf8")).toBe("0;1");
    expect(arrowTableToRows(masks, maskTable)[0]).toEqual(mask);

    const emb = tableSchemaFromManifest(null, "embeddings", 2);
    const embRows = [
      { id: "x", record_id: "r", view_id: "", frame_id: "", vector: [0.5, -1], shape: [2] },
      { id: "y", record_id: "r", view_id: "", frame_id: "", vector: null, shape: [] },
    ];
    const embBack = arrowTableToRows(emb, rowsToArrowTable(emb, embRows));
    expect(embBack).toEqual(embRows);

    const images = tableSchemaFromManifest(null, "images");
    const img = {
      ...Object.fromEntries(images.columns.map((c) => [c.name, c.default({ now: () => new Date(0) })])),
      id: "i",
      raw_bytes: null,
      preview: new Uint8Array([1, 2, 3]),
    };
    expect(arrowTableToRows(images, rowsToArrowTable(images, [img]))[0]).toEqual(img);
  });

  it("refuses nulls in non-nullable columns", () => {
    const entities = tableSchemaFromManifest(null, "entities");
    expect(() => rowsToArrowTable(entities, [{ id: "e", record_id: null, parent_id: "" }])).toThrow(/non-nullable/);
  });

  it("formats microsecond timestamps like Python's isoformat", () => {
    expect(timestampFromMicros(0n)).toBe("1970-01-01T00:00:00");
    expect(timestampFromMicros(1_704_067_200_000_001n)).toBe("2024-01-01T00:00:00.000001");
    expect(timestampFromMicros(-1n)).toBe("1969-12-31T23:59:59.999999");
    expect(model.formatTimestamp(new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 250)))).toBe("2024-01-01T00:00:00.250000");
  });

  it("converts toArray() rows with arrowRowToRow", () => {
    const bboxes = tableSchemaFromManifest(null, "bboxes");
    const row = {
      ...Object.fromEntries(bboxes.columns.map((c) => [c.name, c.default({ now: () => new Date(0) })])),
      id: "b",
      coords: [0.1, 0.2, 0.3, 0.4],
      frame_index: 7,
    };
    const proxy = rowsToArrowTable(bboxes, [row]).toArray()[0] as Record<string, unknown>;
    expect(arrowRowToRow(bboxes, proxy)).toEqual(row);
  });

  it("reads a table whose on-disk layout differs from the declaration (both layouts)", () => {
    const declared = tableSchemaFromManifest(null, "bboxes");
    const newer = new arrow.Schema([
      ...arrowSchemaOf(declared).fields.slice(0, 7),
      new arrow.Field("review_status", new arrow.Utf8(), false),
      ...arrowSchemaOf(declared).fields.slice(7),
    ]);
    const layout = tableLayoutFromArrow(newer, declared);
    expect(layout.schema.columns.map((c) => c.name)).toEqual(newer.fields.map((f) => f.name));
    expect(layout.schema.columns.find((c) => c.name === "review_status")).toMatchObject({
      type: { kind: "utf8" },
      source: "custom",
    });
    expect(layout.missing).toEqual([]);

    const videos = tableSchemaFromManifest(null, "videos");
    const older = new arrow.Schema(arrowSchemaOf(videos).fields.filter((f) => !f.name.endsWith("_timestamp")));
    const old = tableLayoutFromArrow(older, videos);
    expect(old.missing.map((c) => c.name)).toEqual(["from_timestamp", "to_timestamp"]);
    const rows = arrowTableToRows(old.schema, rowsToArrowTable(old.schema, []), old.missing);
    expect(rows).toEqual([]);

    const emb = tableLayoutFromArrow(
      arrowSchemaOf(tableSchemaFromManifest(null, "embeddings", 8)),
      tableSchemaFromManifest(null, "embeddings", 0),
    );
    expect(emb.schema.columns.find((c) => c.name === "vector")!.type).toEqual({
      kind: "fixed_size_list",
      of: "float32",
      dim: 8,
    });
  });

  it("maps every canonical table", () => {
    for (const name of Object.keys(TABLES) as TableName[]) {
      const s = arrowSchemaOf(tableSchemaFromManifest(null, name, 4));
      expect(s.fields.length, name).toBe(TABLES[name].columns.length);
    }
  });
});
