import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "vitest";
import { mulberry32 } from "@tessera/shared-crdt";
import { ProcessRegistry, RecordLeases } from "@tessera/storage";
import { groupWorld, someEdits, until, type GroupWorld } from "./persistGroupWorld.js";

/** Fold results published on a done channel, by job id. */
async function collectResults(world: GroupWorld, reply: string): Promise<Map<string, Record<string, unknown>>> {
  const sub = world.redis.client();
  const results = new Map<string, Record<string, unknown>>();
  sub.on("message", (_channel: string, text: string) => {
    const r = JSON.parse(text) as Record<string, unknown>;
    results.set(String(r.id), r);
  });
  await sub.subscribe(world.keys.done(reply));
  return results;
}

// Quick failover for the tests: a job idle 1 s in a dead worker's list is claimed.
const FAST = { TESSERA_PERSIST_CLAIM_MIN_IDLE_MS: "1000" };

/**
 * Runs `body` on a world of its own (its own redis-server, DATA_DIR and workers), closed afterwards. Each test
 * has its world, so the tests run concurrently: most of their time is waiting (a worker's start, a dead
 * worker's heartbeat and idle time running out), which overlaps.
 */
async function inWorld(records: number, body: (w: GroupWorld) => Promise<void>): Promise<void> {
  const w = await groupWorld(records);
  try {
    await body(w);
  } finally {
    await w.close();
  }
}

describe.concurrent("group persist workers: a worker killed at any persist step loses nothing", () => {
  // Steps of a batch of these edits: pending snapshots, entity upserts, bbox upserts, record rows,
  // final snapshots. Each seed picks the step the first worker dies at.
  const seeds = (process.env.TESSERA_CRASH_SEEDS ?? "1,2,3,4,5,6").split(",").map(Number);
  for (const seed of seeds) {
    const killAt = 1 + Math.floor(mulberry32(Math.imul(seed, 2654435761) >>> 0)() * 5);
    it(
      `SIGKILL before batch step ${killAt} (seed ${seed}): another worker claims the jobs, every edit ends in the rows`,
      { timeout: 150_000 },
      ({ expect }) =>
        inWorld(4, async (w) => {
          for (const k of w.records) await w.edit(k, someEdits("a"));
          const results = await collectResults(w, "web-1");
          const marker = path.join(os.tmpdir(), `tessera-group-kill-${process.pid}-${seed}-${Date.now()}`);
          const doomed = await w.startWorker({
            ...FAST,
            TESSERA_TEST_PERSIST_KILL_AT_STEP: String(killAt),
            TESSERA_TEST_PERSIST_KILL_MIN_RECORDS: "2",
            TESSERA_TEST_PERSIST_KILL_MARKER: marker,
          });
          for (const [i, k] of w.records.entries()) await w.enqueue(k, `j${i}`, "web-1");
          let died: { code: number | null; signal: NodeJS.Signals | null } | null = null;
          void doomed.exited.then((e) => (died = e));
          await until(
            "the first worker's death",
            30_000,
            () => died !== null,
            () => JSON.stringify(doomed.lines),
          );
          expect(died).toEqual({ code: null, signal: "SIGKILL" });
          // The dead worker answered at most the record it folded alone before the batch it died in.
          expect(results.size).toBeLessThanOrEqual(w.records.length - 2);
          const pendingMarks = [];
          for (const k of w.records)
            if ((await w.snapshots.load(k))?.rowsPending === true) pendingMarks.push(k.recordId);
          if (killAt === 1) expect(pendingMarks).toEqual([]);
          else expect(pendingMarks.length).toBeGreaterThanOrEqual(2);

          // Annotators keep editing on the owners while no worker runs.
          const docs = [];
          for (const k of w.records) docs.push(await w.edit(k, someEdits("b")));
          const rescuer = await w.startWorker(FAST);
          await until(
            "every job answered",
            60_000,
            () => results.size === w.records.length,
            () => JSON.stringify({ results: [...results.values()], rescuer: rescuer.lines }),
          );
          for (const [i, k] of w.records.entries()) {
            expect(results.get(`j${i}`)?.error, k.recordId).toBeUndefined();
            // A job answered by the dead worker predates the new edits: fold those with one more job.
            if (Number(results.get(`j${i}`)?.upTo) < Number(await w.client.get(w.keys.pos(k))))
              await w.enqueue(k, `again${i}`, "web-1");
          }
          await until("every record folded up to its last entry", 60_000, async () => {
            for (const k of w.records) if ((await w.streamLength(k)) > 0) return false;
            return true;
          });
          for (const [i, k] of w.records.entries()) {
            expect(await w.rowsMatch(k, docs[i]!), k.recordId).toBe(true);
            expect((await w.snapshots.load(k))?.rowsPending, k.recordId).toBe(false);
            expect(await w.dataset.get("bboxes", `b-${k.recordId}-b`), k.recordId).not.toBeNull();
          }
          // The rescuer took over the dead worker's jobs (XAUTOCLAIM) and its fold locks.
          expect(rescuer.lines.some((l) => l.message === "claimed a stale job")).toBe(true);
          // Every job acknowledged and removed (the orphan sweep may have queued some meanwhile).
          await until(
            "the jobs stream empty",
            30_000,
            async () => Number(await w.client.call("XLEN", w.keys.jobs)) === 0,
          );
        }),
    );
  }
});

