import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs } from "../clock.js";
import type { BenchServer } from "../servers/process.js";
import { repoRoot, startTessera } from "../servers/tessera.js";
import { fmt, numberOption, type ScenarioContext, type ScenarioOutput } from "./common.js";
import { editorPair } from "../probes/editorPair.js";
import { viewer } from "../probes/viewer.js";
import { jobLatency, untilJobEnded } from "./jobWindows.js";
import { jobDataset } from "../gen/jobDataset.js";
import { rgbPng } from "../gen/png.js";

/**
 * `track` (Tessera only): tracking assist with the tiny VitTrack-layout tracker
 * (`scripts/tiny-tracker.mjs`) over a `--frames`-frame image sequence (320×240 PNGs, a two-colour
 * 32×32 square moving 2 px a frame across and 1 down, bouncing off the edges). Measures the tracking throughput (frames/s, from the POST to
 * the run's end, each frame decoded, tracked in the worker and written as a proposed keyframe)
 * and a legitimate stock y-websocket client's edit latency (writer → server → reader, on a record
 * of its own) idle and while a run goes on, in alternating windows (`ROUNDS` times, each loaded
 * window running a new run over every frame). Pass mark: loaded p50, p95 and p99 ≤ 1.2 × idle. Also
 * the server process's CPU time per second in both windows and, from their difference, the
 * server CPU a tracked frame costs (what a run takes from the editors' event loop, whatever else
 * the machine runs). `--edit-every MS` starts one edit every MS ms (default 0: back to back).
 */
const DATASET = "bench_track";
const VIDEO = "video";
const EDITED = "edited";
const WIDTH = 320;
const HEIGHT = 240;
const SIDE = 32;
const ROUNDS = 4;

/** A triangle wave: 0 → span → 0 …, one unit a step (the square bounces, never jumps). */
const bounce = (v: number, span: number): number => {
  const p = v % (2 * span);
  return p < span ? p : 2 * span - p;
};
const squareAt = (f: number): [number, number] => [20 + bounce(2 * f, 240), 60 + bounce(f, 120)];

function framePng(f: number): Buffer {
  const [sx, sy] = squareAt(f);
  return rgbPng(WIDTH, HEIGHT, (x, y) => {
    if (x >= sx && x < sx + SIDE && y >= sy && y < sy + SIDE) return y < sy + SIDE / 2 ? [230, 40, 30] : [30, 60, 220];
    const g = 90 + Math.round((40 * x) / WIDTH);
    return [g, g, g + 10];
  });
}

