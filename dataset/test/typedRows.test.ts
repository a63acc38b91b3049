import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { tableSchemaFromManifest, type ImageRow, type TableName, type TableRow } from "@tessera/shared-crdt";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { arrowSchemaOf, DatasetError, getRow, Library, queryRows, rowsToArrowTable } from "../src/index.js";
import { exportDataset } from "../src/io/index.js";
import { copyFixtureLibrary, fixtureDatasets, HAVE_FIXTURES, removeDir, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/**
 * Typed dataset reads (`queryRows`, `getRow`): LanceDB rows become `TableRow<T>` only after every base
 * cell is checked to hold its column's type, so a table of foreign provenance cannot hand a reader a
 * string where the type says number.
 */
describe("typed dataset reads", () => {
  let dataDir: string;
  let library: Library;

  beforeEach(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir);
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("returns the table's row type with defaults filled", async () => {
    const ds = await library.create("typed", fullInfo("typed"));
    await ds.add("records", [{ id: "r1" }]);
    await ds.add("images", [{ id: "i1", record_id: "r1", logical_name: "image", uri: "a.png", width: 64, height: 48 }]);
    const image = await getRow(ds, "images", "i1");
    expectTypeOf(image).toEqualTypeOf<ImageRow | null>();
    expect(image).toMatchObject({ id: "i1", width: 64, height: 48, format: "", raw_bytes: new Uint8Array(0) });
    expect(await getRow(ds, "images", "nope")).toBeNull();
    const page = await queryRows(ds, "records", { limit: 10 });
    expectTypeOf(page.items).toEqualTypeOf<TableRow<"records">[]>();
    expect(page.items.map((r) => [r.id, r.status, r.split])).toEqual([["r1", "new", "default"]]);
  });

  it("a base column stored with a foreign type is an invalid_dataset error of the typed read (the export still takes it)", async () => {
    const ds = await library.create("foreign", fullInfo("foreign"));
    const images = tableSchemaFromManifest(null, "images");
    // `width` stored as text: the disk decides the type (arrow.ts), so the generic read still serves it.
    const foreign = {
      ...images,
      columns: images.columns.map((c) => (c.name === "width" ? { ...c, type: { kind: "utf8" } as const } : c)),
    };
    const db = await lancedb.connect(path.join(ds.path, "db"));
    await db.dropTable("images");
    await ds.add("records", [{ id: "r1" }]);
    const row = {
      id: "i1",
      record_id: "r1",
      logical_name: "image",
      uri: "a.png",
      raw_bytes: null,
      preview: new Uint8Array(0),
      preview_format: "",
      width: "64",
      height: 48,
      format: "png",
    };
    await db.createTable("images", rowsToArrowTable(foreign, [row], arrowSchemaOf(foreign)) as never);
    expect(await ds.get("images", "i1")).toMatchObject({ width: "64" });
    const err = await getRow(ds, "images", "i1").then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    const dest = path.join(dataDir, "out");
    // The export reads generically: a dataset Pixano accepts is never refused for a column type it overrides.
    await expect(exportDataset({ dataDir, dataset: "foreign", dest })).resolves.toBeDefined();
    expect(err).toMatchObject({ reason: "invalid_dataset", message: expect.stringContaining("images[i1].width") });
  });
});

const fixtures = await fixtureDatasets();

describe.skipIf(!HAVE_FIXTURES)("typed reads of Pixano 0.8.0-built datasets", () => {
  let dataDir: string;
  let library: Library;
  beforeAll(async () => {
    dataDir = await tempDir();
    await copyFixtureLibrary(dataDir);
    library = new Library(dataDir);
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("every row of every table of every fixture reads as its table's row type", async () => {
    let rows = 0;
    for (const s of await library.scan()) {
      const ds = await library.open(s.id);
      for (const t of (await ds.tables()) as TableName[]) {
        const page = await queryRows(ds, t);
        expect(page.items).toHaveLength(await ds.count(t));
        rows += page.items.length;
      }
    }
    expect(fixtures.length).toBeGreaterThan(0);
    expect(rows).toBeGreaterThan(0);
  });
});
