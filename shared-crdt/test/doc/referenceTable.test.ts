import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { applyRowsToDoc, deleteWithDependents, rowsOfDoc, transact, type RecordRows } from "../../src/doc/index.js";
import { serverOrigin } from "../../src/doc/origins.js";
import { planDelete, REFERENCES, runDeleteWalk, type DeletePlan, type RowQuery } from "../../src/schema/references.js";
import type { Row } from "../../src/schema/rules.js";
import { COMPONENT_TABLES, TABLES, type ComponentTable, type TableName } from "../../src/schema/tables.js";

/** SPEC D-CASCADE (the reference table) and D-DELETE-ONE (one planner for every row source). */

const ROWS: RecordRows = {
  record: { split: "train" },
  tables: {
    entities: [
      { id: "e1", record_id: "r1", parent_id: "" },
      { id: "e2", record_id: "r1", parent_id: "e1" },
      { id: "e3", record_id: "r1", parent_id: "" },
    ],
    tracklets: [{ id: "t1", record_id: "r1", entity_id: "e1" }],
    entity_dynamic_states: [
      { id: "s1", record_id: "r1", entity_id: "e1", tracklet_id: "t1" },
      { id: "s2", record_id: "r1", entity_id: "e1", tracklet_id: "" },
    ],
    bboxes: [
      { id: "b1", record_id: "r1", entity_id: "e1", tracklet_id: "t1", entity_dynamic_state_id: "s2" },
      { id: "b2", record_id: "r1", entity_id: "e1", tracklet_id: "t1", entity_dynamic_state_id: "" },
      { id: "b3", record_id: "r1", entity_id: "e1", tracklet_id: "", entity_dynamic_state_id: "s1" },
      { id: "b4", record_id: "r1", entity_id: "e3", tracklet_id: "", entity_dynamic_state_id: "" },
    ],
    masks: [{ id: "m1", record_id: "r1", entity_id: "e2", tracklet_id: "", entity_dynamic_state_id: "" }],
    relations: [{ id: "rel1", record_id: "r1", entity_id: "", subject_id: "b1", object_id: "b4" }],
    messages: [{ id: "q1", record_id: "r1", entity_ids: ["e1", "e3"] }],
  },
};

/** A row source that is neither a document nor LanceDB: plain arrays. */
function answerFromArrays(rows: RecordRows): (q: RowQuery) => string[] {
  return (q) => {
    const list = (rows.tables as Partial<Record<TableName, Row[]>>)[q.table] ?? [];
    const wanted = new Set(q.values);
    return list
      .filter((r) => {
        const v = r[q.field];
        return q.many
          ? Array.isArray(v) && v.some((x) => typeof x === "string" && wanted.has(x))
          : typeof v === "string" && wanted.has(v);
      })
      .map((r) => String(r.id));
  };
}

/** The rows a plan leaves, applied to plain arrays. */
function applyToArrays(rows: RecordRows, plan: DeletePlan): RecordRows {
  const tables: RecordRows["tables"] = {};
  for (const t of COMPONENT_TABLES) {
    const gone = plan.deletes.get(t);
    const left = (rows.tables[t] ?? [])
      .filter((r) => !gone?.has(String(r.id)))
      .map((r) => {
        const out = { ...r };
        for (const c of plan.clears) {
          if (c.table !== t || !c.ids.has(String(r.id))) continue;
          const v = out[c.field];
          out[c.field] = c.many ? (v as string[]).filter((x) => !c.values.has(x)) : "";
        }
        return out;
      });
    if (left.length > 0) tables[t] = left;
  }
  return { record: rows.record, tables };
}

function docOf(rows: RecordRows): Y.Doc {
  const doc = new Y.Doc();
  transact(doc, serverOrigin("test"), () => applyRowsToDoc(doc, rows));
  return doc;
}

const ids = (rows: RecordRows) =>
  Object.fromEntries(Object.entries(rows.tables).map(([t, list]) => [t, (list ?? []).map((r) => String(r.id))]));

describe("the reference table (SPEC D-CASCADE)", () => {
  it("every reference is a column of its table and points at tables that exist; record-scoped ones stay inside a document", () => {
    for (const r of REFERENCES) {
      expect(
        TABLES[r.table].columns.map((c) => c.name),
        `${r.table}.${r.field}`,
      ).toContain(r.field);
      for (const t of r.target) expect(TABLES[t], `${r.table}.${r.field} → ${t}`).toBeDefined();
      if (r.scope === "record") {
        expect((COMPONENT_TABLES as readonly string[]).includes(r.table)).toBe(true);
        for (const t of r.target) expect((COMPONENT_TABLES as readonly string[]).includes(t)).toBe(true);
      }
    }
    const keys = REFERENCES.map((r) => `${r.table}.${r.field}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a tracklet takes its per-frame annotations and dynamic states; references to those are cleared or followed", () => {
    const plan = runDeleteWalk(planDelete("tracklets", ["t1", "missing"], "record"), answerFromArrays(ROWS));
    expect(Object.fromEntries([...plan.deletes].map(([t, s]) => [t, [...s].sort()]))).toEqual({
      tracklets: ["t1"],
      entity_dynamic_states: ["s1"],
      bboxes: ["b1", "b2"],
      relations: ["rel1"],
    });
    expect(plan.clears.map((c) => ({ table: c.table, field: c.field, ids: [...c.ids] }))).toEqual([
      { table: "bboxes", field: "entity_dynamic_state_id", ids: ["b3"] },
    ]);
  });

  it("the document's cascade leaves what the planner computes over any row source, for every row of the record (D-DELETE-ONE)", () => {
    for (const t of COMPONENT_TABLES) {
      for (const row of ROWS.tables[t] ?? []) {
        const id = String(row.id);
        const expected = applyToArrays(ROWS, runDeleteWalk(planDelete(t, [id], "record"), answerFromArrays(ROWS)));
        const doc = docOf(ROWS);
        transact(doc, serverOrigin("test"), () => deleteWithDependents(doc, t as ComponentTable, [id]));
        expect(rowsOfDoc(doc), `delete ${t}/${id}`).toEqual({
          record: rowsOfDoc(docOf(ROWS)).record,
          tables: expected.tables,
        });
        doc.destroy();
      }
    }
  });

  it("an entity takes its child entities, annotations, states and tracklets; messages forget it", () => {
    const doc = docOf(ROWS);
    transact(doc, serverOrigin("test"), () => deleteWithDependents(doc, "entities", ["e1"]));
    const left = rowsOfDoc(doc);
    expect(ids(left)).toEqual({ entities: ["e3"], bboxes: ["b4"], messages: ["q1"] });
    expect(left.tables.messages?.[0]?.entity_ids).toEqual(["e3"]);
    doc.destroy();
  });
});
