import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importDataset } from "../../src/io/index.js";
import { streamArrays } from "../../src/io/coco/jsonArrays.js";
import { PIXANO_BUILT, readAll, tempDir } from "./helpers.js";

/**
 * The COCO reader streams its JSON files: items are cut out of 64 KiB read chunks and parsed one
 * by one. Items that straddle chunk boundaries, keys named `images` inside other objects, strings
 * holding brackets, quotes and non-ASCII text must all read as `JSON.parse` of the whole file.
 */
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await tempDir("tessera-coco-stream-");
  dirs.push(d);
  return d;
}

const LIMITS = { maxItems: 1_000_000, maxItemBytes: 1 << 20 };

async function collect(file: string, keys: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for await (const item of streamArrays(file, "x.json", new Set(keys), LIMITS)) {
    expect(item.index).toBe((out[item.key] ??= []).length);
    out[item.key]!.push(item.value);
  }
  return out;
}

describe("COCO JSON streaming", () => {
  it("reads the same items as JSON.parse across chunk boundaries, nested keys and tricky strings", async () => {
    const doc = {
      info: { images: ["not", "these"], note: 'a "quoted" ], [{ bracket \\ and é' },
      'é"key': { annotations: [{ id: -1 }] },
      images: Array.from({ length: 700 }, (_, i) => ({ id: i, file_name: `dir/ü${i}.png`, width: 640, height: 480 })),
      annotations: Array.from({ length: 3000 }, (_, i) => ({
        id: i,
        image_id: i % 700,
        category_id: 1,
        segmentation: [[1.5, 2, 3e2, 4, 5, -6e-3]],
        caption: i % 7 === 0 ? '}{][,":' : null,
      })),
      categories: [{ id: 1, name: "chat 🐈", supercategory: "animal" }],
      trailing: [1, 2, { images: [] }],
    };
    const file = path.join(await scratch(), "x.json");
    await fs.writeFile(file, JSON.stringify(doc, null, 1));
    expect((await fs.stat(file)).size).toBeGreaterThan(4 * 64 * 1024);
    const got = await collect(file, ["images", "annotations", "categories"]);
    expect(got.images).toEqual(doc.images);
    expect(got.annotations).toEqual(doc.annotations);
    expect(got.categories).toEqual(doc.categories);
    // Compact output and scalar items.
    await fs.writeFile(file, `\uFEFF${JSON.stringify({ images: [1, "a,b", null, true, -2.5e3], annotations: [] })}`);
    expect(await collect(file, ["images", "annotations"])).toEqual({ images: [1, "a,b", null, true, -2500] });
  });

  it("names the file and the item of a broken or truncated file", async () => {
    const file = path.join(await scratch(), "x.json");
    await fs.writeFile(file, '{"images": [{"id": 1}, {"id": 2,}]}');
    await expect(collect(file, ["images"])).rejects.toThrow(/^x\.json:\/images\/1: invalid JSON/);
    await fs.writeFile(file, '{"images": [{"id": 1}, {"id": 2}');
    await expect(collect(file, ["images"])).rejects.toThrow("x.json: invalid JSON (unexpected end of the file)");
    await fs.writeFile(file, "[1, 2]");
    await expect(collect(file, ["images"])).rejects.toThrow("x.json: a COCO instances file must be a JSON object");
    await fs.writeFile(file, `{"images": [{"big": "${"x".repeat(2 << 20)}"}]}`);
    await expect(collect(file, ["images"])).rejects.toThrow(/x\.json:\/images\/0: an item is larger than/);
  });

  it("imports 2,000 images and 6,000 annotations streamed from one file many read chunks long", async () => {
    const src = path.join(await scratch(), "many");
    await fs.mkdir(path.join(src, "train"), { recursive: true });
    const png = await fs.readFile(path.join(PIXANO_BUILT, "coco", "source", "images", "train", "b.png"));
    const images = [];
    for (let i = 0; i < 2000; i++) {
      await fs.writeFile(path.join(src, "train", `${i}.png`), png);
      images.push({ id: i + 1, file_name: `${i}.png`, width: 32, height: 32 });
    }
    const annotations = Array.from({ length: 6000 }, (_, i) => ({
      id: i + 1,
      image_id: (i % 2000) + 1,
      category_id: (i % 3) + 1,
      bbox: [1, 2, 10, 12],
      segmentation: [[1, 1, 20, 1, 20, 20, 1, 20]],
      iscrowd: 0,
    }));
    const categories = ["a", "b", "c"].map((name, i) => ({ id: i + 1, name, supercategory: "s" }));
    await fs.writeFile(path.join(src, "instances_train.json"), JSON.stringify({ images, annotations, categories }));
    expect((await fs.stat(path.join(src, "instances_train.json"))).size).toBeGreaterThan(8 * 64 * 1024);
    const report = await importDataset({ dataDir: await scratch(), source: src, format: "coco" });
    expect(report.tables).toMatchObject({ records: 2000, images: 2000, entities: 6000, bboxes: 6000, masks: 6000 });
    const rows = await readAll(report.path);
    const counts = new Map<string, number>();
    for (const e of rows.get("entities") ?? [])
      counts.set(e.category as string, (counts.get(e.category as string) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ a: 2000, b: 2000, c: 2000 });
  }, 120_000);
});
