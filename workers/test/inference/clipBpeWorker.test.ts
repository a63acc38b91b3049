import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClipModelSpec, ResizedImage } from "@tessera/shared-crdt";
import { WorkerChild } from "./workerChild.js";

/**
 * A clip-bpe text tower through the real inference worker (a child process over IPC, as the server
 * runs it) and real onnxruntime sessions: the tiny CLIP pair built with `--clip-bpe`, whose text
 * tower takes CLIP's 49 408 token ids, with OpenAI's vocabulary file in its folder.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const VOCAB = path.join(ROOT, "fixtures/clip-bpe/bpe_simple_vocab_16e6.txt.gz");
const S = 32;

const uniform = (rgb: readonly [number, number, number]): ResizedImage => {
  const data = new Uint8Array(S * S * 3);
  for (let i = 0; i < S * S; i++) data.set(rgb, i * 3);
  return { width: S, height: S, rgb: data };
};

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe("clip-bpe text tower in the inference worker", () => {
  let dir: string;
  let spec: ClipModelSpec;
  let worker: WorkerChild;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "tessera-clip-bpe-"));
    const modelDir = path.join(dir, "model");
    execFileSync(process.execPath, [
      path.join(ROOT, "scripts/tiny-clip.mjs"),
      modelDir,
      "tiny-clip-bpe",
      "--clip-bpe",
      VOCAB,
    ]);
    const m = JSON.parse(await readFile(path.join(modelDir, "manifest.json"), "utf8")) as {
      normalization: { mean: [number, number, number]; std: [number, number, number] };
      tokenizer: { kind: string; file: string; max_length: number };
    };
    spec = {
      name: "tiny-clip-bpe",
      imagePath: path.join(modelDir, "image.onnx"),
      textPath: path.join(modelDir, "text.onnx"),
      inputSize: S,
      mean: m.normalization.mean,
      std: m.normalization.std,
      tokenizer: {
        kind: m.tokenizer.kind,
        vocab: [],
        maxLength: m.tokenizer.max_length,
        file: path.join(modelDir, m.tokenizer.file),
      },
    };
    worker = new WorkerChild(path.join(dir, "data"));
    await worker.ready;
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a clip-bpe manifest loads its text tower: each colour caption lands next to its colour's image", async () => {
    expect(spec.tokenizer?.kind).toBe("clip-bpe");
    const colours: Array<[string, [number, number, number]]> = [
      ["red", [255, 0, 0]],
      ["green", [0, 255, 0]],
      ["blue", [0, 0, 255]],
      ["yellow", [255, 255, 0]],
    ];
    const images = await worker.vectors({
      type: "embed_images",
      id: 1,
      model: spec,
      images: colours.map(([, c]) => uniform(c)),
    });
    // Captions CLIP splits into several tokens, upper case, HTML entities, punctuation: only the colour's token counts.
    const captions = ["A photo of a RED car!!", "green&nbsp;grass", "“Blue” sky…", "a yellow-ish banana 🍌"];
    const texts = await worker.vectors({ type: "embed_texts", id: 2, model: spec, texts: captions });
    texts.forEach((t, i) => {
      const scores = images.map((v) => dot(t, v));
      expect(scores.indexOf(Math.max(...scores)), captions[i]).toBe(i);
      expect(scores[i], captions[i]).toBeGreaterThan(0.99);
    });
  });

  it("a text longer than CLIP's context is cut to 77 tokens, so a colour word past the cut does not count", async () => {
    const [head, tail] = await worker.vectors({
      type: "embed_texts",
      id: 3,
      model: spec,
      texts: [`red ${"word ".repeat(100)}`, `${"word ".repeat(100)} red`],
    });
    const [red] = await worker.vectors({ type: "embed_images", id: 4, model: spec, images: [uniform([255, 0, 0])] });
    expect(dot(head ?? new Float32Array(), red ?? new Float32Array())).toBeGreaterThan(0.99);
    expect(Math.abs(dot(tail ?? new Float32Array(), red ?? new Float32Array()))).toBeLessThan(0.5);
  });

  it("a megabyte-long text query does not stall the worker: only its head is tokenised, and other requests still run", async () => {
    let seed = 7;
    const letter = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return String.fromCharCode(97 + Math.floor((seed / 2147483648) * 26));
    };
    // One 1 MB "word": the reference BPE's cost grows with the square of a word's length (hours here).
    const huge = `red ${Array.from({ length: 1_000_000 }, letter).join("")}`;
    const started = performance.now();
    const reply = await worker.request({ type: "embed_texts", id: 8, model: spec, texts: [huge] });
    const ms = performance.now() - started;
    console.log(`1 MB text query answered in ${ms.toFixed(0)} ms (load average ${os.loadavg()[0]?.toFixed(2)})`);
    expect(reply.type).toBe("embedded_vectors");
    expect(ms).toBeLessThan(20_000);
    const [red] = await worker.vectors({ type: "embed_images", id: 9, model: spec, images: [uniform([255, 0, 0])] });
    const vector = reply.type === "embedded_vectors" ? reply.vectors[0] : undefined;
    expect(dot(vector ?? new Float32Array(), red ?? new Float32Array())).toBeGreaterThan(0.99);
  }, 60_000);

  it("a clip-bpe tokenizer without its file fails the request with a message naming tokenizer.file; the worker keeps serving", async () => {
    const noFile = { ...spec, tokenizer: { kind: "clip-bpe", vocab: [], maxLength: 77 } };
    const refused = await worker.request({ type: "embed_texts", id: 5, model: noFile, texts: ["red"] });
    expect(refused).toMatchObject({ type: "failed", error: expect.stringContaining("tokenizer.file") });
    const missing = {
      ...spec,
      tokenizer: { kind: "clip-bpe", vocab: [], maxLength: 77, file: path.join(dir, "nope.txt.gz") },
    };
    const gone = await worker.request({ type: "embed_texts", id: 6, model: missing, texts: ["red"] });
    expect(gone).toMatchObject({ type: "failed", error: expect.stringContaining("missing") });
    expect(await worker.vectors({ type: "embed_texts", id: 7, model: spec, texts: ["red"] })).toHaveLength(1);
  });
});
