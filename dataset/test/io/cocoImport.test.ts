import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { detectFormat, ImportError, importDataset } from "../../src/io/index.js";
import { cell, PIXANO_BUILT, readAll, tempDir } from "./helpers.js";

/**
 * fixtures/pixano-built/coco/source is a tiny COCO instances source (boxes, a polygon, a
 * compressed RLE, a crowd uncompressed RLE, COCO-17 keypoints, both image layouts) and
 * reference/ is what Pixano 0.8.0's `pixano data import --format coco` made of it. Tessera's
 * import of the same folder must give the same tables and rows, ids included; only the import
 * times and the preview PNG encoder's bytes may differ.
 */
const COCO = path.join(PIXANO_BUILT, "coco");
const SOURCE = path.join(COCO, "source");
type RefRow = Record<string, unknown>;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await tempDir("tessera-coco-");
  dirs.push(d);
  return d;
}

function refCell(v: unknown): string {
  if (v !== null && typeof v === "object" && "__bytes__" in (v as object))
    return `bytes:${(v as { __bytes__: string }).__bytes__}`;
  return JSON.stringify(v);
}

/** A copy of the fixture source, named `source` (the id namespace is the folder name), to edit. */
async function copySource(): Promise<string> {
  const dir = path.join(await scratch(), "source");
  await fs.cp(SOURCE, dir, { recursive: true });
  return dir;
}

async function editJson(file: string, edit: (doc: Record<string, unknown[]>) => void): Promise<void> {
  const doc = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown[]>;
  edit(doc);
  await fs.writeFile(file, JSON.stringify(doc));
}

