import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Library } from "../src/index.js";
import { removeDir, steppingClock, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/** Rewrites info.json's `name` the way another writer would (a new mtime, nothing else touched). */
async function renameOnDisk(dir: string, name: string): Promise<void> {
  const file = path.join(dir, "info.json");
  const json = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
  json.name = name;
  await fs.writeFile(file, JSON.stringify(json, null, 4));
  // Some filesystems keep mtimes at a coarse grain: make the change visible whatever the grain.
  const later = new Date(Date.now() + 5_000);
  await fs.utimes(file, later, later);
}

describe("dataset lookup caches follow every change", () => {
  let dataDir: string;
  let library: Library;

  beforeEach(async () => {
    dataDir = await tempDir("tessera-lookup-caches-");
    library = new Library(dataDir, { now: steppingClock() });
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("scan recounts records after a records write while keeping the cached info.json", async () => {
    const ds = await library.create("counted", fullInfo("counted"));
    expect((await library.scan())[0]).toMatchObject({ id: "counted", numRecords: 0, name: "Full dataset" });
    await ds.add("records", [{ id: "r1" }, { id: "r2" }]);
    expect((await library.scan())[0]).toMatchObject({ numRecords: 2, name: "Full dataset" });
    await ds.add("records", [{ id: "r3" }]);
    expect((await library.scan())[0]!.numRecords).toBe(3);
  });

  it("scan re-reads an info.json changed by another writer while keeping the cached record count", async () => {
    const ds = await library.create("renamed", fullInfo("renamed"));
    await ds.add("records", [{ id: "r1" }]);
    expect((await library.scan())[0]).toMatchObject({ numRecords: 1, name: "Full dataset" });
    await renameOnDisk(ds.path, "Renamed elsewhere");
    expect((await library.scan())[0]).toMatchObject({ numRecords: 1, name: "Renamed elsewhere" });
    await ds.add("records", [{ id: "r2" }]);
    expect((await library.scan())[0]).toMatchObject({ numRecords: 2, name: "Renamed elsewhere" });
  });

  it("open stops returning a cached handle once its folder is removed", async () => {
    const ds = await library.create("removed", fullInfo("removed"));
    expect(await library.open("removed")).toBe(ds);
    await fs.rm(ds.path, { recursive: true });
    await expect(library.open("removed")).rejects.toMatchObject({ name: "DatasetError", reason: "dataset_not_found" });
  });

  it("open hands back the cached handle refreshed with another writer's info.json", async () => {
    const ds = await library.create("refreshed", fullInfo("refreshed"));
    await renameOnDisk(ds.path, "Changed elsewhere");
    const again = await library.open("refreshed");
    expect(again).toBe(ds);
    expect(again.info.name).toBe("Changed elsewhere");
  });

  it("a table's layout follows a column another process adds (schema cache keyed by table version)", async () => {
    const ds = await library.create("widened", fullInfo("widened"));
    await ds.add("records", [{ id: "r1" }]);
    const before = await ds.table("records");
    expect(before?.layout.schema.columns.map((c) => c.name)).not.toContain("extra_note");
    // Read twice at one version: the cached schema gives the same layout.
    expect((await ds.table("records"))?.layout.schema.columns).toEqual(before?.layout.schema.columns);
    const db = await lancedb.connect(path.join(ds.path, "db"));
    try {
      const table = await db.openTable("records");
      await table.addColumns([{ name: "extra_note", valueSql: "'x'" }]);
      table.close();
    } finally {
      db.close();
    }
    const after = await ds.table("records");
    expect(after?.layout.schema.columns.map((c) => c.name)).toContain("extra_note");
    expect((await ds.get("records", "r1"))?.extra_note).toBe("x");
  });

  it("a cached schema read long after the table's last write still follows a later column added elsewhere", async () => {
    const ds = await library.create("settled", fullInfo("settled"));
    await ds.add("records", [{ id: "r1" }]);
    // The last write long ago: the schema read next is trusted while `_versions` keeps its mtime.
    const versions = path.join(ds.path, "db", "records.lance", "_versions");
    const longAgo = new Date(Date.now() - 60_000);
    await fs.utimes(versions, longAgo, longAgo);
    const first = await ds.table("records");
    expect((await ds.table("records"))?.layout.schema.columns).toEqual(first?.layout.schema.columns);
    const db = await lancedb.connect(path.join(ds.path, "db"));
    try {
      const table = await db.openTable("records");
      await table.addColumns([{ name: "late_note", valueSql: "'y'" }]);
      table.close();
    } finally {
      db.close();
    }
    expect((await ds.table("records"))?.layout.schema.columns.map((c) => c.name)).toContain("late_note");
    expect((await ds.get("records", "r1"))?.late_note).toBe("y");
  });
});
