import { execFileSync } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs, pollUntil } from "../clock.js";
import type { BenchServer } from "../servers/process.js";
import { repoRoot, startTessera } from "../servers/tessera.js";
import { fmt, numberOption, type ScenarioContext, type ScenarioOutput } from "./common.js";
import { editorPair, type EditorPair } from "../probes/editorPair.js";
import { jobLatency, jobWindows, untilJobEnded, type JobWindows } from "./jobWindows.js";
import { jobDataset } from "../gen/jobDataset.js";
import { rgbPng } from "../gen/png.js";
import { readPng } from "../gen/pngRead.js";

/**
 * `preannotate` (Tessera only): pre-annotation jobs with the tiny YOLO-family detector
 * (`scripts/tiny-yolo.mjs`) over `--records` records of one 320×240 image each (a red square the
 * detector finds: one box per record). Measures the job throughput (records/s, from the POST to
 * the job's `done`) and a legitimate stock y-websocket client's edit latency (writer → server →
 * reader, on a record of its own) idle and while a job runs, in alternating windows (`ROUNDS`
 * times, each loaded window running a new job over every record). Pass mark: loaded p50 and p99
 * ≤ 1.2 × idle.
 *
 * `--model-dir DIR` runs a model folder of your own instead (a `detection` manifest, e.g. the real
 * detector `scripts/fetch-real-model.mjs` writes), `--image FILE.png` puts that photo in every
 * record instead of the red square, `--threshold T` sets the jobs' score threshold (default 0.5).
 * `--edit-every MS` starts one edit every MS ms (default 0: back to back, the worst case — the job
 * is then paced hardest; a team makes a few edits a second per person).
 */
const DATASET = "bench_preann";
const EDITED = "edited";
const WIDTH = 320;
const HEIGHT = 240;
const ROUNDS = 4;

/** A dark RGB PNG with a red 40×40 square at (80, 80): one cell of the tiny detector once letterboxed. */
function squarePng(): Buffer {
  return rgbPng(WIDTH, HEIGHT, (x, y) => (x >= 80 && x < 120 && y >= 80 && y < 120 ? [255, 0, 0] : [0, 0, 40]));
}

/** What the records hold and which detector runs: the tiny one on the red square unless the options say otherwise. */
interface Setup {
  readonly records: number;
  readonly modelDir: string | null;
  readonly image: string | null;
}

