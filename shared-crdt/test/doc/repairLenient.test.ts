import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  checkDoc,
  clientOrigin,
  layoutBreaches,
  observeRecordChanges,
  PERSISTENCE_ORIGIN,
  readRow,
  readRows,
  relabel,
  repairDoc,
  serverOrigin,
  scanUpdate,
  updateRow,
  UpdateScanError,
  ValidationError,
  type DocContext,
  wouldWait,
  type ValidationIssue,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

/**
 * Repair judges an edit by what it changed (SPEC D-REPAIR, D-KEY, D-LAYOUT-ONLY): rows Pixano
 * wrote may be more lenient than Tessera's write rules, and an edit of one must never delete it.
 */

const base = {
  record_id: "r1",
  source_type: "",
  source_name: "",
  source_metadata: "{}",
  view_id: "",
  tracklet_id: "",
  entity_dynamic_state_id: "",
  frame_id: "",
  frame_index: -1,
};
// Pixano 0.8 accepts both: it does not check xyxy ordering, nor that a parent entity is in the same record.
const invertedBox = {
  ...base,
  id: "box1",
  entity_id: "",
  coords: [0.6, 0.2, 0.3, 0.5],
  format: "xyxy",
  is_normalized: true,
  confidence: 1,
};
const childEntity = { id: "e1", record_id: "r1", parent_id: "parent-in-other-record", category: "car" };
const childBox = {
  ...base,
  id: "box2",
  entity_id: "e1",
  coords: [0.1, 0.1, 0.2, 0.2],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
};
const childMask = { ...base, id: "mask1", entity_id: "e1", size: [2, 2], counts: "04" };
const okBox = {
  ...base,
  id: "b1",
  entity_id: "",
  coords: [0.1, 0.1, 0.2, 0.2],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
};

function rawRow(doc: Y.Doc, table: string, key: string, row: Record<string, unknown>) {
  const m = new Y.Map<unknown>();
  doc.getMap(table).set(key, m);
  for (const [k, v] of Object.entries(row)) m.set(k, v);
}

/** A server replica holding stored (loaded) rows, repairing what a client replica sends it. */
function setup(stored: Array<[string, Record<string, unknown>]>) {
  const schema = fullSchema();
  const server = new Y.Doc();
  server.transact(() => {
    server.getMap("record").set("status", "inProgress");
    for (const [table, row] of stored) rawRow(server, table, row.id as string, row);
  }, PERSISTENCE_ORIGIN);
  const issues: ValidationIssue[][] = [];
  observeRecordChanges(server, (changes, tr) => {
    if ((tr.origin as { source?: string } | null)?.source !== "client") return;
    issues.push(repairDoc(server, schema, "r1", changes, serverOrigin("repair"), { statusWritable: false }));
  });
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const send = (fn: () => void) => {
    const before = Y.encodeStateVector(server);
    client.transact(fn);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(client, before), clientOrigin("c1"));
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client)));
  };
  const ctx: DocContext = { doc: client, schema, recordId: "r1", newId: () => "new-id" };
  const rowMap = (table: string, id: string) => client.getMap(table).get(id) as Y.Map<unknown>;
  return { schema, server, client, issues, send, ctx, rowMap };
}

