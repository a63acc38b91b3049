import type { DatasetInfo, Row } from "@tessera/shared-crdt";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, rowsToArrowTable, type Dataset } from "../src/index.js";
import { exportDataset, importDataset } from "../src/io/index.js";
import { removeDir, steppingClock, tempDir } from "./helpers.js";

/**
 * int64 over its whole range (S-INT64): Pixano stores Python ints in Arrow int64 and reads them back
 * exactly, so a value beyond ±(2^53 − 1) must survive a write, a read, a filter and an update.
 */

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;
const JUST_UNSAFE = 9007199254740993n; // 2^53 + 1: the first integer a double cannot hold

function int64Info(id = "int64_extremes"): DatasetInfo {
  return {
    id,
    name: "int64 extremes",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "embedded",
    record: {
      base: "Record",
      name: "BigRecord",
      fields: {
        big: { collection: false, type: "int", required: false, default: 0 },
        bigs: { collection: true, type: "int", required: false, default: [] },
        score: { collection: false, type: "float", required: false, default: 0.0 },
      },
    },
    entity: { base: "Entity", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  };
}

/**
 * Puts the int64 extremes into LanceDB the way another writer (Pixano) would: straight into the
 * table, without Tessera's validation, so reading, filtering and updating are tested on their own.
 */
async function writeExtremes(ds: Dataset, rows: readonly Row[]): Promise<void> {
  await ds.add(
    "records",
    rows.map((r) => ({ id: r.id, split: "train" })),
  );
  const t = await ds.table("records");
  if (!t) throw new Error("no records table");
  for (const r of rows) {
    const stored = await ds.get("records", String(r.id));
    await t.table.delete(`id = '${String(r.id)}'`);
    await t.table.add(rowsToArrowTable(t.layout.schema, [{ ...stored, ...r }]) as never);
  }
}

const INT64_ROWS: readonly Row[] = [
  { id: "max", big: MAX, bigs: [MAX, 1] },
  { id: "min", big: MIN, bigs: [MIN] },
  { id: "unsafe", big: JUST_UNSAFE, bigs: [] },
  { id: "small", big: 5, bigs: [-1, 2] },
];

describe("int64 beyond ±2^53 in a dataset", () => {
  let dataDir: string;
  let library: Library;
  let ds: Dataset;

  beforeAll(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir, { now: steppingClock() });
    ds = await library.create("int64_extremes", int64Info());
    await writeExtremes(ds, INT64_ROWS);
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("reads int64 extremes back exactly (not rounded to a double)", async () => {
    const max = await ds.get("records", "max");
    const min = await ds.get("records", "min");
    expect(max?.big).toBe(MAX);
    expect(min?.big).toBe(MIN);
    expect(max?.bigs).toEqual([MAX, 1]);
    expect(min?.bigs).toEqual([MIN]);
    expect((await ds.get("records", "unsafe"))?.big).toBe(JUST_UNSAFE);
    // Safe values stay plain numbers, so existing code keeps working on them.
    expect((await ds.get("records", "small"))?.big).toBe(5);
    const page = await ds.query("records", { sort: { column: "id", order: "asc" } });
    expect(page.items.map((r) => [r.id, r.big])).toEqual([
      ["max", MAX],
      ["min", MIN],
      ["small", 5],
      ["unsafe", JUST_UNSAFE],
    ]);
  });

  it("filters on int64 values beyond 2^53 exactly instead of refusing them", async () => {
    const ids = async (op: "eq" | "lt" | "gt" | "in" | "ne", ...values: string[]) =>
      (
        await ds.query("records", { filters: [{ column: "big", op, values }], sort: { column: "id", order: "asc" } })
      ).items.map((r) => r.id);
    expect(await ids("eq", "9223372036854775807")).toEqual(["max"]);
    expect(await ids("eq", "-9223372036854775808")).toEqual(["min"]);
    expect(await ids("eq", "9007199254740993")).toEqual(["unsafe"]);
    // 2^53 + 1 and 2^53 are one apart: a double-rounded literal would match both or neither.
    expect(await ids("eq", "9007199254740992")).toEqual([]);
    expect(await ids("gt", "9007199254740992")).toEqual(["max", "unsafe"]);
    expect(await ids("lt", "-9223372036854775807")).toEqual(["min"]);
    expect(await ids("in", "9223372036854775807", "-9223372036854775808")).toEqual(["max", "min"]);
    expect(await ids("ne", "9223372036854775807")).toEqual(["min", "small", "unsafe"]);
    expect(
      await ds.count("records", {
        where: { id: "max" },
        filters: [{ column: "big", op: "eq", values: ["+9223372036854775807"] }],
      }),
    ).toBe(1);
  });

  it("navigates and pages by an int64 sort key beyond 2^53 (neighbors, keyset) instead of failing", async () => {
    const byBig = { column: "big", order: "asc" } as const;
    expect(await ds.neighbors("unsafe", { sort: byBig })).toEqual({
      previous: "small",
      next: "max",
      position: 3,
      total: 4,
    });
    expect(await ds.neighbors("min", { sort: byBig })).toEqual({
      previous: null,
      next: "small",
      position: 1,
      total: 4,
    });
    expect(await ds.neighbors("max", { sort: byBig })).toEqual({
      previous: "unsafe",
      next: null,
      position: 4,
      total: 4,
    });
    const page = async (after: { id: string; sortValue?: unknown }) =>
      (await ds.query("records", { sort: byBig, after, limit: 2 })).items.map((r) => r.id);
    expect(await page({ id: "unsafe" })).toEqual(["max"]);
    expect(await page({ id: "min" })).toEqual(["small", "unsafe"]);
    expect(await page({ id: "", sortValue: MIN })).toEqual(["min", "small"]);
    expect(await page({ id: "", sortValue: "9007199254740992" })).toEqual(["unsafe", "max"]);
  });

  it("refuses integers outside the int64 range in filters, with a 400-kind error", async () => {
    for (const v of ["9223372036854775808", "-9223372036854775809", "1.5", "9e18"]) {
      await expect(
        ds.query("records", { filters: [{ column: "big", op: "eq", values: [v] }] }),
        v,
      ).rejects.toMatchObject({
        name: "QueryError",
        reason: "bad_value",
      });
    }
  });

  it("updates a record holding int64 extremes and writes new extremes exactly", async () => {
    const updated = await ds.update("records", "small", { big: MIN + 1n, bigs: [MAX, MIN] });
    expect(updated.big).toBe(MIN + 1n);
    const back = await ds.get("records", "small");
    expect(back?.big).toBe(MIN + 1n);
    expect(back?.bigs).toEqual([MAX, MIN]);
    // Updating another field leaves the extreme untouched.
    await ds.update("records", "max", { comment: "still max" });
    expect((await ds.get("records", "max"))?.big).toBe(MAX);
    // An integral float beyond 2^53 is an int, as pydantic's lax `int` takes it.
    await ds.update("records", "unsafe", { big: 2 ** 60 });
    expect((await ds.get("records", "unsafe"))?.big).toBe(2n ** 60n);
  });

  it("refuses values outside the int64 range on write", async () => {
    await expect(ds.update("records", "small", { big: MAX + 1n })).rejects.toMatchObject({ name: "ValidationError" });
    await expect(ds.update("records", "small", { big: 2 ** 64 })).rejects.toMatchObject({ name: "ValidationError" });
    await expect(ds.update("records", "small", { big: 1.5 })).rejects.toMatchObject({ name: "ValidationError" });
  });

  it("exports int64 extremes digit for digit to metadata.jsonl and a re-import keeps them exactly", async () => {
    const dest = path.join(dataDir, "export");
    await exportDataset({ dataDir, dataset: "int64_extremes", dest });
    const jsonl = await fs.readFile(path.join(dest, "train", "metadata.jsonl"), "utf8");
    expect(jsonl).toContain(`"big":${MAX}`);
    expect(jsonl).toContain(`"big":${MIN}`);
    const second = path.join(dataDir, "reimport");
    const b = await importDataset({ dataDir: second, source: dest });
    const again = new Library(second);
    try {
      const copy = await again.open(b.datasetId);
      const pick = async (d: Dataset) =>
        (await d.query("records", { sort: { column: "id", order: "asc" } })).items.map((r) => [r.id, r.big, r.bigs]);
      const original = await pick(ds);
      expect(original.map(([, big]) => big)).toContain(MAX);
      expect(await pick(copy)).toEqual(original);
    } finally {
      await again.close();
    }
  });
});
