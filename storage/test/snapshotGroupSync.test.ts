import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSnapshotStore, type RecordKey, type RecordSnapshot, type SyncFn } from "../src/index.js";

/** The real fsyncs, counted by what they sync (a folder or a file). */
function countingSync(): { sync: SyncFn; dirs: () => number; files: () => number } {
  let dirs = 0;
  let files = 0;
  const sync: SyncFn = async (h, kind) => {
    if ((await h.stat()).isDirectory()) dirs++;
    else files++;
    await (kind === "data" ? h.datasync() : h.sync());
  };
  return { sync, dirs: () => dirs, files: () => files };
}

const snapshot = (i: number): RecordSnapshot => ({
  state: Uint8Array.from([0, 0, i % 256]),
  foldedUpTo: i,
  rowsDigest: `d${i}`,
  savedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  rowsPending: false,
});

describe("FileSnapshotStore: saves running together share their folder's fsync", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-snapgroup-"));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("64 first snapshots saved at once: one fsync per file, far fewer than 64 folder fsyncs", async () => {
    const counted = countingSync();
    const store = new FileSnapshotStore({ dataDir, sync: counted.sync });
    await store.save({ datasetId: "ds", recordId: "warm-up" }, snapshot(0)); // creates the folders
    const dirsBefore = counted.dirs();
    const keys: RecordKey[] = Array.from({ length: 64 }, (_, i) => ({ datasetId: "ds", recordId: `r${i}` }));
    await Promise.all(keys.map((k, i) => store.save(k, snapshot(i + 1))));
    const dirSyncs = counted.dirs() - dirsBefore;
    console.log(`64 concurrent saves: ${dirSyncs} folder fsyncs, ${counted.files() - 1} file fsyncs`);
    expect(counted.files()).toBe(65);
    expect(dirSyncs).toBeGreaterThanOrEqual(1);
    expect(dirSyncs).toBeLessThanOrEqual(32);
    const fresh = new FileSnapshotStore({ dataDir });
    for (const [i, k] of keys.entries()) expect(await fresh.load(k)).toMatchObject({ foldedUpTo: i + 1 });
  });

  it("a save after its dataset's folder was removed makes the folder again", async () => {
    const store = new FileSnapshotStore({ dataDir });
    const key = { datasetId: "ds", recordId: "r1" };
    await store.save(key, snapshot(1));
    await fs.rm(path.join(dataDir, ".tessera", "snapshots"), { recursive: true });
    await store.save(key, snapshot(2));
    expect(await new FileSnapshotStore({ dataDir }).load(key)).toMatchObject({ foldedUpTo: 2 });
  });
});
