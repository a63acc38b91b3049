import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { Library } from "@tessera/dataset";
import { nowMs } from "../clock.js";
import { startTessera } from "../servers/tessera.js";
import { Rng } from "../rng.js";

/**
 * The network half of a video seek (`npx tsx src/probes/frameBatch.ts [frames] [seeks]`, from
 * load-tests): a record of `frames` (default 10,000) embedded 320 × 240 PNG `sequence_frames`
 * written through `@tessera/dataset`, served by the real server (CLI, auth off). Measures what the
 * video workspace asks: the frame list (pages of 1,000, once per record), a batch of 16 frames at a
 * random position (the frame batch route, what a seek outside the prefetch window waits for) and
 * one frame's blob. Prints one JSON object.
 */
const FRAMES = Number(process.argv[2] ?? 10_000);
const SEEKS = Number(process.argv[3] ?? 100);
const W = 320;
const H = 240;
const DATASET = "bench_video";
const RECORD = "clip";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A 320 × 240 RGB PNG: a gradient with some noise (about what a small video frame weighs). */
function png(seed: number): Uint8Array {
  const rng = new Rng(seed);
  const raw = Buffer.alloc((W * 3 + 1) * H);
  for (let y = 0; y < H; y++) {
    const row = y * (W * 3 + 1);
    for (let x = 0; x < W; x++) {
      const n = rng.next() * 24;
      raw[row + 1 + x * 3] = (x + seed * 7) & 255;
      raw[row + 2 + x * 3] = (y * 2 + n) & 255;
      raw[row + 3 + x * 3] = ((x + y) / 3 + seed) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return new Uint8Array(
    Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]),
  );
}

function pct(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length };
}

const root = await mkdtemp(path.join(os.tmpdir(), "tessera-bench-video-"));
const dataDir = path.join(root, "data");
const images = Array.from({ length: 32 }, (_, i) => png(i));
const t0 = nowMs();
const library = new Library(dataDir, { optimizeAfterRows: Number.POSITIVE_INFINITY });
await library.init();
const plain = (base: string) => ({ base, fields: {} });
const ds = await library.create(DATASET, {
  id: DATASET,
  name: DATASET,
  description: "video seek benchmark",
  workspace: "video",
  storage_mode: "embedded",
  record: plain("Record"),
  entity: plain("Entity"),
  bbox: plain("BBox"),
  tracklet: plain("Tracklet"),
  views: { image: plain("SequenceFrame") },
});
await ds.add("records", [{ id: RECORD, split: "train" }]);
for (let start = 0; start < FRAMES; start += 1000) {
  const rows = [];
  for (let f = start; f < Math.min(FRAMES, start + 1000); f++)
    rows.push({
      id: `${RECORD}_f${f}`,
      record_id: RECORD,
      logical_name: "image",
      uri: "",
      raw_bytes: images[f % images.length],
      width: W,
      height: H,
      format: "PNG",
      timestamp: f / 25,
      frame_index: f,
    });
  await ds.add("sequence_frames", rows);
}
await library.close();
const writeMs = nowMs() - t0;

const server = await startTessera({ dataDir });
const base = `http://127.0.0.1:${server.port}/datasets/${DATASET}`;
try {
  const rng = new Rng(0xf4a3e);
  const listStart = nowMs();
  let listed = 0;
  for (let offset = 0; offset < FRAMES; offset += 1000) {
    const res = await fetch(`${base}/records/${RECORD}/sframes?limit=1000&offset=${offset}`);
    if (!res.ok) throw new Error(`frame list: HTTP ${res.status}`);
    listed += ((await res.json()) as { items: unknown[] }).items.length;
  }
  const listMs = nowMs() - listStart;
  const batch: number[] = [];
  let batchBytes = 0;
  for (let k = 0; k < SEEKS; k++) {
    const start = Math.floor(rng.next() * (FRAMES - 16));
    const s = nowMs();
    const res = await fetch(
      `${base}/records/${RECORD}/sframes/batch?view_name=image&start_frame=${start}&batch_size=16`,
    );
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`batch at ${start}: HTTP ${res.status}`);
    batch.push(nowMs() - s);
    batchBytes += body.byteLength;
  }
  const single: number[] = [];
  for (let k = 0; k < SEEKS; k++) {
    const f = Math.floor(rng.next() * FRAMES);
    const s = nowMs();
    const res = await fetch(`${base}/sframes/${RECORD}_f${f}/blob`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`blob of frame ${f}: HTTP ${res.status}`);
    single.push(nowMs() - s);
  }
  console.log(
    JSON.stringify({
      frames: FRAMES,
      listed,
      frameBytes: Math.round(images.reduce((n, i) => n + i.length, 0) / images.length),
      writeDatasetMs: Math.round(writeMs),
      frameListMs: Math.round(listMs),
      batch16Ms: pct(batch),
      batch16Bytes: Math.round(batchBytes / SEEKS),
      singleFrameMs: pct(single),
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    }),
  );
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
