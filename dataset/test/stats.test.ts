import { promises as fs } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, readStats, type Dataset } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

describe("stats", () => {
  let dataDir: string;
  let library: Library;
  let ds: Dataset;

  beforeAll(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir);
    ds = await library.create("s", fullInfo("s"));
    await ds.add("records", [
      { id: "r1", split: "train", weather: "sunny" },
      { id: "r2", split: "train", weather: "rainy", status: "validated" },
      { id: "r3", split: "val", weather: "sunny" },
    ]);
    await ds.add("entities", [
      { id: "e1", record_id: "r1", category: "car" },
      { id: "e2", record_id: "r2", category: "car" },
      { id: "e3", record_id: "r3", category: "dog" },
    ]);
    await ds.add("images", [
      { id: "i1", record_id: "r1", width: 100, height: 50 },
      { id: "i2", record_id: "r2", width: 200, height: 50 },
      { id: "i3", record_id: "r3", width: 300, height: 50 },
    ]);
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("computes Pixano's stats.json shape: per-split categorical and numerical histograms", async () => {
    const stats = await ds.computeStats();
    expect(stats.map((s) => s.name)).toEqual(["split", "status", "weather", "category", "width", "height"]);
    const byName = new Map(stats.map((s) => [s.name, s]));
    expect(byName.get("split")).toEqual({
      name: "split",
      type: "categorical",
      range: null,
      histogram: [
        { split: "train", counts: 2 },
        { split: "val", counts: 1 },
      ],
    });
    expect(byName.get("weather")!.histogram).toEqual([
      { weather: "rainy", counts: 1, split: "train" },
      { weather: "sunny", counts: 1, split: "train" },
      { weather: "sunny", counts: 1, split: "val" },
    ]);
    expect(byName.get("category")!.histogram).toEqual([
      { category: "car", counts: 2, split: "train" },
      { category: "dog", counts: 1, split: "val" },
    ]);
    const width = byName.get("width")!;
    expect(width.type).toBe("numerical");
    expect(width.range).toEqual([100, 300]);
    expect(width.histogram).toHaveLength(20);
    expect(width.histogram[0]).toEqual({ bin_start: 100, bin_end: 120, counts: 1, split: "train" });
    expect(width.histogram.at(-1)).toEqual({ bin_start: 280, bin_end: 300, counts: 1, split: "val" });
    expect(width.histogram.reduce((n, b) => n + (b.counts as number), 0)).toBe(3);
    expect(byName.get("height")!.histogram).toEqual([
      { bin_start: 50, bin_end: 50, counts: 2, split: "train" },
      { bin_start: 50, bin_end: 50, counts: 1, split: "val" },
    ]);
  });

  it("writes stats.json with a 4-space indent and reads it back", async () => {
    const stats = await ds.writeStats();
    const text = await fs.readFile(path.join(ds.path, "stats.json"), "utf8");
    expect(text.startsWith('[\n    {\n        "name": "split",')).toBe(true);
    expect(await readStats(ds.path)).toEqual(stats);
  });

  it("counts rows per schema group and table", async () => {
    const counts = await ds.countsByGroup();
    expect(counts.records).toEqual({ records: 3 });
    expect(counts.entities).toEqual({ entities: 3 });
    expect(counts.views).toMatchObject({ images: 3, texts: 0, sequence_frames: 0 });
    expect(counts.annotations!.bboxes).toBe(0);
  });
});
