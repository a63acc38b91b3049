import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BenchArgsError, parseBenchArgs } from "../src/benchArgs.js";
import { rgbPng } from "../src/gen/png.js";
import { fitInside, readPng } from "../src/gen/pngRead.js";

/**
 * What the real-model figures need from the bench: the `preannotate` scenario's options for a
 * model folder of one's own and a photo, and the PNG reader the detector probe feeds the worker with.
 */
describe("preannotate bench options for a real model", () => {
  it("preannotate accepts --model-dir, --image and --threshold (they were refused as unknown options)", () => {
    const parsed = parseBenchArgs([
      "preannotate",
      "--model-dir",
      "/tmp/m",
      "--image=/tmp/a.png",
      "--threshold",
      "0.4",
      "--records",
      "10",
    ]);
    expect(parsed.rest).toEqual([
      "--model-dir",
      "/tmp/m",
      "--image",
      "/tmp/a.png",
      "--threshold",
      "0.4",
      "--records",
      "10",
    ]);
  });

  it("inference accepts --model-dir for a real SAM pair (it was refused as an unknown option)", () => {
    expect(parseBenchArgs(["inference", "--model-dir", "/tmp/sam", "--images", "6"]).rest).toEqual([
      "--model-dir",
      "/tmp/sam",
      "--images",
      "6",
    ]);
  });

  it("the real-model options stay refused by scenarios that do not read them", () => {
    expect(() => parseBenchArgs(["rooms", "--model-dir", "/tmp/m"])).toThrow(BenchArgsError);
  });
});

/** A PNG chunk (length, type, data, CRC) for hand-built test files. */
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(0);
  return Buffer.concat([len, body, crc]);
}

describe("the bench's PNG reader", () => {
  it("reads back every pixel of an RGB PNG", () => {
    const pixel = (x: number, y: number) => [(x * 7) % 256, (y * 13) % 256, (x + y) % 256] as const;
    const img = readPng(rgbPng(37, 23, pixel));
    expect([img.width, img.height]).toEqual([37, 23]);
    for (let y = 0; y < 23; y++)
      for (let x = 0; x < 37; x++)
        expect([...img.rgb.subarray((y * 37 + x) * 3, (y * 37 + x) * 3 + 3)]).toEqual(pixel(x, y));
  });

  it("undoes the Sub, Up, Average and Paeth row filters of a grey PNG", () => {
    // 3×5 grey, one row per filter type 0..4, each row's bytes chosen so the filter matters.
    const width = 3;
    const want = [
      [10, 20, 30],
      [15, 25, 40],
      [20, 20, 20],
      [100, 90, 80],
      [200, 10, 255],
    ];
    const rows: number[] = [];
    want.forEach((row, y) => {
      const up = want[y - 1] ?? [0, 0, 0];
      rows.push(y);
      row.forEach((v, x) => {
        const a = x > 0 ? (row[x - 1] ?? 0) : 0;
        const b = up[x] ?? 0;
        const c = x > 0 ? (up[x - 1] ?? 0) : 0;
        const p = a + b - c;
        const pred = [
          0,
          a,
          b,
          (a + b) >> 1,
          Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
            ? a
            : Math.abs(p - b) <= Math.abs(p - c)
              ? b
              : c,
        ][y];
        rows.push((v - (pred ?? 0) + 256) & 0xff);
      });
    });
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(want.length, 4);
    ihdr.set([8, 0, 0, 0, 0], 8);
    const file = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(Buffer.from(rows))),
      chunk("IEND", Buffer.alloc(0)),
    ]);
    const img = readPng(file);
    const grey = Array.from({ length: width * want.length }, (_, i) => img.rgb[i * 3]);
    expect(grey).toEqual(want.flat());
  });

  it("refuses a 16-bit PNG with a clear error instead of misreading it", () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(2, 0);
    ihdr.writeUInt32BE(2, 4);
    ihdr.set([16, 2, 0, 0, 0], 8);
    const file = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)]);
    expect(() => readPng(file)).toThrow(/bit depth 16/);
  });

  it("fits an image inside a side as the server does before a detection, averaging areas", () => {
    const img = readPng(rgbPng(8, 4, (x) => (x < 4 ? [0, 0, 0] : [200, 100, 50])));
    const small = fitInside(img, 4);
    expect([small.width, small.height]).toEqual([4, 2]);
    expect([...small.rgb.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect([...small.rgb.subarray(9, 12)]).toEqual([200, 100, 50]);
  });
});
