import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import * as lancedb from "@lancedb/lancedb";
import { describe, it } from "vitest";
import { ProcessRegistry, recordTag } from "@tessera/storage";
import { groupWorld, someEdits, until, type GroupWorker, type GroupWorld } from "./persistGroupWorld.js";

const run = promisify(execFile);
const WRITER = fileURLToPath(new URL("./support/lanceWriter.ts", import.meta.url));

/** What a worker logged writing the dataset (`TESSERA_PERSIST_TRACE`): its folds and compactions. */
function writes(w: GroupWorker): Array<{ what: string; from: number; to: number; worker: string }> {
  return w.lines
    .filter((l) => l.message === "fold" || l.message === "compaction")
    .map((l) => ({
      what: `${String(l.message)} ${String(l.tag ?? l.datasetId)}`,
      from: Number(l.from),
      to: Number(l.to),
      worker: w.processId,
    }));
}

async function results(world: GroupWorld, reply: string): Promise<Map<string, Record<string, unknown>>> {
  const sub = world.redis.client();
  const out = new Map<string, Record<string, unknown>>();
  sub.on("message", (_channel: string, text: string) => {
    const r = JSON.parse(text) as Record<string, unknown>;
    out.set(String(r.id), r);
  });
  await sub.subscribe(world.keys.done(reply));
  return out;
}

// The tests run concurrently, each on its own world or folder (most of their time is processes starting).
describe.concurrent("group persist workers: one writer per dataset across worker processes", () => {
  it("two worker processes never fold or compact one dataset at once (its LanceDB tables had two writers); every edit reaches the rows", async ({
    expect,
    onTestFinished,
  }) => {
    const w = await groupWorld(60);
    onTestFinished(() => w.close());
    const docs = [];
    for (const k of w.records) docs.push(await w.edit(k, someEdits("a")));
    const answers = await results(w, "web-1");
    // Small batches: many folds, so two writers would overlap many times.
    const env = { TESSERA_PERSIST_BATCH: "4" };
    const [a, b] = await Promise.all([w.startWorker(env), w.startWorker(env)]);
    // Each record asked twice, interleaved, so both workers hold jobs of the dataset at once.
    for (const [i, k] of w.records.entries()) {
      await w.enqueue(k, `j${i}`, "web-1");
      await w.enqueue(w.records[w.records.length - 1 - i]!, `k${i}`, "web-1");
    }
    await until("120 fold results", 120_000, () => answers.size === 120);
    for (const r of answers.values()) expect(r.error, String(r.tag)).toBeUndefined();

    const history = [...writes(a!), ...writes(b!)];
    const overlaps: string[] = [];
    for (const x of history)
      for (const y of history)
        if (x.worker < y.worker && x.from < y.to && y.from < x.to)
          overlaps.push(`${x.what} [${x.from}, ${x.to}] and ${y.what} [${y.from}, ${y.to}]`);
    expect(overlaps.slice(0, 5)).toEqual([]);
    const handed = (x: GroupWorker) => x.lines.filter((l) => l.message === "handed over").length;
    console.log(
      `one dataset, two workers: folds and compactions A ${writes(a!).length}, B ${writes(b!).length}; ` +
        `jobs handed to the lock's holder: A ${handed(a!)}, B ${handed(b!)}`,
    );
    for (const [i, k] of w.records.entries()) {
      expect(await w.rowsMatch(k, docs[i]!), recordTag(k)).toBe(true);
      expect(await w.streamLength(k), recordTag(k)).toBe(0);
    }
    expect(await w.client.exists(w.keys.foldDataset(w.records[0]!.datasetId))).toBe(0);
    expect(Number(await w.client.call("XLEN", w.keys.jobs))).toBe(0);
  });

  it("LanceDB 0.31 with two writer processes on one table: merge-inserts and deletes all land (retried inside), a compaction can fail with a retryable commit conflict", async ({
    expect,
  }) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-lance2-"));
    try {
      const db = await lancedb.connect(dir);
      await db.createTable(
        "t",
        Array.from({ length: 50 }, (_, i) => ({ id: `seed-${i}`, writer: "seed", v: 0 })),
      );
      const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
      const writer = (name: string) =>
        run(process.execPath, ["--import", loader, WRITER, dir, name, "40", "compact"], { timeout: 120_000 });
      const outs = await Promise.all([writer("A"), writer("B")]);
      const reports = outs.map((o) => JSON.parse(o.stdout.trim()) as { name: string; errors: string[] });
      const table = await db.openTable("t");
      const rows = (await table.query().toArray()) as Array<{ id: string; writer: string; v: number }>;
      // No write lost, no id twice: every writer's ten ids hold its last value.
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (const name of ["A", "B"]) {
        const mine = rows.filter((r) => r.writer === name);
        expect(mine.length, name).toBe(10);
        expect(Math.max(...mine.map((r) => r.v)), name).toBe(39);
      }
      const errors = reports.flatMap((r) => r.errors);
      // The only failures are compactions preempted by the other writer's commits.
      for (const e of errors) expect(e).toMatch(/Retryable commit conflict.*Rewrite transaction was preempted/s);
      console.log(
        `LanceDB, two writer processes: ${rows.length} rows, merge-inserts all landed; ` +
          `${errors.length} compactions failed with a retryable commit conflict`,
      );
      db.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("a job handed to the dataset's lock holder that then dies is folded by the next worker, not given up as a poison job (no fold ever ran on it)", async ({
    expect,
    onTestFinished,
  }) => {
    const w = await groupWorld(1);
    onTestFinished(() => w.close());
    const [key] = w.records;
    const doc = await w.edit(key!, someEdits("a"));
    const answers = await results(w, "web-1");
    // A live worker holds the dataset's fold lock (heartbeat beating) and never folds.
    const holder = new ProcessRegistry(w.client, w.keys);
    await holder.start({
      kind: "persist",
      url: null,
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
    });
    await w.client.set(w.keys.foldDataset(key!.datasetId), holder.processId, "PX", 60_000);
    // One claim is all a job may take: XPENDING's counter would give this one up at its first re-claim.
    const worker = await w.startWorker({
      TESSERA_PERSIST_CLAIM_MIN_IDLE_MS: "1000",
      TESSERA_PERSIST_MAX_DELIVERIES: "1",
    });
    await w.enqueue(key!, "j1", "web-1");
    await until(
      "the job handed to the lock's holder",
      20_000,
      () => worker.lines.some((l) => l.message === "handed over"),
      () => JSON.stringify(worker.lines.slice(-5)),
    );
    // The holder dies (its heartbeat key gone; its lock left behind, as after a SIGKILL).
    await holder.stop();
    await until(
      "the job answered",
      30_000,
      () => answers.has("j1"),
      () => JSON.stringify(worker.lines.slice(-5)),
    );
    expect(answers.get("j1")?.error).toBeUndefined();
    expect(await w.rowsMatch(key!, doc)).toBe(true);
    expect(worker.lines.some((l) => l.message === "giving up on a job that kills its workers")).toBe(false);
  });
});
