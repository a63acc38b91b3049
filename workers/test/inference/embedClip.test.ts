import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ClipModelSpec, ResizedImage } from "@tessera/shared-crdt";
import { WorkerChild } from "./workerChild.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const S = 32;

let spec: ClipModelSpec;
const workers: WorkerChild[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tessera-tiny-clip-"));
  execFileSync(process.execPath, [path.join(ROOT, "scripts/tiny-clip.mjs"), dir]);
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as {
    normalization: { mean: [number, number, number]; std: [number, number, number] };
    tokenizer: { kind: string; vocab: string[]; max_length: number };
  };
  spec = {
    name: "tiny-clip",
    imagePath: path.join(dir, "image.onnx"),
    textPath: path.join(dir, "text.onnx"),
    inputSize: S,
    mean: m.normalization.mean,
    std: m.normalization.std,
    tokenizer: { kind: m.tokenizer.kind, vocab: m.tokenizer.vocab, maxLength: m.tokenizer.max_length },
  };
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

async function start(): Promise<WorkerChild> {
  const w = new WorkerChild(await mkdtemp(path.join(os.tmpdir(), "tessera-embed-worker-")));
  workers.push(w);
  await w.ready;
  return w;
}

/** A 32×32 image: left half `left`, right half `right`, plus a deterministic ±`noise` jitter. */
function image(left: readonly number[], right: readonly number[], noise = 0): ResizedImage {
  const rgb = new Uint8Array(S * S * 3);
  let seed = 7;
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const jitter = noise === 0 ? 0 : Math.round(((seed / 2147483648) * 2 - 1) * noise);
        const v = (x < S / 2 ? left : right)[c] ?? 0;
        rgb[(y * S + x) * 3 + c] = Math.max(0, Math.min(255, v + jitter));
      }
  return { width: S, height: S, rgb };
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe("tiny CLIP encoders in the inference worker", () => {
  it("a batch of images gives one unit vector each; a noisy near-duplicate is closer than any other image", async () => {
    const w = await start();
    const red = [230, 30, 30];
    const blue = [30, 30, 230];
    const green = [30, 200, 30];
    const [original, duplicate, swapped, other] = await w.vectors({
      type: "embed_images",
      id: 1,
      model: spec,
      images: [image(red, blue), image(red, blue, 12), image(blue, red), image(green, green)],
    });
    if (!original || !duplicate || !swapped || !other) throw new Error("four vectors expected");
    for (const v of [original, duplicate, swapped, other]) {
      expect(v).toHaveLength(12);
      expect(cosine(v, v)).toBeCloseTo(1, 5);
    }
    const dup = cosine(original, duplicate);
    expect(dup).toBeGreaterThan(0.99);
    expect(dup).toBeGreaterThan(cosine(original, swapped));
    expect(dup).toBeGreaterThan(cosine(original, other));
  });

  it("a text maps to the colour it names: 'a red photo' is closest to the red image, 'blue' to the blue one", async () => {
    const w = await start();
    const colours = { red: [255, 0, 0], blue: [0, 0, 255], green: [0, 255, 0], yellow: [255, 255, 0] };
    const imgs = await w.vectors({
      type: "embed_images",
      id: 1,
      model: spec,
      images: Object.values(colours).map((c) => image(c, c, 8)),
    });
    const texts = await w.vectors({
      type: "embed_texts",
      id: 2,
      model: spec,
      texts: ["A RED photo", "blue", "something green!", "yellow"],
    });
    texts.forEach((t, i) => {
      const scores = imgs.map((v) => cosine(t, v));
      expect(scores.indexOf(Math.max(...scores))).toBe(i);
    });
  });

  it("a model with no text encoder, or an unknown tokenizer, fails the request with a message; the worker keeps serving", async () => {
    const w = await start();
    const noText = await w.request({ type: "embed_texts", id: 1, model: { ...spec, textPath: null }, texts: ["red"] });
    expect(noText).toMatchObject({ type: "failed", error: expect.stringContaining("no text encoder") });
    const bpe = { ...spec, tokenizer: { kind: "clip-bpe", vocab: [], maxLength: 77 } };
    const refused = await w.request({ type: "embed_texts", id: 2, model: bpe, texts: ["red"] });
    expect(refused).toMatchObject({ type: "failed", error: expect.stringContaining("clip-bpe") });
    expect(await w.vectors({ type: "embed_texts", id: 3, model: spec, texts: ["red"] })).toHaveLength(1);
  });
});
