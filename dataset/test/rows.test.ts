import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Library } from "../src/index.js";
import { removeDir, steppingClock, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/** `DatasetHandle.rows`: the matching rows, all of them, as `query` reads them, without a count. */
describe("rows: every matching row, uncounted", () => {
  let dataDir: string;
  let library: Library;

  beforeEach(async () => {
    dataDir = await tempDir("tessera-rows-");
    library = new Library(dataDir, { now: steppingClock() });
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("reads the rows a filter or a where matches, with the columns asked, like query without a page", async () => {
    const ds = await library.create("rows", fullInfo("rows"));
    const ids = Array.from({ length: 30 }, (_, i) => `r${String(i).padStart(2, "0")}`);
    await ds.add(
      "records",
      ids.map((id, i) => ({ id, split: i % 3 === 0 ? "test" : "train" })),
    );
    const where = await ds.rows("records", { where: { split: "test" } });
    expect(where.map((r) => r.id).sort()).toEqual(ids.filter((_, i) => i % 3 === 0));
    const inList = await ds.rows("records", {
      filters: [{ column: "id", op: "in", values: ["r01", "r05", "r29", "nope"] }],
      columns: ["id"],
    });
    expect(inList.map((r) => r.id).sort()).toEqual(["r01", "r05", "r29"]);
    expect(Object.keys(inList[0] ?? {})).toEqual(["id"]);
    // The same rows `query` pages through.
    const page = await ds.query("records", { where: { split: "train" }, limit: 1000 });
    expect((await ds.rows("records", { where: { split: "train" } })).map((r) => r.id).sort()).toEqual(
      page.items.map((r) => r.id).sort(),
    );
    expect(await ds.rows("records", { where: { split: "none" } })).toEqual([]);
  });

  it("a table not on disk has no rows; an unknown column is refused as query refuses it", async () => {
    const ds = await library.create("rows2", fullInfo("rows2"));
    expect(await ds.rows("bboxes", { where: { record_id: "r1" } })).toEqual([]);
    await ds.add("records", [{ id: "r1" }]);
    await expect(ds.rows("records", { columns: ["nope"] })).rejects.toMatchObject({ reason: "bad_columns" });
  });
});