async function createDataset(setup: Setup): Promise<{ root: string; dataDir: string; model: string }> {
  const { records } = setup;
  const { root, dataDir, media, library, ds } = await jobDataset("preannotate", DATASET, "image", {
    bbox: { base: "BBox", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  let size = { width: WIDTH, height: HEIGHT };
  if (setup.image) {
    const bytes = await readFile(setup.image);
    const { width, height } = readPng(bytes);
    size = { width, height };
    await writeFile(path.join(media, "square.png"), bytes);
  } else await writeFile(path.join(media, "square.png"), squarePng());
  const ids = Array.from({ length: records }, (_, i) => `r${i}`);
  await ds.add("records", [{ id: EDITED, split: "train" }, ...ids.map((id) => ({ id, split: "train" }))]);
  await ds.add(
    "images",
    ids.map((id) => ({
      id: `img-${id}`,
      record_id: id,
      logical_name: "image",
      uri: "square.png",
      width: size.width,
      height: size.height,
      format: "PNG",
    })),
  );
  await library.close();
  if (setup.modelDir) {
    const manifest = JSON.parse(await readFile(path.join(setup.modelDir, "manifest.json"), "utf8")) as {
      name?: string;
    };
    const model = manifest.name ?? path.basename(setup.modelDir);
    await cp(setup.modelDir, path.join(dataDir, "models", model), { recursive: true });
    return { root, dataDir, model };
  }
  execFileSync(process.execPath, [
    path.join(repoRoot, "scripts", "tiny-yolo.mjs"),
    path.join(dataDir, "models", "yolo"),
    "yolo",
  ]);
  return { root, dataDir, model: "yolo" };
}

interface Job {
  job_id: string;
  status: string;
  progress: { done: number; total: number | null; final: boolean; table_counts: Record<string, number> };
}

interface JobOptions {
  readonly model: string;
  readonly threshold: number;
}

async function startJob(server: BenchServer, job: JobOptions, recordIds?: string[]): Promise<Job> {
  const res = await fetch(`${server.url}/inference/datasets/${DATASET}/preannotate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: job.model,
      threshold: job.threshold,
      ...(recordIds ? { record_ids: recordIds } : {}),
    }),
  });
  if (res.status !== 202) throw new Error(`job refused: ${res.status} ${await res.text()}`);
  return (await res.json()) as Job;
}

async function getJob(server: BenchServer, id: string): Promise<Job> {
  const res = await fetch(`${server.url}/inference/datasets/${DATASET}/preannotate/jobs/${id}`);
  if (!res.ok) throw new Error(`job ${id}: ${res.status}`);
  return (await res.json()) as Job;
}

/**
 * How often the bench asks a job's state. A client follows a job on the live channel, not by
 * hammering `GET …/jobs/{id}`; each poll costs the server main-thread time (the route lists the
 * library) that would be charged to the job, so the bench polls no faster than a UI would.
 */
const POLL_MS = 250;

function untilEnded(server: BenchServer, id: string): Promise<Job> {
  return untilJobEnded(() => getJob(server, id), POLL_MS, `job ${id}`);
}

/** Two stock clients on one record; `roundTrip()` adds an entity on one and waits for it on the other. */
function editors(server: BenchServer): Promise<EditorPair> {
  return editorPair(`${server.wsUrl}/sync/${DATASET}`, EDITED);
}

export async function runPreannotate(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const text = (name: string): string | null => {
    const i = ctx.args.indexOf(name);
    if (i < 0) return null;
    const v = ctx.args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
    return path.resolve(v);
  };
  const params = {
    records: numberOption(ctx.args, "--records", ctx.full ? 1000 : 200),
    edits: numberOption(ctx.args, "--edits", ctx.full ? 400 : 160),
    /** One edit starts every this many ms (0: back to back). */
    editEveryMs: numberOption(ctx.args, "--edit-every", 0),
    threshold: ctx.args.includes("--threshold") ? Number(ctx.args[ctx.args.indexOf("--threshold") + 1]) : 0.5,
    modelDir: text("--model-dir"),
    image: text("--image"),
  };
  if (!(params.threshold >= 0 && params.threshold <= 1)) throw new Error("--threshold must be in [0, 1]");
  const data = await createDataset(params);
  const jobOptions: JobOptions = { model: data.model, threshold: params.threshold };
  const server = await startTessera({ dataDir: data.dataDir });
  try {
    // Warm-up: the worker starts and the session loads (one record).
    await untilEnded(server, (await startJob(server, jobOptions, ["r0"])).job_id);
    ctx.log(`preannotate: a job over ${params.records} records`);
    const t0 = nowMs();
    const first = await untilEnded(server, (await startJob(server, jobOptions)).job_id);
    const seconds = (nowMs() - t0) / 1000;
    // Every record of the dataset: the image records and the editors' record (no image: nothing to detect).
    if (first.status !== "done" || first.progress.done !== params.records + 1)
      throw new Error(`the job ended ${first.status} at ${first.progress.done}`);
    const throughput = params.records / seconds;
    const perWindow = Math.max(10, Math.round(params.edits / ROUNDS));
    const pair = await editors(server);
    let windows: JobWindows;
    try {
      windows = await jobWindows({
        pair,
        rounds: ROUNDS,
        perWindow,
        everyMs: params.editEveryMs,
        log: (m) => ctx.log(`preannotate: ${m}`),
        while: "a job runs",
        start: async () => {
          const job = await startJob(server, jobOptions);
          await pollUntil(async () => (await getJob(server, job.job_id)).status === "running", 30_000, POLL_MS);
          return job.job_id;
        },
        ended: async (id) => (await getJob(server, id)).progress.final,
        stop: async (id) => {
          await fetch(`${server.url}/inference/datasets/${DATASET}/preannotate/jobs/${id}/cancel`, { method: "POST" });
          return (await untilEnded(server, id)).progress.done;
        },
      });
    } finally {
      pair.destroy();
    }
    const latency = jobLatency(windows.idle, windows.loaded, "while a job runs", {
      label: "job records during loaded windows",
      count: windows.itemsDuring,
    });
    const load = os.loadavg()[0] ?? Number.NaN;
    return {
      json: {
        scenario: "preannotate",
        params,
        model: params.modelDir ? `${data.model} (${params.modelDir})` : "tiny YOLO (scripts/tiny-yolo.mjs)",
        jobSeconds: seconds,
        recordsPerSecond: throughput,
        ...latency.json,
        jobRecordsDuringEdits: windows.itemsDuring,
        loadAverage1m: load,
      },
      tables: [
        {
          head: ["job records", "seconds", "records/s", "boxes written", "load 1m"],
          rows: [
            [
              String(params.records),
              fmt(seconds, 2),
              fmt(throughput, 1),
              String(first.progress.table_counts.bboxes ?? 0),
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
