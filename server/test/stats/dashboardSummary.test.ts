import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetHandle } from "@tessera/dataset";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { ActivityLog } from "../../src/live/ActivityLog.js";
import { DashboardService } from "../../src/stats/DashboardService.js";
import { durationHistogram, quantile } from "../../src/stats/summary.js";
import { resolveWindow, WindowError } from "../../src/stats/window.js";
import { buildDataDir, DS } from "../integration/support.js";
import { activityDir, appendFeed, editEntry, statusEntry, withDataset } from "./support.js";

/**
 * The dashboard summary (SPEC D-DASH, D-TIME) on a crafted activity feed and a real LanceDB dataset, with an
 * injected clock: status counts over time walked back from the current counts, throughput per person, time spent
 * per record and per person, label counts from the rows, `stats.json` passed through, junk windows refused.
 */

const NOW = Date.parse("2026-03-10T12:00:00Z");
let data: Awaited<ReturnType<typeof buildDataDir>>;
let clock = NOW;
const service = () => new DashboardService({ activityDir: activityDir(data.dataDir), now: () => clock });

/** r1 validated, r2 in review, r3 in progress, r4/r5 new, r6 Pixano's `archived` (other). */
const STATUSES: Record<string, string> = {
  r1: "validated",
  r2: "inReview",
  r3: "inProgress",
  r4: "new",
  r5: "new",
  r6: "archived",
};

const FEED: (ActivityEntry | string)[] = [
  statusEntry(DS, "2026-03-09T09:00:00Z", "alice", "r1", "new", "inProgress", "edit"),
  editEntry(DS, "2026-03-09T09:01:00Z", "2026-03-09T09:04:00Z", "alice", "r1"),
  statusEntry(DS, "2026-03-09T09:30:00Z", "alice", "r1", "inProgress", "inReview", "submit"),
  statusEntry(DS, "2026-03-09T10:00:00Z", "bob", "r1", "inReview", "inProgress", "reject"),
  "this line is not an entry",
  editEntry(DS, "2026-03-09T10:05:00Z", "2026-03-09T10:06:00Z", "alice", "r1"),
  statusEntry(DS, "2026-03-09T10:20:00Z", "alice", "r1", "inProgress", "inReview", "submit"),
  statusEntry(DS, "2026-03-10T08:00:00Z", "bob", "r1", "inReview", "validated", "approve"),
  statusEntry(DS, "2026-03-10T09:00:00Z", "carol", "r2", "new", "inProgress", "edit"),
  editEntry(DS, "2026-03-10T09:00:00Z", "2026-03-10T09:10:00Z", "carol", "r2"),
  statusEntry(DS, "2026-03-10T09:15:00Z", "carol", "r2", "inProgress", "inReview", "submit"),
  statusEntry(DS, "2026-03-10T10:00:00Z", "carol", "r3", "new", "inProgress", "edit"),
  // A batch written before edit batches had `until`: it counts, for no time.
  editEntry(DS, "2026-03-10T10:00:00Z", null, "carol", "r3"),
];

beforeAll(async () => {
  data = await buildDataDir(Object.keys(STATUSES));
  await withDataset(data.dataDir, DS, async (ds) => {
    for (const [id, status] of Object.entries(STATUSES)) await ds.update("records", id, { status });
    await ds.add("entities", [
      { id: "e1", record_id: "r1", category: "car" },
      { id: "e2", record_id: "r1", category: "car" },
      { id: "e3", record_id: "r2", category: "car" },
      { id: "e4", record_id: "r2", category: "person" },
      { id: "e5", record_id: "r3", category: "person" },
      { id: "e6", record_id: "r3", category: "" },
    ]);
    const box = (id: string, record_id: string, entity_id: string) => ({
      id,
      record_id,
      entity_id,
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
      confidence: 1,
    });
    await ds.add("bboxes", [box("b1", "r1", "e1"), box("b2", "r1", "e2"), box("b3", "r2", "e4")]);
  });
  await appendFeed(data.dataDir, DS, FEED);
}, 60_000);

