import os from "node:os";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { DashboardService } from "../../src/stats/DashboardService.js";
import { buildDataDir, DS } from "../integration/support.js";
import { activityDir, appendFeed, editEntry, statusEntry, withDataset } from "./support.js";

/**
 * The dashboard at scale (SPEC D-DASH): 10,000 records and a feed of 100,000 entries. The figures (cold read,
 * cached answer, after new entries) are printed with the load average, not asserted: the machine is shared.
 * What is asserted is that every entry is counted.
 */

const RECORDS = 10_000;
const ENTRIES = 100_000;
const START = Date.parse("2026-01-01T00:00:00Z");
const NOW = START + 30 * 86_400_000;
const PEOPLE = ["ann", "ben", "cleo", "dev", "eve", "fay", "gus", "hal"];
let data: Awaited<ReturnType<typeof buildDataDir>>;
let submits = 0;

beforeAll(async () => {
  const ids = Array.from({ length: RECORDS }, (_, i) => `rec-${String(i).padStart(5, "0")}`);
  data = await buildDataDir([]);
  await withDataset(data.dataDir, DS, async (ds) => {
    const statuses = ["new", "inProgress", "inReview", "validated"];
    await ds.add(
      "records",
      ids.map((id, i) => ({ id, split: "train", status: statuses[i % 4] })),
    );
    await ds.add(
      "entities",
      ids.map((id, i) => ({ id: `ent-${i}`, record_id: id, category: `cat-${i % 12}` })),
    );
  });
  // Entries spread over 30 days: edit batches and submissions, in time order.
  const lines: ActivityEntry[] = [];
  const step = (NOW - START) / ENTRIES;
  for (let i = 0; i < ENTRIES; i++) {
    const at = START + Math.floor(i * step);
    const who = PEOPLE[i % PEOPLE.length] ?? "ann";
    const record = ids[i % RECORDS] ?? "rec-00000";
    if (i % 5 === 0) {
      lines.push(statusEntry(DS, new Date(at).toISOString(), who, record, "inProgress", "inReview", "submit"));
      submits++;
    } else {
      const until = new Date(at + 1000 * (i % 300)).toISOString();
      lines.push(editEntry(DS, new Date(at).toISOString(), until, who, record));
    }
  }
  await appendFeed(data.dataDir, DS, lines);
}, 120_000);

afterAll(async () => {
  await data?.cleanup();
});

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

describe("dashboard at scale (SPEC D-DASH)", () => {
  it("100,000 feed entries and 10,000 records: every entry counted; cold, cached and incremental times printed", async () => {
    const service = new DashboardService({ activityDir: activityDir(data.dataDir), now: () => NOW });
    await withDataset(data.dataDir, DS, async (ds) => {
      let t = performance.now();
      const cold = await service.summary(ds, {});
      const coldMs = performance.now() - t;
      expect(cold.activity).toEqual({ entries: ENTRIES, skipped_lines: 0 });
      expect(cold.throughput.reduce((a, p) => a + p.submitted, 0)).toBe(submits);
      // Every fifth entry is a submission, and 10,000 is a multiple of 5: a fifth of the records are never edited.
      expect(cold.time_spent.records).toBe((RECORDS * 4) / 5);
      expect(cold.total_records).toBe(RECORDS);
      expect(cold.labels[0]?.total).toBe(RECORDS);
      expect(cold.bucket).toBe("day");
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) {
        t = performance.now();
        await service.summary(ds, {});
        warm.push(performance.now() - t);
      }
      warm.sort((a, b) => a - b);
      await appendFeed(
        data.dataDir,
        DS,
        Array.from({ length: 1000 }, (_, i) =>
          statusEntry(
            DS,
            new Date(NOW - 1000 + i).toISOString(),
            "ann",
            "rec-00001",
            "inReview",
            "validated",
            "approve",
          ),
        ),
      );
      t = performance.now();
      const more = await service.summary(ds, {});
      const incrementalMs = performance.now() - t;
      expect(more.activity.entries).toBe(ENTRIES + 1000);
      expect(more.throughput.find((p) => p.user.id === "ann")?.approved).toBe(1000);
      console.log(
        `dashboard scale: ${ENTRIES} entries, ${RECORDS} records — cold ${coldMs.toFixed(0)} ms, ` +
          `cached p50 ${warm[2]?.toFixed(0)} ms (max ${warm[4]?.toFixed(0)} ms), +1000 entries ${incrementalMs.toFixed(0)} ms; ` +
          `load ${load()}`,
      );
    });
  }, 120_000);
});
