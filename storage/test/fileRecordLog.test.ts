import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileRecordLog, RecordLogError, walDir, type RecordKey, type SyncFn } from "../src/index.js";
import { encodeId } from "../src/stateFiles.js";
import { registerRecordLogContract } from "./recordLogContract.js";

function walFile(dataDir: string, key: RecordKey): string {
  return path.join(walDir(dataDir), encodeId(key.datasetId), encodeId(key.recordId) + ".wal");
}

registerRecordLogContract("FileRecordLog", async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-wal-contract-"));
  let syncs = 0;
  const sync: SyncFn = async (h, kind) => {
    syncs++;
    await (kind === "data" ? h.datasync() : h.sync());
  };
  let current = new FileRecordLog({ dataDir, sync, onWarning: () => {} });
  return {
    get log() {
      return current;
    },
    async reopen() {
      await current.close();
      current = new FileRecordLog({ dataDir, sync, onWarning: () => {} });
      return current;
    },
    durabilityOps: () => syncs,
    async tearLastEntry(key) {
      await current.close();
      const file = walFile(dataDir, key);
      const { size } = await fs.stat(file);
      await fs.truncate(file, size - 3);
    },
    async cleanup() {
      await current.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe("FileRecordLog (file specifics)", () => {
  let dataDir: string;
  const key: RecordKey = { datasetId: "ds", recordId: "r1" };

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-wal-"));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("appends arriving while an fsync is in flight are committed together by the next round's single fsync", async () => {
    let gate: (() => void) | null = null;
    let held = false;
    const dataSyncs: number[] = [];
    const sync: SyncFn = async (h, kind) => {
      if (kind === "data") {
        dataSyncs.push(Date.now());
        if (!held) {
          held = true;
          await new Promise<void>((resolve) => (gate = resolve));
        }
      }
      await (kind === "data" ? h.datasync() : h.sync());
    };
    const log = new FileRecordLog({ dataDir, sync });
    try {
      const first = log.append(key, Uint8Array.of(0));
      // Wait until the first round is blocked inside its fsync.
      await expect.poll(() => gate !== null).toBe(true);
      const later = Array.from({ length: 30 }, (_, i) => log.append(key, Uint8Array.of(i + 1)));
      const before = log.stats();
      gate!();
      expect(await first).toBe(1);
      expect(await Promise.all(later)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
      const after = log.stats();
      expect(dataSyncs).toHaveLength(2);
      expect(after.rounds - before.rounds).toBe(1);
      expect(after.appends).toBe(31);
    } finally {
      await log.close();
    }
  });

  it("truncates a torn tail on open, so the next append lands right after the last good entry", async () => {
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    await log.append(key, new Uint8Array(100).fill(1));
    await log.append(key, new Uint8Array(100).fill(2));
    await log.close();
    const file = walFile(dataDir, key);
    const full = (await fs.stat(file)).size;
    await fs.truncate(file, full - 50);
    const warnings: string[] = [];
    const reopened = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    expect((await reopened.read(key)).map((e) => e.pos)).toEqual([1]);
    expect(warnings.join()).toMatch(/torn tail/);
    expect((await fs.stat(file)).size).toBe(full - 116);
    expect(await reopened.append(key, Uint8Array.of(3))).toBe(2);
    await reopened.close();
    const again = new FileRecordLog({ dataDir });
    expect((await again.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, ...new Uint8Array(100).fill(1)],
      [2, 3],
    ]);
    await again.close();
  });

  it("detects a flipped byte inside the last entry (checksum) and drops it", async () => {
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    await log.append(key, Uint8Array.of(1, 2, 3));
    await log.append(key, Uint8Array.of(4, 5, 6));
    await log.close();
    const file = walFile(dataDir, key);
    const buf = await fs.readFile(file);
    buf.writeUInt8(buf.readUInt8(buf.length - 1) ^ 0xff, buf.length - 1);
    await fs.writeFile(file, buf);
    const reopened = new FileRecordLog({ dataDir, onWarning: () => {} });
    expect((await reopened.read(key)).map((e) => e.pos)).toEqual([1]);
    await reopened.close();
  });

  it("a read-only log sees the writer's durable entries, ignores a torn tail and never modifies the file", async () => {
    const writer = new FileRecordLog({ dataDir });
    const reader = new FileRecordLog({ dataDir, readOnly: true });
    try {
      await writer.append(key, Uint8Array.of(1));
      await writer.append(key, Uint8Array.of(2));
      expect((await reader.read(key)).map((e) => e.pos)).toEqual([1, 2]);
      expect((await reader.pending()).map((k) => k.recordId)).toEqual(["r1"]);
      const file = walFile(dataDir, key);
      // Another process's half-written entry.
      await fs.appendFile(file, Buffer.from([9, 0, 0, 0, 1, 2]));
      const size = (await fs.stat(file)).size;
      expect((await reader.read(key)).map((e) => e.pos)).toEqual([1, 2]);
      expect((await fs.stat(file)).size).toBe(size);
      await expect(reader.append(key, Uint8Array.of(3))).rejects.toMatchObject({ reason: "read_only" });
      await expect(reader.trim(key, 1)).rejects.toMatchObject({ reason: "read_only" });
      expect(await reader.read({ datasetId: "ds", recordId: "none" })).toEqual([]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("a reader sees a trim done by the writer", async () => {
    const writer = new FileRecordLog({ dataDir });
    const reader = new FileRecordLog({ dataDir, readOnly: true });
    try {
      for (let i = 1; i <= 3; i++) await writer.append(key, Uint8Array.of(i));
      await writer.trim(key, 2);
      expect((await reader.read(key)).map((e) => e.pos)).toEqual([3]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("a failed fsync rejects that round's appends with an io error and the log keeps working", async () => {
    let fail = false;
    const sync: SyncFn = async (h, kind) => {
      if (fail && kind === "data") throw new Error("EIO (injected)");
      await (kind === "data" ? h.datasync() : h.sync());
    };
    const log = new FileRecordLog({ dataDir, sync, onWarning: () => {} });
    try {
      expect(await log.append(key, Uint8Array.of(1))).toBe(1);
      fail = true;
      const err = await log.append(key, Uint8Array.of(2)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecordLogError);
      expect((err as RecordLogError).reason).toBe("io");
      fail = false;
      expect(await log.append(key, Uint8Array.of(3))).toBe(2);
      expect((await log.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
        [1, 1],
        [2, 3],
      ]);
    } finally {
      await log.close();
    }
  });

  it("rebuilds a log whose header is damaged around its valid entries, keeping a copy of the original", async () => {
    const log = new FileRecordLog({ dataDir });
    await log.append(key, Uint8Array.of(1));
    await log.close();
    const file = walFile(dataDir, key);
    const buf = await fs.readFile(file);
    buf.writeUInt8(buf.readUInt8(9) ^ 0xff, 9);
    await fs.writeFile(file, buf);
    const warnings: string[] = [];
    const reopened = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    expect(await reopened.append(key, Uint8Array.of(2))).toBe(2);
    expect((await reopened.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(warnings.join()).toMatch(/checksum/);
    const names = await fs.readdir(path.dirname(file));
    const aside = names.find((n) => n.includes(".damaged-"));
    expect(aside).toBeDefined();
    expect(await fs.readFile(path.join(path.dirname(file), aside!))).toEqual(buf);
    await reopened.close();
  });

  it("keeps at most maxOpenFiles handles, reopening evicted records transparently", async () => {
    const log = new FileRecordLog({ dataDir, maxOpenFiles: 2 });
    try {
      const keys = Array.from({ length: 6 }, (_, i) => ({ datasetId: "ds", recordId: `r${i}` }));
      for (const k of keys) await log.append(k, Uint8Array.of(1));
      await expect.poll(() => log.stats().openFiles).toBeLessThanOrEqual(2);
      await Promise.all(keys.map((k) => log.append(k, Uint8Array.of(2))));
      await log.trim(keys[0]!, 1);
      for (const k of keys) expect(await log.append(k, Uint8Array.of(3))).toBe(3);
      await expect.poll(() => log.stats().openFiles).toBeLessThanOrEqual(2);
      expect((await log.read(keys[0]!)).map((e) => e.pos)).toEqual([2, 3]);
      for (const k of keys.slice(1)) expect((await log.read(k)).map((e) => e.update[0])).toEqual([1, 2, 3]);
    } finally {
      await log.close();
    }
  });

  it("refuses an oversized update", async () => {
    const log = new FileRecordLog({ dataDir, maxEntryBytes: 10 });
    await expect(log.append(key, new Uint8Array(11))).rejects.toMatchObject({ reason: "too_large" });
    await log.close();
  });

  it("file names never contain the raw ids", async () => {
    const log = new FileRecordLog({ dataDir });
    const weird: RecordKey = { datasetId: "../../etc", recordId: "a b/..\\c" };
    await log.append(weird, Uint8Array.of(1));
    await log.append({ datasetId: "x", recordId: "é".repeat(256) }, Uint8Array.of(1));
    await log.close();
    const all: string[] = [];
    for (const d of await fs.readdir(walDir(dataDir)))
      for (const f of await fs.readdir(path.join(walDir(dataDir), d))) all.push(path.join(d, f));
    expect(all).toHaveLength(2);
    for (const n of all) expect(n).toMatch(/^[_~][a-z0-9]+\/[_~][a-z0-9]+\.wal$/);
    const reader = new FileRecordLog({ dataDir, readOnly: true });
    expect((await reader.pending()).map((k) => k.recordId).sort()).toEqual(["a b/..\\c", "é".repeat(256)].sort());
    await reader.close();
  });
});