async function createDataset(frames: number): Promise<{ root: string; dataDir: string }> {
  const { root, dataDir, media, library, ds } = await jobDataset("track", DATASET, "video", {
    bbox: { base: "BBox", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    views: { video: { base: "SequenceFrame", fields: {} } },
  });
  const rows: Record<string, unknown>[] = [];
  for (let f = 0; f < frames; f++) {
    await writeFile(path.join(media, `f${f}.png`), framePng(f));
    rows.push({
      id: `f${f}`,
      record_id: VIDEO,
      logical_name: "video",
      uri: `f${f}.png`,
      frame_index: f,
      timestamp: f / 24,
      width: WIDTH,
      height: HEIGHT,
      format: "PNG",
    });
  }
  await ds.add("records", [
    { id: EDITED, split: "train" },
    { id: VIDEO, split: "train" },
  ]);
  await ds.add("sequence_frames", rows);
  await ds.add("entities", [{ id: "e1", record_id: VIDEO, category: "square" }]);
  await ds.add("tracklets", [
    {
      id: "t1",
      record_id: VIDEO,
      entity_id: "e1",
      view_id: "f0",
      start_timestep: 0,
      end_timestep: 0,
      start_timestamp: 0,
      end_timestamp: 0,
    },
  ]);
  const [x, y] = squareAt(0);
  await ds.add("bboxes", [
    {
      id: "b0",
      record_id: VIDEO,
      entity_id: "e1",
      tracklet_id: "t1",
      view_id: "f0",
      frame_id: "f0",
      frame_index: 0,
      coords: [x / WIDTH, y / HEIGHT, SIDE / WIDTH, SIDE / HEIGHT],
      format: "xywh",
      is_normalized: true,
      confidence: 1,
    },
  ]);
  await library.close();
  execFileSync(process.execPath, [
    path.join(repoRoot, "scripts", "tiny-tracker.mjs"),
    path.join(dataDir, "models", "tracker"),
    "tracker",
  ]);
  return { root, dataDir };
}

interface Run {
  job_id: string;
  status: string;
  progress: { done: number; final: boolean; stopped_by: string; message: string };
}

/**
 * CPU seconds (user + system) a process has used so far, from `/proc/PID/stat` (Linux; NaN
 * elsewhere). On a shared machine the editors' latency percentiles mostly measure the other
 * processes; the server's own CPU time per second is what a run costs its event loop.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) — utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return Number.NaN;
    throw err;
  }
}

async function startRun(server: BenchServer, maxFrames: number): Promise<Run> {
  const res = await fetch(`${server.url}/inference/datasets/${DATASET}/records/${VIDEO}/track`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "tracker", tracklet_id: "t1", start_frame: 0, max_frames: maxFrames }),
  });
  if (res.status !== 202) throw new Error(`run refused: ${res.status} ${await res.text()}`);
  return (await res.json()) as Run;
}

async function getRun(server: BenchServer, id: string): Promise<Run> {
  const res = await fetch(`${server.url}/inference/datasets/${DATASET}/track/jobs/${id}`);
  if (!res.ok) throw new Error(`run ${id}: ${res.status}`);
  return (await res.json()) as Run;
}

function untilEnded(server: BenchServer, id: string): Promise<Run> {
  return untilJobEnded(() => getRun(server, id), 20, `run ${id}`);
}

export async function runTrack(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const params = {
    frames: numberOption(ctx.args, "--frames", ctx.full ? 600 : 200),
    edits: numberOption(ctx.args, "--edits", ctx.full ? 400 : 160),
    /** One edit starts every this many ms (0: back to back). */
    editEveryMs: numberOption(ctx.args, "--edit-every", 0),
  };
  const data = await createDataset(params.frames);
  const server = await startTessera({ dataDir: data.dataDir });
  try {
    // Warm-up: the worker starts and the session loads (a few frames).
    await untilEnded(server, (await startRun(server, 3)).job_id);
    ctx.log(`track: a run over ${params.frames} frames`);
    const t0 = nowMs();
    const first = await untilEnded(server, (await startRun(server, params.frames - 1)).job_id);
    const seconds = (nowMs() - t0) / 1000;
    if (first.status !== "done" || first.progress.done !== params.frames - 1)
      throw new Error(`the run ended ${first.status} at ${first.progress.done}: ${first.progress.message}`);
    const fps = first.progress.done / seconds;
    const perWindow = Math.max(10, Math.round(params.edits / ROUNDS));
    // The person who runs the tracking has the video open (its room stays loaded between runs).
    const watcher = await viewer(`${server.wsUrl}/sync/${DATASET}`, VIDEO);
    const pair = await editorPair(`${server.wsUrl}/sync/${DATASET}`, EDITED);
    const idle: number[][] = [];
    const loaded: number[] = [];
    let framesDuring = 0;
    let framesInWindows = 0;
    /** The server process's CPU seconds and wall seconds in the idle and the loaded windows. */
    const cpu = { idle: 0, idleWall: 0, loaded: 0, loadedWall: 0 };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        ctx.log(`track: round ${round + 1}/${ROUNDS}: ${perWindow} edits idle, then while a run goes on`);
        let c0 = cpuSeconds(server.pid);
        let t0 = nowMs();
        idle.push(await pair.series(perWindow, params.editEveryMs));
        cpu.idle += cpuSeconds(server.pid) - c0;
        cpu.idleWall += (nowMs() - t0) / 1000;
        // The window opens once the POST is answered: the run's start (its first write copies the
        // record's document for server writes) is measured with the rest of it.
        const run = await startRun(server, params.frames - 1);
        const before = run.progress.done;
        c0 = cpuSeconds(server.pid);
        t0 = nowMs();
        loaded.push(...(await pair.series(perWindow, params.editEveryMs)));
        cpu.loaded += cpuSeconds(server.pid) - c0;
        cpu.loadedWall += (nowMs() - t0) / 1000;
        const during = await getRun(server, run.job_id);
        framesInWindows += during.progress.done - before;
        if (during.progress.final) ctx.log("track: the run ended before the loaded window did (use --frames)");
        await fetch(`${server.url}/inference/datasets/${DATASET}/track/jobs/${run.job_id}/cancel`, { method: "POST" });
        framesDuring += (await untilEnded(server, run.job_id)).progress.done;
      }
    } finally {
      pair.destroy();
      watcher.destroy();
    }
    const cpuIdle = (1000 * cpu.idle) / cpu.idleWall;
    const cpuLoaded = (1000 * cpu.loaded) / cpu.loadedWall;
    /** Both windows make the same edits: what the loaded ones cost more is the run's, per frame it wrote there. */
    const cpuPerFrame = (1000 * (cpu.loaded - cpu.idle)) / framesInWindows;
    const cpuPerEdit = (1000 * cpu.idle) / idle.flat().length;
    const latency = jobLatency(idle, loaded, "while a run goes on", {
      label: "frames tracked during loaded windows",
      count: framesDuring,
    });
    const load = os.loadavg()[0] ?? Number.NaN;
    return {
      json: {
        scenario: "track",
        params,
        model: "tiny VitTrack-layout tracker (scripts/tiny-tracker.mjs)",
        runSeconds: seconds,
        framesPerSecond: fps,
        ...latency.json,
        framesTrackedDuringEdits: framesDuring,
        serverCpuMsPerSecond: { idle: cpuIdle, loaded: cpuLoaded },
        serverCpuMsPerFrame: cpuPerFrame,
        serverCpuMsPerIdleEdit: cpuPerEdit,
        framesWrittenInLoadedWindows: framesInWindows,
        loadAverage1m: load,
      },
      tables: [
        {
          head: ["frames tracked", "seconds", "frames/s", "load 1m"],
          rows: [[String(first.progress.done), fmt(seconds, 2), fmt(fps, 1), fmt(load, 2)]],
        },
        ...latency.tables,
        {
          head: [
            "server CPU ms/s idle",
            "ms/s while a run goes on",
            "server CPU ms per edit (idle)",
            "server CPU ms per tracked frame",
          ],
          rows: [[fmt(cpuIdle, 1), fmt(cpuLoaded, 1), fmt(cpuPerEdit, 2), fmt(cpuPerFrame, 2)]],
        },
      ],
    };
  } finally {
    await server.stop();
    await rm(data.root, { recursive: true, force: true });
  }
}
