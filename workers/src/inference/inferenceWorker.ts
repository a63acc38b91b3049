import * as path from "node:path";
import {
  encodeMask,
  isInferenceRequest,
  type InferenceReply,
  type ImageInput,
  type InferenceRequest,
  type SamModelSpec,
} from "@tessera/shared-crdt";
import type { Embedding } from "./embedding.js";
import { embed } from "./clip/clip.js";
import { EmbeddingCache } from "./embeddingCache.js";
import { detectReply } from "./detect/yolo.js";
import { logLine } from "./logLine.js";
import { ImageDecodeError, pixelsOf } from "./pixels.js";
import { stepReply, templateReply } from "./track/tracker.js";
import { decode, encode, SessionPool } from "./sam.js";

export interface InferenceChannel {
  send(reply: InferenceReply): void;
  onMessage(handler: (m: unknown) => void): void;
  onDisconnect(handler: () => void): void;
}

export interface InferenceWorkerOptions {
  readonly dataDir: string;
  readonly channel: InferenceChannel;
  readonly providers: readonly string[];
  readonly memoryBytes: number;
  readonly diskBytes: number;
  /** Test hook: called before each segmentation or detection is answered (a delay, a crash). */
  readonly beforeSegment?: () => Promise<void>;
}

/**
 * The inference worker's loop: answers `segment` requests from the embedding caches and the ONNX
 * sessions it owns, until `shutdown` or until the server is gone. Requests run concurrently (the
 * server bounds how many it sends); two requests for the same uncached view share one encoder run.
 */
export async function runInferenceWorker(options: InferenceWorkerOptions): Promise<void> {
  const { channel } = options;
  const pool = new SessionPool(options.providers);
  const cache = new EmbeddingCache({
    dir: path.join(options.dataDir, ".tessera", "embeddings"),
    memoryBytes: options.memoryBytes,
    diskBytes: options.diskBytes,
  });
  const encoding = new Map<string, Promise<Embedding>>();
  let encoderRuns = 0;
  let decoderRuns = 0;
  const inFlight = new Set<Promise<void>>();

  const embeddingFor = async (
    spec: SamModelSpec,
    key: string,
    image: ImageInput | null,
  ): Promise<{ embedding: Embedding; from: "memory" | "disk" | "computed"; ms: number } | null> => {
    const cached = await cache.get(key);
    if (cached) return { embedding: cached.embedding, from: cached.from, ms: 0 };
    const running = encoding.get(key);
    if (running) return { embedding: await running, from: "memory", ms: 0 };
    if (!image) return null;
    const started = performance.now();
    const job = pixelsOf(image).then((pixels) => encode(pool, spec, pixels));
    encoding.set(key, job);
    try {
      const embedding = await job;
      encoderRuns++;
      await cache.put(key, embedding);
      return { embedding, from: "computed", ms: performance.now() - started };
    } finally {
      encoding.delete(key);
    }
  };

  const segment = async (m: Extract<InferenceRequest, { type: "segment" }>): Promise<InferenceReply> => {
    const key = `${m.model.name}\u0000${m.model.encoderPath}\u0000${m.viewKey}`;
    const found = await embeddingFor(m.model, key, m.image);
    if (!found) return { type: "need_image", id: m.id };
    if (m.prompt === null) return { type: "embedded", id: m.id, embedding: found.from, encoderMs: found.ms };
    await options.beforeSegment?.();
    const started = performance.now();
    const out = await decode(pool, m.model, found.embedding, m.prompt, m.viewSize);
    decoderRuns++;
    const rle = encodeMask(out.mask, out.height, out.width);
    return {
      type: "segmented",
      id: m.id,
      mask: { size: [rle.size[0], rle.size[1]], counts: rle.counts },
      score: out.score,
      embedding: found.from,
      encoderMs: found.ms,
      decoderMs: performance.now() - started,
    };
  };

  const handle = async (m: InferenceRequest): Promise<void> => {
    if (m.type === "shutdown") return;
    if (m.type === "stats") {
      channel.send({ type: "stats", id: m.id, stats: { encoderRuns, decoderRuns, ...cache.stats } });
      return;
    }
    try {
      // The test delay paces job batches too.
      if (m.type === "embed_images" || m.type === "detect" || m.type === "track_step") await options.beforeSegment?.();
      if (m.type === "embed_images" || m.type === "embed_texts") return channel.send(await embed(pool, m));
      if (m.type === "track_template") return channel.send(templateReply({ ...m, image: await pixelsOf(m.image) }));
      if (m.type === "track_step") return channel.send(await stepReply(pool, { ...m, image: await pixelsOf(m.image) }));
      channel.send(
        m.type === "detect" ? await detectReply(pool, { ...m, image: await pixelsOf(m.image) }) : await segment(m),
      );
    } catch (err) {
      logLine("warn", `${m.type} failed`, { model: m.model.name, error: (err as Error).message });
      channel.send({
        type: "failed",
        id: m.id,
        error: (err as Error).message,
        ...(err instanceof ImageDecodeError ? { reason: "bad_image" as const } : {}),
      });
    }
  };

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void Promise.allSettled([...inFlight]).then(() => resolve());
    };
    channel.onDisconnect(stop);
    channel.onMessage((raw) => {
      if (!isInferenceRequest(raw)) {
        logLine("error", "malformed request ignored");
        return;
      }
      if (raw.type === "shutdown") {
        stop();
        return;
      }
      const p = handle(raw).finally(() => inFlight.delete(p));
      inFlight.add(p);
    });
    channel.send({ type: "ready", providers: options.providers });
  });
  await pool.close();
}
