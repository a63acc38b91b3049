import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import type { ResizedImage, SamModelSpec, SegmentPrompt } from "@tessera/shared-crdt";
import type { Embedding } from "./embedding.js";
import { logLine } from "./logLine.js";

/**
 * SAM / MobileSAM-style interactive segmentation on onnxruntime (the exports of
 * `segment-anything`'s `scripts/export_onnx_model.py` and their MobileSAM twins):
 *
 * - encoder: `image` float32 [1, 3, S, S] — the view resized so its longest side is S, normalised
 *   with the manifest's mean/std, zero-padded right and bottom — → `image_embeddings`;
 * - decoder: `image_embeddings`, `point_coords` [1, N, 2] and `point_labels` [1, N] (input-frame
 *   pixels; a box is two points labelled 2 and 3, and without a box a padding point labelled −1
 *   is appended), `mask_input` [1, 1, S/4, S/4], `has_mask_input` [1], `orig_im_size` [2] →
 *   `masks` [1, K, H, W] logits at the view's size (> 0 is inside), `iou_predictions` [1, K].
 */
class SamError extends Error {
  override name = "SamError";
}

/** Execution providers, from `TESSERA_INFERENCE_PROVIDERS` (comma-separated, e.g. `cuda,cpu`); CPU by default. */
export function executionProviders(env: NodeJS.ProcessEnv): string[] {
  const raw = env.TESSERA_INFERENCE_PROVIDERS?.trim();
  const list = raw ? raw.split(",").map((s) => s.trim().toLowerCase()) : [];
  const valid = list.filter((p) => /^[a-z0-9_-]{1,32}$/.test(p));
  return valid.includes("cpu") ? valid : [...valid, "cpu"];
}

export class SessionPool {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly threads = Math.max(1, availableParallelism() - 1);

  constructor(private readonly providers: readonly string[]) {}

  get(file: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(file);
    if (!s) {
      s = this.open(file);
      this.sessions.set(file, s);
      // A model that fails to load is tried again at the next request (it may have been fixed).
      s.catch(() => this.sessions.delete(file));
    }
    return s;
  }

  private async open(file: string): Promise<ort.InferenceSession> {
    const options = { intraOpNumThreads: this.threads, interOpNumThreads: 1 };
    if (this.providers.length > 1) {
      try {
        return await ort.InferenceSession.create(file, { ...options, executionProviders: [...this.providers] });
      } catch (err) {
        // A GPU provider named but absent on this machine: CPU it is.
        logLine("warn", "execution providers unavailable; using the CPU", {
          providers: this.providers,
          error: (err as Error).message,
        });
      }
    }
    return ort.InferenceSession.create(file, { ...options, executionProviders: ["cpu"] });
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) {
      const session = await s.catch(() => null);
      await session?.release();
    }
    this.sessions.clear();
  }
}

/** The encoder's input tensor: resized RGB, normalised, zero-padded to S × S, channels first. */
function encoderInput(image: ResizedImage, spec: SamModelSpec): Float32Array {
  const s = spec.inputSize;
  if (image.width > s || image.height > s) throw new SamError(`image ${image.width}×${image.height} exceeds ${s}`);
  const out = new Float32Array(3 * s * s);
  const order = spec.channelOrder === "RGB" ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c] ?? c;
    const mean = spec.mean[c] ?? 0;
    const std = spec.std[c] ?? 1;
    const plane = c * s * s;
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        out[plane + y * s + x] = ((image.rgb[(y * image.width + x) * 3 + src] ?? 0) - mean) / std;
      }
    }
  }
  return out;
}

export async function encode(pool: SessionPool, spec: SamModelSpec, image: ResizedImage): Promise<Embedding> {
  const session = await pool.get(spec.encoderPath);
  const s = spec.inputSize;
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  if (input === undefined || output === undefined) throw new SamError("the encoder has no input or output");
  const result = await session.run({ [input]: new ort.Tensor("float32", encoderInput(image, spec), [1, 3, s, s]) });
  const t = result[output];
  if (!t || t.type !== "float32") throw new SamError(`the encoder's ${output} is not a float32 tensor`);
  return { dims: [...t.dims], data: t.data as Float32Array };
}

export interface DecodedMask {
  /** Row-major 0/1, height × width. */
  readonly mask: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly score: number;
}

export async function decode(
  pool: SessionPool,
  spec: SamModelSpec,
  embedding: Embedding,
  prompt: SegmentPrompt,
  viewSize: readonly [number, number],
): Promise<DecodedMask> {
  const session = await pool.get(spec.decoderPath);
  const [height, width] = viewSize;
  const k = spec.inputSize / Math.max(height, width);
  const coords: number[] = [];
  const labels: number[] = [];
  prompt.points.forEach(([x, y], i) => {
    coords.push(x * k, y * k);
    labels.push(prompt.labels[i] === 1 ? 1 : 0);
  });
  if (prompt.box) {
    const [x0, y0, x1, y1] = prompt.box;
    coords.push(x0 * k, y0 * k, x1 * k, y1 * k);
    labels.push(2, 3);
  } else {
    coords.push(0, 0);
    labels.push(-1);
  }
  const n = labels.length;
  const low = spec.inputSize / 4;
  const feeds: Record<string, ort.Tensor> = {
    image_embeddings: new ort.Tensor("float32", embedding.data, [...embedding.dims]),
    point_coords: new ort.Tensor("float32", Float32Array.from(coords), [1, n, 2]),
    point_labels: new ort.Tensor("float32", Float32Array.from(labels), [1, n]),
    mask_input: new ort.Tensor("float32", new Float32Array(low * low), [1, 1, low, low]),
    has_mask_input: new ort.Tensor("float32", new Float32Array([0]), [1]),
    orig_im_size: new ort.Tensor("float32", new Float32Array([height, width]), [2]),
  };
  const result = await session.run(feeds, ["masks", "iou_predictions"]);
  const masks = result.masks;
  const iou = result.iou_predictions;
  if (!masks || masks.type !== "float32" || !iou || iou.type !== "float32")
    throw new SamError("the decoder did not return float32 masks and iou_predictions");
  const [, , mh, mw] = masks.dims;
  if (mh !== height || mw !== width)
    throw new SamError(`the decoder returned a ${mh ?? "?"}×${mw ?? "?"} mask for a ${height}×${width} view`);
  const logits = masks.data as Float32Array;
  const mask = new Uint8Array(height * width);
  for (let i = 0; i < mask.length; i++) mask[i] = (logits[i] ?? 0) > 0 ? 1 : 0;
  const score = (iou.data as Float32Array)[0] ?? 0;
  return { mask, height, width, score: Math.min(1, Math.max(0, score)) };
}
