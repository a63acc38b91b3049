import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeMask, type InferenceRequest, type SamModelSpec } from "@tessera/shared-crdt";
import { EmbeddingCache } from "../../src/inference/embeddingCache.js";
import { WorkerChild } from "./workerChild.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

let modelDir: string;
let spec: SamModelSpec;

beforeAll(async () => {
  modelDir = await mkdtemp(path.join(os.tmpdir(), "tessera-tiny-sam-"));
  execFileSync(process.execPath, [path.join(ROOT, "scripts/tiny-sam.mjs"), modelDir]);
  spec = {
    name: "tiny-sam",
    encoderPath: path.join(modelDir, "encoder.onnx"),
    decoderPath: path.join(modelDir, "decoder.onnx"),
    inputSize: 64,
    mean: [123.675, 116.28, 103.53],
    std: [58.395, 57.12, 57.375],
    channelOrder: "RGB",
  };
});

/** A 64×48 view resized for the 64-pixel encoder: already at size. */
const image = { width: 64, height: 48, rgb: new Uint8Array(64 * 48 * 3).fill(128) };
const segment = (id: number, withImage: boolean, x = 32, y = 24): Extract<InferenceRequest, { type: "segment" }> => ({
  type: "segment",
  id,
  model: spec,
  viewKey: "ds\u0000images\u0000img-1",
  viewSize: [48, 64],
  image: withImage ? image : null,
  prompt: { points: [[x, y]], labels: [1], box: null },
});

describe("inference worker process (real onnxruntime sessions on the tiny SAM pair)", () => {
  const dirs: string[] = [];
  const workers: WorkerChild[] = [];
  const start = async (dataDir: string) => {
    const w = new WorkerChild(dataDir);
    workers.push(w);
    await w.ready;
    return w;
  };
  const tempDir = async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), "tessera-infer-"));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("asks for the image once, then answers each click from the cached embedding: one encoder run per view", async () => {
    const dataDir = await tempDir();
    const w = await start(dataDir);
    expect(await w.request(segment(1, false))).toEqual({ type: "need_image", id: 1 });
    const first = await w.request(segment(2, true));
    expect(first).toMatchObject({ type: "segmented", embedding: "computed" });
    const second = await w.request(segment(3, false, 10, 10));
    expect(second).toMatchObject({ type: "segmented", embedding: "memory" });
    const stats = await w.request({ type: "stats", id: 4 });
    expect(stats).toMatchObject({ type: "stats", stats: { encoderRuns: 1, decoderRuns: 2 } });
    if (first.type !== "segmented") throw new Error("unreachable");
    // The mask: the view's size, a disc of radius 12 around the click (the tiny decoder's behaviour).
    expect(first.mask.size).toEqual([48, 64]);
    const bits = decodeMask(first.mask);
    expect(bits[24 * 64 + 32]).toBe(1);
    expect(bits[24 * 64 + 32 + 14]).toBe(0);
    const area = bits.reduce((a, b) => a + b, 0);
    expect(area).toBeGreaterThan(Math.PI * 11 * 11);
    expect(area).toBeLessThan(Math.PI * 13 * 13);
    expect(first.score).toBeCloseTo(0.875, 5);
  });

  it("a restarted worker finds the embedding in the disk cache: no encoder run", async () => {
    const dataDir = await tempDir();
    const a = await start(dataDir);
    await a.request(segment(1, true));
    await a.stop();
    workers.splice(workers.indexOf(a), 1);
    expect(
      (await readdir(path.join(dataDir, ".tessera", "embeddings"))).filter((f) => f.endsWith(".emb")),
    ).toHaveLength(1);
    const b = await start(dataDir);
    expect(await b.request(segment(2, false))).toMatchObject({ type: "segmented", embedding: "disk" });
    expect(await b.request({ type: "stats", id: 3 })).toMatchObject({ stats: { encoderRuns: 0 } });
  });

  it("a model that cannot be loaded fails the request with a message; the worker keeps serving", async () => {
    const dataDir = await tempDir();
    const w = await start(dataDir);
    const broken = { ...segment(1, true), model: { ...spec, encoderPath: path.join(modelDir, "manifest.json") } };
    const reply = await w.request(broken);
    expect(reply.type).toBe("failed");
    expect(await w.request(segment(2, true))).toMatchObject({ type: "segmented" });
  });
});

describe("embedding cache bounds", () => {
  const emb = (n: number) => ({ dims: [1, n], data: new Float32Array(n).fill(1) });

  it("evicts the least recently used embeddings past its memory and disk byte bounds", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tessera-emb-"));
    try {
      // 3 embeddings of 400 bytes (+16-byte header on disk); 1000 bytes hold two.
      const cache = new EmbeddingCache({ dir, memoryBytes: 1000, diskBytes: 1000 });
      await cache.put("a", emb(100));
      await cache.put("b", emb(100));
      expect((await cache.get("a"))?.from).toBe("memory");
      await cache.put("c", emb(100));
      expect(cache.stats.memoryEntries).toBe(2);
      expect(cache.stats.memoryBytes).toBeLessThanOrEqual(1000);
      expect(cache.stats.diskBytes).toBeLessThanOrEqual(1000);
      // "b" was the least recently used in memory and on disk: gone from both.
      expect(await cache.get("b")).toBeNull();
      expect((await readdir(dir)).length).toBe(2);
      // A fresh cache on the same folder reads what is on disk.
      const again = new EmbeddingCache({ dir, memoryBytes: 1000, diskBytes: 1000 });
      expect((await again.get("c"))?.from).toBe("disk");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
