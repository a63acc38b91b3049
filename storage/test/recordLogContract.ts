import { afterEach, describe, expect, it } from "vitest";
import type { RecordKey, RecordLog } from "../src/index.js";

/**
 * The contract every {@link RecordLog} implementation passes (file log now, Redis streams later).
 * A factory returns a fresh, empty log plus optional capabilities; tests that need a capability
 * the implementation lacks are skipped for it.
 */
interface RecordLogHarness {
  readonly log: RecordLog;
  /** Closes the log and opens a new instance over the same storage (a process restart). */
  reopen(): Promise<RecordLog>;
  /** How many durability barriers (fsync, AOF write) happened so far: proves group commit. */
  readonly durabilityOps?: () => number;
  /**
   * Simulates a crash in the middle of writing the record's last entry (the tail is torn); the
   * log is closed first and must be reopened with {@link reopen}.
   */
  readonly tearLastEntry?: (key: RecordKey) => Promise<void>;
  /** Removes everything (temp folders, keys). */
  cleanup(): Promise<void>;
}

export type RecordLogFactory = () => Promise<RecordLogHarness>;

const A: RecordKey = { datasetId: "ds one", recordId: "rec/../1" };
const B: RecordKey = { datasetId: "ds one", recordId: "Rec-1" };
const C: RecordKey = { datasetId: "ds-ünïcødé 🚀", recordId: "rec-1" };

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function keyOf(k: RecordKey): string {
  return `${k.datasetId}\u0000${k.recordId}`;
}

