import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exportDataset, importDataset } from "../../src/io/index.js";
import { pyRound2 } from "../../src/io/coco/exporter.js";
import { PIXANO_BUILT, readAll, tempDir } from "./helpers.js";

/**
 * reference/export/ is what `pixano data export --format coco` wrote for the dataset Pixano 0.8.0
 * imported from fixtures/pixano-built/coco/source. Tessera imports the same source with the same
 * ids, so its COCO export must be the same files, byte for byte.
 */
const COCO = path.join(PIXANO_BUILT, "coco");
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await tempDir("tessera-coco-export-");
  dirs.push(d);
  return d;
}

async function listFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

describe("COCO export", () => {
  it("writes the instances files and images Pixano 0.8.0's COCO exporter writes", async () => {
    const dataDir = await scratch();
    await importDataset({ dataDir, source: path.join(COCO, "source"), name: "coco_tiny" });
    const dest = path.join(await scratch(), "out");
    const report = await exportDataset({ dataDir, dataset: "coco_tiny", dest, format: "coco" });
    expect(report.splits).toEqual({ train: 2, val: 1 });
    expect(report.mediaFiles).toBe(3);
    for (const split of ["train", "val"]) {
      const name = `instances_${split}.json`;
      expect(await fs.readFile(path.join(dest, name), "utf8"), name).toBe(
        await fs.readFile(path.join(COCO, "reference", "export", name), "utf8"),
      );
    }
    const media = (await fs.readFile(path.join(COCO, "reference", "export", "media.txt"), "utf8")).trim().split("\n");
    expect((await listFiles(dest)).filter((f) => f.startsWith("image/"))).toEqual(media);
    // The dumped images are the source's bytes.
    expect(await fs.readFile(path.join(dest, media[2]!))).toEqual(
      await fs.readFile(path.join(COCO, "source", "val", "c.jpg")),
    );
  });

  it("round trips: import → export → import keeps images, categories, boxes, masks and keypoints", async () => {
    const dataDir = await scratch();
    const first = await importDataset({ dataDir, source: path.join(COCO, "source"), name: "first" });
    const dest = path.join(await scratch(), "exported");
    await exportDataset({ dataDir, dataset: "first", dest, format: "coco" });
    const second = await importDataset({ dataDir, source: dest, name: "second" });
    expect(second.format).toBe("coco");
    expect(second.splits).toEqual(first.splits);
    expect(second.tables).toEqual(first.tables);
    const a = await readAll(first.path);
    const b = await readAll(second.path);
    // Ids are derived from the source's image and annotation ids, which the export renumbers:
    // compare by content, keyed by image bytes and the entity's category.
    const describe = (rows: Map<string, Record<string, unknown>[]>) => {
      const images = new Map((rows.get("images") ?? []).map((r) => [r.id as string, r]));
      const entities = new Map((rows.get("entities") ?? []).map((r) => [r.id as string, r]));
      const out: string[] = [];
      for (const t of ["bboxes", "masks", "keypoints"]) {
        for (const r of rows.get(t) ?? []) {
          const img = images.get(r.view_id as string)!;
          const ent = entities.get(r.entity_id as string)!;
          const value =
            t === "bboxes"
              ? (r.coords as number[]).map((v) => v.toFixed(4))
              : t === "masks"
                ? [r.size, String(r.counts)]
                : [(r.coords as number[]).map((v) => v.toFixed(4)), r.states, r.template_id];
          out.push(
            JSON.stringify([
              t,
              Buffer.from(img.raw_bytes as Uint8Array)
                .toString("base64")
                .slice(0, 80),
              img.width,
              img.height,
              ent.category,
              ent.supercategory,
              ent.iscrowd,
              value,
            ]),
          );
        }
      }
      return out.sort();
    };
    expect(describe(b as never)).toEqual(describe(a as never));
    expect(describe(a as never)).toHaveLength(9);
  });

  it("rounds as Python's round(v, 2) does, exact ties to even", () => {
    expect([0.125, 0.375, 2.675, 1.005, -0.125, 20.5, 451, 6.665].map(pyRound2)).toEqual([
      0.12, 0.38, 2.67, 1, -0.12, 20.5, 451, 6.67,
    ]);
  });
});
