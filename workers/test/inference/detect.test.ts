import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInferenceReply, type DetectorSpec, type InferenceReply, type ResizedImage } from "@tessera/shared-crdt";
import { nonMaxSuppression } from "../../src/inference/detect/nms.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ENTRY = path.join(ROOT, "workers/src/inference/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let root: string;
let child: ChildProcess;
let spec: DetectorSpec;
const waiting = new Map<number, (r: InferenceReply) => void>();
let nextId = 1;

/** A w×h raw RGB image, dark, with filled rectangles [x0, y0, x1, y1, r, g, b]. */
function image(w: number, h: number, rects: ReadonlyArray<readonly number[]>): ResizedImage {
  const rgb = new Uint8Array(w * h * 3).fill(10);
  for (const [x0 = 0, y0 = 0, x1 = 0, y1 = 0, r = 0, g = 0, b = 0] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) rgb.set([r, g, b], (y * w + x) * 3);
  return { width: w, height: h, rgb };
}

function detect(img: ResizedImage, viewSize: [number, number], threshold = 0.5): Promise<InferenceReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.send({ type: "detect", id, model: spec, viewSize, image: img, threshold, iou: 0.45 });
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-detect-"));
  const dir = path.join(root, "tiny-yolo");
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-yolo.mjs"), dir]);
  spec = { name: "tiny-yolo", modelPath: path.join(dir, "model.onnx"), inputSize: 64 };
  child = fork(ENTRY, [path.join(root, "data")], {
    execArgv: ["--import", TSX],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`worker exited with ${String(code)}`)));
    child.on("message", (m: unknown) => {
      if (!isInferenceReply(m)) throw new Error(`malformed reply ${JSON.stringify(m)}`);
      if (m.type === "ready") resolve();
      else waiting.get(m.id)?.(m);
    });
  });
});

afterAll(async () => {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  if (child.connected) child.send({ type: "shutdown" });
  await exited;
  await rm(root, { recursive: true, force: true });
});

describe("tiny YOLO detector in the inference worker", () => {
  it("finds a bright red square of a 64×64 view as one class-0 box at its pixels", async () => {
    const reply = await detect(image(64, 64, [[24, 16, 32, 24, 255, 0, 0]]), [64, 64]);
    expect(reply.type).toBe("detected");
    if (reply.type !== "detected") return;
    expect(reply.detections).toHaveLength(1);
    const [d] = reply.detections;
    expect(d?.classIndex).toBe(0);
    expect(d?.score).toBeCloseTo(1, 5);
    expect(d?.box).toEqual([24, 16, 8, 8]);
  });

  it("maps letterboxed boxes back to the view's pixels (wide view, green square is class 1)", async () => {
    // A 256×128 view resized to 64×32 and centred vertically: 16 rows of padding above.
    // The green square at view pixels x 64..96, y 32..64 is input cell (2, 3) → back to the view.
    const reply = await detect(image(64, 32, [[16, 8, 24, 16, 0, 255, 0]]), [128, 256]);
    if (reply.type !== "detected") throw new Error(`unexpected ${reply.type}`);
    expect(reply.detections).toEqual([{ box: [64, 32, 32, 32], classIndex: 1, score: 1 }]);
  });

  it("drops scores under the threshold and answers nothing on a dark view", async () => {
    const dim = await detect(image(64, 64, [[0, 0, 8, 8, 100, 0, 0]]), [64, 64], 0.5);
    const dark = await detect(image(64, 64, []), [64, 64], 0.5);
    expect(dim.type === "detected" && dim.detections).toEqual([]);
    expect(dark.type === "detected" && dark.detections).toEqual([]);
  });

  it("refuses a malformed detect request (threshold out of range) without crashing", async () => {
    child.send({ type: "detect", id: 999, model: spec, viewSize: [64, 64], image: image(64, 64, []), threshold: 2 });
    const ok = await detect(image(64, 64, [[0, 0, 8, 8, 255, 0, 0]]), [64, 64]);
    expect(ok.type === "detected" && ok.detections.length).toBe(1);
  });
});

describe("non-maximum suppression", () => {
  it("keeps the best of overlapping same-class boxes and boxes of other classes", () => {
    const kept = nonMaxSuppression(
      [
        { x0: 0, y0: 0, x1: 10, y1: 10, classIndex: 0, score: 0.6 },
        { x0: 1, y0: 1, x1: 11, y1: 11, classIndex: 0, score: 0.9 },
        { x0: 1, y0: 1, x1: 11, y1: 11, classIndex: 1, score: 0.7 },
        { x0: 20, y0: 20, x1: 30, y1: 30, classIndex: 0, score: 0.5 },
      ],
      0.45,
      10,
    );
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.7, 0.5]);
  });
});
