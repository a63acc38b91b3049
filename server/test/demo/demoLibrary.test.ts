import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library, type Dataset } from "@tessera/dataset";
import type { Row, TableName } from "@tessera/shared-crdt";
import { createDemoLibrary, type DemoReport } from "../../src/demo/index.js";
import {
  answerProblems,
  bboxProblems,
  invalidRows,
  maskAreaProblems,
  textSpanProblems,
  videoProblems,
  type Tables,
} from "./demoChecks.js";

/**
 * The demo library as `npm start` creates it (default sizes and seed), written to a temp
 * DATA_DIR through `@tessera/dataset`, then read back from LanceDB and checked row by row.
 */
const clock = () => new Date("2026-11-20T10:00:00Z");
let dataDir = "";
let report: DemoReport;
let elapsedMs = 0;
let library: Library;
const tables = new Map<string, Tables>();

async function readAll(ds: Dataset): Promise<Tables> {
  const out: Tables = {};
  for (const name of await ds.tables()) {
    const columns = ds.schema.tables.get(name)?.columns.map((c) => c.name);
    out[name] = (await ds.query(name, { columns })).items;
  }
  return out;
}

const rowsOf = (id: string, table: TableName): Row[] => tables.get(id)?.[table] ?? [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "tessera-demo-"));
  const t0 = performance.now();
  report = await createDemoLibrary(dataDir, { clock });
  elapsedMs = performance.now() - t0;
  library = new Library(dataDir);
  for (const summary of await library.scan()) tables.set(summary.id, await readAll(await library.open(summary.id)));
}, 120_000);

