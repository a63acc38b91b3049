import { describe, it } from "vitest";
import { recordTag, type RecordKey } from "@tessera/storage";
import { groupWorld, someEdits, until, type GroupWorker, type GroupWorld } from "./persistGroupWorld.js";

/** The fold history a worker logged (`TESSERA_PERSIST_TRACE`): one lock hold per fold. */
function folds(w: GroupWorker): Array<{ tag: string; from: number; to: number; upTo: number; worker: string }> {
  return w.lines
    .filter((l) => l.message === "fold")
    .map((l) => ({
      tag: String(l.tag),
      from: Number(l.from),
      to: Number(l.to),
      upTo: Number(l.upTo),
      worker: w.processId,
    }));
}

/** Results published on a done channel, by job id. */
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

async function lastPositions(world: GroupWorld, keys: readonly RecordKey[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k.recordId, Number(await world.client.get(world.keys.pos(k))));
  return out;
}

// The tests run concurrently, each on its own world (its own redis-server, DATA_DIR and workers).
describe.concurrent("group persist workers: a Redis consumer group folding record streams", () => {
  it("two workers fold 200 records' streams (every record asked twice): one fold of a record at a time, every edit in LanceDB, streams trimmed", async ({
    expect,
    onTestFinished,
  }) => {
    const w = await groupWorld(200);
    onTestFinished(() => w.close());
    const docs = [];
    for (const k of w.records) docs.push(await w.edit(k, someEdits("a")));
    const positions = await lastPositions(w, w.records);
    const results = await collectResults(w, "web-1");
    const [a, b] = await Promise.all([w.startWorker(), w.startWorker()]);
    // Each record asked twice, so both workers may hold jobs of the same record at once.
    for (const [i, k] of w.records.entries()) await w.enqueue(k, `j${i}`, "web-1");
    for (const [i, k] of w.records.entries()) await w.enqueue(k, `k${i}`, "web-1");
    await until("400 fold results", 120_000, () => results.size === 400);

    for (const [i, k] of w.records.entries()) {
      const first = results.get(`j${i}`);
      expect(first, k.recordId).toMatchObject({ tag: recordTag(k) });
      expect(first?.error, k.recordId).toBeUndefined();
      // Whoever folded first folded everything; the other job found nothing left, or the same.
      const ups = [first?.upTo, results.get(`k${i}`)?.upTo].map(Number);
      expect(Math.max(...ups)).toBe(positions.get(k.recordId));
    }
    const history = [...folds(a!), ...folds(b!)];
    const byTag = new Map<string, typeof history>();
    for (const f of history) byTag.set(f.tag, [...(byTag.get(f.tag) ?? []), f]);
    expect(byTag.size).toBe(200);
    // Two jobs of one record in one worker share its lock (and `PersistQueue` folds a record once at
    // a time); across workers, lock holds of a record never overlap.
    const overlaps: string[] = [];
    for (const list of byTag.values())
      for (const x of list)
        for (const y of list)
          if (x.worker < y.worker && x.from < y.to && y.from < x.to)
            overlaps.push(`${x.tag}: [${x.from}, ${x.to}] and [${y.from}, ${y.to}]`);
    expect(overlaps).toEqual([]);
    const crossed = [...byTag.values()].filter((l) => new Set(l.map((f) => f.worker)).size > 1).length;
    // One dataset: one worker folds it at a time, the other hands its jobs to the lock's holder.
    expect(folds(a!).length + folds(b!).length).toBeGreaterThanOrEqual(200);
    const handed = (x: GroupWorker) => x.lines.filter((l) => l.message === "handed over").length;
    console.log(
      `folds: worker A ${folds(a!).length}, worker B ${folds(b!).length} (400 jobs, 200 records; ${crossed} records folded by both; ` +
        `jobs handed to the lock's holder: A ${handed(a!)}, B ${handed(b!)})`,
    );

    for (const [i, k] of w.records.entries()) {
      expect(await w.rowsMatch(k, docs[i]!), k.recordId).toBe(true);
      expect(await w.streamLength(k), k.recordId).toBe(0);
    }
    expect(await w.client.scard(w.keys.logs)).toBe(0);
    // Acknowledged and removed: the jobs stream keeps nothing done.
    expect(Number(await w.client.call("XLEN", w.keys.jobs))).toBe(0);
  });

  it("SIGTERM stops a worker after the folds under way: it exits 0 unregistered, every job is answered or left to the next worker", async ({
    expect,
    onTestFinished,
  }) => {
    const w = await groupWorld(40);
    onTestFinished(() => w.close());
    const docs = [];
    for (const k of w.records) docs.push(await w.edit(k, someEdits("a")));
    const results = await collectResults(w, "web-1");
    // Batches of 4: at most 8 jobs in hand, so most of the 40 are still unread when it stops.
    const first = await w.startWorker({ TESSERA_PERSIST_BATCH: "4" });
    for (const [i, k] of w.records.entries()) await w.enqueue(k, `j${i}`, "web-1");
    await until("a first fold", 60_000, () => first.lines.some((l) => l.message === "fold"));
    first.child.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(await w.client.exists(w.keys.proc(first.processId))).toBe(0);
    // What it answered is folded; the rest waits in the group (unread, or handed back) for the next worker.
    const answered = results.size;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(w.records.length);
    const second = await w.startWorker({ TESSERA_PERSIST_CLAIM_MIN_IDLE_MS: "1000" });
    await until("every job answered", 60_000, () => results.size === w.records.length);
    for (const [i, k] of w.records.entries()) {
      expect(results.get(`j${i}`)?.error, k.recordId).toBeUndefined();
      expect(await w.rowsMatch(k, docs[i]!), k.recordId).toBe(true);
    }
    console.log(
      `SIGTERM: ${answered} of 40 jobs answered by the first worker, ${folds(second).length} folds by the second`,
    );
  });
});
