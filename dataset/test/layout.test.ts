import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { tableSchemaFromManifest, ValidationError } from "@tessera/shared-crdt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arrow, arrowSchemaOf, Library, rowsToArrowTable } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";
import { fullInfo } from "./sample.js";

/** Tables whose on-disk layout differs from what info.json declares: read both, write the declared one. */
describe("on-disk layouts", () => {
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

  it("reads an older table without the declared columns (defaults), and adds them on the first write", async () => {
    const info = fullInfo("old", { views: { video: { base: "Video", fields: {} } } });
    const ds = await library.create("old", info);
    const videos = tableSchemaFromManifest(null, "videos");
    const older = new arrow.Schema(arrowSchemaOf(videos).fields.filter((f) => !f.name.endsWith("_timestamp")));
    const olderSchema = { ...videos, columns: videos.columns.filter((c) => !c.name.endsWith("_timestamp")) };
    const db = await lancedb.connect(path.join(ds.path, "db"));
    await db.dropTable("videos");
    const row = {
      id: "v1",
      record_id: "r1",
      logical_name: "video",
      uri: "a.mp4",
      raw_bytes: null,
      preview: new Uint8Array(0),
      preview_format: "",
      num_frames: 10,
      fps: 25,
      width: 64,
      height: 48,
      format: "mp4",
      duration: 0.4,
    };
    await db.createTable("videos", rowsToArrowTable(olderSchema, [row], older) as never);
    await ds.add("records", [{ id: "r1" }]);

    expect(await ds.get("videos", "v1")).toMatchObject({
      id: "v1",
      duration: 0.4,
      from_timestamp: 0,
      to_timestamp: -1,
    });
    expect((await ds.table("videos"))!.layout.missing.map((c) => c.name)).toEqual(["from_timestamp", "to_timestamp"]);

    await ds.add("videos", [
      {
        id: "v2",
        record_id: "r1",
        uri: "b.mp4",
        num_frames: 5,
        fps: 10,
        width: 8,
        height: 8,
        format: "mp4",
        duration: 0.5,
        from_timestamp: 0.1,
        to_timestamp: 0.3,
      },
    ]);
    const disk = await (await db.openTable("videos")).schema();
    expect(disk.fields.map((f) => f.name).slice(-2)).toEqual(["from_timestamp", "to_timestamp"]);
    expect((await ds.table("videos"))!.layout.missing).toEqual([]);
    expect(await ds.get("videos", "v1")).toMatchObject({ from_timestamp: 0, to_timestamp: -1 });
    expect(await ds.get("videos", "v2")).toMatchObject({ from_timestamp: 0.1, to_timestamp: 0.3 });
    db.close();
  });

  it("reads and writes columns only the disk has (a newer Pixano's review_status)", async () => {
    const ds = await library.create("newer", fullInfo("newer"));
    const bboxes = tableSchemaFromManifest(null, "bboxes");
    const at = bboxes.columns.findIndex((c) => c.name === "view_id") + 1;
    const reviewStatus = {
      name: "review_status",
      type: { kind: "utf8" } as const,
      nullable: false,
      default: () => "",
      source: "custom" as const,
    };
    const newer = { ...bboxes, columns: [...bboxes.columns.slice(0, at), reviewStatus, ...bboxes.columns.slice(at)] };
    const db = await lancedb.connect(path.join(ds.path, "db"));
    await db.dropTable("bboxes");
    await db.createEmptyTable("bboxes", arrowSchemaOf(newer));
    await ds.add("records", [{ id: "r1" }]);

    const [b] = await ds.add("bboxes", [
      { id: "b1", record_id: "r1", coords: [0, 0, 1, 1], source_type: "model", review_status: "pending" },
    ]);
    expect(b!.review_status).toBe("pending");
    const [c] = await ds.add("bboxes", [{ id: "b2", record_id: "r1", coords: [0, 0, 1, 1] }]);
    expect(c!.review_status).toBe("");
    await expect(
      ds.add("bboxes", [{ id: "b3", record_id: "r1", coords: [0, 0, 1, 1], review_status: "bogus" }]),
    ).rejects.toBeInstanceOf(ValidationError);
    const page = await ds.query("bboxes", { filters: [{ column: "review_status", op: "eq", values: ["pending"] }] });
    expect(page.items.map((r) => r.id)).toEqual(["b1"]);
    expect(Object.keys(page.items[0]!).indexOf("review_status")).toBe(at);
    await ds.update("bboxes", "b1", { review_status: "accepted" });
    expect((await ds.get("bboxes", "b1"))!.review_status).toBe("accepted");
    db.close();
  });
});