afterAll(async () => {
  await library?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("createDemoLibrary", () => {
  it("creates one dataset per workspace, fast enough for a first `npm start`", async () => {
    const summaries = await library.scan();
    expect(summaries.map((s) => [s.id, s.info.workspace, s.numRecords]).sort()).toEqual([
      ["demo_entity_linking", "image_text_entity_linking", 10],
      ["demo_image", "image", 300],
      ["demo_video", "video", 4],
      ["demo_vqa", "image_vqa", 20],
    ]);
    expect(report.datasets).toHaveLength(4);
    // Budget on this 2-core machine is ~20 s; allow slack for a loaded CI box.
    expect(elapsedMs).toBeLessThan(60_000);
    console.log(
      `demo library generated in ${Math.round(elapsedMs)} ms (build ${report.millis.build} ms, write ${report.millis.write} ms)`,
    );
  });

  it("writes every table it planned, with the planned row counts", () => {
    for (const d of report.datasets) {
      for (const [table, n] of Object.entries(d.rows))
        expect(rowsOf(d.id, table as TableName), `${d.id}.${table}`).toHaveLength(n);
    }
    expect(rowsOf("demo_image", "images")).toHaveLength(300);
    expect(rowsOf("demo_video", "sequence_frames")).toHaveLength(80);
    expect(rowsOf("demo_entity_linking", "texts")).toHaveLength(10);
    for (const table of ["bboxes", "masks", "multi_paths", "keypoints", "entities"] as const)
      expect(rowsOf("demo_image", table).length).toBeGreaterThan(50);
    for (const table of ["tracklets", "entity_dynamic_states", "bboxes", "keypoints"] as const)
      expect(rowsOf("demo_video", table).length).toBeGreaterThan(4);
    expect(rowsOf("demo_vqa", "messages").length).toBeGreaterThan(40);
    expect(rowsOf("demo_entity_linking", "text_spans").length).toBeGreaterThanOrEqual(20);
  });

  it("stores only rows that validate against the dataset's declared schema", async () => {
    for (const [id, t] of tables) expect(invalidRows((await library.open(id)).schema, t), id).toEqual([]);
  });

  it("stores normalised boxes that enclose their masks, polygons and keypoints", () => {
    for (const [id, t] of tables) expect(bboxProblems(t), id).toEqual([]);
    expect(rowsOf("demo_image", "masks").length + rowsOf("demo_entity_linking", "masks").length).toBeGreaterThan(100);
  });

  it("stores COCO RLE masks that decode to the drawn area", () => {
    for (const [id, t] of tables) expect(maskAreaProblems(t), id).toEqual([]);
  });

  it("links text spans to their exact mention and choice answers to their choices", () => {
    expect(textSpanProblems(tables.get("demo_entity_linking") ?? {})).toEqual([]);
    expect(rowsOf("demo_entity_linking", "text_spans").some((s) => (s.spans_start as number[]).length > 1)).toBe(true);
    expect(answerProblems(tables.get("demo_vqa") ?? {})).toEqual([]);
    const types = new Set(rowsOf("demo_vqa", "messages").map((m) => m.question_type));
    for (const t of ["OPEN", "SINGLE_CHOICE", "MULTI_CHOICE"])
      expect([...types].some((x) => String(x).startsWith(t))).toBe(true);
  });

  it("keeps video annotations on frames inside their tracklets", () => {
    expect(videoProblems(tables.get("demo_video") ?? {})).toEqual([]);
    const frames = rowsOf("demo_video", "sequence_frames").filter((f) => f.record_id === "clip_001");
    expect(frames.map((f) => f.frame_index).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it("mixes record statuses and splits, with the custom fields filled in", () => {
    const records = rowsOf("demo_image", "records");
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(["new", "inProgress", "inReview", "validated"]));
    expect(new Set(records.map((r) => r.split))).toEqual(new Set(["train", "val"]));
    expect(records.every((r) => typeof r.weather === "string" && r.weather !== "")).toBe(true);
    const categories = new Set(rowsOf("demo_image", "entities").map((e) => e.category));
    expect([...categories].sort()).toEqual(["balloon", "car", "house", "person", "sign", "tree"]);
  });

  it("writes pick-lists, stats, the preview mosaic, thumbnails and indexes", async () => {
    const ds = await library.open("demo_image");
    expect(ds.featuresValues.entities.entities).toEqual([
      { name: "category", restricted: true, values: ["car", "house", "tree", "person", "balloon", "sign"] },
    ]);
    const stats = JSON.parse(await readFile(path.join(ds.path, "stats.json"), "utf8")) as Array<{ name: string }>;
    expect(stats.map((s) => s.name)).toContain("status");
    const mosaic = await sharp(path.join(ds.path, "previews", "dataset_preview.jpg")).metadata();
    expect([mosaic.format, mosaic.width, mosaic.height]).toEqual(["jpeg", 350, 150]);
    const image = rowsOf("demo_image", "images")[0];
    expect(image && [image.width, image.height, image.format]).toEqual([320, 240, "JPEG"]);
    const preview = await sharp(image?.preview as Uint8Array).metadata();
    expect([preview.format, preview.width, preview.height]).toEqual(["png", 64, 48]);
    const indexedColumns = async (name: TableName) =>
      (await (await ds.table(name))?.table.listIndices())?.flatMap((i) => i.columns) ?? [];
    expect(await indexedColumns("records")).toContain("id");
    expect(await indexedColumns("bboxes")).toEqual(expect.arrayContaining(["id", "record_id"]));
    expect((await stat(path.join(dataDir, "media"))).isDirectory()).toBe(true);
  });

  it("answers explorer queries on what it wrote", async () => {
    const ds = await library.open("demo_image");
    const inReview = rowsOf("demo_image", "records").filter((r) => r.status === "inReview");
    const page = await ds.query("records", {
      filters: [{ column: "status", op: "eq", values: ["inReview"] }],
      sort: { column: "updated_at", order: "desc" },
      limit: 5,
    });
    expect(page.total).toBe(inReview.length);
    const newest = [...inReview].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)))[0];
    expect(page.items[0]?.id).toBe(newest?.id);
  });
});

describe("demo checks", () => {
  it("catch a box that no longer encloses its mask and a span that misses its mention", () => {
    const t = tables.get("demo_entity_linking") ?? {};
    const mask = t.masks?.[0];
    const box = t.bboxes?.find((b) => b.entity_id === mask?.entity_id);
    const span = t.text_spans?.[0];
    expect(mask && box && span).toBeTruthy();
    const shrunk = { ...t, bboxes: t.bboxes?.map((b) => (b === box ? { ...b, coords: [0, 0, 0.01, 0.01] } : b)) };
    expect(bboxProblems(shrunk).length).toBeGreaterThan(0);
    const shifted = {
      ...t,
      text_spans: t.text_spans?.map((s) =>
        s === span ? { ...s, spans_start: (s.spans_start as number[]).map((v) => v + 1) } : s,
      ),
    };
    expect(textSpanProblems(shifted).length).toBeGreaterThan(0);
  });
});
