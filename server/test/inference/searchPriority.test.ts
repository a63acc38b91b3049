import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ClipModelSpec } from "@tessera/shared-crdt";
import { InferenceWorkerClient } from "../../src/inference/InferenceWorkerClient.js";
import { ROOT } from "../support/cli.js";

/**
 * The inference worker's queue (real worker process, tiny CLIP pair, one request at a time): an
 * embedding job's batches (`priority: "job"`) wait behind interactive requests queued after them.
 */
let root: string;
let spec: ClipModelSpec;
let client: InferenceWorkerClient;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-search-priority-"));
  const dir = path.join(root, "models", "tiny-clip");
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-clip.mjs"), dir]);
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as {
    normalization: { mean: [number, number, number]; std: [number, number, number] };
    tokenizer: { kind: string; vocab: string[]; max_length: number };
  };
  spec = {
    name: "tiny-clip",
    imagePath: path.join(dir, "image.onnx"),
    textPath: path.join(dir, "text.onnx"),
    inputSize: 32,
    mean: m.normalization.mean,
    std: m.normalization.std,
    tokenizer: { kind: m.tokenizer.kind, vocab: m.tokenizer.vocab, maxLength: m.tokenizer.max_length },
  };
  client = new InferenceWorkerClient({
    dataDir: root,
    limits: { concurrency: 1 },
    env: { TESSERA_TEST_INFERENCE_DELAY_MS: "50" },
    workerStderr: "ignore",
  });
});

afterAll(async () => {
  await client?.close();
  await rm(root, { recursive: true, force: true });
});

it("an embedding job's batches queue behind an interactive request sent after them", async () => {
  const image = { width: 32, height: 32, rgb: new Uint8Array(32 * 32 * 3).fill(90) };
  const order: string[] = [];
  const job = (i: number) =>
    client.embed({ type: "embed_images", model: spec, images: [image] }, "job").then(() => order.push(`job${i}`));
  const batches = [job(1), job(2), job(3)];
  const interactive = client
    .embed({ type: "embed_texts", model: spec, texts: ["red"] })
    .then(() => order.push("interactive"));
  await Promise.all([...batches, interactive]);
  // The interactive request overtook every job batch still waiting (at most the one already in the worker ran first).
  expect(order.indexOf("interactive")).toBeLessThanOrEqual(1);
  expect(order.filter((o) => o.startsWith("job"))).toEqual(["job1", "job2", "job3"]);
});
