import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { storedSize } from "../../src/inference/imageHeader.js";

/** A w×h picture with some structure (so encoders make real segments), `channels` 1, 3 or 4. */
function picture(width: number, height: number, channels: 1 | 3 | 4): Sharp {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  return sharp(data, { raw: { width, height, channels } });
}

describe("storedSize: an image file's size from its header (frames sent to the inference worker as files)", () => {
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ["PNG RGB", () => picture(321, 243, 3).png().toBuffer()],
    ["PNG RGBA", () => picture(17, 1031, 4).png().toBuffer()],
    ["PNG grey", () => picture(640, 1, 1).png().toBuffer()],
    ["JPEG baseline", () => picture(1280, 720, 3).jpeg({ quality: 80 }).toBuffer()],
    ["JPEG progressive", () => picture(333, 444, 3).jpeg({ progressive: true }).toBuffer()],
    ["JPEG with EXIF and ICC ahead of the frame header", () => picture(99, 77, 3).withMetadata().jpeg().toBuffer()],
    ["WebP (sharp's header reader)", () => picture(200, 150, 3).webp().toBuffer()],
    ["TIFF (sharp's header reader)", () => picture(64, 48, 3).tiff().toBuffer()],
  ];
  for (const [name, make] of cases)
    it(`${name}: the size sharp reports`, async () => {
      const bytes = await make();
      const meta = await sharp(bytes).metadata();
      expect(await storedSize(bytes)).toEqual({ width: meta.width, height: meta.height });
    });

  it("bytes that are no image, a header cut short, and a PNG that says 0×0 have no size", async () => {
    expect(await storedSize(new TextEncoder().encode("not an image"))).toBeNull();
    const jpeg = await picture(64, 48, 3).jpeg().toBuffer();
    expect(await storedSize(jpeg.subarray(0, 20))).toBeNull();
    const png = Buffer.from(await picture(8, 8, 3).png().toBuffer());
    png.fill(0, 16, 24);
    expect(await storedSize(png)).toBeNull();
  });
});
