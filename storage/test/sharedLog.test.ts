import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileRecordLog, walDir, type RecordKey, type SyncFn } from "../src/index.js";
import { journalDir } from "../src/FileRecordLog.js";
import { encodeJournalEntry, encodeJournalHeader, JOURNAL_SUFFIX } from "../src/journalFormat.js";
import { encodeId } from "../src/stateFiles.js";
import { encodeEntry, encodeHeader, WAL_HEADER_FIXED } from "../src/walFormat.js";

/**
 * The shared journal (durable ack with 1,000 rooms open): a group-commit round costs one
 * fsync whatever the number of records it holds, and what a crash leaves in the journal is put back
 * into the record files at the next start.
 */

let dataDir: string;
const keyOf = (i: number): RecordKey => ({ datasetId: "ds", recordId: `r${i}` });
/** Never seals on its own during a test: a "crash" is an instance dropped without `close()`. */
const NO_AUTO_SEAL = { maxAgeMs: 3_600_000 };

function walFile(k: RecordKey): string {
  return path.join(walDir(dataDir), encodeId(k.datasetId), encodeId(k.recordId) + ".wal");
}

function counting(): { sync: SyncFn; data: () => number; all: () => number } {
  let data = 0;
  let all = 0;
  return {
    sync: async (h, kind) => {
      all++;
      if (kind === "data") data++;
      await (kind === "data" ? h.datasync() : h.sync());
    },
    data: () => data,
    all: () => all,
  };
}

/**
 * What a power loss may leave of record files the checkpoint had not synced yet: only their
 * header (the entries were in the page cache only). The journal segments were synced.
 */
async function loseUnsyncedRecordData(keys: readonly RecordKey[]): Promise<void> {
  for (const k of keys) {
    const bytes = await fs.readFile(walFile(k));
    const keyLength = bytes.readUInt32LE(16);
    await fs.truncate(walFile(k), WAL_HEADER_FIXED + keyLength);
  }
}

async function segments(): Promise<string[]> {
  try {
    return (await fs.readdir(journalDir(dataDir))).filter((n) => n.endsWith(JOURNAL_SUFFIX));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-shared-log-"));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("shared journal: fsyncs per round", () => {
  it("a round of first appends to 200 new records costs the same single fsync as a round of 2 (no per-record file, header or folder fsync)", async () => {
    const c = counting();
    const log = new FileRecordLog({ dataDir, sync: c.sync, journal: NO_AUTO_SEAL });
    try {
      // Warm-up: the first round also creates the journal's segment (synced once).
      await log.append({ datasetId: "warm", recordId: "w" }, Uint8Array.of(0));
      const perRound: Array<{ records: number; rounds: number; fsyncs: number }> = [];
      let next = 0;
      for (const n of [2, 200, 200]) {
        const keys = Array.from({ length: n }, () => keyOf(next++));
        const before = { rounds: log.stats().rounds, fsyncs: c.all() };
        const positions = await Promise.all(keys.map((k) => log.append(k, Uint8Array.of(1, 2, 3))));
        expect(positions).toEqual(keys.map(() => 1));
        perRound.push({ records: n, rounds: log.stats().rounds - before.rounds, fsyncs: c.all() - before.fsyncs });
      }
      // Second appends of the same 200 records: one round, one fsync again.
      const again = Array.from({ length: 200 }, (_, i) => keyOf(202 + i));
      const before = c.all();
      expect(await Promise.all(again.map((k) => log.append(k, Uint8Array.of(4))))).toEqual(again.map(() => 2));
      perRound.push({ records: 200, rounds: 1, fsyncs: c.all() - before });
      expect(perRound).toEqual([
        { records: 2, rounds: 1, fsyncs: 1 },
        { records: 200, rounds: 1, fsyncs: 1 },
        { records: 200, rounds: 1, fsyncs: 1 },
        { records: 200, rounds: 1, fsyncs: 1 },
      ]);
      for (const k of again)
        expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([
          [1, 1, 2, 3],
          [2, 4],
        ]);
    } finally {
      await log.close();
    }
  });

  it("a sealed segment's checkpoint syncs the record files of its rounds, then deletes the segment", async () => {
    const c = counting();
    const log = new FileRecordLog({ dataDir, sync: c.sync, journal: { maxAgeMs: 50 } });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => keyOf(i));
      await Promise.all(keys.map((k) => log.append(k, Uint8Array.of(7))));
      expect(await segments()).toHaveLength(1);
      await expect.poll(() => log.stats().checkpoints, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      await expect.poll(segments, { timeout: 10_000 }).toEqual([]);
      // 20 record files synced by the checkpoint (one at a time, off the rounds' path).
      expect(c.data()).toBeGreaterThanOrEqual(1 + 20);
      expect(await log.append(keyOf(0), Uint8Array.of(8))).toBe(2);
    } finally {
      await log.close();
    }
    expect(await segments()).toEqual([]);
  });
});

