import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addRow,
  clientOrigin,
  createEntity,
  createSpan,
  customCell,
  deleteSpan,
  readRow,
  readRows,
  relinkSpan,
  setSpanRanges,
  SpanEditError,
  tableMap,
  TextOffsetError,
  withCustom,
  type DocContext,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

const TEXT = "Le cafe\u0301 👨\u200d👩\u200d👧 est très chaud ☕ et le café est bon.";
const VIEW = "text1";

function ctx(doc = new Y.Doc(), prefix = "id"): DocContext {
  let n = 0;
  return { doc, schema: fullSchema(), recordId: "r1", newId: () => `${prefix}${++n}` };
}
const me = clientOrigin("s1");
const at = (piece: string, from = 0) => {
  const start = TEXT.indexOf(piece, from);
  if (start < 0) throw new Error(`no ${piece}`);
  return { start, end: start + piece.length };
};

describe("entity-linking mutators (SPEC S-SPANS-CREATE, S-SPANS-RANGES, S-SPANS-RELINK)", () => {
  it("S-SPANS-CREATE makes a span and its new entity in one transaction, in Pixano's offsets", () => {
    const c = ctx();
    let transactions = 0;
    c.doc.on("afterTransaction", () => transactions++);
    const family = at("👨\u200d👩\u200d👧");
    // A selection from the middle of the first emoji to a ZWJ takes the whole family.
    const { spanId, entityId } = createSpan(
      c,
      me,
      { viewId: VIEW, text: TEXT, selection: [{ start: family.start + 1, end: family.start + 3 }] },
      { entity: withCustom({}, { category: "family" }) },
    );
    expect(transactions).toBe(1);
    expect(customCell(readRow(c.doc, "entities", entityId), "category")).toBe("family");
    expect(readRow(c.doc, "text_spans", spanId)).toMatchObject({
      entity_id: entityId,
      record_id: "r1",
      view_id: VIEW,
      source_type: "human",
      mention: "👨\u200d👩\u200d👧",
      spans_start: [family.start],
      spans_end: [family.end],
    });
  });

  it("S-SPANS-CREATE links a discontinuous selection to an entity that has a box; mention joins the pieces", () => {
    const c = ctx();
    const { entityId } = createEntity(c, me, {
      annotation: { table: "bboxes", row: { view_id: "img", coords: [0.1, 0.1, 0.2, 0.2] } },
    });
    const first = at("cafe\u0301");
    const second = at("café", first.end);
    const { spanId } = createSpan(
      c,
      me,
      // Given last piece first and with a trailing space, as a Ctrl+drag may give it.
      { viewId: VIEW, text: TEXT, selection: [{ ...second, end: second.end + 1 }, first] },
      { entityId },
    );
    expect(readRow(c.doc, "text_spans", spanId)).toMatchObject({
      entity_id: entityId,
      mention: "cafe\u0301 ... café",
      spans_start: [first.start, second.start],
      spans_end: [first.end, second.end],
    });
    expect(readRows(c.doc, "entities")).toHaveLength(1);
  });

  it("refuses an empty selection, an unknown entity or a selection outside the text, touching nothing", () => {
    const c = ctx();
    const space = TEXT.indexOf(" ");
    const target = { viewId: VIEW, text: TEXT, selection: [{ start: space, end: space + 1 }] };
    expect(() => createSpan(c, me, target, { entity: {} })).toThrow(SpanEditError);
    expect(() => createSpan(c, me, { ...target, selection: [at("chaud")] }, { entityId: "nobody" })).toThrow(
      expect.objectContaining({ reason: "missing_entity" }),
    );
    expect(() =>
      createSpan(c, me, { ...target, selection: [{ start: 0, end: TEXT.length + 1 }] }, { entity: {} }),
    ).toThrow(TextOffsetError);
    expect(readRows(c.doc, "text_spans")).toEqual([]);
    expect(readRows(c.doc, "entities")).toEqual([]);
  });

  it("S-SPANS-RANGES adds a piece to a span and rewrites its mention", () => {
    const c = ctx();
    const { spanId } = createSpan(c, me, { viewId: VIEW, text: TEXT, selection: [at("chaud")] }, { entity: {} });
    setSpanRanges(c, me, spanId, { viewId: VIEW, text: TEXT, selection: [at("chaud"), at("bon")] });
    expect(readRow(c.doc, "text_spans", spanId)).toMatchObject({
      mention: "chaud ... bon",
      spans_start: [at("chaud").start, at("bon").start],
      spans_end: [at("chaud").end, at("bon").end],
    });
    expect(() => setSpanRanges(c, me, "gone", { viewId: VIEW, text: TEXT, selection: [at("bon")] })).toThrow(
      expect.objectContaining({ reason: "missing_span" }),
    );
  });

  it("S-SPANS-RELINK moves a span; the entity it leaves goes only when nothing else names it", () => {
    const c = ctx();
    const boxed = createEntity(c, me, { annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } } });
    const a = createSpan(c, me, { viewId: VIEW, text: TEXT, selection: [at("chaud")] }, { entity: {} });
    const b = createSpan(c, me, { viewId: VIEW, text: TEXT, selection: [at("bon")] }, { entity: {} });
    addRow(c, me, "bboxes", { entity_id: b.entityId, coords: [0.3, 0.3, 0.1, 0.1] });
    relinkSpan(c, me, a.spanId, boxed.entityId);
    expect(readRow(c.doc, "text_spans", a.spanId)?.entity_id).toBe(boxed.entityId);
    expect(readRow(c.doc, "entities", a.entityId)).toBeUndefined();
    relinkSpan(c, me, b.spanId, boxed.entityId);
    // b's entity keeps its box: it stays.
    expect(readRow(c.doc, "entities", b.entityId)).toBeDefined();
    expect(() => relinkSpan(c, me, b.spanId, "nobody")).toThrow(SpanEditError);
  });

  it("S-SPANS-RELINK deleteSpan takes a lone entity with it, keeps one with a box", () => {
    const c = ctx();
    const lone = createSpan(c, me, { viewId: VIEW, text: TEXT, selection: [at("chaud")] }, { entity: {} });
    deleteSpan(c, me, lone.spanId);
    expect(readRows(c.doc, "text_spans")).toEqual([]);
    expect(readRow(c.doc, "entities", lone.entityId)).toBeUndefined();
    const boxed = createEntity(c, me, { annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } } });
    const s = createSpan(c, me, { viewId: VIEW, text: TEXT, selection: [at("bon")] }, { entityId: boxed.entityId });
    deleteSpan(c, me, s.spanId);
    expect(readRow(c.doc, "entities", boxed.entityId)).toBeDefined();
  });

  it("one undo removes a span with the entity it made; another person's spans stay", () => {
    const a = ctx(new Y.Doc(), "a");
    const b = ctx(new Y.Doc(), "b");
    const them = clientOrigin("s2");
    // Two people on one record: every update goes to the other document.
    a.doc.on("update", (u: Uint8Array, o: unknown) => o !== "net" && Y.applyUpdate(b.doc, u, "net"));
    b.doc.on("update", (u: Uint8Array, o: unknown) => o !== "net" && Y.applyUpdate(a.doc, u, "net"));
    const theirs = createSpan(b, them, { viewId: VIEW, text: TEXT, selection: [at("bon")] }, { entity: {} });
    const undoAll = new Y.UndoManager([tableMap(a.doc, "entities"), tableMap(a.doc, "text_spans")], {
      trackedOrigins: new Set([me]),
    });
    const mine = createSpan(a, me, { viewId: VIEW, text: TEXT, selection: [at("chaud")] }, { entity: {} });
    expect(readRow(b.doc, "text_spans", mine.spanId)?.mention).toBe("chaud");
    undoAll.undo();
    expect(readRow(a.doc, "text_spans", mine.spanId)).toBeUndefined();
    expect(readRow(a.doc, "entities", mine.entityId)).toBeUndefined();
    expect(readRow(b.doc, "text_spans", mine.spanId)).toBeUndefined();
    expect(readRow(a.doc, "text_spans", theirs.spanId)?.mention).toBe("bon");
    undoAll.destroy();
  });

  it("two people linking spans at once converge with both spans", () => {
    const a = ctx(new Y.Doc(), "a");
    const b = ctx(new Y.Doc(), "b");
    const shared = createEntity(a, me, { annotation: { table: "bboxes", row: { coords: [0.1, 0.1, 0.2, 0.2] } } });
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    // Offline from each other: both link a span to the same boxed entity.
    const sa = createSpan(a, me, { viewId: VIEW, text: TEXT, selection: [at("chaud")] }, { entityId: shared.entityId });
    const sb = createSpan(
      b,
      clientOrigin("s2"),
      { viewId: VIEW, text: TEXT, selection: [at("bon")] },
      { entityId: shared.entityId },
    );
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc));
    for (const d of [a.doc, b.doc]) {
      const spans = readRows(d, "text_spans");
      expect(spans.map((s) => s.id).sort()).toEqual([sa.spanId, sb.spanId].sort());
      expect(new Set(spans.map((s) => s.entity_id))).toEqual(new Set([shared.entityId]));
    }
  });
});
