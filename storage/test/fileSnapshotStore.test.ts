import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSnapshotStore, SnapshotError, snapshotDir, type RecordKey, type RecordSnapshot } from "../src/index.js";
import { encodeId } from "../src/stateFiles.js";

const key: RecordKey = { datasetId: "ds ü", recordId: "../rec 1" };

function snapFile(dataDir: string, k: RecordKey): string {
  return path.join(snapshotDir(dataDir), encodeId(k.datasetId), encodeId(k.recordId) + ".snap");
}

function snapshot(n: number, extra: Partial<RecordSnapshot> = {}): RecordSnapshot {
  return {
    state: Uint8Array.from({ length: 1000 }, (_, i) => (i * n) & 0xff),
    foldedUpTo: n,
    rowsDigest: `digest-${n}`,
    savedAt: "2025-01-02T03:04:05.000Z",
    ...extra,
  };
}

describe("FileSnapshotStore", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-snap-"));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("returns null for a record without a snapshot", async () => {
    expect(await new FileSnapshotStore({ dataDir }).load(key)).toBeNull();
  });

  it("loads what was saved, from a new instance (after a restart)", async () => {
    await new FileSnapshotStore({ dataDir }).save(key, snapshot(3, { rowsPending: true }));
    const loaded = await new FileSnapshotStore({ dataDir }).load(key);
    expect(loaded).not.toBeNull();
    expect([...loaded!.state]).toEqual([...snapshot(3).state]);
    expect(loaded).toMatchObject({
      foldedUpTo: 3,
      rowsDigest: "digest-3",
      savedAt: "2025-01-02T03:04:05.000Z",
      rowsPending: true,
    });
  });

  it("a save replaces the previous snapshot whole", async () => {
    const store = new FileSnapshotStore({ dataDir });
    await store.save(key, snapshot(1));
    await store.save(key, snapshot(2));
    const loaded = await store.load(key);
    expect(loaded?.foldedUpTo).toBe(2);
    expect(loaded?.rowsPending).toBe(false);
    expect([...loaded!.state]).toEqual([...snapshot(2).state]);
    expect(await fs.readdir(path.dirname(snapFile(dataDir, key)))).toHaveLength(1);
  });

  it("ignores a temp file left by a crash before the rename (the old snapshot stays current)", async () => {
    const store = new FileSnapshotStore({ dataDir });
    await store.save(key, snapshot(1));
    const target = snapFile(dataDir, key);
    await fs.writeFile(`${target}.tmp-4242-abcdef`, Buffer.from("half a snapshot"));
    expect((await store.load(key))?.foldedUpTo).toBe(1);
    const other: RecordKey = { datasetId: key.datasetId, recordId: "never saved" };
    await fs.writeFile(`${snapFile(dataDir, other)}.tmp-4242-abcdef`, Buffer.from("half"));
    expect(await store.load(other)).toBeNull();
    await store.save(other, snapshot(5));
    expect((await store.load(other))?.foldedUpTo).toBe(5);
  });

  it("refuses a corrupted snapshot with a typed error", async () => {
    const store = new FileSnapshotStore({ dataDir });
    await store.save(key, snapshot(1));
    const file = snapFile(dataDir, key);
    const buf = await fs.readFile(file);
    buf.writeUInt8(buf.readUInt8(buf.length - 10) ^ 0x55, buf.length - 10);
    await fs.writeFile(file, buf);
    const err = await store.load(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotError);
    expect((err as SnapshotError).reason).toBe("corrupt");
    await fs.writeFile(file, buf.subarray(0, 40));
    await expect(store.load(key)).rejects.toMatchObject({ reason: "corrupt" });
  });

  it("refuses a snapshot that belongs to another record", async () => {
    const store = new FileSnapshotStore({ dataDir });
    const other: RecordKey = { datasetId: key.datasetId, recordId: "other" };
    await store.save(other, snapshot(1));
    await fs.copyFile(snapFile(dataDir, other), snapFile(dataDir, key));
    await expect(store.load(key)).rejects.toMatchObject({ reason: "key_mismatch" });
  });

  it("delete removes the snapshot; deleting a missing one is a no-op", async () => {
    const store = new FileSnapshotStore({ dataDir });
    await store.save(key, snapshot(1));
    await store.delete(key);
    expect(await store.load(key)).toBeNull();
    await store.delete(key);
  });
});