export function registerRecordLogContract(name: string, factory: RecordLogFactory): void {
  describe(`RecordLog contract: ${name}`, () => {
    let harness: RecordLogHarness | null = null;
    let log: RecordLog;

    async function setup(): Promise<RecordLogHarness> {
      harness = await factory();
      log = harness.log;
      return harness;
    }

    afterEach(async () => {
      if (harness) await harness.cleanup();
      harness = null;
    });

    it("assigns positions 1, 2, 3… per record and reads entries back in order", async () => {
      await setup();
      expect(await log.append(A, bytes(1))).toBe(1);
      expect(await log.append(A, bytes(2, 2))).toBe(2);
      expect(await log.append(B, bytes(9))).toBe(1);
      expect(await log.append(A, bytes(3, 3, 3))).toBe(3);
      const a = await log.read(A);
      expect(a.map((e) => e.pos)).toEqual([1, 2, 3]);
      expect(a.map((e) => [...e.update])).toEqual([[1], [2, 2], [3, 3, 3]]);
      expect((await log.read(B)).map((e) => [...e.update])).toEqual([[9]]);
      expect(await log.read(C)).toEqual([]);
    });

    it("keys that differ only by case or hold path characters and unicode are distinct records", async () => {
      await setup();
      const keys: RecordKey[] = [
        A,
        B,
        C,
        { datasetId: "ds one", recordId: "rec-1" },
        { datasetId: "..", recordId: "." },
      ];
      for (const [i, k] of keys.entries()) await log.append(k, bytes(i));
      for (const [i, k] of keys.entries()) expect((await log.read(k)).map((e) => [...e.update])).toEqual([[i]]);
    });

    it("reads only entries after a position", async () => {
      await setup();
      for (let i = 1; i <= 5; i++) await log.append(A, bytes(i));
      expect((await log.read(A, 3)).map((e) => e.pos)).toEqual([4, 5]);
      expect(await log.read(A, 5)).toEqual([]);
    });

    it("an append is visible to read as soon as it resolves (read-after-append)", async () => {
      await setup();
      const pos = await log.append(A, bytes(7, 7));
      const entries = await log.read(A, pos - 1);
      expect(entries).toHaveLength(1);
      expect([...entries[0]!.update]).toEqual([7, 7]);
    });

    it("concurrent appends to one record get distinct, gap-free positions in call order", async () => {
      await setup();
      const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(A, bytes(i))));
      expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect((await log.read(A)).map((e) => e.update[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it("trim drops entries up to a position; later positions keep increasing", async () => {
      await setup();
      for (let i = 1; i <= 4; i++) await log.append(A, bytes(i));
      await log.trim(A, 2);
      expect((await log.read(A)).map((e) => e.pos)).toEqual([3, 4]);
      expect(await log.append(A, bytes(5))).toBe(5);
      await log.trim(A, 5);
      expect(await log.read(A)).toEqual([]);
      expect(await log.append(A, bytes(6))).toBe(6);
      expect((await log.read(A)).map((e) => [e.pos, ...e.update])).toEqual([[6, 6]]);
    });

    it("trim of an unknown record or below the last trim is a no-op", async () => {
      await setup();
      await log.trim(C, 10);
      for (let i = 1; i <= 3; i++) await log.append(A, bytes(i));
      await log.trim(A, 2);
      await log.trim(A, 1);
      expect((await log.read(A)).map((e) => e.pos)).toEqual([3]);
    });

    it("trim racing with appends of the same record loses none of them", async () => {
      await setup();
      for (let i = 1; i <= 10; i++) await log.append(A, bytes(i));
      const appends = Array.from({ length: 20 }, (_, i) => log.append(A, bytes(100 + i)));
      const trim = log.trim(A, 10);
      const more = Array.from({ length: 20 }, (_, i) => log.append(A, bytes(200 + i)));
      const positions = await Promise.all([...appends, ...more]);
      await trim;
      expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => 11 + i));
      const entries = await log.read(A);
      expect(entries.map((e) => e.pos)).toEqual(positions);
      expect(entries.map((e) => e.update[0])).toEqual([
        ...Array.from({ length: 20 }, (_, i) => 100 + i),
        ...Array.from({ length: 20 }, (_, i) => 200 + i),
      ]);
    });

    it("pending lists the records whose log holds entries", async () => {
      await setup();
      expect(await log.pending()).toEqual([]);
      await log.append(A, bytes(1));
      await log.append(C, bytes(1));
      await log.append(B, bytes(1));
      await log.trim(B, 1);
      const pending = (await log.pending()).map(keyOf).sort();
      expect(pending).toEqual([A, C].map(keyOf).sort());
    });

    it("entries, positions and trims survive a restart", async () => {
      const h = await setup();
      for (let i = 1; i <= 3; i++) await log.append(A, bytes(i));
      await log.trim(A, 3);
      await log.append(B, bytes(1));
      log = await h.reopen();
      expect((await log.pending()).map(keyOf)).toEqual([keyOf(B)]);
      expect(await log.read(A)).toEqual([]);
      expect(await log.append(A, bytes(4))).toBe(4);
      expect((await log.read(B)).map((e) => e.pos)).toEqual([1]);
    });

    it("a torn last entry is ignored after a crash and its position is reused", async () => {
      const h = await setup();
      if (!h.tearLastEntry) return;
      for (let i = 1; i <= 3; i++) await log.append(A, bytes(i, i, i, i));
      await h.tearLastEntry(A);
      log = await h.reopen();
      const entries = await log.read(A);
      expect(entries.map((e) => [e.pos, ...e.update])).toEqual([
        [1, 1, 1, 1, 1],
        [2, 2, 2, 2, 2],
      ]);
      expect(await log.append(A, bytes(9))).toBe(3);
      expect((await log.read(A, 2)).map((e) => [...e.update])).toEqual([[9]]);
    });

    it("appends issued together to many records share one durability barrier per record", async () => {
      const h = await setup();
      if (!h.durabilityOps) return;
      const keys = Array.from({ length: 20 }, (_, i) => ({ datasetId: "ds", recordId: `r${i}` }));
      for (const k of keys) await log.append(k, bytes(0));
      const before = h.durabilityOps();
      const all: Array<Promise<number>> = [];
      for (let round = 1; round <= 10; round++) for (const k of keys) all.push(log.append(k, bytes(round)));
      const positions = await Promise.all(all);
      expect(positions.slice(0, 20)).toEqual(keys.map(() => 2));
      const ops = h.durabilityOps() - before;
      expect(ops).toBeGreaterThan(0);
      expect(ops).toBeLessThanOrEqual(keys.length);
      for (const k of keys)
        expect((await log.read(k)).map((e) => e.update[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it("refuses work after close", async () => {
      await setup();
      await log.append(A, bytes(1));
      await log.close();
      await expect(log.append(A, bytes(2))).rejects.toThrow();
    });
  });
}
