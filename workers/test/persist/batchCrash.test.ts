import { clientOrigin, relabel } from "@tessera/shared-crdt";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batchWorld, everyKindOfEdit, type BatchWorld } from "../../../storage/test/batchWorld.js";
import { shuffled, startWorker, type WorkerUnderTest } from "./fixture.js";

const alice = clientOrigin("alice");

describe("crash test: SIGKILL in the middle of a batch of several records, restart, flush again", () => {
  let w: BatchWorld;
  const workers: WorkerUnderTest[] = [];
  const start = (env: Record<string, string> = {}) => {
    const worker = startWorker(w.dataDir, env);
    workers.push(worker);
    return worker;
  };

  beforeEach(async () => {
    w = await batchWorld(4);
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
      await worker.exited;
    }
    await w.close();
  });

  // Steps of a batch of these records: pending snapshots, the bbox deletes, entity upserts, bbox
  // upserts, the record rows, final snapshots. The kill happens in a batch of at least 2 records.
  const seed = Number(process.env.TESSERA_CRASH_SEED ?? 20261206);
  const points = shuffled([1, 2, 3, 4, 5, 6], seed).slice(0, 3);

  for (const killAt of points) {
    it(`killed before batch step ${killAt} (seed ${seed}): no record loses anything, rows equal each document`, async () => {
      for (const k of w.keys) await w.edit(k, everyKindOfEdit);
      const doomed = start({
        TESSERA_TEST_PERSIST_KILL_AT_STEP: String(killAt),
        TESSERA_TEST_PERSIST_KILL_MIN_RECORDS: "2",
      });
      await doomed.reply((r) => r.type === "ready");
      // A first flush may start alone; the others wait for it and fold together, where the kill happens.
      for (const [i, k] of w.keys.entries()) doomed.send({ type: "flush", id: i + 1, ...k });
      expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
      const flushedBefore = doomed.replies.filter((r) => r.type === "flushed").length;
      expect(flushedBefore).toBeLessThanOrEqual(w.keys.length - 2);
      // Past step 1, every record of the dying batch was marked pending before its first write.
      const pending = [];
      for (const k of w.keys) if ((await w.snapshots.load(k))?.rowsPending === true) pending.push(k.recordId);
      if (killAt === 1) expect(pending).toEqual([]);
      else expect(pending.length).toBeGreaterThanOrEqual(2);

      // Annotators keep editing while no worker runs; some edits undo what the dead run wrote.
      const live = [];
      for (const k of w.keys) {
        const loaded = await w.edit(k, (ctx) => {
          relabel(ctx, alice, `e-${ctx.recordId}-a`, "car");
          relabel(ctx, alice, `e-${ctx.recordId}-new`, "motorbike");
        });
        // A half-written batch is ours (pending marks), never mistaken for someone else's edit.
        expect(loaded.externalChanges).toBe(false);
        live.push(loaded);
      }

      const worker = start();
      await worker.reply((r) => r.type === "ready");
      for (const [i, k] of w.keys.entries()) worker.send({ type: "flush", id: 10 + i, ...k });
      for (const [i, k] of w.keys.entries()) {
        expect(await worker.reply((r) => r.type !== "ready" && r.id === 10 + i)).toMatchObject({
          type: "flushed",
          ...k,
        });
        expect(await w.rowsMatch(k, live[i]!)).toBe(true);
        expect(await w.dataset.get("bboxes", `b-${k.recordId}-b`)).toBeNull();
        expect((await w.dataset.get("records", k.recordId))?.status).toBe("inProgress");
        expect((await w.snapshots.load(k))?.rowsPending).toBe(false);
      }
      // Idempotent: folding again writes nothing.
      for (const [i, k] of w.keys.entries()) worker.send({ type: "flush", id: 20 + i, ...k });
      for (const [i] of w.keys.entries()) {
        expect(await worker.reply((r) => r.type !== "ready" && r.id === 20 + i)).toMatchObject({
          type: "flushed",
          rowsWritten: 0,
          rowsDeleted: 0,
        });
      }
      const snapshotFiles = await fs.readdir(path.join(w.dataDir, ".tessera", "snapshots"), { recursive: true });
      expect(snapshotFiles.some((f) => String(f).includes(".tmp-"))).toBe(false);
    });
  }
});
