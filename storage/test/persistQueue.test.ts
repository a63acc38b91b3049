import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientOrigin, relabel } from "@tessera/shared-crdt";
import { loadRecordDoc, PersistQueue, RecordStateError, type RecordKey } from "../src/index.js";
import { docContext, logUpdates, stateWorld, type StateWorld } from "./fixture.js";

describe("PersistQueue", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  async function edit(key: RecordKey, entityId: string, category: string): Promise<void> {
    const loaded = await loadRecordDoc({ dataset: w.dataset, log: w.log, snapshots: w.snapshots, key, clock: w.clock });
    const sink = logUpdates(loaded.doc, w.log, key);
    relabel(docContext(loaded.doc, w.dataset, key.recordId), clientOrigin("a"), entityId, category);
    await sink.settled();
  }

  it("persists one record at a time per dataset and shares a queued flush of the same record", async () => {
    const r1 = w.key;
    const r2: RecordKey = { datasetId: "state_ds", recordId: "r2" };
    await edit(r1, "e1", "truck");
    await edit(r2, "e9", "wolf");
    const events: string[] = [];
    const queue = new PersistQueue({
      datasets: { open: async (id) => (id === "state_ds" ? w.dataset : null) },
      log: w.log,
      snapshots: w.snapshots,
      clock: w.clock,
      onStep: (key, step) => void events.push(`${key.recordId}:${step.kind}`),
    });
    const a = queue.flush(r2);
    const b = queue.flush(r1);
    const c = queue.flush(r1);
    expect(c).toBe(b);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.rowsWritten).toBe(1);
    expect(rb.rowsWritten).toBe(1);
    const firstR1 = events.findIndex((e) => e.startsWith("r1:"));
    expect(firstR1).toBeGreaterThan(0);
    expect(events.slice(0, firstR1).every((e) => e.startsWith("r2:"))).toBe(true);
    expect(events.slice(firstR1).every((e) => e.startsWith("r1:"))).toBe(true);
    expect((await w.dataset.get("entities", "e9"))?.category).toBe("wolf");
    await queue.close();
    await expect(queue.flush(r1)).rejects.toBeInstanceOf(RecordStateError);
  });

  it("an unknown dataset fails that flush only", async () => {
    const queue = new PersistQueue({
      datasets: { open: async () => null },
      log: w.log,
      snapshots: w.snapshots,
      clock: w.clock,
    });
    await expect(queue.flush({ datasetId: "nope", recordId: "r1" })).rejects.toMatchObject({
      reason: "dataset_not_found",
    });
    await queue.close();
  });
});