describe("D-REPAIR judges an edit by what it changed; it never deletes a row that existed before it", () => {
  it("D-REPAIR: changing confidence on a stored xyxy box with x2 < x1 keeps the box and the change", () => {
    const s = setup([["bboxes", invertedBox]]);
    s.send(() => s.rowMap("bboxes", "box1").set("confidence", 0.5));
    expect(s.issues.at(-1)).toEqual([]);
    expect(readRow(s.server, "bboxes", "box1")).toEqual({ ...invertedBox, confidence: 0.5 });
    expect(readRow(s.client, "bboxes", "box1")?.confidence).toBe(0.5);
  });

  it("D-REPAIR: relabelling an entity whose parent_id points into another record keeps it, its bbox and its mask", () => {
    const s = setup([
      ["entities", childEntity],
      ["bboxes", childBox],
      ["masks", childMask],
    ]);
    relabel(s.ctx, clientOrigin("c1"), "e1", "truck");
    Y.applyUpdate(s.server, Y.encodeStateAsUpdate(s.client, Y.encodeStateVector(s.server)), clientOrigin("c1"));
    expect(s.issues.at(-1)).toEqual([]);
    expect(readRow(s.server, "entities", "e1")).toEqual({ ...childEntity, category: "truck" });
    expect(readRow(s.server, "bboxes", "box2")).toEqual(childBox);
    expect(readRow(s.server, "masks", "mask1")).toEqual(childMask);
  });

  it("D-REPAIR: an edit that adds a problem to a stored lenient row restores the previous value, never deletes the row", () => {
    const s = setup([["bboxes", invertedBox]]);
    s.send(() => s.rowMap("bboxes", "box1").set("confidence", 7));
    expect(s.issues.at(-1)?.map((i) => i.path)).toEqual(["bboxes[box1].confidence"]);
    expect(readRow(s.server, "bboxes", "box1")).toEqual(invertedBox);
    expect(readRow(s.client, "bboxes", "box1")).toEqual(invertedBox);
  });

  it("D-REPAIR: an edit of a valid row that makes it invalid (dangling entity_id) restores the field, keeps the row", () => {
    const s = setup([["bboxes", okBox]]);
    s.send(() => s.rowMap("bboxes", "b1").set("entity_id", "ghost"));
    expect(s.issues.at(-1)?.[0]?.message).toMatch(/missing row "ghost"/);
    expect(readRow(s.server, "bboxes", "b1")).toEqual(okBox);
  });

  it("D-REPAIR: a stored row replaced whole under its id by an invalid one gets its previous fields back", () => {
    const s = setup([["bboxes", okBox]]);
    s.send(() => rawRow(s.client, "bboxes", "b1", { id: "b1", record_id: "r1", coords: [1, 2, 3] }));
    expect(s.issues.at(-1)?.length).toBeGreaterThan(0);
    expect(readRow(s.server, "bboxes", "b1")).toEqual(okBox);
    expect(readRow(s.client, "bboxes", "b1")).toEqual(okBox);
  });

  it("D-REPAIR: a brand-new invalid row is still removed", () => {
    const s = setup([]);
    s.send(() =>
      rawRow(s.client, "bboxes", "b9", { ...okBox, id: "b9", coords: [0.5, 0.5, 0.1, 0.1], format: "xyxy" }),
    );
    expect(readRows(s.server, "bboxes")).toEqual([]);
    expect(s.issues.at(-1)?.length).toBeGreaterThan(0);
  });
});

describe("D-OPS: mutators judge a patch by what it changes too", () => {
  it("D-OPS: updateRow re-scores a stored xyxy box with x2 < x1, and still refuses a patch that adds an issue", () => {
    const s = setup([["bboxes", invertedBox]]);
    updateRow(s.ctx, clientOrigin("c1"), "bboxes", "box1", { confidence: 0.25 });
    expect(readRow(s.client, "bboxes", "box1")?.confidence).toBe(0.25);
    expect(() => updateRow(s.ctx, clientOrigin("c1"), "bboxes", "box1", { confidence: 4 })).toThrow(ValidationError);
    expect(readRow(s.client, "bboxes", "box1")?.confidence).toBe(0.25);
  });
});

describe("D-KEY: a row's key is its id and never a reserved name", () => {
  for (const key of ["__proto__", "constructor", "prototype"]) {
    it(`D-KEY: refuses a row whose id is ${key}`, () => {
      const s = setup([]);
      s.send(() => rawRow(s.client, "bboxes", key, { ...okBox, id: key }));
      expect([...s.server.getMap("bboxes").keys()]).toEqual([]);
      expect(s.issues.at(-1)?.[0]).toEqual({ path: `bboxes[${key}]`, message: "is a reserved name, not a row id" });
      expect(checkDoc(s.server, s.schema, "r1")).toEqual([]);
    });
  }

  it("D-KEY: refuses a new row whose map key differs from its id", () => {
    const s = setup([]);
    s.send(() => rawRow(s.client, "bboxes", "key-a", { ...okBox, id: "id-b" }));
    expect([...s.server.getMap("bboxes").keys()]).toEqual([]);
    expect(s.issues.at(-1)?.[0]?.path).toBe("bboxes[key-a].id");
  });

  it("D-KEY: changing a stored row's id field away from its key is undone", () => {
    const s = setup([["bboxes", okBox]]);
    s.send(() => s.rowMap("bboxes", "b1").set("id", "b2"));
    expect(readRow(s.server, "bboxes", "b1")).toEqual(okBox);
    expect(s.issues.at(-1)?.[0]?.path).toBe("bboxes[b1].id");
  });

  it("D-KEY: a field named __proto__ inside a row is seen (and refused) rather than hidden as a prototype", () => {
    const s = setup([]);
    s.send(() => {
      rawRow(s.client, "bboxes", "b1", okBox);
      s.rowMap("bboxes", "b1").set("__proto__", [1, 2]);
    });
    expect(readRows(s.server, "bboxes")).toEqual([]);
    expect(s.issues.at(-1)?.some((i) => i.path.includes("__proto__"))).toBe(true);
  });
});

