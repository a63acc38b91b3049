import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isInferenceReply,
  type ImageInput,
  type InferenceReply,
  type ResizedImage,
  type TrackBox,
  type TrackerSpec,
} from "@tessera/shared-crdt";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ENTRY = path.join(ROOT, "workers/src/inference/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let root: string;
let child: ChildProcess;
let spec: TrackerSpec;
let threshold: number;
const waiting = new Map<number, (r: InferenceReply) => void>();
let nextId = 1;

/** A w×h frame: a grey gradient background with, when `square` is given, a two-colour square of side `side` at (x, y). */
function frame(w: number, h: number, square: readonly [number, number] | null, side: number): ResizedImage {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const g = 90 + Math.round((40 * x) / w) + Math.round((20 * y) / h);
      rgb.set([g, g, g + 10], (y * w + x) * 3);
    }
  if (square) {
    const [sx, sy] = square;
    for (let y = sy; y < sy + side; y++)
      for (let x = sx; x < sx + side; x++) {
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const upper = y < sy + side / 2;
        rgb.set(upper ? [230, 40, 30] : [30, 60, 220], (y * w + x) * 3);
      }
  }
  return { width: w, height: h, rgb };
}

/** Halves an image (2×2 means): what the server sends for a view twice the working size. */
function halve(img: ResizedImage): ResizedImage {
  const w = img.width / 2;
  const h = img.height / 2;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ] as const)
          sum += img.rgb[((2 * y + dy) * img.width + 2 * x + dx) * 3 + c] ?? 0;
        rgb[(y * w + x) * 3 + c] = Math.round(sum / 4);
      }
  return { width: w, height: h, rgb };
}

function iou(a: TrackBox, b: TrackBox): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

function ask(message: Record<string, unknown>): Promise<InferenceReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.send({ ...message, id });
  });
}

async function template(image: ImageInput, viewSize: [number, number], box: TrackBox): Promise<ResizedImage> {
  const reply = await ask({ type: "track_template", model: spec, viewSize, image, box });
  if (reply.type !== "track_template") throw new Error(`unexpected ${JSON.stringify(reply)}`);
  return reply.template;
}

async function step(
  image: ImageInput,
  viewSize: [number, number],
  box: TrackBox,
  tpl: ResizedImage,
): Promise<{ box: TrackBox; score: number }> {
  const reply = await ask({ type: "track_step", model: spec, viewSize, image, box, template: tpl });
  if (reply.type !== "tracked") throw new Error(`unexpected ${JSON.stringify(reply)}`);
  return reply;
}

/** A `track_step` on a 160×120 view from the box [50, 50, 20, 20], answered as the worker sends it (failures too). */
function rawStep(image: unknown, tpl: unknown): Promise<InferenceReply> {
  return ask({ type: "track_step", model: spec, viewSize: [120, 160], image, box: [50, 50, 20, 20], template: tpl });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-"));
  const dir = path.join(root, "tiny-tracker");
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-tracker.mjs"), dir]);
  const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
    input_size: number;
    template_size: number;
    score_threshold: number;
  };
  threshold = manifest.score_threshold;
  spec = {
    name: "tiny-tracker",
    modelPath: path.join(dir, "model.onnx"),
    templateSize: manifest.template_size,
    searchSize: manifest.input_size,
    templateFactor: 2,
    searchFactor: 4,
    mean: [123.675, 116.28, 103.53],
    std: [58.395, 57.12, 57.375],
    channelOrder: "RGB",
    outputs: { score: "output1", size: "output2", offset: "output3" },
  };
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

