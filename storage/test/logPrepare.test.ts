import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileRecordLog, walDir, type RecordKey } from "../src/index.js";
import { encodeId } from "../src/stateFiles.js";

/**
 * `prepare`: a record whose room loaded gets its log file before its first edit, so the round that
 * confirms a burst of first edits on many records writes to files that exist (creating 1,000 files
 * inside that round held every confirmation for ≈ 0.8 s).
 */

let dataDir: string;
const keyOf = (i: number): RecordKey => ({ datasetId: "ds", recordId: `r${i}` });
const walFile = (k: RecordKey) => path.join(walDir(dataDir), encodeId(k.datasetId), encodeId(k.recordId) + ".wal");

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-log-prepare-"));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("FileRecordLog.prepare", () => {
  it("creates the files of 200 records before their first edits, which then only write; entries kept", async () => {
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => keyOf(i));
      await log.append(keys[0]!, Uint8Array.of(9)); // r0 already has a file with an entry
      for (const k of keys) log.prepare(k);
      // A read waits for the file a prepare is opening.
      expect((await log.read(keys[0]!)).map((e) => [e.pos, ...e.update])).toEqual([[1, 9]]);
      for (const k of keys.slice(1)) expect(await log.read(k)).toEqual([]);
      for (const k of keys) expect((await fs.stat(walFile(k))).isFile(), k.recordId).toBe(true);
      const positions = await Promise.all(keys.map((k) => log.append(k, Uint8Array.of(1))));
      expect(positions).toEqual(keys.map((_, i) => (i === 0 ? 2 : 1)));
      expect((await log.read(keys[7]!)).map((e) => [e.pos, ...e.update])).toEqual([[1, 1]]);
      expect(warnings).toEqual([]);
    } finally {
      await log.close();
    }
    // After a restart the prepared-then-written files read back as they were.
    const again = new FileRecordLog({ dataDir });
    try {
      expect((await again.read(keyOf(0))).map((e) => e.pos)).toEqual([1, 2]);
      expect((await again.read(keyOf(199))).map((e) => e.pos)).toEqual([1]);
    } finally {
      await again.close();
    }
  });

  it("a prepare that cannot create the file is reported, and the first append fails with the reason", async () => {
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    try {
      // The dataset's folder is taken by a file: no record file can be created under it.
      await fs.mkdir(walDir(dataDir), { recursive: true });
      await fs.writeFile(path.join(walDir(dataDir), encodeId("ds")), "not a folder");
      log.prepare(keyOf(1));
      await expect(log.append(keyOf(1), Uint8Array.of(1))).rejects.toThrow();
      expect(warnings.some((w) => w.includes("cannot prepare the log of ds/r1"))).toBe(true);
    } finally {
      await log.close();
    }
  });
});
