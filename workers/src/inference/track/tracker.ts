import * as ort from "onnxruntime-node";
import type {
  ResizedImage,
  TrackBox,
  TrackerSpec,
  TrackStepReply,
  TrackStepRequest,
  TrackTemplateReply,
  TrackTemplateRequest,
} from "@tessera/shared-crdt";
import type { WithPixels } from "../pixels.js";
import type { SessionPool } from "../sam.js";

/**
 * Single-object tracking on onnxruntime with the layout of OpenCV Zoo's VitTrack export (what
 * OpenCV's `TrackerVit` runs): `template` float32 [1, 3, T, T] — the start frame cut around the box,
 * a square of side templateFactor·√(w·h) centred on it, resized to T — and `search` float32
 * [1, 3, S, S] — the next frame cut the same way around the last box with searchFactor — both RGB
 * normalised with the manifest's mean/std (0–255 scale), zero pixels outside the frame →
 * confidence [1, 1, R, R], size [1, 2, R, R] (w, h as fractions of the search crop) and offset
 * [1, 2, R, R] (cells). The confidence is weighted by a Hann window (motion prior); the best cell
 * gives the centre ((j + offset) / R of the crop) and the size map there the box's size.
 */
class TrackError extends Error {
  override name = "TrackError";
}

interface Scale {
  readonly kx: number;
  readonly ky: number;
}

/** View pixels → pixels of the image the server sent (the view resized). */
function scaleOf(image: ResizedImage, viewSize: readonly [number, number]): Scale {
  return { kx: image.width / viewSize[1], ky: image.height / viewSize[0] };
}

/** The square crop around a box: its centre and side, in image pixels. */
function cropAround(box: TrackBox, s: Scale, factor: number): { cx: number; cy: number; side: number } {
  const w = box[2] * s.kx;
  const h = box[3] * s.ky;
  return { cx: (box[0] + box[2] / 2) * s.kx, cy: (box[1] + box[3] / 2) * s.ky, side: Math.sqrt(w * h) * factor };
}

/** A side×side square centred on (cx, cy) resized to out×out (bilinear; black outside the image). */
function crop(image: ResizedImage, cx: number, cy: number, side: number, out: number): ResizedImage {
  if (!(side > 0)) throw new TrackError("the box has no area");
  const rgb = new Uint8Array(out * out * 3);
  const x0 = cx - side / 2;
  const y0 = cy - side / 2;
  const step = side / out;
  const { width, height } = image;
  const px = (x: number, y: number, c: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : (image.rgb[(y * width + x) * 3 + c] ?? 0);
  for (let v = 0; v < out; v++) {
    const sy = y0 + (v + 0.5) * step - 0.5;
    const iy = Math.floor(sy);
    const fy = sy - iy;
    for (let u = 0; u < out; u++) {
      const sx = x0 + (u + 0.5) * step - 0.5;
      const ix = Math.floor(sx);
      const fx = sx - ix;
      for (let c = 0; c < 3; c++) {
        const top = px(ix, iy, c) * (1 - fx) + px(ix + 1, iy, c) * fx;
        const bottom = px(ix, iy + 1, c) * (1 - fx) + px(ix + 1, iy + 1, c) * fx;
        rgb[(v * out + u) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width: out, height: out, rgb };
}

/** A square RGB crop as the model's normalised channels-first tensor. */
function tensorOf(img: ResizedImage, spec: TrackerSpec): ort.Tensor {
  const n = img.width * img.height;
  const data = new Float32Array(3 * n);
  const order = spec.channelOrder === "RGB" ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c] ?? c;
    const mean = spec.mean[c] ?? 0;
    const std = spec.std[c] ?? 1;
    for (let i = 0; i < n; i++) data[c * n + i] = ((img.rgb[i * 3 + src] ?? 0) - mean) / std;
  }
  return new ort.Tensor("float32", data, [1, 3, img.height, img.width]);
}

/** VitTrack's centred Hann window over an R-cell side: 0.5·(1 − cos(2π(i + 1)/(R + 1))). */
function hann(r: number): Float32Array {
  const w = new Float32Array(r);
  for (let i = 0; i < r; i++) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * (i + 1)) / (r + 1)));
  return w;
}