describe("tiny VitTrack-layout tracker in the inference worker", () => {
  it("tracks a planted moving square across 12 frames with IoU ≥ 0.7 on every frame", async () => {
    const side = 20;
    const at = (f: number): [number, number] => [30 + 5 * f, 40 + 3 * f];
    const view: [number, number] = [120, 160];
    const start: TrackBox = [...at(0), side, side];
    const tpl = await template(frame(160, 120, at(0), side), view, start);
    expect([tpl.width, tpl.height]).toEqual([spec.templateSize, spec.templateSize]);
    let box = start;
    const ious: number[] = [];
    for (let f = 1; f <= 12; f++) {
      const out = await step(frame(160, 120, at(f), side), view, box, tpl);
      const truth: TrackBox = [...at(f), side, side];
      ious.push(iou(out.box, truth));
      expect(out.score, `frame ${f}`).toBeGreaterThanOrEqual(threshold);
      box = out.box;
    }
    console.log(`IoU per frame: ${ious.map((v) => v.toFixed(2)).join(" ")}`);
    for (const [f, v] of ious.entries()) expect(v, `frame ${f + 1}`).toBeGreaterThanOrEqual(0.7);
  });

  it("maps boxes to view pixels when the frames are sent resized (a 320×240 view sent at 160×120)", async () => {
    const side = 40;
    const at = (f: number): [number, number] => [200 - 8 * f, 60 + 6 * f];
    const view: [number, number] = [240, 320];
    const start: TrackBox = [...at(0), side, side];
    const tpl = await template(halve(frame(320, 240, at(0), side)), view, start);
    let box = start;
    for (let f = 1; f <= 10; f++) {
      const out = await step(halve(frame(320, 240, at(f), side)), view, box, tpl);
      expect(iou(out.box, [...at(f), side, side]), `frame ${f}`).toBeGreaterThanOrEqual(0.7);
      box = out.box;
    }
  });

  it("reports a score under the manifest's threshold when the object is gone (the run stops there)", async () => {
    const side = 20;
    const view: [number, number] = [120, 160];
    const start: TrackBox = [50, 50, side, side];
    const tpl = await template(frame(160, 120, [50, 50], side), view, start);
    const present = await step(frame(160, 120, [53, 52], side), view, start, tpl);
    expect(present.score).toBeGreaterThan(0.5);
    const gone = await step(frame(160, 120, null, side), view, present.box, tpl);
    expect(gone.score).toBeLessThan(threshold);
  });

  it("decodes frames sent as files (PNG, JPEG) at the size asked: a 320×240 view sent to be read at 160×120", async () => {
    const side = 40;
    const at = (f: number): [number, number] => [40 + 9 * f, 150 - 7 * f];
    const view: [number, number] = [240, 320];
    const file = async (f: number, format: "png" | "jpeg"): Promise<ImageInput> => {
      const { rgb, width, height } = frame(320, 240, at(f), side);
      const encoded = await sharp(rgb, { raw: { width, height, channels: 3 } })
        .toFormat(format, format === "jpeg" ? { quality: 95 } : {})
        .toBuffer();
      return { encoded, width: 160, height: 120 };
    };
    const start: TrackBox = [...at(0), side, side];
    const tpl = await template(await file(0, "png"), view, start);
    expect([tpl.width, tpl.height]).toEqual([spec.templateSize, spec.templateSize]);
    let box = start;
    for (let f = 1; f <= 8; f++) {
      const out = await step(await file(f, f % 2 === 0 ? "png" : "jpeg"), view, box, tpl);
      expect(iou(out.box, [...at(f), side, side]), `frame ${f}`).toBeGreaterThanOrEqual(0.7);
      box = out.box;
    }
  });

  it("a frame file that does not decode fails as bad_image (not the model's failure), and the worker keeps answering", async () => {
    const view: [number, number] = [120, 160];
    const img = frame(160, 120, [50, 50], 20);
    const tpl = await template(img, view, [50, 50, 20, 20]);
    const junk = { encoded: new TextEncoder().encode("not an image at all"), width: 160, height: 120 };
    const reply = await rawStep(junk, tpl);
    expect(reply.type).toBe("failed");
    if (reply.type === "failed") {
      expect(reply.reason).toBe("bad_image");
      expect(reply.error).toMatch(/cannot be decoded/);
    }
    expect((await step(img, view, [50, 50, 20, 20], tpl)).score).toBeGreaterThan(0.9);
  });

  it("refuses a template of the wrong size with a typed failure, and keeps answering", async () => {
    const view: [number, number] = [120, 160];
    const img = frame(160, 120, [50, 50], 20);
    const bad = { width: 8, height: 8, rgb: new Uint8Array(8 * 8 * 3) };
    const reply = await rawStep(img, bad);
    expect(reply.type).toBe("failed");
    if (reply.type === "failed") expect(reply.error).toMatch(/template must be 32×32/);
    const tpl = await template(img, view, [50, 50, 20, 20]);
    expect((await step(img, view, [50, 50, 20, 20], tpl)).score).toBeGreaterThan(0.9);
  });
});