describe.concurrent("group persist workers: a poison job", () => {
  it("a job whose fold kills every worker is given up after TESSERA_PERSIST_MAX_DELIVERIES claims, answered with an error; the worker lives on", ({
    expect,
  }) =>
    inWorld(1, async (w) => {
      const [key] = w.records;
      await w.edit(key!, someEdits("a"));
      const results = await collectResults(w, "web-1");
      // Every worker started with this dies before the first step of any fold.
      const deadly = { ...FAST, TESSERA_PERSIST_MAX_DELIVERIES: "2", TESSERA_TEST_PERSIST_KILL_AT_STEP: "1" };
      await w.enqueue(key!, "poison", "web-1");
      for (let i = 0; i < 2; i++) {
        const victim = await w.startWorker(deadly);
        expect(await victim.exited).toEqual({ code: null, signal: "SIGKILL" });
      }
      const survivor = await w.startWorker(deadly);
      await until("the poison job answered", 60_000, () => results.has("poison"));
      expect(String(results.get("poison")?.error)).toContain("gave up after 3 deliveries");
      expect(survivor.lines.some((l) => l.message === "giving up on a job that kills its workers")).toBe(true);
      expect(survivor.child.exitCode).toBeNull();
      expect(Number(await w.client.call("XLEN", w.keys.jobs))).toBe(0);
      // The record's edits are still in its stream, for the next flush once the cause is fixed.
      expect(await w.streamLength(key!)).toBeGreaterThan(0);
    }));
});

describe.concurrent("group persist workers: the orphan sweep", () => {
  it("folds the logs of records whose owner died or never flushed (no live lease), and leaves a live owner's log to it", ({
    expect,
  }) =>
    inWorld(3, async (w) => {
      const [orphan, owned, ghosted] = w.records;
      // r1: entries and no lease at all (an owner that never flushed and whose lease expired).
      const orphanDoc = await w.edit(orphan!, someEdits("a"));
      // r2: a live web process holds the lease: its own flushes will fold it.
      const web = new ProcessRegistry(w.client, w.keys);
      await web.start({
        kind: "web",
        url: null,
        pid: process.pid,
        host: os.hostname(),
        startedAt: new Date().toISOString(),
      });
      const leases = new RecordLeases(w.client, w.keys, web.processId);
      expect((await leases.acquire(owned!)).kind).toBe("acquired");
      leases.startRenewing((key) => {
        throw new Error(`the test's lease on ${key.recordId} was lost`);
      });
      await w.edit(owned!, someEdits("a"));
      // r3: the lease names a process whose heartbeat is gone (it died before flushing).
      expect((await new RecordLeases(w.client, w.keys, "dead-process").acquire(ghosted!)).kind).toBe("acquired");
      const ghostedDoc = await w.edit(ghosted!, someEdits("a"));

      const sweeper = await w.startWorker({
        TESSERA_PERSIST_SWEEP_MS: "200",
        TESSERA_PERSIST_FLUSH_MAX_WAIT_MS: "500",
      });
      await until("the orphans folded", 30_000, async () => {
        return (await w.streamLength(orphan!)) === 0 && (await w.streamLength(ghosted!)) === 0;
      });
      expect(await w.rowsMatch(orphan!, orphanDoc)).toBe(true);
      expect(await w.rowsMatch(ghosted!, ghostedDoc)).toBe(true);
      // A negative check needs a window: ten more sweep periods, the live owner's log stays its own.
      const swept = () => sweeper.lines.filter((l) => l.message === "orphan logs queued").length;
      const before = swept();
      const t0 = Date.now();
      await until("ten sweep periods", 10_000, () => Date.now() - t0 > 2_000);
      expect(await w.streamLength(owned!)).toBeGreaterThan(0);
      expect(swept()).toBe(before);
      leases.stop();
      await web.stop();
    }));
});