afterAll(async () => {
  await data?.cleanup();
});

const summary = (query: { from?: string; to?: string; bucket?: string } = {}) =>
  withDataset(data.dataDir, DS, (ds) => service().summary(ds, query));

describe("dashboard summary (SPEC D-DASH)", () => {
  it("current status counts equal the explorer's per-status counts, other for values outside the workflow", async () => {
    const d = await summary();
    expect(d.current).toEqual({ new: 2, inProgress: 1, inReview: 1, validated: 1, other: 1 });
    expect(d.total_records).toBe(6);
    await withDataset(data.dataDir, DS, async (ds: DatasetHandle) => {
      for (const s of ["new", "inProgress", "inReview", "validated"] as const) {
        expect(await ds.count("records", { filters: [{ column: "status", op: "eq", values: [s] }] })).toBe(
          d.current[s],
        );
      }
    });
    expect(d.activity).toEqual({ entries: FEED.length - 1, skipped_lines: 1 });
  });

  it("status counts over time: hourly buckets by default for a short span, walked back from the current counts", async () => {
    const d = await summary();
    expect(d.bucket).toBe("hour");
    expect(d.from).toBe("2026-03-09T09:00:00.000Z");
    expect(d.to).toBe("2026-03-10T12:00:00.000Z");
    expect(d.status_over_time).toHaveLength(27);
    const at = (start: string) => d.status_over_time.find((p) => p.start === start)?.counts;
    // End of 09:00–10:00 on day 1: r1 submitted, r2 and r3 not started.
    expect(at("2026-03-09T09:00:00.000Z")).toEqual({ new: 4, inProgress: 0, inReview: 1, validated: 0, other: 1 });
    // End of 10:00–11:00: rejected and submitted again.
    expect(at("2026-03-09T10:00:00.000Z")).toEqual({ new: 4, inProgress: 0, inReview: 1, validated: 0, other: 1 });
    // End of 08:00–09:00 on day 2: r1 approved.
    expect(at("2026-03-10T08:00:00.000Z")).toEqual({ new: 4, inProgress: 0, inReview: 0, validated: 1, other: 1 });
    expect(d.status_over_time.at(-1)?.counts).toEqual(d.current);
  });

  it("daily buckets when asked, the window as given, a record never counted below zero", async () => {
    const d = await summary({ from: "2026-03-09", to: "2026-03-10T23:59:59Z", bucket: "day" });
    expect(d.bucket).toBe("day");
    expect(d.status_over_time.map((p) => p.start)).toEqual(["2026-03-09T00:00:00.000Z", "2026-03-10T00:00:00.000Z"]);
    expect(d.status_over_time[0]?.counts).toEqual({ new: 4, inProgress: 0, inReview: 1, validated: 0, other: 1 });
    expect(d.status_over_time[1]?.counts).toEqual(d.current);
    for (const p of d.status_over_time) for (const n of Object.values(p.counts)) expect(n).toBeGreaterThanOrEqual(0);
  });

  it("auto picks daily buckets past three days", async () => {
    clock = Date.parse("2026-03-20T00:00:00Z");
    try {
      const d = await summary();
      expect(d.bucket).toBe("day");
      expect(d.status_over_time).toHaveLength(11);
    } finally {
      clock = NOW;
    }
  });

  it("throughput per person: submissions by who submitted, approvals and rejections by who reviewed, per bucket", async () => {
    const d = await summary({ bucket: "day" });
    const of = (id: string) => d.throughput.find((t) => t.user.id === id);
    expect(of("alice")).toMatchObject({ user: { id: "alice", name: "Alice" }, submitted: 2, approved: 0, rejected: 0 });
    expect(of("alice")?.buckets).toEqual([
      { start: "2026-03-09T00:00:00.000Z", submitted: 2, approved: 0, rejected: 0 },
    ]);
    expect(of("bob")?.buckets).toEqual([
      { start: "2026-03-09T00:00:00.000Z", submitted: 0, approved: 0, rejected: 1 },
      { start: "2026-03-10T00:00:00.000Z", submitted: 0, approved: 1, rejected: 0 },
    ]);
    expect(of("carol")).toMatchObject({ submitted: 1, approved: 0, rejected: 0 });
    // Only the window counts.
    const day2 = await summary({ from: "2026-03-10T00:00:00Z" });
    expect(day2.throughput.find((t) => t.user.id === "alice")).toBeUndefined();
    expect(day2.throughput.find((t) => t.user.id === "bob")).toMatchObject({ approved: 1, rejected: 0 });
  });

  it("time spent per record (SPEC D-TIME): the sum of its edit batches' until − at; median, p90, histogram, per person", async () => {
    const d = await summary();
    const t = d.time_spent;
    // r1: 180 s + 60 s, r2: 600 s, r3: a batch without `until`, 0 s.
    expect(t.records).toBe(3);
    expect(t.total_seconds).toBe(840);
    expect(t.median_seconds).toBe(240);
    expect(t.p90_seconds).toBe(528);
    expect(t.longest).toEqual([
      { record_id: "r2", seconds: 600 },
      { record_id: "r1", seconds: 240 },
      { record_id: "r3", seconds: 0 },
    ]);
    expect(t.histogram).toHaveLength(11);
    expect(t.histogram[0]).toEqual({ bin_start: 0, bin_end: 60, count: 1 });
    expect(t.histogram[4]).toEqual({ bin_start: 240, bin_end: 300, count: 1 });
    expect(t.histogram[10]).toEqual({ bin_start: 600, bin_end: 660, count: 1 });
    expect(t.histogram.reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(t.per_person).toEqual([
      { user: { id: "carol", name: "Carol" }, records: 2, total_seconds: 600, median_seconds: 300, p90_seconds: 540 },
      { user: { id: "alice", name: "Alice" }, records: 1, total_seconds: 240, median_seconds: 240, p90_seconds: 240 },
    ]);
  });

  it("label distribution: entities by category and each annotation table by its entity's category, as the rows say", async () => {
    const d = await summary();
    expect(d.labels.find((l) => l.kind === "entities")).toEqual({
      kind: "entities",
      total: 6,
      categories: [
        { category: "car", count: 3 },
        { category: "person", count: 2 },
        { category: "(none)", count: 1 },
      ],
      others: 0,
    });
    expect(d.labels.find((l) => l.kind === "bboxes")).toEqual({
      kind: "bboxes",
      total: 3,
      categories: [
        { category: "car", count: 2 },
        { category: "person", count: 1 },
      ],
      others: 0,
    });
    await withDataset(data.dataDir, DS, async (ds) => {
      expect(d.labels.find((l) => l.kind === "bboxes")?.total).toBe(await ds.count("bboxes"));
    });
    // Tables without rows are not listed.
    expect(d.labels.map((l) => l.kind)).toEqual(["entities", "bboxes"]);
  });

  it("stats.json: none → null; Pixano's histograms passed through as written; a junk file reported, left as it is", async () => {
    expect((await summary()).stats_json).toBeNull();
    const file = await withDataset(data.dataDir, DS, async (ds) => {
      await ds.writeStats();
      return path.join(ds.path, "stats.json");
    });
    const written: unknown = JSON.parse(await readFile(file, "utf8"));
    const d = await summary();
    expect(d.stats_json).toEqual(written);
    expect(d.stats_json?.map((e) => e.name)).toEqual(expect.arrayContaining(["split", "status", "category"]));
    expect(d.stats_json_error).toBeNull();
    await writeFile(file, '{"not": "a list"}');
    const junk = await summary();
    expect(junk.stats_json).toBeNull();
    expect(junk.stats_json_error).toMatch(/stats\.json is not a list of histograms/);
    expect(await readFile(file, "utf8")).toBe('{"not": "a list"}');
    await writeFile(file, JSON.stringify(written));
  });

  it("new feed entries are read on the next request (the cache is invalidated by the file's growth)", async () => {
    const s = service();
    const first = await withDataset(data.dataDir, DS, (ds) => s.summary(ds, {}));
    await appendFeed(data.dataDir, DS, [
      statusEntry(DS, "2026-03-10T11:00:00Z", "dave", "r4", "new", "inProgress", "edit"),
      statusEntry(DS, "2026-03-10T11:30:00Z", "dave", "r4", "inProgress", "inReview", "submit"),
    ]);
    const second = await withDataset(data.dataDir, DS, (ds) => s.summary(ds, {}));
    expect(second.activity.entries).toBe(first.activity.entries + 2);
    expect(second.throughput.find((t) => t.user.id === "dave")).toMatchObject({ submitted: 1 });
  });
});

describe("dashboard window (SPEC D-DASH): junk parameters are refused with a message", () => {
  const now = NOW;
  it.each([
    [{ bucket: "week" }, /bucket: one of auto, hour, day/],
    [{ from: "yesterday" }, /from: not an ISO 8601/],
    [{ to: "2026-13-45T99:00:00Z" }, /to: not an ISO 8601/],
    [{ from: "2026-03-10T00:00:00Z", to: "2026-03-09T00:00:00Z" }, /from: must be before to/],
    [{ from: "2020-01-01", bucket: "hour" }, /at most 1000: narrow the window or use bucket=day/],
  ])("%j", (query, message) => {
    expect(() => resolveWindow(query, now, null)).toThrow(WindowError);
    expect(() => resolveWindow(query, now, null)).toThrow(message);
  });

  it("an empty feed gets a week before now; a date-time without a zone is UTC", () => {
    const w = resolveWindow({}, now, null);
    expect(w.to - w.from).toBe(7 * 86_400_000);
    expect(w.bucket).toBe("day");
    expect(resolveWindow({ from: "2026-03-10T06:00" }, now, null).from).toBe(Date.parse("2026-03-10T06:00:00Z"));
  });
});

describe("time spent helpers (SPEC D-TIME)", () => {
  it("quantiles interpolate between ranks", () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([10], 0.9)).toBe(10);
    expect(quantile([0, 10, 20, 30], 0.5)).toBe(15);
  });
  it("histogram bins are round widths from 0, at most 20, covering the largest value", () => {
    const bins = durationHistogram([0, 59, 61, 3599]);
    expect(bins.length).toBeLessThanOrEqual(20);
    expect(bins[0]?.bin_start).toBe(0);
    expect(bins.at(-1)?.bin_end).toBeGreaterThan(3599);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(4);
    expect(bins[0]?.bin_end).toBe(300);
  });
});

describe("activity log edit batches (SPEC D-TIME)", () => {
  it("an edit batch records its last edit as `until`, so its time spent is until − at", async () => {
    let t = Date.parse("2026-03-10T09:00:00Z");
    const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
    const log = new ActivityLog(path.join(data.root, "batch-activity"), {
      clock: {
        now: () => new Date(t),
        setTimeout: (fn, ms) => {
          const timer = { at: t + ms, fn, cancelled: false };
          timers.push(timer);
          return { cancel: () => (timer.cancelled = true) };
        },
      },
    });
    const user = { id: "alice", name: "Alice", color: "#336699", role: "annotator" as const };
    const touched = { bboxes: { added: 1, updated: 0, removed: 0 } };
    log.recordEdit("ds", "r1", user, touched);
    t += 3000;
    log.recordEdit("ds", "r1", user, touched);
    t += 2000;
    log.recordEdit("ds", "r1", user, touched);
    await log.flush();
    const [batch] = await log.list("ds");
    expect(batch?.kind).toBe("edit");
    expect(batch?.at).toBe("2026-03-10T09:00:00.000Z");
    expect(batch?.until).toBe("2026-03-10T09:00:05.000Z");
  });
});
