import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DetectorSpec, ResizedImage, SamModelSpec } from "@tessera/shared-crdt";
import { InferenceWorkerClient } from "../../src/inference/InferenceWorkerClient.js";
import { ROOT } from "../support/cli.js";

/**
 * The inference supervisor's two queues against the real inference worker process: a job's
 * detections (background) never keep a click (interactive) waiting behind them. Each model run is
 * slowed to {@link DELAY_MS} by the worker's test hook, so queue order shows in the timings.
 */
const DELAY_MS = 150;

let root: string;
let client: InferenceWorkerClient;
let sam: SamModelSpec;
let yolo: DetectorSpec;
const image: ResizedImage = { width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3).fill(90) };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-preann-prio-"));
  const models = path.join(root, "models");
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-sam.mjs"), path.join(models, "sam")]);
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-yolo.mjs"), path.join(models, "yolo")]);
  sam = {
    name: "sam",
    encoderPath: path.join(models, "sam", "encoder.onnx"),
    decoderPath: path.join(models, "sam", "decoder.onnx"),
    inputSize: 64,
    mean: [123.675, 116.28, 103.53],
    std: [58.395, 57.12, 57.375],
    channelOrder: "RGB",
  };
  yolo = { name: "yolo", modelPath: path.join(models, "yolo", "model.onnx"), inputSize: 64 };
  client = new InferenceWorkerClient({
    dataDir: root,
    limits: { concurrency: 2, maxQueue: 8, timeoutMs: 60_000 },
    env: { TESSERA_TEST_INFERENCE_DELAY_MS: String(DELAY_MS) },
    workerStderr: "ignore",
  });
  // Worker started, sessions loaded.
  await client.detect({ model: yolo, viewSize: [64, 64], image, threshold: 0.5, iou: 0.45 });
  await client.segment({ model: sam, viewKey: "v", viewSize: [64, 64], image, prompt: null });
}, 60_000);

afterAll(async () => {
  await client.close();
  await rm(root, { recursive: true, force: true });
});

describe("background priority of pre-annotation detections", () => {
  it("a click queued behind 8 job detections is answered before them, in about one model run", async () => {
    let detected = 0;
    const job = Array.from({ length: 8 }, () =>
      client.detect({ model: yolo, viewSize: [64, 64], image, threshold: 0.5, iou: 0.45 }).then(() => detected++),
    );
    // The job's requests are queued (more than the worker's two slots), and its queue does not refuse clicks.
    expect(client.counts.queued).toBeGreaterThanOrEqual(6);
    const t0 = performance.now();
    const click = await client.segment({
      model: sam,
      viewKey: "v",
      viewSize: [64, 64],
      image: null,
      prompt: { points: [[20, 20]], labels: [1], box: null },
    });
    const ms = performance.now() - t0;
    const detectedAtClick = detected;
    await Promise.all(job);
    console.log(`click behind 8 detections: ${ms.toFixed(0)} ms, ${detectedAtClick} detections done before it`);
    expect(click.kind).toBe("segmented");
    // FIFO would answer it after the 8 detections (4 rounds of two); the free slot answers it in ≈ 1 run.
    expect(detectedAtClick).toBeLessThanOrEqual(2);
    // ≈ one model run (DELAY_MS) when idle; headroom for a loaded 2-core machine.
    expect(ms).toBeLessThan(2_000);
  }, 60_000);
});
