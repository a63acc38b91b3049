import * as Y from "yjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  addRow,
  clientOrigin,
  createEntity,
  customCell,
  parsePatch,
  parseRow,
  readCell,
  readRecord,
  readRecordCell,
  readRow,
  readRows,
  updateRow,
  ValidationError,
  withCustom,
  writeRow,
  type BBoxRow,
  type DocContext,
  type NewRow,
  type TableRow,
  type TrackletRow,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

/**
 * Typed rows: a read or a mutator call names its table, so its fields are that table's columns and a
 * misspelt field is a compile error (`tsc -b` checks this file; each `@ts-expect-error` below fails the
 * build if the line it guards compiles, as it did when every row was `Record<string, unknown>`).
 */
function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
}
const me = clientOrigin("s1");

function tableSchema(name: "bboxes" | "tracklets") {
  const ts = fullSchema().tables.get(name);
  if (!ts) throw new Error(`the test schema has no ${name}`);
  return ts;
}

describe("typed rows (TableRow<T>)", () => {
  it("a misspelt field on a document read fails to compile; the typed read returns the table's row", () => {
    const c = ctx();
    const { annotationId } = createEntity(c, me, {
      entity: withCustom({}, { category: "car" }),
      annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } },
    });
    const box = readRow(c.doc, "bboxes", annotationId ?? "");
    expectTypeOf(box).toEqualTypeOf<BBoxRow | undefined>();
    expectTypeOf(readRows(c.doc, "tracklets")).toEqualTypeOf<TrackletRow[]>();
    // @ts-expect-error `cooords` is not a column of bboxes
    expect(box?.cooords).toBeUndefined();
    expect(box?.coords).toEqual([0.1, 0.1, 0.2, 0.2]);
    expect(box?.format).toBe("xywh");
    // @ts-expect-error records have `status`, not `state`
    expect(readRecord(c.doc).state).toBeUndefined();
    // In-place cell reads check the field name too.
    // @ts-expect-error `entity` is spelt `entity_id`
    expect(readCell(c.doc, "bboxes", annotationId ?? "", "entity")).toBeUndefined();
    expect(readCell(c.doc, "bboxes", annotationId ?? "", "is_normalized")).toBe(true);
    // @ts-expect-error records have `status`, not `state`
    expect(readRecordCell(c.doc, "state")).toBeUndefined();
  });

  it("a misspelt field in a mutator call fails to compile; custom columns go through withCustom / customCell", () => {
    const c = ctx();
    const { entityId } = createEntity(c, me, { entity: withCustom({}, { category: "car" }) });
    // @ts-expect-error `category` is a custom column, not one of Pixano's Entity fields
    expect(() => addRow(c, me, "entities", { category: "bus" })).not.toThrow();
    // @ts-expect-error `cooords` is not a column of bboxes
    const bad: NewRow<"bboxes"> = { entity_id: entityId, cooords: [0.1, 0.1, 0.2, 0.2] };
    expect(bad).toBeDefined();
    const id = addRow(c, me, "bboxes", { entity_id: entityId, coords: [0.1, 0.1, 0.2, 0.2] });
    // @ts-expect-error `is_normalised` is spelt `is_normalized` (and validation refuses it at run time too)
    expect(() => updateRow(c, me, "bboxes", id, { is_normalised: false })).toThrow(ValidationError);
    updateRow(c, me, "bboxes", id, { confidence: 0.5 });
    expect(readRow(c.doc, "bboxes", id)?.confidence).toBe(0.5);
    expect(customCell(readRow(c.doc, "entities", entityId), "category")).toBe("car");
    expect(customCell(readRow(c.doc, "entities", entityId), "colour")).toBeUndefined();
    // @ts-expect-error a bboxes row is not a tracklets row
    writeRow(c.doc, "tracklets", readRow(c.doc, "bboxes", id) as BBoxRow);
  });

  it("parseRow turns unknown input into the table's row (defaults filled) or issues, parsePatch only checks what is present", () => {
    const r = parseRow(
      "bboxes",
      tableSchema("bboxes"),
      { id: "b1", record_id: "r1", coords: [0, 0, 1, 1] },
      {
        mode: "create",
      },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expectTypeOf(r.row).toEqualTypeOf<TableRow<"bboxes">>();
    expect(r.row.format).toBe("xywh");
    expect(r.row.confidence).toBe(-1);
    const wrong = parseRow("bboxes", tableSchema("bboxes"), { id: "b1", coords: "0,0,1,1" }, { mode: "create" });
    expect(wrong.ok ? [] : wrong.issues.map((i) => i.path)).toEqual(["bboxes.coords"]);
    const patch = parsePatch("tracklets", tableSchema("tracklets"), { end_timestep: 9 }, {});
    expect(patch).toEqual({ ok: true, row: { end_timestep: 9 } });
    expect(() => parseRow("tracklets", tableSchema("bboxes"), {}, { mode: "create" })).toThrow(TypeError);
  });
});
