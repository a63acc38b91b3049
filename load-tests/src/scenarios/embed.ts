import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs, pollUntil } from "../clock.js";
import type { BenchServer } from "../servers/process.js";
import { repoRoot, startTessera } from "../servers/tessera.js";
import { fmt, numberOption, type ScenarioContext, type ScenarioOutput } from "./common.js";
import { editorPair } from "../probes/editorPair.js";
import { rgbPng } from "../gen/png.js";
import { jobLatency, jobWindows, untilJobEnded, type JobWindows } from "./jobWindows.js";
import { jobDataset } from "../gen/jobDataset.js";

/**
 * `embed` (Tessera only): the semantic-search embeddings job with the tiny CLIP pair
 * (`scripts/tiny-clip.mjs`) over `--records` records of one 320×240 PNG each ({@link IMAGES}
 * distinct two-colour pictures, cycled). Measures the job's throughput (images/s, from `POST
 * /embeddings/compute` to `GET /io/jobs/{id}` saying done: every view read, decoded, resized,
 * encoded in the worker and written to the `embeddings` table) and a legitimate stock
 * y-websocket client's edit latency (writer → server → reader, on a record of its own) idle and
 * while a job runs, in alternating windows (`ROUNDS` times, each loaded window recomputing every
 * vector with `force`, cancelled at the window's end). Pass mark: loaded p50, p95 and p99 ≤ 1.2 ×
 * idle. `--edit-every MS` starts one edit every MS ms (default 0: back to back).
 */
const DATASET = "bench_embed";
const EDITED = "edited";
const WIDTH = 320;
const HEIGHT = 240;
const IMAGES = 64;
const ROUNDS = 4;
/** How often the bench asks a job's state (a UI follows it about this often). */
const POLL_MS = 250;

/** Picture `i`: left and right halves in two colours of a fixed walk, with a faint texture. */
function picturePng(i: number): Buffer {
  const c = (k: number): [number, number, number] => [(k * 97) % 256, (k * 57 + 80) % 256, (k * 31 + 160) % 256];
  const left = c(2 * i);
  const right = c(2 * i + 1);
  return rgbPng(WIDTH, HEIGHT, (x, y) => {
    const [r, g, b] = x < WIDTH / 2 ? left : right;
    const t = (x + y) % 7;
    return [r ^ t, g ^ t, b ^ t];
  });
}

async function createDataset(records: number): Promise<{ root: string; dataDir: string }> {
  const { root, dataDir, media, library, ds } = await jobDataset("embed", DATASET, "image", {
    bbox: { base: "BBox", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  for (let i = 0; i < IMAGES; i++) await writeFile(path.join(media, `p${i}.png`), picturePng(i));
  const ids = Array.from({ length: records }, (_, i) => `r${i}`);
  await ds.add("records", [{ id: EDITED, split: "train" }, ...ids.map((id) => ({ id, split: "train" }))]);
  await ds.add(
    "images",
    ids.map((id, i) => ({
      id: `img-${id}`,
      record_id: id,
      logical_name: "image",
      uri: `p${i % IMAGES}.png`,
      width: WIDTH,
      height: HEIGHT,
      format: "PNG",
    })),
  );
  await library.close();
  execFileSync(process.execPath, [
    path.join(repoRoot, "scripts", "tiny-clip.mjs"),
    path.join(dataDir, "models", "clip"),
    "clip",
  ]);
  return { root, dataDir };
}

interface Job {
  job_id: string;
  status: string;
  progress: { done: number; total: number | null; final: boolean; table_counts: Record<string, number> };
}

async function startJob(server: BenchServer): Promise<string> {
  const res = await fetch(`${server.url}/datasets/${DATASET}/embeddings/compute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "clip", force: true }),
  });
  if (res.status !== 202) throw new Error(`job refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

async function getJob(server: BenchServer, id: string): Promise<Job> {
  const res = await fetch(`${server.url}/io/jobs/${id}`);
  if (!res.ok) throw new Error(`job ${id}: ${res.status}`);
  return (await res.json()) as Job;
}

function untilEnded(server: BenchServer, id: string): Promise<Job> {
  return untilJobEnded(() => getJob(server, id), POLL_MS, `job ${id}`);
}

export async function runEmbed(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const params = {
    records: numberOption(ctx.args, "--records", ctx.full ? 2000 : 1000),
    edits: numberOption(ctx.args, "--edits", ctx.full ? 400 : 160),
    /** One edit starts every this many ms (0: back to back). */
    editEveryMs: numberOption(ctx.args, "--edit-every", 0),
  };
  const data = await createDataset(params.records);
  const server = await startTessera({ dataDir: data.dataDir });
  try {
    ctx.log(`embed: a job over ${params.records} images`);
    const t0 = nowMs();
    const first = await untilEnded(server, await startJob(server));
    const seconds = (nowMs() - t0) / 1000;
    if (first.status !== "done" || first.progress.done !== params.records)
      throw new Error(`the job ended ${first.status} at ${first.progress.done}`);
    const throughput = params.records / seconds;
    const perWindow = Math.max(10, Math.round(params.edits / ROUNDS));
    const pair = await editorPair(`${server.wsUrl}/sync/${DATASET}`, EDITED);
    let windows: JobWindows;
    try {
      windows = await jobWindows({
        pair,
        rounds: ROUNDS,
        perWindow,
        everyMs: params.editEveryMs,
        log: (m) => ctx.log(`embed: ${m}`),
        while: "a job runs",
        start: async () => {
          const id = await startJob(server);
          // The window measures a job that embeds (the space dropped, the views listed).
          await pollUntil(async () => (await getJob(server, id)).progress.done >= 8, 30_000, 5);
          return id;
        },
        ended: async (id) => (await getJob(server, id)).progress.final,
        stop: async (id) => {
          await fetch(`${server.url}/io/jobs/${id}/cancel`, { method: "POST" });
          return (await untilEnded(server, id)).progress.done;
        },
      });
    } finally {
      pair.destroy();
    }
    const latency = jobLatency(windows.idle, windows.loaded, "while a job runs", {
      label: "job images during loaded windows",
      count: windows.itemsDuring,
    });
    const load = os.loadavg()[0] ?? Number.NaN;
    return {
      json: {
        scenario: "embed",
        params,
        model: "tiny CLIP pair (scripts/tiny-clip.mjs)",
        jobSeconds: seconds,
        imagesPerSecond: throughput,
        ...latency.json,
        jobImagesDuringEdits: windows.itemsDuring,
        jobsEndedBeforeTheirWindow: windows.endedEarly,
        loadAverage1m: load,
      },
      tables: [
        {
          head: ["job images", "seconds", "images/s", "vectors written", "load 1m"],
          rows: [
            [
              String(params.records),
              fmt(seconds, 2),
              fmt(throughput, 1),
              String(first.progress.table_counts.embeddings ?? 0),
              fmt(load, 2),
            ],
          ],
        },
        ...latency.tables,
      ],
    };
  } finally {
    await server.stop();
    await rm(data.root, { recursive: true, force: true });
  }
}