describe("COCO import", () => {
  it("is detected by --format auto from instances_<split>.json", async () => {
    expect(await detectFormat(SOURCE)).toBe("coco");
  });

  it("imports the rows, ids and info.json Pixano 0.8.0 builds from the same COCO source", async () => {
    const report = await importDataset({ dataDir: await scratch(), source: SOURCE, name: "coco_tiny" });
    expect(report.format).toBe("coco");
    expect(report.splits).toEqual({ train: 2, val: 1 });
    const ours = await readAll(report.path);
    const ref = JSON.parse(await fs.readFile(path.join(COCO, "reference", "coco_tiny.rows.json"), "utf8")) as {
      tables: Record<string, RefRow[]>;
    };
    expect([...ours.keys()].sort()).toEqual(Object.keys(ref.tables).sort());
    for (const [table, refRows] of Object.entries(ref.tables)) {
      const mine = new Map((ours.get(table as never) ?? []).map((r) => [r.id as string, r]));
      expect(mine.size, `${table} row count`).toBe(refRows.length);
      for (const r of refRows) {
        const o = mine.get(r.id as string);
        expect(o, `${table}[${String(r.id)}]`).toBeDefined();
        for (const [k, v] of Object.entries(r)) {
          if (k === "created_at" || k === "updated_at") continue;
          let got = o![k];
          if (k === "counts" && typeof got === "string") got = new TextEncoder().encode(got);
          if (k === "preview") {
            const want = Buffer.from((v as { __bytes__: string }).__bytes__, "base64");
            const [a, b] = await Promise.all([sharp(got as Uint8Array).metadata(), sharp(want).metadata()]);
            expect(`${a.format} ${a.width}x${a.height}`, `${table}[${String(r.id)}].preview`).toBe(
              `${b.format} ${b.width}x${b.height}`,
            );
            continue;
          }
          expect(cell(got), `${table}[${String(r.id)}].${k}`).toBe(refCell(v));
        }
      }
    }
    const info = JSON.parse(await fs.readFile(path.join(report.path, "info.json"), "utf8")) as Record<string, unknown>;
    const refInfo = JSON.parse(
      await fs.readFile(path.join(COCO, "reference", "coco_tiny.info.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual(Object.keys(refInfo));
    for (const k of Object.keys(refInfo))
      if (k !== "id" && k !== "creation_date") expect(info[k], `info.json ${k}`).toEqual(refInfo[k]);
  });

  it("refuses a bad bbox naming the file and the annotation index, and writes nothing", async () => {
    const src = await copySource();
    await editJson(path.join(src, "annotations", "instances_train.json"), (d) => {
      (d.annotations![2] as Record<string, unknown>).bbox = [1, "two", 3, 4];
    });
    const dataDir = await scratch();
    const err = await importDataset({ dataDir, source: src, format: "coco" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).message).toBe(
      "annotations/instances_train.json:/annotations/2/bbox/1: must be a finite number",
    );
    await expect(fs.readdir(path.join(dataDir, "library"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses an undeclared category_id, a missing image and a file_name outside the source", async () => {
    const cases: Array<[(d: Record<string, unknown[]>) => void, RegExp]> = [
      [
        (d) => ((d.annotations![0] as Record<string, unknown>).category_id = 99),
        /instances_val\.json:\/annotations\/0\/category_id: category_id 99 is not declared/,
      ],
      [
        (d) => ((d.images![0] as Record<string, unknown>).file_name = "nope.jpg"),
        /instances_val\.json:\/images\/0\/file_name: image file 'nope\.jpg' not found for split 'val'/,
      ],
      [
        (d) => ((d.images![0] as Record<string, unknown>).file_name = "../../etc/passwd"),
        /instances_val\.json:\/images\/0\/file_name: file_name must be a path inside the source folder/,
      ],
      [
        (d) => ((d as Record<string, unknown>).images = { a: 1 }),
        /instances_val\.json:\/images: images must be a list/,
      ],
    ];
    for (const [edit, message] of cases) {
      const src = await copySource();
      await editJson(path.join(src, "instances_val.json"), edit);
      await expect(importDataset({ dataDir: await scratch(), source: src })).rejects.toThrow(message);
    }
  });

  it("keeps what Pixano 0.8 accepts: a segmentation or RLE counts of another type give no mask, iscrowd is bool()", async () => {
    // Checked against `pixano data import --format coco` on the same edit: imported, entities
    // iscrowd True and True, no mask added.
    const src = await copySource();
    await editJson(path.join(src, "instances_val.json"), (d) => {
      d.annotations!.push(
        { id: 51, image_id: 5, category_id: 3, bbox: [1, 1, 2, 2], segmentation: "abc", iscrowd: 2 },
        { id: 52, image_id: 5, category_id: 3, segmentation: { counts: 5 }, iscrowd: "0" },
      );
    });
    const report = await importDataset({ dataDir: await scratch(), source: src });
    expect(report.tables).toMatchObject({ entities: 7, masks: 3, bboxes: 6 });
    const entities = (await readAll(report.path)).get("entities") ?? [];
    expect(entities.filter((e) => e.iscrowd === true)).toHaveLength(3);
  });

  it("--media uri keeps coco_url, probes a local copy for a missing size, and is a filesystem dataset, as Pixano", async () => {
    const src = await copySource();
    for (const f of ["annotations/instances_train.json", "instances_val.json"])
      await editJson(path.join(src, f), (d) => {
        for (const im of d.images as Record<string, unknown>[])
          im.coco_url = `https://images.example.org/${im.file_name as string}`;
        delete (d.images![0] as Record<string, unknown>).width;
      });
    const report = await importDataset({ dataDir: await scratch(), source: src, media: "uri" });
    expect(report.storageMode).toBe("filesystem");
    const rows = await readAll(report.path);
    // What `pixano data import --format coco --media uri` wrote for the same edit.
    expect(
      (rows.get("images") ?? [])
        .map((r) => [r.id, r.uri, r.width, r.height, r.format, (r.raw_bytes as Uint8Array).length])
        .sort(),
    ).toEqual([
      ["1DH2ZwGH-6eXQHu3is2DhnPg5trZCBC", "https://images.example.org/a.png", 40, 30, "PNG", 0],
      ["ZAVrQNIi-6eXQHu3is2DhnPg5trZCBC", "https://images.example.org/b.png", 32, 32, "PNG", 0],
      ["udNsJfPJ-6eXQHu3is2DhnPg5trZCBC", "https://images.example.org/c.jpg", 48, 36, "JPG", 0],
    ]);
    expect(rows.get("bboxes")).toHaveLength(5);
    const noUrl = await copySource();
    await expect(importDataset({ dataDir: await scratch(), source: noUrl, media: "uri" })).rejects.toThrow(
      /instances_train\.json:\/images\/0: media mode 'uri' needs a coco_url per image/,
    );
  });

  it("refuses a file that is not JSON with the file named", async () => {
    const src = await copySource();
    await fs.writeFile(path.join(src, "instances_val.json"), "{ not json");
    await expect(importDataset({ dataDir: await scratch(), source: src })).rejects.toThrow(
      /^instances_val\.json: invalid JSON/,
    );
  });
});
