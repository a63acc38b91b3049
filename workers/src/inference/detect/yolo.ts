import * as ort from "onnxruntime-node";
import type { Detection, DetectReply, DetectRequest, ResizedImage } from "@tessera/shared-crdt";
import type { WithPixels } from "../pixels.js";
import type { SessionPool } from "../sam.js";
import { nonMaxSuppression, type Candidate } from "./nms.js";

/**
 * YOLO-family detection on onnxruntime (the Ultralytics YOLOv5u/v8/v11 ONNX exports):
 * `images` float32 [1, 3, S, S] — RGB in [0, 1], the view resized so its longest side is S and
 * centred on a grey (114) square: the letterbox — → `output0` float32 [1, 4 + C, N], each of
 * the N columns (cx, cy, w, h) in input pixels followed by C class scores. Boxes are mapped back
 * to the view's pixels (undo the padding, then the scale) and clipped to the view.
 */
class DetectError extends Error {
  override name = "DetectError";
}

/** At most this many boxes per view are kept after NMS (the stock exports' `max_det`). */
const MAX_DETECTIONS = 300;
const PAD = 114 / 255;

interface Letterbox {
  readonly tensor: Float32Array;
  readonly scale: number;
  readonly padX: number;
  readonly padY: number;
}

/** The letterboxed input tensor of a view already resized to fit the S × S frame. */
function letterbox(image: ResizedImage, viewSize: readonly [number, number], s: number): Letterbox {
  if (image.width > s || image.height > s) throw new DetectError(`image ${image.width}×${image.height} exceeds ${s}`);
  const padX = Math.floor((s - image.width) / 2);
  const padY = Math.floor((s - image.height) / 2);
  const tensor = new Float32Array(3 * s * s).fill(PAD);
  for (let c = 0; c < 3; c++) {
    const plane = c * s * s;
    for (let y = 0; y < image.height; y++) {
      const row = plane + (y + padY) * s + padX;
      for (let x = 0; x < image.width; x++) tensor[row + x] = (image.rgb[(y * image.width + x) * 3 + c] ?? 0) / 255;
    }
  }
  // The server resized the view by s / (its longest side), rounding to whole pixels.
  return { tensor, scale: s / Math.max(viewSize[0], viewSize[1]), padX, padY };
}

/** Reads `output0` [1, 4 + C, N] into candidates above `threshold` (best class per column). */
function candidates(data: Float32Array, dims: readonly number[], threshold: number): Candidate[] {
  const [batch, rows, n] = dims;
  if (dims.length !== 3 || batch !== 1 || rows === undefined || n === undefined || rows < 5)
    throw new DetectError(`output0 must be [1, 4 + classes, N], got [${dims.join(", ")}]`);
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    let best = -1;
    let score = -Infinity;
    for (let c = 0; c < rows - 4; c++) {
      const v = data[(4 + c) * n + i] ?? 0;
      if (v > score) {
        score = v;
        best = c;
      }
    }
    if (!(score >= threshold)) continue;
    const cx = data[i] ?? 0;
    const cy = data[n + i] ?? 0;
    const w = data[2 * n + i] ?? 0;
    const h = data[3 * n + i] ?? 0;
    if (!(w > 0 && h > 0)) continue;
    out.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, classIndex: best, score });
  }
  return out;
}

/** Input-frame box → xywh in view pixels, clipped to the view; null when nothing is left. */
function toView(c: Candidate, lb: Letterbox, viewSize: readonly [number, number]): Detection | null {
  const [height, width] = viewSize;
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const x0 = clip((c.x0 - lb.padX) / lb.scale, width);
  const y0 = clip((c.y0 - lb.padY) / lb.scale, height);
  const x1 = clip((c.x1 - lb.padX) / lb.scale, width);
  const y1 = clip((c.y1 - lb.padY) / lb.scale, height);
  if (!(x1 > x0 && y1 > y0)) return null;
  return { box: [x0, y0, x1 - x0, y1 - y0], classIndex: c.classIndex, score: Math.min(1, Math.max(0, c.score)) };
}

async function detect(
  pool: SessionPool,
  m: Pick<WithPixels<DetectRequest>, "model" | "image" | "viewSize" | "threshold" | "iou">,
): Promise<Detection[]> {
  const session = await pool.get(m.model.modelPath);
  const s = m.model.inputSize;
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  if (input === undefined || output === undefined) throw new DetectError("the detector has no input or output");
  const lb = letterbox(m.image, m.viewSize, s);
  const result = await session.run({ [input]: new ort.Tensor("float32", lb.tensor, [1, 3, s, s]) });
  const t = result[output];
  if (!t || t.type !== "float32") throw new DetectError(`the detector's ${output} is not a float32 tensor`);
  const kept = nonMaxSuppression(candidates(t.data as Float32Array, t.dims, m.threshold), m.iou, MAX_DETECTIONS);
  const out: Detection[] = [];
  for (const c of kept) {
    const d = toView(c, lb, m.viewSize);
    if (d) out.push(d);
  }
  return out;
}

/** The worker's answer to a `detect` request. */
export async function detectReply(pool: SessionPool, m: WithPixels<DetectRequest>): Promise<DetectReply> {
  const started = performance.now();
  const detections = await detect(pool, m);
  return { type: "detected", id: m.id, detections, ms: performance.now() - started };
}
