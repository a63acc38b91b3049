import { execFileSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { parseDatasetInfo, schema as model, serializeDatasetInfo, type TableName } from "@tessera/shared-crdt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arrowSchemaOf, DatasetError, Library } from "../src/index.js";
import { FIXTURES, removeDir, steppingClock, tempDir } from "./helpers.js";
import { fullInfo, fullRows } from "./sample.js";

const PYTHON = "/work/pixano-venv/bin/python";
const HAVE_PIXANO = existsSync(PYTHON);
const INFO_KEY_ORDER = model.INFO_KEY_ORDER;

describe("Library", () => {
  let dataDir: string;
  let library: Library;

  beforeEach(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir, { now: steppingClock() });
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("init creates library/, media/, models/ and .tessera/ idempotently", async () => {
    await library.init();
    await library.init();
    for (const d of ["library", "media", "models", ".tessera"])
      expect((await fs.stat(path.join(dataDir, d))).isDirectory()).toBe(true);
    expect(await library.scan()).toEqual([]);
  });

  it("create writes info.json in Pixano's key order with a 4-space indent, byte for byte", async () => {
    const ds = await library.create("full", fullInfo("full_ds", { my_extension: { keep: [1, 2] } }));
    const text = await fs.readFile(path.join(ds.path, "info.json"), "utf8");
    const json = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(json);
    const known = keys.filter((k) => INFO_KEY_ORDER.includes(k));
    expect(known).toEqual(INFO_KEY_ORDER.filter((k) => k in json));
    expect(keys.at(-1)).toBe("my_extension");
    expect(keys.slice(0, 10)).toEqual([
      "id",
      "name",
      "description",
      "size",
      "preview",
      "creation_date",
      "bookmarks",
      "workspace",
      "storage_mode",
      "spec_version",
    ]);
    expect(json.spec_version).toBe(2);
    expect(json.timeseries).toBeNull();
    expect(text).toBe(serializeDatasetInfo(parseDatasetInfo(json)));
    expect(text).toContain('\n    "id": "full_ds",\n');
    expect(text).toContain("\\u00e9"); // non-ASCII escaped like Python's json.dump
    const fv = await fs.readFile(path.join(ds.path, "features_values.json"), "utf8");
    expect(fv).toBe(
      '{\n    "item": {},\n    "records": {},\n    "views": {},\n    "entities": {},\n    "entity_dynamic_states": {},\n    "annotations": {},\n    "embeddings": {}\n}',
    );
  });

  it("creates every declared table empty, with the exact Arrow schema", async () => {
    const ds = await library.create("full", fullInfo());
    const db = await lancedb.connect(path.join(ds.path, "db"));
    const names = (await db.tableNames()).sort();
    expect(names).toEqual([...ds.schema.tables.keys()].sort());
    for (const name of names) {
      const t = await db.openTable(name);
      expect(await t.countRows()).toBe(0);
      const disk = await t.schema();
      const ours = arrowSchemaOf(ds.schema.tables.get(name as TableName)!);
      expect(disk.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual(
        ours.fields.map((f) => [f.name, String(f.type), f.nullable]),
      );
    }
    db.close();
  });

  it("gives a dataset without an id a 22-character one", async () => {
    const info = fullInfo("");
    const ds = await library.create("anon", info);
    expect(ds.id).toMatch(/^[2-9A-Za-z]{22}$/);
    expect((await library.scan())[0]!.id).toBe(ds.id);
  });

  it("refuses a taken folder, a taken id and a bad folder name", async () => {
    await library.create("one", fullInfo("same"));
    await expect(library.create("one", fullInfo("other"))).rejects.toMatchObject({ reason: "dataset_exists" });
    await expect(library.create("two", fullInfo("same"))).rejects.toMatchObject({ reason: "dataset_exists" });
    await expect(library.create("../evil", fullInfo("evil"))).rejects.toBeInstanceOf(DatasetError);
    await expect(library.create(".hidden", fullInfo("hidden"))).rejects.toMatchObject({ reason: "invalid_argument" });
  });

  it("scan keys datasets by info.json id (not folder), ignores dot-folders, and follows writes", async () => {
    const ds = await library.create("folder_name", fullInfo("the_id"));
    await fs.mkdir(path.join(dataDir, "library", ".trash", "x"), { recursive: true });
    await fs.copyFile(path.join(ds.path, "info.json"), path.join(dataDir, "library", ".trash", "info.json"));
    let summaries = await library.scan();
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ id: "the_id", folder: "folder_name", name: "Full dataset", numRecords: 0 });
    await ds.add("records", [{ id: "r1" }, { id: "r2" }]);
    summaries = await library.scan();
    expect(summaries[0]!.numRecords).toBe(2);
    expect((await library.find("the_id"))?.folder).toBe("folder_name");
    expect(await library.find("folder_name")).toBeNull();
    await expect(library.open("folder_name")).rejects.toMatchObject({
      name: "DatasetError",
      reason: "dataset_not_found",
    });
  });

  it("writes rows to every table, and a fresh Library reads them back equal", async () => {
    const ds = await library.create("full", fullInfo());
    const rows = await fullRows();
    const written = await ds.addRecords(rows);
    await library.close();
    const other = new Library(dataDir);
    const again = await other.open("full_ds");
    for (const [name, input] of Object.entries(rows) as Array<[TableName, Record<string, unknown>[]]>) {
      const t = (await again.table(name))!;
      const page = await again.query(name, { columns: t.layout.schema.columns.map((c) => c.name) });
      expect(page.total, name).toBe(input.length);
      const byId = new Map(page.items.map((r) => [r.id, r]));
      for (const w of written[name]!) expect(byId.get(w.id as string), `${name}[${String(w.id)}]`).toEqual(w);
      for (const r of input) {
        const stored = byId.get(r.id as string)!;
        for (const [k, v] of Object.entries(r)) {
          if (k === "type") expect(stored[k]).toBe(String(v).toUpperCase());
          else expect(stored[k], `${name}.${k}`).toEqual(v);
        }
      }
    }
    const record = (await again.get("records", "r1"))!;
    expect(record.created_at).toBe(record.updated_at);
    expect(record.created_at).toMatch(/^2025-01-02T03:04:\d{2}\.678000$/);
    await other.close();
  });

  it("keeps unknown info.json keys when it rewrites info.json (auto-created annotation table)", async () => {
    const info = fullInfo("slots", { my_extension: { nested: ["x"] }, creation_date: "2024-01-01T00:00:00+00:00" });
    info.bbox = null;
    const ds = await library.create("slots", info);
    expect(await ds.tables()).not.toContain("bboxes");
    await ds.add("records", [{ id: "r1" }]);
    await ds.add("bboxes", [{ id: "b1", record_id: "r1", coords: [0, 0, 1, 1] }]);
    expect(await ds.tables()).toContain("bboxes");
    const json = JSON.parse(await fs.readFile(path.join(ds.path, "info.json"), "utf8")) as Record<string, unknown>;
    expect(json.bbox).toEqual({ base: "BBox", fields: {} });
    expect(json.my_extension).toEqual({ nested: ["x"] });
    expect(json.creation_date).toBe("2024-01-01T00:00:00+00:00");
    expect(Object.keys(json).indexOf("bbox")).toBe(Object.keys(json).indexOf("entity_dynamic_state") + 1);
    expect(ds.info.bbox).toEqual({ base: "BBox", fields: {} });
  });

  it("sees writes made through another connection (readConsistencyInterval 0)", async () => {
    const ds = await library.create("shared", fullInfo("shared"));
    const other = new Library(dataDir);
    const peer = await other.open("shared");
    expect(await peer.count("records")).toBe(0);
    await ds.add("records", [{ id: "r1" }]);
    expect(await peer.count("records")).toBe(1);
    expect((await peer.get("records", "r1"))?.id).toBe("r1");
    await other.close();
  });

  it("evicts a cached dataset so a replaced folder is read afresh", async () => {
    const ds = await library.create("replaced", fullInfo("replaced"));
    await ds.add("records", [{ id: "r1" }]);
    expect(await library.open("replaced")).toBe(ds);
    const staging = path.join(dataDir, "staging");
    const other = new Library(staging);
    await other.create("replaced", fullInfo("replaced"));
    await other.close();
    await fs.rm(ds.path, { recursive: true });
    await fs.rename(path.join(staging, "library", "replaced"), ds.path);
    await library.evict("replaced");
    const fresh = await library.open("replaced");
    expect(fresh).not.toBe(ds);
    expect(await fresh.count("records")).toBe(0);
    expect((await library.scan())[0]!.numRecords).toBe(0);
  });

  it("picks up info.json changes made by another writer", async () => {
    const ds = await library.create("changing", fullInfo("changing"));
    const file = path.join(ds.path, "info.json");
    const json = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
    json.name = "Renamed";
    await fs.writeFile(file, JSON.stringify(json, null, 4));
    const future = new Date(Date.now() + 5000);
    await fs.utimes(file, future, future);
    expect((await library.open("changing")).info.name).toBe("Renamed");
  });

  it.skipIf(!HAVE_PIXANO)(
    "writes tables with Lance storage version 2.0 that Pixano 0.8.0 opens and reads",
    async () => {
      const ds = await library.create("full", fullInfo());
      await ds.addRecords(await fullRows());
      // Updates (merge-insert), cascades (deletes, cleared references, trimmed lists), indexes and compaction.
      await ds.update("records", "r2", { status: "validated", comment: "ok" });
      await ds.upsert("bboxes", [
        { id: "b3", record_id: "r1", entity_id: "e2", view_id: "img1", coords: [0, 0, 0.5, 0.5] },
      ]);
      await ds.delete("entities", ["e2"]);
      await ds.delete("tracklets", ["t1"]);
      await ds.optimize();
      const out = execFileSync(
        PYTHON,
        [
          "-c",
          "import lance,sys,glob\nfor p in sorted(glob.glob(sys.argv[1]+'/*.lance')): print(lance.dataset(p).data_storage_version)",
          path.join(ds.path, "db"),
        ],
        { encoding: "utf8" },
      );
      const versions = out.trim().split("\n");
      expect(versions.length).toBe(ds.schema.tables.size);
      expect(new Set(versions)).toEqual(new Set(["2.0"]));
      const check = execFileSync(PYTHON, [path.join(FIXTURES, "check_open.py"), dataDir, "--strict-schema"], {
        encoding: "utf8",
      });
      expect(check).toContain("OK: every dataset opened and every table was read");
    },
    120_000,
  );
});
