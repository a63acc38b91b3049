import { execFileSync, fork } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { DetectReply, DetectRequest, InferenceReply, ResizedImage } from "@tessera/shared-crdt";
import { fitInside, readPng, type RgbImage } from "../gen/pngRead.js";
import { repoRoot } from "../servers/tessera.js";
import { summarize, type LatencySummary } from "../stats.js";

/**
 * Detector time per image in the real inference worker
 * (`npx tsx src/probes/detectorTime.ts --model-dir DIR --image FILE.png [--runs 40] [--threshold 0.25]`,
 * from load-tests): forks `workers/src/inference/main.ts` as the server does (IPC, advanced
 * serialization; not niced here) and sends it `detect` requests — the photo resized so its
 * longest side is the model's input side, as the server sends it — alternately for the model of
 * `--model-dir` (a folder with a `detection` manifest, e.g. the one `scripts/fetch-real-model.mjs`
 * writes) and for the tiny detector of `scripts/tiny-yolo.mjs` on the same photo, so both see
 * the same machine load. The worker's `ms` covers letterbox + session run + NMS. Prints one JSON
 * object with p50/p95/p99 per model, the boxes found and the load average before and after.
 */
interface Manifest {
  readonly name?: string;
  readonly task?: string;
  readonly files?: { readonly model?: string };
  readonly input_size?: number | readonly number[];
  readonly labels?: readonly string[];
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string): never {
  process.stderr.write(`detectorTime: ${message}\n`);
  process.exit(2);
}

interface Detector {
  readonly label: string;
  readonly spec: DetectRequest["model"];
  readonly labels: readonly string[];
  readonly image: ResizedImage;
}

async function detector(dir: string, photo: RgbImage): Promise<Detector> {
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  const side = Array.isArray(m.input_size) ? m.input_size[0] : m.input_size;
  if (m.task !== "detection" || !m.files?.model || typeof side !== "number" || !(side > 0))
    fail(`${dir}: not a detection manifest with files.model and input_size`);
  const name = m.name ?? path.basename(dir);
  return {
    label: name,
    spec: { name, modelPath: path.resolve(dir, m.files.model), inputSize: side },
    labels: m.labels ?? [],
    image: fitInside(photo, side),
  };
}

const modelDir = option("--model-dir") ?? fail("--model-dir DIR is required");
const imageFile = option("--image") ?? fail("--image FILE.png is required");
const runs = Number(option("--runs") ?? 40);
const threshold = Number(option("--threshold") ?? 0.25);
if (!(Number.isInteger(runs) && runs > 0)) fail("--runs must be a positive integer");
if (!(threshold >= 0 && threshold <= 1)) fail("--threshold must be in [0, 1]");

const root = await mkdtemp(path.join(os.tmpdir(), "tessera-detector-time-"));
const loadBefore = os.loadavg();
try {
  const photo = readPng(await readFile(imageFile));
  execFileSync(process.execPath, [path.join(repoRoot, "scripts", "tiny-yolo.mjs"), path.join(root, "tiny"), "tiny"]);
  const models = [await detector(path.resolve(modelDir), photo), await detector(path.join(root, "tiny"), photo)];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = fork(path.join(repoRoot, "workers", "src", "inference", "main.ts"), [path.join(root, "data")], {
    execArgv: ["--import", tsx],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  const waiting = new Map<number, (r: DetectReply) => void>();
  let ready: () => void = () => undefined;
  const readyNow = new Promise<void>((resolve) => (ready = resolve));
  child.on("message", (m: unknown) => {
    const reply = m as InferenceReply;
    if (reply.type === "ready") ready();
    else if (reply.type === "detected") waiting.get(reply.id)?.(reply);
    else if (reply.type === "failed") fail(`the worker failed request ${reply.id}: ${reply.error}`);
  });
  child.once("exit", (code) => {
    if (waiting.size > 0) fail(`the worker exited (${code}) with requests pending`);
  });
  await readyNow;
  let nextId = 1;
  const detect = (d: Detector): Promise<DetectReply> => {
    const id = nextId++;
    const request: DetectRequest = {
      type: "detect",
      id,
      model: d.spec,
      viewSize: [photo.height, photo.width],
      image: d.image,
      threshold,
      iou: 0.45,
    };
    return new Promise((resolve) => {
      waiting.set(id, (r) => {
        waiting.delete(id);
        resolve(r);
      });
      child.send(request);
    });
  };
  // Warm-up: each session loads once (its load time is reported apart).
  const firstMs: number[] = [];
  for (const d of models) firstMs.push((await detect(d)).ms);
  const times = models.map(() => [] as number[]);
  const found = models.map(() => [] as DetectReply["detections"]);
  for (let i = 0; i < runs; i++)
    for (let k = 0; k < models.length; k++) {
      const model = models[k];
      if (!model) continue;
      const r = await detect(model);
      times[k]?.push(r.ms);
      found[k] = r.detections;
    }
  child.send({ type: "shutdown" });
  const results: Record<string, unknown> = {};
  models.forEach((d, k) => {
    const s: LatencySummary = summarize(times[k] ?? []);
    results[d.label] = {
      inputSize: d.spec.inputSize,
      firstRunMs: firstMs[k],
      ms: s,
      boxes: (found[k] ?? []).map((x) => ({
        label: d.labels[x.classIndex] ?? String(x.classIndex),
        score: Math.round(x.score * 1000) / 1000,
        xywh: x.box.map((v) => Math.round(v * 10) / 10),
      })),
    };
  });
  const real = summarize(times[0] ?? []);
  const tiny = summarize(times[1] ?? []);
  process.stdout.write(
    `${JSON.stringify(
      {
        probe: "detectorTime",
        image: { file: path.basename(imageFile), width: photo.width, height: photo.height },
        runs,
        threshold,
        results,
        realOverTinyP50: real.p50 / tiny.p50,
        loadAverage: { before: loadBefore, after: os.loadavg() },
        cpus: os.cpus().length,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
