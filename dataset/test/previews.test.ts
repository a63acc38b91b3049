import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageInfo, Library, makeMosaic, makePreview, thumbnailSize } from "../src/index.js";
import { FIXTURE_REFERENCE, HAVE_FIXTURES, removeDir, tempDir } from "./helpers.js";
import { fullInfo, jpeg, png } from "./sample.js";

describe("previews", () => {
  it("sizes thumbnails exactly like PIL's Image.thumbnail((64, 64))", () => {
    // Expected sizes computed with Pillow 12 (Pixano 0.8.0's environment).
    const cases: Array<[number, number, number, number]> = [
      [100, 30, 64, 19],
      [30, 100, 19, 64],
      [640, 480, 64, 48],
      [65, 64, 64, 63],
      [64, 48, 64, 48],
      [1000, 1, 64, 1],
      [3, 1000, 1, 64],
      [200, 199, 64, 64],
      [127, 64, 64, 32],
      [10, 10, 10, 10],
    ];
    for (const [w, h, ew, eh] of cases) expect(thumbnailSize(w, h), `${w}x${h}`).toEqual({ width: ew, height: eh });
  });

  it("makes a PNG preview that fits 64×64 and keeps the aspect", async () => {
    const p = await makePreview(await jpeg(640, 480));
    const meta = await sharp(p.bytes).metadata();
    expect(meta.format).toBe("png");
    expect([meta.width, meta.height]).toEqual([64, 48]);
    expect(p.source).toEqual({ width: 640, height: 480, format: "JPEG" });
    const square = await sharp((await makePreview(await png(300, 300))).bytes).metadata();
    expect([square.width, square.height]).toEqual([64, 64]);
    await expect(makePreview(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      name: "MediaError",
      reason: "bad_image",
    });
  });

  it.skipIf(!HAVE_FIXTURES)("matches the size of the previews Pixano stored in the fixtures", async () => {
    const ref = JSON.parse(await fs.readFile(path.join(FIXTURE_REFERENCE, "api_misc.rows.json"), "utf8")) as {
      tables: {
        images: Array<{
          raw_bytes: { __bytes__: string };
          preview: { __bytes__: string };
          width: number;
          height: number;
          format: string;
        }>;
      };
    };
    for (const img of ref.tables.images) {
      const raw = new Uint8Array(Buffer.from(img.raw_bytes.__bytes__, "base64"));
      const pixano = await sharp(Buffer.from(img.preview.__bytes__, "base64")).metadata();
      const ours = await makePreview(raw);
      expect([ours.width, ours.height]).toEqual([pixano.width, pixano.height]);
      expect(ours.source).toEqual({ width: img.width, height: img.height, format: img.format });
      expect(await imageInfo(raw)).toEqual(ours.source);
    }
  });

  it("makes a 350×150 JPEG mosaic of 1 to 4 images", async () => {
    for (const n of [1, 2, 3, 4, 6]) {
      const images = await Promise.all(
        Array.from({ length: n }, (_, i) => png(50 + 30 * i, 40 + 7 * i, i % 2 ? "#00ff00" : "#ff0000")),
      );
      const meta = await sharp(await makeMosaic(images)).metadata();
      expect([meta.format, meta.width, meta.height], `${n} images`).toEqual(["jpeg", 350, 150]);
    }
    const red = await sharp(await makeMosaic([await png(10, 10, "#ff0000")]))
      .raw()
      .toBuffer();
    expect(red[0]).toBeGreaterThan(200);
    expect(red[1]).toBeLessThan(60);
  });

  describe("dataset mosaic", () => {
    let dataDir: string;
    let library: Library;
    beforeAll(async () => {
      dataDir = await tempDir();
      library = new Library(dataDir);
    });
    afterAll(async () => {
      await library.close();
      await removeDir(dataDir);
    });

    it("is made lazily from embedded images, written to previews/, then served from disk", async () => {
      const ds = await library.create("p", fullInfo("p"));
      expect(await library.datasetPreview("p")).toBeNull();
      await ds.add("records", [{ id: "r1" }]);
      await ds.add("images", [
        { id: "i0", record_id: "r1", uri: "x.jpg" },
        { id: "i1", record_id: "r1", raw_bytes: await png(80, 60) },
        { id: "i2", record_id: "r1", raw_bytes: await jpeg(60, 80) },
      ]);
      const bytes = (await library.datasetPreview("p"))!;
      expect((await sharp(bytes).metadata()).width).toBe(350);
      const file = path.join(ds.path, "previews", "dataset_preview.jpg");
      expect(new Uint8Array(await fs.readFile(file))).toEqual(bytes);
      await fs.writeFile(file, "cached");
      expect(Buffer.from((await library.datasetPreview("p"))!).toString()).toBe("cached");
    });
  });
});