describe("shared journal: recovery", () => {
  it("acknowledged entries whose record files lost their unsynced data come back from the journal at the next start", async () => {
    const crashed = new FileRecordLog({ dataDir, journal: NO_AUTO_SEAL, onWarning: () => {} });
    const keys = Array.from({ length: 50 }, (_, i) => keyOf(i));
    for (let round = 1; round <= 3; round++)
      expect(await Promise.all(keys.map((k) => crashed.append(k, Uint8Array.of(round, 9))))).toEqual(
        keys.map(() => round),
      );
    // The process dies (no close): the record files were never synced.
    await loseUnsyncedRecordData(keys);
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    try {
      expect((await log.pending()).length).toBe(50);
      for (const k of keys)
        expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([
          [1, 1, 9],
          [2, 2, 9],
          [3, 3, 9],
        ]);
      expect(await log.append(keyOf(0), Uint8Array.of(4))).toBe(4);
      expect(warnings.join("\n")).toMatch(/3 entries recovered from the journal/);
    } finally {
      await log.close();
    }
    // Replayed, synced, and the segments deleted: a second start has nothing to recover.
    expect(await segments()).toEqual([]);
    const again = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    const before = warnings.length;
    expect((await again.read(keyOf(1))).map((e) => e.pos)).toEqual([1, 2, 3]);
    await again.close();
    expect(warnings.length).toBe(before);
  });

  it("replay never brings back entries a trim dropped, and keeps positions increasing", async () => {
    const crashed = new FileRecordLog({ dataDir, journal: NO_AUTO_SEAL, onWarning: () => {} });
    const k = keyOf(1);
    for (let i = 1; i <= 4; i++) await crashed.append(k, Uint8Array.of(i));
    await crashed.trim(k, 3);
    // Dies with the segment still holding positions 1–4.
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    try {
      expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([[4, 4]]);
      expect(await log.append(k, Uint8Array.of(5))).toBe(5);
    } finally {
      await log.close();
    }
  });

  it("a torn journal tail (a crash in the middle of a round's write) costs only that unacknowledged round", async () => {
    const crashed = new FileRecordLog({ dataDir, journal: NO_AUTO_SEAL, onWarning: () => {} });
    const keys = [keyOf(1), keyOf(2)];
    await Promise.all(keys.map((k) => crashed.append(k, Uint8Array.of(1))));
    await Promise.all(keys.map((k) => crashed.append(k, Uint8Array.of(2))));
    await loseUnsyncedRecordData(keys);
    const [name] = await segments();
    const seg = path.join(journalDir(dataDir), name!);
    // Half of a third round reached the disk.
    const torn = encodeJournalEntry(keys[0]!, 3, Uint8Array.of(3, 3, 3, 3));
    await fs.appendFile(seg, torn.subarray(0, torn.length - 2));
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    try {
      for (const k of keys)
        expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([
          [1, 1],
          [2, 2],
        ]);
      expect(await log.append(keys[0]!, Uint8Array.of(9))).toBe(3);
      expect(warnings.join("\n")).toMatch(/damaged bytes/);
    } finally {
      await log.close();
    }
  });

  it("when a failed round's position was reused, replay keeps the acknowledged update (the later one)", async () => {
    // A round whose journal write succeeded but whose record-file write failed was not acknowledged;
    // the next round reused its position for another update, which was.
    const k = keyOf(1);
    await fs.mkdir(journalDir(dataDir), { recursive: true });
    await fs.writeFile(
      path.join(journalDir(dataDir), `${"1".padStart(16, "0")}${JOURNAL_SUFFIX}`),
      Buffer.concat([
        encodeJournalHeader(1),
        encodeJournalEntry(k, 1, Uint8Array.of(1)),
        encodeJournalEntry(k, 2, Uint8Array.of(66)),
        encodeJournalEntry(k, 2, Uint8Array.of(2)),
      ]),
    );
    await fs.mkdir(path.dirname(walFile(k)), { recursive: true });
    await fs.writeFile(walFile(k), encodeHeader(k, 0));
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    try {
      expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      expect(await log.append(k, Uint8Array.of(3))).toBe(3);
    } finally {
      await log.close();
    }
  });
});

