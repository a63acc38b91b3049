import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalRows, readRecordRows } from "@tessera/storage";
import { clientOrigin, relabel, rowsOfDoc, updateRow } from "@tessera/shared-crdt";
import {
  ChildProcessPersister,
  InProcessPersister,
  PersistError,
  type ChildProcessPersisterOptions,
} from "../../src/persist/index.js";
import { serverSide, type ServerSide } from "./fixture.js";

const alice = clientOrigin("alice");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

/**
 * A test's own server side and the persisters it makes on it, closed when the test finishes: each test has
 * its own, so they run concurrently (most of their time is worker processes starting).
 */
async function fixture(onTestFinished: (fn: () => Promise<void>) => void): Promise<{
  s: ServerSide;
  make: (options?: Partial<ChildProcessPersisterOptions>) => ChildProcessPersister;
}> {
  const s = await serverSide();
  const persisters: ChildProcessPersister[] = [];
  onTestFinished(async () => {
    for (const p of persisters.splice(0)) await p.close();
    await s.close();
  });
  const make = (options: Partial<ChildProcessPersisterOptions> = {}) => {
    const p = new ChildProcessPersister({ dataDir: s.dataDir, workerStderr: "ignore", ...options });
    persisters.push(p);
    return p;
  };
  return { s, make };
}

describe.concurrent("ChildProcessPersister", () => {
  it("flushes through the real worker process", async ({ expect, onTestFinished }) => {
    const { s, make } = await fixture(onTestFinished);
    const loaded = await s.edit((ctx) => {
      relabel(ctx, alice, "e1", "truck");
      updateRow(ctx, alice, "bboxes", "b1", { coords: [0.3, 0.3, 0.1, 0.1] });
    });
    const persister = make();
    const result = await persister.flush(s.key);
    expect(result).toEqual({ upTo: 2, rowsWritten: 2, rowsDeleted: 0, statusChanged: false });
    expect(canonicalRows(await readRecordRows(s.dataset, "r1"))).toBe(canonicalRows(rowsOfDoc(loaded.doc)));
    expect(await persister.flush(s.key)).toEqual({ upTo: 2, rowsWritten: 0, rowsDeleted: 0, statusChanged: false });
  });

  it("a failed persist rejects that flush with the worker's reason", async ({ expect, onTestFinished }) => {
    const { make } = await fixture(onTestFinished);
    const persister = make();
    const err = await persister.flush({ datasetId: "ds", recordId: "r2" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistError);
    expect((err as PersistError).reason).toBe("failed");
    expect((err as PersistError).message).toMatch(/no snapshot/);
  });

  it("looks up row owners in the worker (SPEC D-OWNER): existing ids with their record, none for the others; a table the dataset lacks fails", async ({
    expect,
    onTestFinished,
  }) => {
    const { make } = await fixture(onTestFinished);
    const persister = make();
    const owners = await persister.rowOwners("ds", "bboxes", ["b1", "b2", "nope"]);
    expect([...owners].sort()).toEqual([
      ["b1", "r1"],
      ["b2", "r1"],
    ]);
    expect((await persister.rowOwners("ds", "entities", ["e9"])).size).toBe(0);
    const err = await persister.rowOwners("ds", "tracklets", ["t1"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistError);
    expect((err as PersistError).message).toMatch(/has no table "tracklets"/);
    const gone = await persister.rowOwners("no_such_ds", "bboxes", ["b1"]).catch((e: unknown) => e);
    expect((gone as PersistError).message).toMatch(/not found/);
  });

  it("restarts a worker killed while idle; the next flush completes", async ({ expect, onTestFinished }) => {
    const { s, make } = await fixture(onTestFinished);
    await s.edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const persister = make();
    await persister.whenReady();
    const first = persister.pid!;
    process.kill(first, "SIGKILL");
    await expect.poll(() => alive(first)).toBe(false);
    expect(await persister.flush(s.key)).toMatchObject({ upTo: 1, rowsWritten: 1 });
    expect(persister.pid).not.toBe(first);
  });

  it("a worker killed in the middle of a flush is restarted and the pending flush completes", async ({
    expect,
    onTestFinished,
  }) => {
    const { s, make } = await fixture(onTestFinished);
    const loaded = await s.edit((ctx) => {
      relabel(ctx, alice, "e1", "truck");
      relabel(ctx, alice, "e2", "cyclist");
    });
    const marker = path.join(s.dataDir, "killed-once");
    const persister = make({
      env: { TESSERA_TEST_PERSIST_KILL_AT_STEP: "2", TESSERA_TEST_PERSIST_KILL_MARKER: marker },
    });
    await persister.whenReady();
    const first = persister.pid!;
    const result = await persister.flush(s.key);
    expect(await fs.readFile(marker, "utf8")).toBe(String(first));
    expect(persister.pid).not.toBe(first);
    expect(result).toMatchObject({ upTo: 2, rowsWritten: 2 });
    expect(canonicalRows(await readRecordRows(s.dataset, "r1"))).toBe(canonicalRows(rowsOfDoc(loaded.doc)));
  });

  it("a flush that kills every worker fails after maxAttempts instead of hanging", async ({
    expect,
    onTestFinished,
  }) => {
    const { s, make } = await fixture(onTestFinished);
    await s.edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const persister = make({ env: { TESSERA_TEST_PERSIST_KILL_AT_STEP: "1" }, maxAttempts: 2 });
    const err = await persister.flush(s.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistError);
    expect((err as PersistError).reason).toBe("worker_crashed");
  });

  it("a worker that cannot start fails pending flushes as unavailable", async ({ expect, onTestFinished }) => {
    const { s, make } = await fixture(onTestFinished);
    const entry = path.join(s.dataDir, "broken-worker.ts");
    await fs.writeFile(entry, 'throw new Error("cannot start");\n');
    const persister = make({ workerEntry: entry, maxStartFailures: 3, restartDelayMs: () => 0 });
    const err = await persister.flush(s.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistError);
    expect((err as PersistError).reason).toBe("unavailable");
  });

  it("close stops the worker; later flushes are refused", async ({ expect, onTestFinished }) => {
    const { s, make } = await fixture(onTestFinished);
    const persister = make();
    await persister.whenReady();
    const pid = persister.pid!;
    await persister.close();
    expect(alive(pid)).toBe(false);
    await expect(persister.flush(s.key)).rejects.toMatchObject({ reason: "closed" });
  });
});

describe("InProcessPersister", () => {
  let s: ServerSide;
  beforeEach(async () => {
    s = await serverSide();
  });
  afterEach(async () => {
    await s.close();
  });

  it("persists in the server process through the same queue", async () => {
    const loaded = await s.edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const persister = new InProcessPersister({
      datasets: { open: async (id) => (id === "ds" ? s.dataset : null) },
      log: s.log,
      snapshots: s.snapshots,
    });
    expect(await persister.flush(s.key)).toEqual({ upTo: 1, rowsWritten: 1, rowsDeleted: 0, statusChanged: false });
    expect(canonicalRows(await readRecordRows(s.dataset, "r1"))).toBe(canonicalRows(rowsOfDoc(loaded.doc)));
    await expect(persister.flush({ datasetId: "nope", recordId: "r1" })).rejects.toMatchObject({
      name: "PersistError",
      reason: "failed",
    });
    await persister.close();
    await expect(persister.flush(s.key)).rejects.toMatchObject({ reason: "closed" });
  });
});
