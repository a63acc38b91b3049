import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, VID_ID, type TestDataDir } from "./testLibrary.js";

let data: TestDataDir;
let server: RunningServer;
let img: string;
let vid: string;

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir);
  img = `${server.url}/datasets/${IMG_ID}`;
  vid = `${server.url}/datasets/${VID_ID}`;
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

async function bytes(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

const sha1 = (b: Uint8Array) => `"${createHash("sha1").update(b).digest("hex")}"`;

describe("images", () => {
  it("lists images with Pixano's ImageResponse and a loadable src", async () => {
    const r = await call(`${img}/images`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(4);
    const [i0, , i2, i3] = r.body.items;
    expect(Object.keys(i0)).toEqual([
      "id",
      "record_id",
      "logical_name",
      "created_at",
      "updated_at",
      "width",
      "height",
      "format",
      "src",
    ]);
    expect(i0).toEqual({
      id: "img-0",
      record_id: "r0",
      logical_name: "image",
      created_at: "",
      updated_at: "",
      width: 80,
      height: 60,
      format: "PNG",
      src: `/datasets/${IMG_ID}/images/img-0/blob`,
    });
    expect(i2.src).toBe("/media/photos/cat.png");
    expect(i3.src).toBe("https://example.org/x.jpg");
    expect((await call(`${img}/images?record_id=r1`)).body.items.map((i: { id: string }) => i.id)).toEqual(["img-1"]);
    expect((await call(`${img}/images?view_name=other`)).body.total).toBe(0);
    expect((await call(`${img}/images?limit=0`)).status).toBe(422);
  });

  it("gets one image and 404s others", async () => {
    expect((await call(`${img}/images/img-1`)).body).toMatchObject({
      id: "img-1",
      format: "JPEG",
      width: 64,
      height: 48,
    });
    const none = await call(`${img}/images/ghost`);
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ detail: "Resource 'ghost' not found." });
    expect((await call(`${vid}/images`)).status).toBe(404);
  });

  it("serves embedded bytes with MIME type, length and an ETag honoured by If-None-Match", async () => {
    const b = await bytes(`${img}/images/img-0/blob`);
    expect(b.status).toBe(200);
    expect(b.headers.get("content-type")).toBe("image/png");
    expect(Number(b.headers.get("content-length"))).toBe(data.images.red.length);
    expect(b.body).toEqual(data.images.red);
    expect(b.headers.get("etag")).toBe(sha1(data.images.red));
    expect(b.headers.get("cache-control")).toBe("no-cache");
    const again = await bytes(`${img}/images/img-0/blob`, {
      headers: { "if-none-match": b.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const jpg = await bytes(`${img}/images/img-1/blob`);
    expect(jpg.headers.get("content-type")).toBe("image/jpeg");
  });

  it("serves a byte range of a blob", async () => {
    const part = await bytes(`${img}/images/img-0/blob`, { headers: { range: "bytes=0-7" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-7/${data.images.red.length}`);
    expect(part.body).toEqual(data.images.red.subarray(0, 8));
    const bad = await bytes(`${img}/images/img-0/blob`, { headers: { range: `bytes=${data.images.red.length + 5}-` } });
    expect(bad.status).toBe(416);
  });

  it("serves the media file of a filesystem-mode image as its blob, and 404s remote ones", async () => {
    const b = await bytes(`${img}/images/img-2/blob`);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(data.images.mediaPng);
    const remote = await call(`${img}/images/img-3/blob`);
    expect(remote.status).toBe(404);
    expect(remote.body).toEqual({ detail: "Resource 'img-3' has no embedded blob." });
  });

  it("serves the stored 64px preview with caching headers, or a resized JPEG for ?size", async () => {
    const p = await bytes(`${img}/images/img-0/preview`);
    expect(p.status).toBe(200);
    expect(p.headers.get("content-type")).toBe("image/png");
    expect(p.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(p.headers.get("etag")).toBe(sha1(p.body));
    expect(Number(p.headers.get("content-length"))).toBe(p.body.length);
    const meta = await sharp(p.body).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);
    expect(
      (await bytes(`${img}/images/img-0/preview`, { headers: { "if-none-match": p.headers.get("etag") ?? "" } }))
        .status,
    ).toBe(304);
    const big = await bytes(`${img}/images/img-0/preview?size=128`);
    expect(big.headers.get("content-type")).toBe("image/jpeg");
    const bigMeta = await sharp(big.body).metadata();
    expect([bigMeta.format, bigMeta.width, bigMeta.height]).toEqual(["jpeg", 80, 60]);
    const fromMedia = await bytes(`${img}/images/img-2/preview?size=256`);
    expect(fromMedia.status).toBe(200);
    expect((await sharp(fromMedia.body).metadata()).width).toBe(40);
    const badSize = await call(`${img}/images/img-0/preview?size=100`);
    expect(badSize.status).toBe(400);
    expect(badSize.body).toEqual({ detail: "Invalid preview size 100; allowed: [128, 256, 512]" });
    const none = await call(`${img}/images/img-3/preview`);
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ detail: "Resource 'img-3' has no preview." });
  });

  it("lists a record's images", async () => {
    const r = await call(`${img}/records/r2/images`);
    expect(r.body.items.map((i: { id: string }) => i.id)).toEqual(["img-2"]);
    expect((await call(`${img}/records/r4/images`)).body.total).toBe(0);
  });
});

describe("texts", () => {
  it("lists and gets texts with Pixano's TextResponse", async () => {
    const r = await call(`${img}/texts`);
    expect(r.body.items).toEqual([
      {
        id: "txt-0",
        record_id: "r0",
        logical_name: "text",
        created_at: "",
        updated_at: "",
        content: "A red ball next to a box. Café ☕ au lait.",
        uri: "",
      },
    ]);
    expect((await call(`${img}/texts/txt-0`)).body.id).toBe("txt-0");
    expect((await call(`${img}/records/r0/texts`)).body.total).toBe(1);
    expect((await call(`${img}/texts/txt-0/blob`)).status).toBe(404);
  });
});

describe("sequence frames", () => {
  it("lists frames with timestamp and frame_index", async () => {
    const r = await call(`${vid}/records/clip1/sframes?limit=2`);
    expect(r.body.total).toBe(5);
    expect(Object.keys(r.body.items[0])).toEqual([
      "id",
      "record_id",
      "logical_name",
      "created_at",
      "updated_at",
      "width",
      "height",
      "format",
      "timestamp",
      "frame_index",
      "src",
    ]);
    expect(r.body.items[1]).toMatchObject({
      id: "f1-1",
      frame_index: 1,
      timestamp: 0.2,
      src: `/datasets/${VID_ID}/sframes/f1-1/blob`,
    });
    expect(r.text).toContain('"timestamp":0.0');
    expect((await call(`${vid}/sframes`)).body.total).toBe(7);
    expect((await call(`${vid}/sframes/f1-3`)).body.frame_index).toBe(3);
    expect((await bytes(`${vid}/sframes/f1-3/blob`)).body).toEqual(data.frames[3]);
    expect((await bytes(`${vid}/sframes/f1-3/preview`)).headers.get("content-type")).toBe("image/png");
  });

  it("streams a batch of frames as multipart/x-mixed-replace", async () => {
    const b = await bytes(`${vid}/records/clip1/sframes/batch?start_frame=1&batch_size=3`);
    expect(b.status).toBe(200);
    expect(b.headers.get("content-type")).toBe("multipart/x-mixed-replace; boundary=frame_boundary");
    expect(b.headers.get("x-total-frames")).toBe("3");
    expect(b.headers.get("x-start-frame")).toBe("1");
    expect(b.headers.get("x-batch-size")).toBe("3");
    const text = Buffer.from(b.body).toString("latin1");
    const parts = text.split("--frame_boundary").slice(1);
    expect(parts.at(-1)).toBe("--\r\n");
    const frames = parts.slice(0, -1).map((p) => {
      const [head, ...rest] = p.slice(2).split("\r\n\r\n");
      const headers = Object.fromEntries((head ?? "").split("\r\n").map((l) => l.split(": ") as [string, string]));
      const body = Buffer.from(rest.join("\r\n\r\n").slice(0, -2), "latin1");
      return { headers, body };
    });
    expect(frames.map((f) => f.headers["X-Frame-Index"])).toEqual(["1", "2", "3"]);
    for (const f of frames) {
      expect(f.headers["Content-Type"]).toBe("image/png");
      expect(Number(f.headers["Content-Length"])).toBe(f.body.length);
      expect(new Uint8Array(f.body)).toEqual(data.frames[Number(f.headers["X-Frame-Index"])]);
    }
  });

  it("skips frames without bytes, 404s an empty batch and validates bounds", async () => {
    const b = await bytes(`${vid}/records/clip2/sframes/batch`);
    expect(b.headers.get("x-total-frames")).toBe("1");
    expect((await call(`${vid}/records/clip1/sframes/batch?start_frame=50`)).body).toEqual({
      detail: "No frames found for the given parameters.",
    });
    expect((await call(`${vid}/records/clip1/sframes/batch?view_name=other`)).status).toBe(404);
    expect((await call(`${vid}/records/clip1/sframes/batch?batch_size=0`)).status).toBe(422);
    expect((await call(`${vid}/records/clip1/sframes/batch?batch_size=1001`)).status).toBe(422);
    expect((await call(`${vid}/records/clip1/sframes/batch?start_frame=-1`)).status).toBe(422);
  });
});

describe("videos", () => {
  it("lists videos and serves their bytes with ranges", async () => {
    const r = await call(`${vid}/videos`);
    expect(r.body.total).toBe(2);
    expect(r.body.items[0]).toMatchObject({
      id: "v-0",
      num_frames: 5,
      fps: 5,
      duration: 1,
      from_timestamp: 0,
      to_timestamp: -1,
      format: "mp4",
      src: `/datasets/${VID_ID}/videos/v-0/blob`,
    });
    expect(r.body.items[1].src).toBe("https://example.org/v.mp4");
    const whole = await bytes(`${vid}/videos/v-0/blob`);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.body).toEqual(data.videoBytes);
    const tail = await bytes(`${vid}/videos/v-0/blob`, { headers: { range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(tail.body).toEqual(data.videoBytes.subarray(data.videoBytes.length - 10));
    expect((await call(`${vid}/records/clip2/videos`)).body.items[0].id).toBe("v-1");
    const one = await call(`${vid}/videos/v-0`);
    expect(Object.keys(one.body)).toEqual([
      "id",
      "record_id",
      "logical_name",
      "created_at",
      "updated_at",
      "num_frames",
      "fps",
      "width",
      "height",
      "format",
      "duration",
      "from_timestamp",
      "to_timestamp",
      "src",
    ]);
    expect(one.text).toContain('"fps":5.0');
    expect((await call(`${vid}/videos/v-0/preview`)).body).toEqual({ detail: "Resource 'v-0' has no preview." });
    expect((await call(`${vid}/videos/ghost`)).status).toBe(404);
    expect((await call(`${vid}/videos/v-1/blob`)).status).toBe(404);
  });
});
