import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Row, TableName } from "@tessera/shared-crdt";
import { Dataset } from "../../src/index.js";
import { batchSink } from "../../src/io/batchWriter.js";
import { importDataset } from "../../src/io/index.js";
import { tempDir } from "./helpers.js";

/**
 * The import's write path: large batches, one LanceDB write per table per batch, and
 * no lookup of stored ids per batch — a create/overwrite import trusts its own in-memory id
 * check, an `add` import reads each table's stored ids once.
 */
const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  const d = await tempDir("tessera-batches-");
  cleanup.push(d);
  return d;
}

const YAML = `pixano: 2
dataset:
  name: batches
  workspace: image
format: pixano_jsonl
media:
  mode: uri
schema:
  views:
    image: image
  record:
    attrs:
      weather: str
  entity:
    attrs:
      category: str
  annotations: [bbox]
`;

/** A JSONL v2 source of `records` records × `boxes` boxes (media by uri), records `from`..`from + records - 1`. */
async function v2Source(
  records: number,
  boxes: number,
  options: { from?: number; weather?: string } = {},
): Promise<string> {
  const src = await dir();
  await fs.writeFile(path.join(src, "dataset.yaml"), YAML);
  await fs.mkdir(path.join(src, "train"));
  const lines = [JSON.stringify({ $pixano: "jsonl/2", defaults: { bbox: { format: "xywh", is_normalized: true } } })];
  for (let i = options.from ?? 0; i < (options.from ?? 0) + records; i++) {
    const id = `r${String(i).padStart(6, "0")}`;
    lines.push(
      JSON.stringify({
        id,
        attrs: { weather: options.weather ?? "sunny" },
        views: { image: { uri: `https://example.invalid/${id}.jpg`, width: 64, height: 48 } },
        entities: Array.from({ length: boxes }, (_, k) => ({
          attrs: { category: k % 2 === 0 ? "car" : "person" },
          annotations: [{ kind: "bbox", coords: [0.1, 0.1, 0.2 + (k % 5) * 0.01, 0.2] }],
        })),
      }),
    );
  }
  await fs.writeFile(path.join(src, "train", "metadata.jsonl"), `${lines.join("\n")}\n`);
  return src;
}

/** LanceDB versions (manifests) of a table: one per write, whatever the rows per write. */
async function versions(datasetPath: string, table: TableName): Promise<number> {
  return (await fs.readdir(path.join(datasetPath, "db", `${table}.lance`, "_versions"))).length;
}

async function countIds(ds: Dataset, table: TableName): Promise<{ rows: number; ids: number }> {
  const rows = (await ds.query(table, { columns: ["id"], limit: 1_000_000 })).items;
  return { rows: rows.length, ids: new Set(rows.map((r) => r.id)).size };
}

describe("import batches", () => {
  it("writes tens of thousands of rows per LanceDB write (was one write per 1,024 rows)", async () => {
    // 2,000 records × 10 boxes: 44,000 rows (two batches); 200 records: 4,400 rows (one batch).
    const big = await importDataset({ dataDir: await dir(), source: await v2Source(2_000, 10) });
    const small = await importDataset({ dataDir: await dir(), source: await v2Source(200, 10) });
    expect(big.tables).toEqual({ records: 2_000, images: 2_000, entities: 20_000, bboxes: 20_000 });
    // The table's creation, index builds and compaction cost the same versions in both: the
    // difference is the extra batch write (and compaction of one more fragment). With 1,024-row
    // batches it was about 43 − 5 = 38.
    const [bigVersions, smallVersions] = [await versions(big.path, "bboxes"), await versions(small.path, "bboxes")];
    console.log(`bboxes.lance versions: ${bigVersions} for 20,000 rows, ${smallVersions} for 2,000`);
    expect(bigVersions - smallVersions).toBeLessThanOrEqual(4);
  });
});

describe("ids are never looked up per batch", () => {
  it("add mode reads a table's stored ids once, upserts the known rows and appends the new ones", async () => {
    const first = await importDataset({ dataDir: await dir(), source: await v2Source(300, 0) });
    const ds = await Dataset.open(first.path);
    try {
      const columns = ds.schema.tables.get("records")!.columns.map((c) => c.name);
      const stored = (await ds.query("records", { columns, limit: 1_000 })).items;
      expect(stored).toHaveLength(300);
      const sink = batchSink(ds, true);
      for (let b = 0; b < 6; b++) {
        const known: Row[] = stored.slice(b * 25, b * 25 + 25).map((r) => ({ ...r, weather: "rainy" }));
        const fresh: Row[] = known.map((r, k) => ({ ...r, id: `new-${b}-${k}`, weather: "cloudy" }));
        await sink.write(new Map<TableName, Row[]>([["records", [...known, ...fresh]]]));
      }
      await sink.drain();
      expect(sink.writes).toEqual({ idReads: 1, appends: 6, merges: 6 });
      expect(await countIds(ds, "records")).toEqual({ rows: 450, ids: 450 });
      const weather = new Map(
        (await ds.query("records", { columns: ["id", "weather"], limit: 1_000 })).items.map((r) => [r.id, r.weather]),
      );
      expect(stored.slice(0, 150).every((r) => weather.get(r.id as string) === "rainy")).toBe(true);
      expect(stored.slice(150).every((r) => weather.get(r.id as string) === "sunny")).toBe(true);
      expect(weather.get("new-5-24")).toBe("cloudy");
    } finally {
      ds.close();
    }
  });

  it("a create import never reads stored ids, whatever the number of batches", async () => {
    const data = await dir();
    const first = await importDataset({ dataDir: data, source: await v2Source(50, 0) });
    const ds = await Dataset.open(first.path);
    try {
      const columns = ds.schema.tables.get("records")!.columns.map((c) => c.name);
      const template = (await ds.query("records", { columns, limit: 1 })).items[0]!;
      const sink = batchSink(ds, false);
      for (let b = 0; b < 4; b++)
        await sink.write(
          new Map<TableName, Row[]>([
            ["records", Array.from({ length: 10 }, (_, k) => ({ ...template, id: `c-${b}-${k}` }))],
          ]),
        );
      await sink.drain();
      expect(sink.writes).toEqual({ idReads: 0, appends: 4, merges: 0 });
      expect(await countIds(ds, "records")).toEqual({ rows: 90, ids: 90 });
    } finally {
      ds.close();
    }
  });

  it("--mode add over several batches: known records updated, new ones added, nothing doubled, re-run idempotent", async () => {
    const data = await dir();
    await importDataset({ dataDir: data, source: await v2Source(300, 3) });
    const more = await v2Source(300, 3, { from: 200, weather: "rainy" });
    const add = () => importDataset({ dataDir: data, source: more, mode: "add", batchRows: 500 });
    const report = await add();
    await add();
    const ds = await Dataset.open(report.path);
    try {
      expect(await countIds(ds, "records")).toEqual({ rows: 500, ids: 500 });
      expect(await countIds(ds, "entities")).toEqual({ rows: 1_500, ids: 1_500 });
      expect(await countIds(ds, "bboxes")).toEqual({ rows: 1_500, ids: 1_500 });
      const rows = (await ds.query("records", { columns: ["id", "weather"], limit: 1_000 })).items;
      const weather = new Map(rows.map((r) => [r.id, r.weather]));
      expect(weather.get("r000199")).toBe("sunny");
      expect(weather.get("r000200")).toBe("rainy");
      expect(weather.get("r000499")).toBe("rainy");
    } finally {
      ds.close();
    }
  });
});