const hannCache = new Map<number, Float32Array>();
function hannOf(r: number): Float32Array {
  let w = hannCache.get(r);
  if (!w) {
    w = hann(r);
    hannCache.set(r, w);
  }
  return w;
}

function mapOf(result: ort.InferenceSession.OnnxValueMapType, name: string, channels: number): ort.Tensor {
  const t = result[name];
  if (!t || t.type !== "float32") throw new TrackError(`the tracker's ${name} is not a float32 tensor`);
  const [b, c, h, w] = t.dims;
  if (t.dims.length !== 4 || b !== 1 || c !== channels || h === undefined || h < 1 || w !== h)
    throw new TrackError(`${name} must be [1, ${channels}, R, R], got [${t.dims.join(", ")}]`);
  return t;
}

/** The worker's answer to `track_template`: the template crop of the start frame. */
export function templateReply(m: WithPixels<TrackTemplateRequest>): TrackTemplateReply {
  const c = cropAround(m.box, scaleOf(m.image, m.viewSize), m.model.templateFactor);
  return { type: "track_template", id: m.id, template: crop(m.image, c.cx, c.cy, c.side, m.model.templateSize) };
}

/** The worker's answer to `track_step`: the object's box on this frame and the tracker's confidence. */
export async function stepReply(pool: SessionPool, m: WithPixels<TrackStepRequest>): Promise<TrackStepReply> {
  const started = performance.now();
  const spec = m.model;
  if (m.template.width !== spec.templateSize || m.template.height !== spec.templateSize)
    throw new TrackError(`the template must be ${spec.templateSize}×${spec.templateSize}`);
  const session = await pool.get(spec.modelPath);
  const scale = scaleOf(m.image, m.viewSize);
  const c = cropAround(m.box, scale, spec.searchFactor);
  const search = crop(m.image, c.cx, c.cy, c.side, spec.searchSize);
  const result = await session.run({ template: tensorOf(m.template, spec), search: tensorOf(search, spec) });
  const score = mapOf(result, spec.outputs.score, 1);
  const size = mapOf(result, spec.outputs.size, 2);
  const offset = mapOf(result, spec.outputs.offset, 2);
  const r = score.dims[2] ?? 1;
  if (size.dims[2] !== r || offset.dims[2] !== r) throw new TrackError("the tracker's maps differ in size");
  const conf = score.data as Float32Array;
  const window = hannOf(r);
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      const v = (conf[i * r + j] ?? 0) * (window[i] ?? 0) * (window[j] ?? 0);
      if (v > bestScore) {
        bestScore = v;
        best = i * r + j;
      }
    }
  const sizes = size.data as Float32Array;
  const offsets = offset.data as Float32Array;
  const plane = r * r;
  const cxN = ((best % r) + (offsets[best] ?? 0)) / r;
  const cyN = (Math.floor(best / r) + (offsets[plane + best] ?? 0)) / r;
  const wN = sizes[best] ?? 0;
  const hN = sizes[plane + best] ?? 0;
  // Search crop fractions → image pixels → view pixels, clipped to the view.
  const left = c.cx - c.side / 2;
  const top = c.cy - c.side / 2;
  const [viewH, viewW] = m.viewSize;
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const x0 = clip((left + (cxN - wN / 2) * c.side) / scale.kx, viewW);
  const y0 = clip((top + (cyN - hN / 2) * c.side) / scale.ky, viewH);
  const x1 = clip((left + (cxN + wN / 2) * c.side) / scale.kx, viewW);
  const y1 = clip((top + (cyN + hN / 2) * c.side) / scale.ky, viewH);
  const confidence = Math.min(1, Math.max(0, Number.isFinite(bestScore) ? bestScore : 0));
  if (!(x1 > x0 && y1 > y0))
    // The box left the view: nothing to propose (a zero score stops the run).
    return { type: "tracked", id: m.id, box: m.box, score: 0, ms: performance.now() - started };
  return {
    type: "tracked",
    id: m.id,
    box: [x0, y0, x1 - x0, y1 - y0],
    score: confidence,
    ms: performance.now() - started,
  };
}
