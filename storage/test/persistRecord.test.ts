import * as Y from "yjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  patchRecord,
  readRow,
  relabel,
  rowIds,
  rowsOfDoc,
  serverOrigin,
  setRecordFields,
  transact,
  updateRow,
  writeRow,
  customCell,
  withCustom,
} from "@tessera/shared-crdt";
import {
  canonicalRows,
  loadRecordDoc,
  persistRecord,
  readRecordRows,
  RecordStateError,
  type LoadedRecord,
  type PersistStep,
} from "../src/index.js";
import { docContext, logUpdates, stateWorld, type StateWorld } from "./fixture.js";

const alice = clientOrigin("alice");

/** The document's rows and LanceDB's rows agree (record timestamps aside). */
async function expectRowsMatchDoc(w: StateWorld, doc: Y.Doc): Promise<void> {
  expect(canonicalRows(await readRecordRows(w.dataset, w.key.recordId))).toBe(canonicalRows(rowsOfDoc(doc)));
}

describe("persistRecord", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  const deps = () => ({ dataset: w.dataset, log: w.log, snapshots: w.snapshots, key: w.key, clock: w.clock });
  const load = () => loadRecordDoc(deps());

  /** A room's life: load, edit through the log, wait for the appends. */
  async function editSession(edit: (loaded: LoadedRecord) => void): Promise<LoadedRecord> {
    const loaded = await load();
    const sink = logUpdates(loaded.doc, w.log, w.key);
    edit(loaded);
    await sink.settled();
    sink.stop();
    return loaded;
  }

  it("refuses a record without a snapshot (the server always makes one at first load)", async () => {
    const err = await persistRecord(deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordStateError);
    expect((err as RecordStateError).reason).toBe("no_snapshot");
  });

  it("writes the log's edits as rows: upserts, record fields, status, updated_at bumped and created_at kept", async () => {
    const before = (await w.dataset.get("records", "r1"))!;
    let newBox = "";
    const { doc } = await editSession(({ doc }) => {
      const ctx = docContext(doc, w.dataset);
      relabel(ctx, alice, "e1", "truck");
      updateRow(ctx, alice, "bboxes", "b2", { coords: [0.5, 0.5, 0.2, 0.2] });
      newBox = createEntity(ctx, alice, {
        entity: withCustom({}, { category: "bike" }),
        annotation: { table: "bboxes", row: { view_id: "img1", coords: [0.6, 0.6, 0.1, 0.1] } },
      }).annotationId!;
      setRecordFields(ctx, alice, withCustom({ comment: "checked" }, { weather: "foggy" }));
      transact(doc, serverOrigin("workflow"), () => patchRecord(doc, { status: "inProgress" }));
    });
    const result = await persistRecord(deps());
    expect(result).toMatchObject({ upTo: 5, rowsDeleted: 0, statusChanged: true, rowsRejected: 0 });
    // e1, b2, the new entity and bbox, and the record row.
    expect(result.rowsWritten).toBe(5);
    await expectRowsMatchDoc(w, doc);
    const after = (await w.dataset.get("records", "r1"))!;
    expect(after).toMatchObject({
      status: "inProgress",
      comment: "checked",
      weather: "foggy",
      created_at: before.created_at,
    });
    expect(String(after.updated_at) > String(before.updated_at)).toBe(true);
    expect((await w.dataset.get("bboxes", newBox))?.coords).toEqual([0.6, 0.6, 0.1, 0.1]);
    // The other record is untouched.
    expect((await readRecordRows(w.dataset, "r2")).tables.bboxes?.map((r) => r.id)).toEqual(["b9"]);

    const snap = (await w.snapshots.load(w.key))!;
    expect(snap).toMatchObject({ foldedUpTo: 5, rowsPending: false });
    const fromSnap = new Y.Doc();
    Y.applyUpdate(fromSnap, snap.state);
    expect(canonicalRows(rowsOfDoc(fromSnap))).toBe(canonicalRows(rowsOfDoc(doc)));
  });

  it("deletes rows the document removed, with their dependents", async () => {
    const { doc } = await editSession(({ doc }) => {
      deleteRows(docContext(doc, w.dataset), alice, "entities", ["e2"]);
    });
    expect(rowIds(doc, "bboxes")).toEqual(["b1"]);
    const result = await persistRecord(deps());
    expect(result.rowsDeleted).toBe(3);
    await expectRowsMatchDoc(w, doc);
    expect(await w.dataset.get("entities", "e2")).toBeNull();
    expect(await w.dataset.get("bboxes", "b2")).toBeNull();
    expect(await w.dataset.get("relations", "rel1")).toBeNull();
    expect(await w.dataset.get("bboxes", "b9")).not.toBeNull();
  });

  it("is idempotent: a second run writes nothing, keeps updated_at and the snapshot", async () => {
    await editSession(({ doc }) => relabel(docContext(doc, w.dataset), alice, "e1", "truck"));
    const first = await persistRecord(deps());
    const record = (await w.dataset.get("records", "r1"))!;
    const snap = (await w.snapshots.load(w.key))!;
    const second = await persistRecord(deps());
    expect(second).toEqual({ upTo: first.upTo, rowsWritten: 0, rowsDeleted: 0, statusChanged: false, rowsRejected: 0 });
    expect((await w.dataset.get("records", "r1"))!.updated_at).toBe(record.updated_at);
    expect((await w.snapshots.load(w.key))!.savedAt).toBe(snap.savedAt);
  });

  it("after the caller trims, the next load and persist continue from the snapshot", async () => {
    await editSession(({ doc }) => relabel(docContext(doc, w.dataset), alice, "e1", "truck"));
    const { upTo } = await persistRecord(deps());
    await w.log.trim(w.key, upTo);
    expect(await w.log.read(w.key)).toEqual([]);
    const { doc } = await editSession(({ doc }) => relabel(docContext(doc, w.dataset), alice, "e2", "cyclist"));
    expect(customCell(readRow(doc, "entities", "e1"), "category")).toBe("truck");
    const next = await persistRecord(deps());
    expect(next.upTo).toBe(2);
    await expectRowsMatchDoc(w, doc);
    expect((await w.dataset.get("entities", "e2"))?.category).toBe("cyclist");
  });

  it("leaves rows someone else changed meanwhile alone; the next load merges them into the document", async () => {
    await editSession(({ doc }) => relabel(docContext(doc, w.dataset), alice, "e1", "truck"));
    await persistRecord(deps());
    // While the record is still loaded, Pixano edits a box and an annotator edits an entity.
    await w.dataset.update("bboxes", "b1", { coords: [0.9, 0.9, 0.05, 0.05] });
    const live = await load();
    const sink = logUpdates(live.doc, w.log, w.key);
    relabel(docContext(live.doc, w.dataset), alice, "e2", "cyclist");
    await sink.settled();
    const result = await persistRecord(deps());
    expect(result.rowsWritten).toBe(1);
    expect((await w.dataset.get("bboxes", "b1"))?.coords).toEqual([0.9, 0.9, 0.05, 0.05]);
    expect((await w.dataset.get("entities", "e2"))?.category).toBe("cyclist");
  });

  it("a record deleted meanwhile is not resurrected: nothing is written and its snapshot goes", async () => {
    await editSession(({ doc }) => relabel(docContext(doc, w.dataset), alice, "e1", "truck"));
    await w.dataset.delete("records", ["r1"]);
    const result = await persistRecord(deps());
    expect(result).toMatchObject({ upTo: 1, rowsWritten: 0, rowsDeleted: 0, recordGone: true });
    expect(await w.dataset.get("records", "r1")).toBeNull();
    expect(await w.dataset.get("entities", "e1")).toBeNull();
    expect(await w.snapshots.load(w.key)).toBeNull();
  });

  it("leaves out rows that fail validation instead of failing, and the next load drops them", async () => {
    const { doc } = await editSession(({ doc }) => {
      transact(doc, alice, () =>
        writeRow(doc, "bboxes", { ...readRow(doc, "bboxes", "b1")!, id: "bad", coords: [0.1, 0.2, 0.3] }),
      );
      relabel(docContext(doc, w.dataset), alice, "e1", "truck");
    });
    const rejected: string[] = [];
    const result = await persistRecord({
      ...deps(),
      onRejected: (issues) => rejected.push(...issues.map((i) => i.path)),
    });
    expect(result.rowsRejected).toBeGreaterThan(0);
    expect(rejected.some((p) => p.startsWith("bboxes[bad]"))).toBe(true);
    expect(await w.dataset.get("bboxes", "bad")).toBeNull();
    expect((await w.dataset.get("entities", "e1"))?.category).toBe("truck");
    expect(rowIds(doc, "bboxes")).toContain("bad");
    const reloaded = await load();
    expect(reloaded.externalChanges).toBe(true);
    expect(rowIds(reloaded.doc, "bboxes")).not.toContain("bad");
  });

  describe("crash at every step, then a re-run (in process)", () => {
    async function stepsOfAFullPersist(): Promise<PersistStep[]> {
      const steps: PersistStep[] = [];
      await persistRecord({ ...deps(), onStep: (s) => void steps.push(s) });
      return steps;
    }

    function scenario(doc: Y.Doc): void {
      const ctx = docContext(doc, w.dataset);
      relabel(ctx, alice, "e1", "truck");
      deleteRows(ctx, alice, "entities", ["e2"]);
      createEntity(ctx, alice, {
        entity: withCustom({ id: "e5" }, { category: "bike" }),
        annotation: { table: "bboxes", row: { id: "b5", view_id: "img1", coords: [0.6, 0.6, 0.1, 0.1] } },
      });
      transact(doc, serverOrigin("workflow"), () => patchRecord(doc, { status: "inProgress" }));
    }

    it("lists the steps of a persist", async () => {
      await editSession(({ doc }) => scenario(doc));
      const steps = await stepsOfAFullPersist();
      expect(steps.map((s) => `${s.kind}${s.table ? ":" + s.table : ""}`)).toEqual([
        "snapshot-pending",
        "delete:relations",
        "delete:bboxes",
        "delete:entities",
        "upsert:entities",
        "upsert:bboxes",
        "record:records",
        "snapshot",
      ]);
    });

    for (let crashAt = 1; crashAt <= 8; crashAt++) {
      it(`killed before step ${crashAt}: the re-run ends with rows equal to the document, including edits made after the crash`, async () => {
        const { doc } = await editSession(({ doc }) => scenario(doc));
        const crash = new Error("killed");
        const err = await persistRecord({
          ...deps(),
          onStep: (s) => {
            if (s.index === crashAt) throw crash;
          },
        }).catch((e: unknown) => e);
        expect(err).toBe(crash);
        // Edits keep arriving after the crash, some reverting what the dead run may have written.
        const live = await load();
        const sink = logUpdates(live.doc, w.log, w.key);
        relabel(docContext(live.doc, w.dataset), alice, "e1", "car");
        relabel(docContext(live.doc, w.dataset), alice, "e5", "motorbike");
        await sink.settled();
        expect(live.externalChanges).toBe(false);
        const result = await persistRecord(deps());
        expect(result.upTo).toBe(6);
        await expectRowsMatchDoc(w, live.doc);
        expect((await w.dataset.get("entities", "e1"))?.category).toBe("car");
        expect((await w.dataset.get("entities", "e5"))?.category).toBe("motorbike");
        expect((await w.dataset.get("records", "r1"))?.status).toBe("inProgress");
        expect(canonicalRows(rowsOfDoc(live.doc))).not.toBe(canonicalRows(rowsOfDoc(doc)));
        const again = await persistRecord(deps());
        expect(again.rowsWritten + again.rowsDeleted).toBe(0);
      });
    }
  });
});