describe("D-LAYOUT-ONLY: updates are read for the roots they touch before they are applied", () => {
  const updateOf = (fn: (doc: Y.Doc) => void, from?: Y.Doc) => {
    const doc = new Y.Doc();
    if (from) Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
    const sv = Y.encodeStateVector(doc);
    fn(doc);
    return Y.encodeStateAsUpdate(doc, sv);
  };

  it("D-LAYOUT-ONLY: names a map outside the layout, and list content inside a layout map", () => {
    expect(layoutBreaches(updateOf((d) => d.getMap("junk").set("k", "x".repeat(100))))).toEqual([
      { root: "junk", message: "is not part of the record layout" },
    ]);
    expect(layoutBreaches(updateOf((d) => d.getArray("bboxes").insert(0, [1])))).toEqual([
      { root: "bboxes", message: "is a map: list content is not part of the record layout" },
    ]);
    expect(layoutBreaches(updateOf((d) => d.getText("notes").insert(0, "hi")))[0]?.root).toBe("notes");
  });

  it("D-LAYOUT-ONLY: passes ordinary edits, including a second write of a key (which does not name its root)", () => {
    const doc = new Y.Doc();
    rawRow(doc, "bboxes", "b1", okBox);
    expect(layoutBreaches(Y.encodeStateAsUpdate(doc))).toEqual([]);
    expect(
      layoutBreaches(updateOf((d) => (d.getMap("bboxes").get("b1") as Y.Map<unknown>).set("confidence", 0.5), doc)),
    ).toEqual([]);
    expect(layoutBreaches(updateOf((d) => d.getMap("record").set("comment", "x"), doc))).toEqual([]);
  });

  it("D-LAYOUT-ONLY: tells an update Yjs would keep pending (a gap in a client's sequence) from one that integrates", () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    const updates: Uint8Array[] = [];
    client.on("update", (u: Uint8Array) => updates.push(u));
    client.getMap("record").set("comment", "first");
    client.getMap("junk").set("k", "second");
    const [first, second] = updates;
    if (!first || !second) throw new Error("two updates expected");
    expect(wouldWait(server, second)).toBe(true);
    expect(wouldWait(server, first)).toBe(false);
    Y.applyUpdate(server, first);
    expect(wouldWait(server, second)).toBe(false);
    // a reference to another client's unknown item waits too
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(client));
    const sv = Y.encodeStateVector(other);
    (other.getMap("junk") as Y.Map<unknown>).set("k", "third");
    expect(wouldWait(server, Y.encodeStateAsUpdate(other, sv))).toBe(true);
  });

  it("D-LAYOUT-ONLY: the header scan reads every kind of struct exactly as Y.decodeUpdate does", () => {
    const doc = new Y.Doc();
    const sub = new Y.Doc();
    doc.transact(() => {
      rawRow(doc, "bboxes", "b1", okBox);
      doc.getArray("a").insert(0, [1, "two", { three: [3] }, new Uint8Array([4]), null, true, 2.5, -7]);
      doc
        .getArray("a")
        .insert(1, [new Y.Map(), new Y.Array(), new Y.XmlElement("p"), new Y.XmlText("t"), new Y.XmlFragment()]);
      doc.getText("t").insert(0, "héllo 🌍 wörld", { bold: true });
      doc.getText("t").insertEmbed(3, { image: "x.png" });
      doc.getMap("m").set("doc", sub);
      doc.getMap("m").set("bin", new Uint8Array([1, 2, 3]));
    });
    doc.transact(() => {
      doc.getText("t").delete(1, 4);
      doc.getArray("a").delete(0, 2);
      doc.getMap("bboxes").delete("b1");
    });
    const other = new Y.Doc();
    other.getMap("record").set("comment", "x");
    const update = Y.mergeUpdates([Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdate(other)]);
    const scanned: Array<[number, number, number, string | null, string | null]> = [];
    scanUpdate(update, (s) => scanned.push([s.client, s.clock, s.length, s.parentKey, s.parentSub]));
    const decoded = Y.decodeUpdate(update).structs.map((s): [number, number, number, string | null, string | null] => [
      s.id.client,
      s.id.clock,
      s.length,
      s instanceof Y.Item && typeof (s.parent as unknown) === "string" ? (s.parent as unknown as string) : null,
      s instanceof Y.Item ? s.parentSub : null,
    ]);
    expect(scanned).toEqual(decoded);
    expect(scanned.length).toBeGreaterThan(10);
    expect(() => scanUpdate(update.subarray(0, update.length - 30), () => {})).toThrow(UpdateScanError);
  });

  it("D-LAYOUT-ONLY: costs little on an ordinary edit (p50/p99 printed)", () => {
    const doc = new Y.Doc();
    for (let i = 0; i < 200; i++) rawRow(doc, "bboxes", `b${i}`, { ...okBox, id: `b${i}` });
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 2000; i++)
      (doc.getMap("bboxes").get(`b${i % 200}`) as Y.Map<unknown>).set("coords", [0.1, 0.1, 0.2, (i % 50) / 100]);
    const times: number[] = [];
    for (const u of updates) {
      const t0 = performance.now();
      layoutBreaches(u);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length * 0.5)] ?? 0;
    const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
    console.log(
      `layoutBreaches on a one-field edit (${updates[0]?.length ?? 0} bytes): p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs`,
    );
    expect(p99).toBeLessThan(5);
  });
});
