import { afterEach, describe, expect, it } from "vitest";
import { clientOrigin, createEntity, relabel, withCustom } from "@tessera/shared-crdt";
import { persistBatch, PersistQueue, RecordStateError, type PersistStep, type RecordKey } from "../src/index.js";
import { batchWorld, everyKindOfEdit, type BatchWorld } from "./batchWorld.js";

const alice = clientOrigin("alice");

describe("batched folds", () => {
  let w: BatchWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  function queueOf(world: BatchWorld, extra: Partial<ConstructorParameters<typeof PersistQueue>[0]> = {}) {
    return new PersistQueue({
      datasets: { open: async (id) => (id === world.dataset.id ? world.dataset : null) },
      log: world.log,
      snapshots: world.snapshots,
      clock: { now: () => Date.now() },
      ...extra,
    });
  }

  it("flushes of many records waiting together commit one LanceDB version per table per batch, not one per record", async () => {
    w = await batchWorld(8);
    const docs = await Promise.all(w.keys.map((k) => w!.edit(k, everyKindOfEdit)));
    const before = { entities: await w.versions("entities"), bboxes: await w.versions("bboxes") };
    const records = await w.versions("records");
    const queue = queueOf(w);
    // The first flush starts at once, alone; the seven others arrive while it runs and fold together.
    const results = await Promise.all(w.keys.map((k) => queue.flush(k)));
    await queue.close();
    for (const r of results) expect(r).toMatchObject({ rowsWritten: 4, rowsDeleted: 1, statusChanged: true });
    for (const [i, k] of w.keys.entries()) expect(await w.rowsMatch(k, docs[i]!)).toBe(true);
    // Folding record by record committed 8 versions of each table; two batches commit 2.
    expect((await w.versions("entities")) - before.entities).toBeLessThanOrEqual(2);
    expect((await w.versions("bboxes")) - before.bboxes).toBeLessThanOrEqual(4);
    expect((await w.versions("records")) - records).toBeLessThanOrEqual(2);
  });

  it("a batch runs each kind of step once for all its records, and marks every record pending before the first write", async () => {
    w = await batchWorld(5);
    const docs = await Promise.all(w.keys.map((k) => w!.edit(k, everyKindOfEdit)));
    const steps: PersistStep[] = [];
    const pendingAtFirstWrite: boolean[] = [];
    const outcomes = await persistBatch({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      clock: { now: () => Date.now() },
      keys: w.keys,
      onRejected: () => {},
      onStep: async (step) => {
        steps.push(step);
        if (step.index === 2)
          for (const k of w!.keys) pendingAtFirstWrite.push((await w!.snapshots.load(k))?.rowsPending === true);
      },
    });
    expect(steps.map((s) => `${s.kind}:${s.table ?? ""}:${s.rows}`)).toEqual([
      "snapshot-pending::5",
      "delete:bboxes:5",
      "upsert:entities:10",
      "upsert:bboxes:5",
      "record:records:5",
      "snapshot::5",
    ]);
    expect(steps.every((s) => s.records === 5)).toBe(true);
    expect(pendingAtFirstWrite).toEqual([true, true, true, true, true]);
    for (const [i, k] of w.keys.entries()) {
      expect(outcomes.get(k.recordId)).toMatchObject({ ok: true, result: { rowsWritten: 4, rowsDeleted: 1 } });
      expect(await w.rowsMatch(k, docs[i]!)).toBe(true);
      expect((await w.snapshots.load(k))?.rowsPending).toBe(false);
    }
  });

  it("a record of the batch that cannot be folded (no snapshot) fails alone; the others are written", async () => {
    w = await batchWorld(4);
    const [r1, r2, r3, r4] = w.keys as [RecordKey, RecordKey, RecordKey, RecordKey];
    const d1 = await w.edit(r1, everyKindOfEdit);
    const d3 = await w.edit(r3, everyKindOfEdit);
    await w.edit(r4, everyKindOfEdit);
    await w.dataset.delete("records", [r4.recordId]);
    const outcomes = await persistBatch({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      clock: { now: () => Date.now() },
      keys: [r1, r2, r3, r4],
      onRejected: () => {},
    });
    const r2Outcome = outcomes.get(r2.recordId);
    expect(r2Outcome?.ok).toBe(false);
    expect(r2Outcome && !r2Outcome.ok && r2Outcome.error).toBeInstanceOf(RecordStateError);
    expect(outcomes.get(r4.recordId)).toMatchObject({ ok: true, result: { recordGone: true, rowsWritten: 0 } });
    expect(await w.snapshots.load(r4)).toBeNull();
    expect(outcomes.get(r1.recordId)).toMatchObject({ ok: true, result: { rowsWritten: 4 } });
    expect(outcomes.get(r3.recordId)).toMatchObject({ ok: true, result: { rowsWritten: 4 } });
    expect(await w.rowsMatch(r1, d1)).toBe(true);
    expect(await w.rowsMatch(r3, d3)).toBe(true);
  });

  it("two records of a batch creating the same new row id: the first keeps it, the second's row is refused, nothing fails", async () => {
    w = await batchWorld(2);
    const [r1, r2] = w.keys as [RecordKey, RecordKey];
    const clash = (ctx: Parameters<typeof relabel>[0]) =>
      createEntity(ctx, alice, { entity: withCustom({ id: "twin" }, { category: ctx.recordId }) });
    await w.edit(r1, clash);
    await w.edit(r2, clash);
    const rejected: string[] = [];
    const outcomes = await persistBatch({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      clock: { now: () => Date.now() },
      keys: [r1, r2],
      onRejected: (key, issues) => rejected.push(...issues.map((i) => `${key.recordId} ${i.path}: ${i.message}`)),
    });
    expect(outcomes.get(r1.recordId)).toMatchObject({ ok: true, result: { rowsWritten: 1, rowsRejected: 0 } });
    expect(outcomes.get(r2.recordId)).toMatchObject({ ok: true, result: { rowsWritten: 0, rowsRejected: 1 } });
    expect(rejected).toEqual([`r2 entities[twin].id: belongs to record "r1": a row never moves to another record`]);
    expect(await w.dataset.get("entities", "twin")).toMatchObject({ record_id: "r1", category: "r1" });
  });

  it("a write the merge-insert's counts show as not done (a row taken meanwhile by another record) fails the batch's commit, not its records", async () => {
    w = await batchWorld(3);
    const [r1, r2, r3] = w.keys as [RecordKey, RecordKey, RecordKey];
    await w.edit(r1, everyKindOfEdit);
    await w.edit(r2, everyKindOfEdit);
    const d3 = await w.edit(r3, everyKindOfEdit);
    const steps: string[] = [];
    let raced = false;
    const outcomes = await persistBatch({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      clock: { now: () => Date.now() },
      keys: [r1, r2, r3],
      onRejected: () => {},
      onStep: async (step) => {
        steps.push(`${step.records}:${step.kind}:${step.table ?? ""}`);
        if (raced || step.kind !== "upsert" || step.table !== "entities") return;
        raced = true;
        // Another writer creates r2's new entity id under r1 after the owner lookup, before the merge.
        await w!.dataset.add("entities", [{ id: "e-r2-new", record_id: "r1", category: "taken" }]);
      },
    });
    // The batch's merge skipped that row: it stopped there and each record was folded again on its own.
    expect(steps.filter((s) => s === "3:upsert:entities")).toHaveLength(1);
    expect(steps.filter((s) => s.startsWith("1:snapshot-pending"))).toHaveLength(3);
    expect(outcomes.get(r1.recordId)).toMatchObject({ ok: true });
    expect(outcomes.get(r3.recordId)).toMatchObject({ ok: true });
    // r2's entity now belongs to r1 (a row never moves): refused, reported; the rest of r2 is written.
    expect(outcomes.get(r2.recordId)).toMatchObject({ ok: true, result: { rowsRejected: 1 } });
    expect(await w.dataset.get("entities", "e-r2-new")).toMatchObject({ record_id: "r1", category: "taken" });
    expect(await w.dataset.get("bboxes", "b-r2-b")).toBeNull();
    for (const k of [r1, r2, r3]) expect((await w.snapshots.load(k))?.rowsPending).toBe(false);
    // The re-run of r1 plans from what the batch planned from, not from the rows LanceDB holds under
    // the pending mark: the row the other writer added to r1 stays (r1's next load merges it).
    expect(steps.filter((s) => s === "1:delete:entities")).toEqual([]);
    expect((await w.dataset.get("entities", "e-r1-new"))?.category).toBe("bike");
    expect((await w.dataset.get("bboxes", "b-r2-new"))?.record_id).toBe("r2");
    expect(await w.rowsMatch(r3, d3)).toBe(true);
  });

  it("the queue's maintenance compacts when the lane falls idle and keeps Lance versions bounded", async () => {
    w = await batchWorld(3, { optimizeAfterWrites: Number.MAX_SAFE_INTEGER, pruneVersionsOlderThanMs: 0 });
    const errors: unknown[] = [];
    const queue = queueOf(w, {
      maintenance: { idleAfterWrites: 1, maxWrites: 1000, onError: (_id, e) => errors.push(e) },
    });
    for (let round = 0; round < 6; round++) {
      for (const k of w.keys) {
        await w.edit(k, (ctx) => relabel(ctx, alice, `e-${ctx.recordId}-a`, `label ${round}`));
        await queue.flush(k);
      }
    }
    await queue.close();
    expect(errors).toEqual([]);
    // 18 folds committed 18 versions of `entities`; the idle compactions pruned all but the newest.
    expect(await w.versions("entities")).toBeLessThanOrEqual(3);
    expect((await w.dataset.get("entities", "e-r2-a"))?.category).toBe("label 5");
  });
});
