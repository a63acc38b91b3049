import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addRow,
  clientOrigin,
  createEntity,
  observeRecordChanges,
  readRecord,
  readRow,
  readRows,
  repairDoc,
  serverOrigin,
  type DocChanges,
  type DocContext,
  type ValidationIssue,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

/** A server replica that repairs client transactions, and a client replica sending it raw updates. */
function setup() {
  const schema = fullSchema();
  const server = new Y.Doc();
  const issues: ValidationIssue[][] = [];
  const seen: DocChanges[] = [];
  observeRecordChanges(server, (changes, tr) => {
    seen.push(changes);
    if ((tr.origin as { source?: string } | null)?.source !== "client") return;
    issues.push(repairDoc(server, schema, "r1", changes, serverOrigin("repair"), { statusWritable: false }));
  });
  server.getMap("record").set("status", "inProgress");
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const send = (fn: () => void) => {
    const before = Y.encodeStateVector(server);
    client.transact(fn);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(client, before), clientOrigin("c1"));
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client)));
  };
  let n = 0;
  const ctx: DocContext = { doc: client, schema, recordId: "r1", newId: () => `id${++n}` };
  return { schema, server, client, issues, seen, send, ctx };
}

function rawRow(doc: Y.Doc, table: string, row: Record<string, unknown>) {
  const m = new Y.Map<unknown>();
  doc.getMap(table).set(row.id as string, m);
  for (const [k, v] of Object.entries(row)) m.set(k, v);
}

const okBox = {
  id: "b1",
  record_id: "r1",
  entity_id: "",
  source_type: "",
  source_name: "",
  source_metadata: "{}",
  view_id: "",
  tracklet_id: "",
  entity_dynamic_state_id: "",
  frame_id: "",
  frame_index: -1,
  coords: [0.1, 0.1, 0.2, 0.2],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
};

describe("server repair of remote transactions (SPEC D-REPAIR)", () => {
  it("deletes a new row with 5 coords and reports the field", () => {
    const s = setup();
    s.send(() => rawRow(s.client, "bboxes", { ...okBox, coords: [0, 0, 0, 0, 0] }));
    expect(readRows(s.server, "bboxes")).toEqual([]);
    expect(readRows(s.client, "bboxes")).toEqual([]);
    expect(s.issues.at(-1)?.map((i) => i.path)).toEqual(["bboxes[b1].coords"]);
  });

  it("restores the previous value of a field set to NaN or a wrong type", () => {
    const s = setup();
    s.send(() => rawRow(s.client, "bboxes", okBox));
    expect(s.issues.at(-1)).toEqual([]);
    s.send(() => (s.client.getMap("bboxes").get("b1") as Y.Map<unknown>).set("coords", [Number.NaN, 0, 1, 1]));
    expect(readRow(s.server, "bboxes", "b1")?.coords).toEqual([0.1, 0.1, 0.2, 0.2]);
    s.send(() => (s.client.getMap("bboxes").get("b1") as Y.Map<unknown>).set("confidence", "high"));
    expect(readRow(s.client, "bboxes", "b1")?.confidence).toBe(1);
    expect(s.issues.at(-1)?.[0]?.path).toBe("bboxes[b1].confidence");
  });

  it("removes an annotation pointing at a missing entity, and one from another record", () => {
    const s = setup();
    s.send(() => rawRow(s.client, "bboxes", { ...okBox, entity_id: "ghost" }));
    expect(readRows(s.server, "bboxes")).toEqual([]);
    expect(s.issues.at(-1)?.[0]?.message).toMatch(/missing row "ghost"/);
    s.send(() => rawRow(s.client, "bboxes", { ...okBox, record_id: "other" }));
    expect(readRows(s.server, "bboxes")).toEqual([]);
  });

  it("W6 undoes a status written by a client, keeps its other record edits", () => {
    const s = setup();
    s.send(() => {
      s.client.getMap("record").set("status", "validated");
      s.client.getMap("record").set("comment", "done");
    });
    expect(readRecord(s.server)).toMatchObject({ status: "inProgress", comment: "done" });
    expect(readRecord(s.client).status).toBe("inProgress");
  });

  it("a concurrent delete wins over an annotation added to the deleted entity", () => {
    const s = setup();
    const { entityId } = createEntity(s.ctx, clientOrigin("c1"), {});
    Y.applyUpdate(s.server, Y.encodeStateAsUpdate(s.client), clientOrigin("c1"));
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(s.server));
    // client 1 adds a box to the entity while client 2 deletes it
    addRow(s.ctx, clientOrigin("c1"), "bboxes", { entity_id: entityId, coords: [0.1, 0.1, 0.1, 0.1] });
    const sv = Y.encodeStateVector(s.server);
    other.transact(() => other.getMap("entities").delete(entityId));
    Y.applyUpdate(s.server, Y.encodeStateAsUpdate(other, sv), clientOrigin("c2"));
    Y.applyUpdate(s.server, Y.encodeStateAsUpdate(s.client, sv), clientOrigin("c1"));
    expect(readRows(s.server, "entities")).toEqual([]);
    expect(readRows(s.server, "bboxes")).toEqual([]);
  });

  it("D-CHANGES reports added, updated (with previous values) and removed rows per transaction", () => {
    const s = setup();
    s.send(() => rawRow(s.client, "bboxes", okBox));
    s.send(() => (s.client.getMap("bboxes").get("b1") as Y.Map<unknown>).set("confidence", 0.5));
    s.send(() => s.client.getMap("bboxes").delete("b1"));
    const kinds = s.seen
      .filter((c) => c.tables.has("bboxes"))
      .map((c) => {
        const ch = c.tables.get("bboxes")?.get("b1");
        return [ch?.kind, Object.fromEntries(ch?.before ?? [])];
      });
    expect(kinds).toEqual([
      ["added", {}],
      ["updated", { confidence: 1 }],
      ["removed", {}],
    ]);
  });
});
