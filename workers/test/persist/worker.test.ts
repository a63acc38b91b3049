import { withCustom } from "@tessera/shared-crdt";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "vitest";
import { canonicalRows, readRecordRows } from "@tessera/storage";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  patchRecord,
  relabel,
  rowsOfDoc,
  serverOrigin,
  transact,
  updateRow,
  type DocContext,
} from "@tessera/shared-crdt";
import { serverSide, shuffled, startWorker, type ServerSide, type WorkerUnderTest } from "./fixture.js";

const alice = clientOrigin("alice");

/**
 * A test's own server side and the workers it starts on it, all ended when the test finishes: each test has
 * its own, so they run concurrently (most of their time is worker processes starting).
 */
async function fixture(onTestFinished: (fn: () => Promise<void>) => void): Promise<{
  s: ServerSide;
  start: (env?: Record<string, string>) => WorkerUnderTest;
}> {
  const s = await serverSide();
  const workers: WorkerUnderTest[] = [];
  onTestFinished(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await w.exited;
    }
    await s.close();
  });
  const start = (env: Record<string, string> = {}) => {
    const w = startWorker(s.dataDir, env);
    workers.push(w);
    return w;
  };
  return { s, start };
}

describe.concurrent("persist worker process", () => {
  it("answers ready, then flushes a record's log into its rows over IPC", async ({ expect, onTestFinished }) => {
    const { s, start } = await fixture(onTestFinished);
    const loaded = await s.edit((ctx) => {
      relabel(ctx, alice, "e1", "truck");
      updateRow(ctx, alice, "bboxes", "b2", { coords: [0.4, 0.4, 0.1, 0.1] });
    });
    const w = start();
    await w.reply((r) => r.type === "ready");
    w.send({ type: "flush", id: 7, ...s.key });
    const reply = await w.reply((r) => r.type !== "ready");
    expect(reply).toEqual({
      type: "flushed",
      id: 7,
      datasetId: "ds",
      recordId: "r1",
      upTo: 2,
      rowsWritten: 2,
      rowsDeleted: 0,
      statusChanged: false,
    });
    expect(canonicalRows(await readRecordRows(s.dataset, "r1"))).toBe(canonicalRows(rowsOfDoc(loaded.doc)));
    // It never writes the log: the server trims it.
    expect((await s.log.read(s.key)).map((e) => e.pos)).toEqual([1, 2]);
  });

  it("replies failed for an unknown dataset or a record never loaded, ignores malformed messages, and keeps serving", async ({
    expect,
    onTestFinished,
  }) => {
    const { s, start } = await fixture(onTestFinished);
    const w = start();
    await w.reply((r) => r.type === "ready");
    w.send({ type: "flush", id: "not a number" });
    w.send({ type: "flush", id: 1, datasetId: "nope", recordId: "r1" });
    w.send({ type: "flush", id: 2, datasetId: "ds", recordId: "r2" });
    const r1 = await w.reply((r) => r.type === "failed" && r.id === 1);
    const r2 = await w.reply((r) => r.type === "failed" && r.id === 2);
    expect(r1.type === "failed" && r1.error).toMatch(/dataset_not_found|not found/);
    expect(r2.type === "failed" && r2.error).toMatch(/no snapshot/);
    await s.edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    w.send({ type: "flush", id: 3, ...s.key });
    expect(await w.reply((r) => r.type === "flushed" && r.id === 3)).toMatchObject({ upTo: 1 });
  });

  it("stops cleanly on a shutdown message, finishing the flush it was given first", async ({
    expect,
    onTestFinished,
  }) => {
    const { s, start } = await fixture(onTestFinished);
    await s.edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const w = start();
    await w.reply((r) => r.type === "ready");
    w.send({ type: "flush", id: 1, ...s.key });
    w.send({ type: "shutdown" });
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.replies.find((r) => r.type === "flushed")).toMatchObject({ id: 1 });
    expect((await s.dataset.get("entities", "e1"))?.category).toBe("truck");
  });

  it("stops when its IPC channel closes (the server went away)", async ({ expect, onTestFinished }) => {
    const { start } = await fixture(onTestFinished);
    const w = start();
    await w.reply((r) => r.type === "ready");
    w.child.disconnect();
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });

  describe("crash test: SIGKILL during a flush, restart, flush again", () => {
    function scenario(ctx: DocContext): void {
      relabel(ctx, alice, "e1", "truck");
      deleteRows(ctx, alice, "entities", ["e2"]);
      createEntity(ctx, alice, {
        entity: withCustom({ id: "e5" }, { category: "bike" }),
        annotation: { table: "bboxes", row: { id: "b5", view_id: "img1", coords: [0.6, 0.6, 0.1, 0.1] } },
      });
      transact(ctx.doc, serverOrigin("workflow"), () => patchRecord(ctx.doc, { status: "inProgress" }));
    }

    // Steps of this scenario's persist: pending snapshot, 3 deletes, 2 upserts, record, final snapshot.
    const seed = Number(process.env.TESSERA_CRASH_SEED ?? 20250601);
    const points = shuffled([1, 2, 3, 4, 5, 6, 7, 8], seed).slice(0, 5);

    for (const killAt of points) {
      it(`killed before step ${killAt} (seed ${seed}): nothing lost, rows equal the document`, async ({
        expect,
        onTestFinished,
      }) => {
        const { s, start } = await fixture(onTestFinished);
        await s.edit(scenario);
        const doomed = start({ TESSERA_TEST_PERSIST_KILL_AT_STEP: String(killAt) });
        await doomed.reply((r) => r.type === "ready");
        doomed.send({ type: "flush", id: 1, ...s.key });
        expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
        expect(doomed.replies.some((r) => r.type === "flushed")).toBe(false);

        // Annotators keep editing while no worker runs; some edits undo what the dead run wrote.
        const live = await s.edit((ctx) => {
          relabel(ctx, alice, "e1", "car");
          relabel(ctx, alice, "e5", "motorbike");
        });
        expect(live.externalChanges).toBe(false);

        const w = start();
        await w.reply((r) => r.type === "ready");
        w.send({ type: "flush", id: 2, ...s.key });
        expect(await w.reply((r) => r.type !== "ready")).toMatchObject({ type: "flushed", id: 2, upTo: 6 });
        expect(canonicalRows(await readRecordRows(s.dataset, "r1"))).toBe(canonicalRows(rowsOfDoc(live.doc)));
        expect(await s.dataset.get("bboxes", "b2")).toBeNull();
        expect((await s.dataset.get("records", "r1"))?.status).toBe("inProgress");
        w.send({ type: "flush", id: 3, ...s.key });
        expect(await w.reply((r) => r.type !== "ready" && r.id === 3)).toMatchObject({
          type: "flushed",
          rowsWritten: 0,
          rowsDeleted: 0,
        });
        const snapshotFiles = await fs.readdir(path.join(s.dataDir, ".tessera", "snapshots"), { recursive: true });
        expect(snapshotFiles.some((f) => String(f).includes(".tmp-"))).toBe(false);
      });
    }
  });
});
