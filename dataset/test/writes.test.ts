import { ValidationError } from "@tessera/shared-crdt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IntegrityError, Library, type Dataset } from "../src/index.js";
import { removeDir, steppingClock, tempDir } from "./helpers.js";
import { fullInfo, fullRows } from "./sample.js";

describe("Dataset writes", () => {
  let dataDir: string;
  let library: Library;
  let ds: Dataset;

  beforeEach(async () => {
    dataDir = await tempDir();
    library = new Library(dataDir, { now: steppingClock() });
    ds = await library.create("full", fullInfo());
    await ds.addRecords(await fullRows());
  });
  afterEach(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  async function integrityError(p: Promise<unknown>): Promise<IntegrityError> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IntegrityError);
    return err as IntegrityError;
  }

  describe("validation", () => {
    it("rejects a row that breaks the schema, with the row's path, and writes nothing", async () => {
      const err = await ds.add("bboxes", [{ id: "bad", record_id: "r1", coords: [0, 0, 1] }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]!.path).toBe("bboxes[bad].coords");
      await expect(ds.add("records", [{ id: "r9", nope: 1 }])).rejects.toBeInstanceOf(ValidationError);
      await expect(ds.add("records", [{ id: "" }])).rejects.toBeInstanceOf(ValidationError);
      expect(await ds.count("bboxes")).toBe(2);
      expect(await ds.count("records")).toBe(2);
    });

    it("fills Pixano's defaults for missing fields", async () => {
      const [row] = await ds.add("bboxes", [{ id: "b9", record_id: "r1", coords: [0, 0, 1, 1] }]);
      expect(row).toMatchObject({
        entity_id: "",
        source_metadata: "{}",
        frame_index: -1,
        format: "xywh",
        is_normalized: true,
        confidence: -1,
      });
      expect(await ds.get("bboxes", "b9")).toEqual(row);
    });
  });

  describe("ids and foreign keys", () => {
    it("refuses duplicate ids within a batch and against the table", async () => {
      let err = await integrityError(ds.add("records", [{ id: "x" }, { id: "x" }]));
      expect(err.reason).toBe("duplicate_id");
      expect(err.message).toContain("Duplicate id 'x' in table 'records'");
      err = await integrityError(ds.add("records", [{ id: "r1" }]));
      expect(err.reason).toBe("duplicate_id");
      expect(await ds.count("records")).toBe(2);
    });

    it("refuses references to rows that do not exist, in Pixano's words", async () => {
      let err = await integrityError(ds.add("bboxes", [{ id: "b9", record_id: "nope", coords: [0, 0, 1, 1] }]));
      expect(err.reason).toBe("foreign_key");
      expect(err.message).toMatch(/^Foreign key violation: record_id='nope' not found in 'records'/);
      err = await integrityError(
        ds.add("bboxes", [{ id: "b9", record_id: "r1", entity_id: "ghost", coords: [0, 0, 1, 1] }]),
      );
      expect(err.issues[0]).toMatchObject({ field: "entity_id", value: "ghost", rowId: "b9" });
      err = await integrityError(
        ds.add("bboxes", [{ id: "b9", record_id: "r1", view_id: "e1", coords: [0, 0, 1, 1] }]),
      );
      expect(err.issues[0]).toMatchObject({ field: "view_id", value: "e1" });
      err = await integrityError(ds.add("entities", [{ id: "e9", record_id: "r1", parent_id: "ghost" }]));
      expect(err.issues[0]).toMatchObject({ field: "parent_id" });
      err = await integrityError(
        ds.add("messages", [{ id: "m9", record_id: "r1", type: "SYSTEM", entity_ids: ["e1", "ghost"] }]),
      );
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]).toMatchObject({ field: "entity_ids", value: "ghost" });
      err = await integrityError(
        ds.add("relations", [{ id: "rel9", record_id: "r1", subject_id: "b1", object_id: "e1" }]),
      );
      expect(err.issues[0]).toMatchObject({ field: "object_id", value: "e1" });
      expect(await ds.count("bboxes")).toBe(2);
    });

    it("treats an empty string as no reference, and resolves references inside the batch", async () => {
      await ds.add("bboxes", [{ id: "b9", record_id: "r1", entity_id: "", view_id: "", coords: [0, 0, 1, 1] }]);
      await ds.add("entities", [
        { id: "e8", record_id: "r1", parent_id: "e9" },
        { id: "e9", record_id: "r1" },
      ]);
      expect(await ds.count("entities")).toBe(5);
    });

    it("refuses a tracklet or dynamic state of another entity (cross-entity)", async () => {
      let err = await integrityError(
        ds.add("bboxes", [
          {
            id: "b9",
            record_id: "r2",
            entity_id: "e1",
            tracklet_id: "t1",
            view_id: "f1",
            frame_id: "f1",
            coords: [0, 0, 1, 1],
          },
        ]),
      );
      expect(err.reason).toBe("cross_entity");
      expect(err.message).toContain("Cross-entity check failed: tracklet 't1' belongs to entity 'e3', not 'e1'");
      err = await integrityError(
        ds.add("keypoints", [{ id: "k9", record_id: "r2", entity_id: "e1", entity_dynamic_state_id: "s1" }]),
      );
      expect(err.reason).toBe("cross_entity");
      await ds.add("bboxes", [
        {
          id: "b9",
          record_id: "r2",
          entity_id: "e3",
          tracklet_id: "t1",
          entity_dynamic_state_id: "s1",
          frame_id: "f1",
          coords: [0, 0, 1, 1],
        },
      ]);
    });

    it("checks a multi-table batch as a whole: nothing is written when one table fails", async () => {
      const err = await integrityError(
        ds.addRecords({
          records: [{ id: "r7" }],
          entities: [{ id: "e7", record_id: "r7" }],
          bboxes: [{ id: "b7", record_id: "r7", entity_id: "e-missing", coords: [0, 0, 1, 1] }],
        }),
      );
      expect(err.issues).toHaveLength(1);
      expect(await ds.get("records", "r7")).toBeNull();
      expect(await ds.get("entities", "e7")).toBeNull();
    });
  });

  describe("update and upsert", () => {
    it("merges a partial update over the stored row and validates the result", async () => {
      const before = (await ds.get("records", "r1"))!;
      const updated = await ds.update("records", "r1", { status: "inProgress", comment: "checked" });
      expect(updated).toMatchObject({
        id: "r1",
        status: "inProgress",
        comment: "checked",
        weather: "sunny",
        tags: ["a", "b"],
      });
      expect(updated.created_at).toBe(before.created_at);
      expect((updated.updated_at as string) > (before.updated_at as string)).toBe(true);
      expect(await ds.get("records", "r1")).toEqual(updated);
      // `status` is Pixano's free string (SPEC S-RECORD-STATUS); a wrong type is still refused.
      await expect(ds.update("records", "r1", { status: 3 })).rejects.toBeInstanceOf(ValidationError);
      await expect(ds.update("records", "r1", { id: "r5" })).rejects.toBeInstanceOf(ValidationError);
      await expect(ds.update("records", "r404", { status: "new" })).rejects.toMatchObject({ reason: "row_not_found" });
      expect((await ds.get("records", "r1"))!.status).toBe("inProgress");
    });

    it("keeps media bytes and lists across an update of other fields", async () => {
      const img = (await ds.get("images", "img1", ["id", "raw_bytes", "preview"]))!;
      await ds.update("images", "img1", { logical_name: "image", width: 81 });
      const after = (await ds.get("images", "img1", ["id", "raw_bytes", "preview", "width"]))!;
      expect(after.raw_bytes).toEqual(img.raw_bytes);
      expect(after.preview).toEqual(img.preview);
      expect(after.width).toBe(81);
    });

    it("checks the references an update changes", async () => {
      const err = await integrityError(ds.update("bboxes", "b2", { entity_id: "e1" }));
      expect(err.reason).toBe("cross_entity");
      await expect(ds.update("bboxes", "b1", { entity_id: "ghost" })).rejects.toMatchObject({ reason: "foreign_key" });
      await ds.update("bboxes", "b1", { entity_id: "e2" });
      expect((await ds.get("bboxes", "b1"))!.entity_id).toBe("e2");
    });

    it("upserts by id without foreign-key checks, keeping records' created_at", async () => {
      const before = (await ds.get("records", "r2"))!;
      await ds.upsert("records", [{ id: "r2", split: "test" }, { id: "r3" }]);
      const r2 = (await ds.get("records", "r2"))!;
      expect(r2.split).toBe("test");
      expect(r2.status).toBe("new");
      expect(r2.created_at).toBe(before.created_at);
      expect((r2.updated_at as string) > (before.updated_at as string)).toBe(true);
      expect(await ds.count("records")).toBe(3);
      await ds.upsert("bboxes", [{ id: "b1", record_id: "dangling", coords: [0, 0, 0.5, 0.5] }]);
      expect((await ds.get("bboxes", "b1"))!.record_id).toBe("dangling");
      const err = await integrityError(ds.upsert("records", [{ id: "z" }, { id: "z" }]));
      expect(err.reason).toBe("duplicate_id");
    });
  });

  describe("cascading delete", () => {
    it("record → views, entities, dynamic states and every annotation", async () => {
      const report = await ds.delete("records", ["r1", "missing"]);
      expect(report).toEqual({
        records: 1,
        images: 1,
        texts: 1,
        entities: 2,
        bboxes: 1,
        masks: 1,
        keypoints: 1,
        multi_paths: 1,
        text_spans: 1,
        messages: 2,
        classifications: 1,
        relations: 1,
      });
      expect(await ds.count("records")).toBe(1);
      expect(await ds.count("bboxes")).toBe(1);
      expect(await ds.count("entities")).toBe(1);
      expect(await ds.count("sequence_frames")).toBe(2);
    });

    it("entity → children, annotations, states, tracklets, relations on its annotations; messages forget it", async () => {
      const report = await ds.delete("entities", ["e1"]);
      expect(report).toEqual({
        entities: 2,
        bboxes: 1,
        masks: 1,
        keypoints: 1,
        multi_paths: 1,
        text_spans: 1,
        classifications: 1,
        relations: 1,
      });
      const messages = await ds.query("messages");
      expect(messages.items.map((m) => m.entity_ids)).toEqual([[], []]);
      const report3 = await ds.delete("entities", ["e3"]);
      expect(report3).toEqual({ entities: 1, tracklets: 1, entity_dynamic_states: 1, bboxes: 1 });
    });

    it("dynamic state → per-frame rows stay, reference cleared; tracklet → its per-frame rows and states go (SPEC D-CASCADE)", async () => {
      expect(await ds.delete("entity_dynamic_states", ["s1"])).toEqual({ entity_dynamic_states: 1 });
      expect((await ds.get("bboxes", "b2"))!.entity_dynamic_state_id).toBe("");
      expect(await ds.delete("tracklets", ["t1"])).toEqual({ tracklets: 1, bboxes: 1 });
      expect(await ds.get("bboxes", "b2")).toBeNull();
    });

    it("view → the rows drawn on it; annotation → relations that point to it", async () => {
      expect(await ds.delete("sequence_frames", ["f0"])).toEqual({
        sequence_frames: 1,
        tracklets: 1,
        entity_dynamic_states: 1,
        bboxes: 1,
      });
      expect(await ds.delete("masks", ["m1"])).toEqual({ masks: 1, relations: 1 });
      expect(await ds.delete("bboxes", [])).toEqual({});
    });
  });
});
