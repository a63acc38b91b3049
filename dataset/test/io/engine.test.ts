import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectFormat, ImportError, importDataset } from "../../src/io/index.js";
import { globFiles } from "../../src/io/media.js";
import { drawImage, listTree, materialize, PIXANO_BUILT, readAll, tempDir } from "./helpers.js";

/** The import engine: dry runs, located errors, atomic create/overwrite, idempotent add. */
const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
});

async function source(name: string): Promise<string> {
  const dir = await materialize(name);
  cleanup.push(path.dirname(dir));
  return dir;
}

async function dataDir(): Promise<string> {
  const d = await tempDir();
  cleanup.push(d);
  return d;
}

async function importError(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe("dry run", () => {
  it("writes nothing and reports splits, rows per table and the inferred fields", async () => {
    const src = await source("v1_image");
    const dir = await dataDir();
    const before = await listTree(src);
    const plan = await importDataset({ dataDir: dir, source: src, dryRun: true });
    expect(await listTree(dir)).toEqual([]);
    expect(await listTree(src)).toEqual(before);
    expect(plan.dryRun).toBe(true);
    expect(plan.splits).toEqual({ test: 2, train: 3, val: 2 });
    expect(plan.inferred.map((f) => `${f.table}.${f.name}:${f.type}`)).toContain("records.score:float");
    const real = await importDataset({ dataDir: dir, source: src });
    expect(plan.tables).toEqual(real.tables);
  });
});

describe("errors carry file:line", () => {
  it("reports conflicting inferred types with both places", async () => {
    const err = await importError(importDataset({ dataDir: await dataDir(), source: await source("v1_bad_types") }));
    expect(err.reason).toBe("type_conflict");
    expect(err.location).toEqual({ file: "train/metadata.jsonl", line: 2, pointer: "/entities/0" });
    expect(err.message).toBe(
      'train/metadata.jsonl:2:/entities/0: entities field "category" is int here but str at train/metadata.jsonl:1',
    );
  });

  it("reports a line that is not JSON", async () => {
    const src = await source("v1_bad_types");
    await fs.writeFile(path.join(src, "train", "metadata.jsonl"), '{"image": "a.png"}\n\n{"image": "b.png",\n');
    const err = await importError(importDataset({ dataDir: await dataDir(), source: src }));
    expect(err.reason).toBe("invalid_json");
    expect(err.location).toMatchObject({ file: "train/metadata.jsonl", line: 3 });
  });

  it("reports JSONL v2 problems at file:line:json-pointer, with a did-you-mean", async () => {
    const err = await importError(importDataset({ dataDir: await dataDir(), source: await source("v2_bad") }));
    expect(err.location).toEqual({ file: "train/metadata.jsonl", line: 3, pointer: "/attrs/wether" });
    expect(err.message).toContain('did you mean "weather"');
  });

  it("reports missing media at the view that names it", async () => {
    const src = await source("v1_bad_row");
    await fs.rm(path.join(src, "train", "b.png"));
    const err = await importError(importDataset({ dataDir: await dataDir(), source: src }));
    expect(err.reason).toBe("missing_media");
    expect(err.location).toEqual({ file: "train/metadata.jsonl", line: 2, pointer: "/image" });
  });
});

describe("atomic create and overwrite", () => {
  it("leaves nothing behind when a row fails while writing", async () => {
    const dir = await dataDir();
    const err = await importError(importDataset({ dataDir: dir, source: await source("v1_bad_row"), batchRows: 1 }));
    expect(err.reason).toBe("invalid_row");
    expect(err.location).toEqual({
      file: "train/metadata.jsonl",
      line: 3,
      pointer: "/entities/0/annotations/image/bbox",
    });
    expect(await listTree(path.join(dir, "library"))).toEqual([]);
    expect(await listTree(path.join(dir, ".tessera", "staging"))).toEqual([]);
  });

  it("refuses to create over an existing dataset, replaces it on overwrite, keeps it when overwrite fails", async () => {
    const dir = await dataDir();
    const first = await importDataset({ dataDir: dir, source: await source("v1_image"), name: "My Set" });
    expect(first.folder).toBe("my_set");
    const again = await importError(importDataset({ dataDir: dir, source: await source("v1_image"), name: "My Set" }));
    expect(again.reason).toBe("target_exists");

    const failed = await importError(
      importDataset({
        dataDir: dir,
        source: await source("v1_bad_row"),
        name: "My Set",
        mode: "overwrite",
        batchRows: 1,
      }),
    );
    expect(failed.reason).toBe("invalid_row");
    const kept = JSON.parse(await fs.readFile(path.join(first.path, "info.json"), "utf8")) as { id: string };
    expect(kept.id).toBe(first.datasetId);
    expect((await readAll(first.path)).get("records")).toHaveLength(7);

    const replaced = await importDataset({
      dataDir: dir,
      source: await source("v1_vqa"),
      name: "My Set",
      mode: "overwrite",
      workspace: "image_vqa",
    });
    expect(replaced.datasetId).not.toBe(first.datasetId);
    const rows = await readAll(replaced.path);
    expect(rows.get("records")).toHaveLength(3);
    expect(rows.get("messages")).toHaveLength(8);
    expect(await listTree(path.join(dir, ".tessera"))).toEqual(["staging", "trash"]);
  });
});

describe("add mode", () => {
  it("upserts by id: re-running is idempotent, new lines are added, changed values replaced", async () => {
    const dir = await dataDir();
    const src = await source("v1_image");
    const a = await importDataset({ dataDir: dir, source: src });
    const rowsA = await readAll(a.path);
    const b = await importDataset({ dataDir: dir, source: src, mode: "add" });
    expect(b.datasetId).toBe(a.datasetId);
    const rowsB = await readAll(a.path);
    for (const [t, rows] of rowsA) expect(rowsB.get(t), t).toHaveLength(rows.length);
    const created = (rows: typeof rowsA) => Object.fromEntries(rows.get("records")!.map((r) => [r.id, r.created_at]));
    expect(created(rowsB)).toEqual(created(rowsA));

    const meta = path.join(src, "val", "metadata.jsonl");
    const text = await fs.readFile(meta, "utf8");
    await drawImage(path.join(src, "val", "h.png"), [20, 20, "#123456"]);
    await fs.writeFile(
      meta,
      `${text.replace('"weather": "foggy"', '"weather": "clear"')}{"image": "h.png", "weather": "windy", "score": 1}\n`,
    );
    await importDataset({ dataDir: dir, source: src, mode: "add" });
    const rowsC = await readAll(a.path);
    expect(rowsC.get("records")).toHaveLength(8);
    expect(rowsC.get("records")!.map((r) => r.weather)).toEqual(expect.arrayContaining(["clear", "windy"]));
    expect(rowsC.get("records")!.map((r) => r.weather)).not.toContain("foggy");
    expect(rowsC.get("images")).toHaveLength(8);
  });

  it("refuses fields the existing dataset does not have", async () => {
    const dir = await dataDir();
    await importDataset({ dataDir: dir, source: await source("v1_vqa"), name: "ds", workspace: "image_vqa" });
    const err = await importError(
      importDataset({ dataDir: dir, source: await source("v1_image"), name: "ds", mode: "add" }),
    );
    expect(err.reason).toBe("schema_mismatch");
    expect(err.message).toContain("--mode overwrite");
  });
});

describe("media-only folders and format detection", () => {
  it("makes one record per image named after the file; split = sub-folder or default", async () => {
    const src = path.join(await dataDir(), "photos");
    await drawImage(path.join(src, "top.png"), [10, 10, "#ff0000"]);
    await drawImage(path.join(src, "train", "one.jpg"), [12, 10, "#00ff00"]);
    await drawImage(path.join(src, "train", "deep", "two.png"), [10, 12, "#0000ff"]);
    await fs.writeFile(path.join(src, "train", "notes.txt"), "not an image");
    expect(await detectFormat(src)).toBe("media");
    const r = await importDataset({ dataDir: await dataDir(), source: src });
    expect(r.format).toBe("media");
    expect(r.name).toBe("photos");
    expect(r.splits).toEqual({ default: 1, train: 2 });
    const rows = await readAll(r.path);
    // Files in Python's sorted(Path) order: "deep/two.png" before "one.jpg".
    expect(rows.get("records")!.map((x) => [x.id, x.split])).toEqual([
      ["top", "default"],
      ["two", "train"],
      ["one", "train"],
    ]);
    expect(
      rows
        .get("images")!
        .map((x) => x.format)
        .sort(),
    ).toEqual(["JPEG", "PNG", "PNG"]);
  });

  it("refuses two images with the same file stem (record ids would collide)", async () => {
    const src = path.join(await dataDir(), "dup");
    await drawImage(path.join(src, "a", "x.png"), [4, 4, "#ff0000"]);
    await drawImage(path.join(src, "b", "x.jpg"), [4, 4, "#ff0000"]);
    const err = await importError(importDataset({ dataDir: await dataDir(), source: src }));
    expect(err.reason).toBe("duplicate_id");
    expect(err.message).toContain("a/x.png");
  });

  it("tells v1, JSONL v2 and unknown sources apart", async () => {
    expect(await detectFormat(await source("v1_image"))).toBe("pixano_v1");
    expect(await detectFormat(await source("v2_bad"))).toBe("pixano_jsonl");
    expect(await detectFormat(path.join(PIXANO_BUILT, "sources", "video"))).toBe("pixano_jsonl");
    const empty = await dataDir();
    await expect(detectFormat(empty)).rejects.toMatchObject({ reason: "unknown_format" });
  });

  it("globs frames in Python's sorted order", async () => {
    const dir = await dataDir();
    for (const f of ["f10.png", "f2.png", "f1.png", "sub/f0.png", "x.txt"]) {
      await fs.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await fs.writeFile(path.join(dir, f), "");
    }
    expect(await globFiles(dir, "*.png")).toEqual(["f1.png", "f10.png", "f2.png"]);
    expect(await globFiles(dir, "**/f?.png")).toEqual(["f1.png", "f2.png", "sub/f0.png"]);
    expect(await globFiles(dir, "f[12]*.png")).toEqual(["f1.png", "f10.png", "f2.png"]);
  });
});