describe("shared journal: record files created without a sync", () => {
  it("an empty record file (a crash between its creation and its header) holds nothing: reused quietly, or dropped by the listing", async () => {
    const keys = [keyOf(1), { datasetId: "ds", recordId: "x".repeat(300) }];
    for (const k of keys) {
      await fs.mkdir(path.dirname(walFile(k)), { recursive: true });
      await fs.writeFile(walFile(k), Buffer.alloc(0));
    }
    const warnings: string[] = [];
    const log = new FileRecordLog({ dataDir, onWarning: (m) => warnings.push(m) });
    try {
      expect(await log.pending()).toEqual([]);
      expect(await log.append(keys[0]!, Uint8Array.of(1))).toBe(1);
      expect(await log.append(keys[1]!, Uint8Array.of(2))).toBe(1);
      expect((await log.read(keys[1]!)).map((e) => [e.pos, ...e.update])).toEqual([[1, 2]]);
    } finally {
      await log.close();
    }
    expect(warnings).toEqual([]);
  });
});

describe("shared journal: logs of the previous version", () => {
  it("per-record .wal files written before the journal existed open with all their entries and take new appends", async () => {
    // The previous version's layout: `.tessera/wal/<enc(ds)>/<enc(rec)>.wal`, no journal folder.
    const keys = [keyOf(1), { datasetId: "other ds", recordId: "é".repeat(300) }];
    for (const k of keys) {
      await fs.mkdir(path.dirname(walFile(k)), { recursive: true });
      await fs.writeFile(
        walFile(k),
        Buffer.concat([encodeHeader(k, 2), encodeEntry(3, Uint8Array.of(3)), encodeEntry(4, Uint8Array.of(4))]),
      );
    }
    const reader = new FileRecordLog({ dataDir, readOnly: true });
    expect((await reader.pending()).length).toBe(2);
    await reader.close();
    const log = new FileRecordLog({ dataDir, onWarning: () => {} });
    try {
      expect((await log.pending()).map((k) => k.recordId).sort()).toEqual(keys.map((k) => k.recordId).sort());
      for (const k of keys) {
        expect((await log.read(k)).map((e) => [e.pos, ...e.update])).toEqual([
          [3, 3],
          [4, 4],
        ]);
        expect(await log.append(k, Uint8Array.of(5))).toBe(5);
      }
      await log.trim(keys[0]!, 4);
      expect((await log.read(keys[0]!)).map((e) => e.pos)).toEqual([5]);
    } finally {
      await log.close();
    }
  });
});

describe("shared journal: trims", () => {
  it("a trim costs one fsync (its rename is made durable by the next checkpoint) and trims sync one at a time", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let trimming = false;
    let trimSyncs = 0;
    const sync: SyncFn = async (h, kind) => {
      if (trimming) trimSyncs++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, trimming ? inFlight : 0);
      try {
        await (kind === "data" ? h.datasync() : h.sync());
      } finally {
        inFlight--;
      }
    };
    const log = new FileRecordLog({ dataDir, sync, journal: NO_AUTO_SEAL, onWarning: () => {} });
    const keys = Array.from({ length: 20 }, (_, i) => keyOf(i));
    try {
      for (let round = 1; round <= 2; round++) await Promise.all(keys.map((k) => log.append(k, Uint8Array.of(round))));
      trimming = true;
      await Promise.all(keys.map((k) => log.trim(k, 1)));
      trimming = false;
      expect({ trimSyncs, maxInFlight }).toEqual({ trimSyncs: 20, maxInFlight: 1 });
      for (const k of keys) expect((await log.read(k)).map((e) => e.pos)).toEqual([2]);
    } finally {
      await log.close();
    }
    // After the checkpoint of close: the trims hold across a restart.
    const again = new FileRecordLog({ dataDir });
    for (const k of keys) expect((await again.read(k)).map((e) => [e.pos, ...e.update])).toEqual([[2, 2]]);
    expect(await again.append(keys[0]!, Uint8Array.of(3))).toBe(3);
    await again.close();
  });
});
