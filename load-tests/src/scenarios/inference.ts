import { execFileSync } from "node:child_process";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { nowMs, sleep } from "../clock.js";
import type { BenchServer } from "../servers/process.js";
import { repoRoot, startTessera } from "../servers/tessera.js";
import { editorPair, type EditorPair } from "../probes/editorPair.js";
import { rgbPng } from "../gen/png.js";
import { jobDataset } from "../gen/jobDataset.js";
import type { LatencySummary } from "../stats.js";
import { fmt, latencyCells, numberOption, summarize, type ScenarioContext, type ScenarioOutput } from "./common.js";

/**
 * `inference` (Tessera only): interactive segmentation on the tiny SAM pair
 * (`scripts/tiny-sam.mjs`; no real model can be downloaded here). On `--images` views of 640×480:
 * the encoder time per image (the first click on each view, measured in the worker), the decoder
 * time and the whole REST round trip of a click once the view's embedding is cached, and a
 * legitimate stock y-websocket client's edit latency (writer → server → reader) while clicks run
 * (`--clickers` at once, each `--click-hz` clicks a second — 0: back to back —, one in four on a
 * view not yet embedded) against the same measurement with nothing running. The pass mark:
 * loaded p50 ≤ 1.2 × idle p50.
 *
 * `--model-dir DIR` runs a segmentation model folder of your own (a real SAM/MobileSAM pair with its
 * manifest, docs/models.md) instead of the tiny pair, for real encoder and decoder figures.
 */
interface InferenceParams {
  readonly images: number;
  readonly clicks: number;
  readonly clickers: number;
  readonly edits: number;
  /** Clicks per second per clicker during the loaded edits (0: back to back). */
  readonly clickHz: number;
}

const DATASET = "bench_seg";
const EDITED = "edited";
const WIDTH = 640;
const HEIGHT = 480;

/** A solid-colour RGB PNG. */
function png(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  return rgbPng(width, height, () => rgb);
}

async function createDataset(
  images: number,
  modelDir: string | null,
): Promise<{ root: string; dataDir: string; model: string }> {
  const { root, dataDir, media, library, ds } = await jobDataset("inference", DATASET, "image", {
    mask: { base: "CompressedRLE", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  await mkdir(path.join(media, "seg"), { recursive: true });
  const records = [{ id: EDITED, split: "train" }];
  const rows = [];
  for (let i = 0; i < images; i++) {
    const file = `seg/img-${i}.png`;
    await writeFile(path.join(media, file), png(WIDTH, HEIGHT, [(i * 37) % 256, 90, 200]));
    records.push({ id: `r${i}`, split: "train" });
    rows.push({
      id: `img-${i}`,
      record_id: `r${i}`,
      logical_name: "image",
      uri: file,
      width: WIDTH,
      height: HEIGHT,
      format: "PNG",
    });
  }
  await ds.add("records", records);
  await ds.add("images", rows);
  await library.close();
  if (modelDir) {
    const manifest = JSON.parse(await readFile(path.join(modelDir, "manifest.json"), "utf8")) as { name?: string };
    const model = manifest.name ?? path.basename(modelDir);
    await cp(modelDir, path.join(dataDir, "models", model), { recursive: true });
    return { root, dataDir, model };
  }
  execFileSync(process.execPath, [
    path.join(repoRoot, "scripts", "tiny-sam.mjs"),
    path.join(dataDir, "models", "tiny"),
    "tiny",
  ]);
  return { root, dataDir, model: "tiny" };
}

interface ClickAnswer {
  status: number;
  ms: number;
  embedding: string;
  encoderMs: number;
  decoderMs: number;
}

async function click(server: BenchServer, model: string, view: number, x: number, y: number): Promise<ClickAnswer> {
  const t0 = nowMs();
  const res = await fetch(`${server.url}/inference/image_mask_generation`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      dataset_id: DATASET,
      view_id: `img-${view}`,
      points: [[[x, y]]],
      labels: [[1]],
    }),
  });
  const body = (await res.json()) as {
    metadata?: { embedding?: string[]; encoder_ms?: number[]; decoder_ms?: number[] };
  };
  return {
    status: res.status,
    ms: nowMs() - t0,
    embedding: body.metadata?.embedding?.[0] ?? "",
    encoderMs: body.metadata?.encoder_ms?.[0] ?? Number.NaN,
    decoderMs: body.metadata?.decoder_ms?.[0] ?? Number.NaN,
  };
}

/** Two stock clients on one record; `roundTrip()` adds an entity on one and waits for it on the other. */
function editors(server: BenchServer): Promise<EditorPair> {
  return editorPair(`${server.wsUrl}/sync/${DATASET}`, EDITED);
}

export async function runInference(ctx: ScenarioContext): Promise<ScenarioOutput> {
  const params: InferenceParams = {
    images: numberOption(ctx.args, "--images", ctx.full ? 100 : 24),
    clicks: numberOption(ctx.args, "--clicks", ctx.full ? 500 : 150),
    clickers: numberOption(ctx.args, "--clickers", 2),
    edits: numberOption(ctx.args, "--edits", ctx.full ? 400 : 150),
    clickHz: ctx.args.includes("--click-hz") ? Number(ctx.args[ctx.args.indexOf("--click-hz") + 1]) : 4,
  };
  if (!(Number.isFinite(params.clickHz) && params.clickHz >= 0)) throw new Error("--click-hz must be a number ≥ 0");
  const modelAt = ctx.args.indexOf("--model-dir");
  const modelDir = modelAt >= 0 ? (ctx.args[modelAt + 1] ?? null) : null;
  if (modelAt >= 0 && (modelDir === null || modelDir.startsWith("--"))) throw new Error("--model-dir needs a folder");
  const data = await createDataset(params.images, modelDir === null ? null : path.resolve(modelDir));
  const server = await startTessera({ dataDir: data.dataDir });
  try {
    // Warm-up: the worker starts, the sessions load (view 0 is embedded here).
    const warm = await click(server, data.model, 0, 10, 10);
    if (warm.status !== 200) throw new Error(`warm-up click answered ${warm.status}`);
    const half = Math.floor(params.images / 2);
    // Encoder per image and the first click's round trip, on views 1..half (sequential, nothing else running).
    ctx.log(`inference: first clicks on ${half - 1} views`);
    const encoder: number[] = [];
    const firstClick: number[] = [];
    for (let v = 1; v < half; v++) {
      const r = await click(server, data.model, v, 100, 100);
      if (r.status !== 200 || r.embedding !== "computed") throw new Error(`first click on view ${v}: ${r.status}`);
      encoder.push(r.encoderMs);
      firstClick.push(r.ms);
    }
    // Clicks on embedded views: decoder alone.
    ctx.log(`inference: ${params.clicks} clicks on embedded views`);
    const decoder: number[] = [];
    const cachedClick: number[] = [];
    for (let i = 0; i < params.clicks; i++) {
      const r = await click(server, data.model, 1 + (i % Math.max(1, half - 1)), 50 + (i % 500), 40 + (i % 400));
      if (r.status !== 200 || r.embedding !== "memory")
        throw new Error(`cached click ${i}: ${r.status} ${r.embedding}`);
      decoder.push(r.decoderMs);
      cachedClick.push(r.ms);
    }
    // A legitimate editor, in alternating windows: idle, then while clicks run, `ROUNDS` times, so that
    // the other work on a shared machine weighs on both sides alike.
    const ROUNDS = 6;
    const perWindow = Math.max(10, Math.round(params.edits / ROUNDS));
    const pair = await editors(server);
    const idle: number[] = [];
    const loaded: number[] = [];
    let clicksDuring = 0;
    let refused = 0;
    let next = half;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        ctx.log(
          `inference: round ${round + 1}/${ROUNDS}: ${perWindow} edits idle, then with ${params.clickers} clickers`,
        );
        for (let i = 0; i < perWindow; i++) idle.push(await pair.roundTrip());
        let stop = false;
        const clicker = async (k: number) => {
          for (let i = 0; !stop; i++) {
            // One click in four on a view not embedded yet (an encoder run), while there are some.
            const fresh = i % 4 === 0 && next < params.images;
            const view = fresh ? next++ : 1 + ((i + k) % Math.max(1, half - 1));
            const t0 = nowMs();
            const r = await click(server, data.model, view, 60 + (i % 400), 60 + (i % 300));
            if (r.status === 503) refused++;
            else if (r.status !== 200) throw new Error(`click during edits: ${r.status}`);
            clicksDuring++;
            if (params.clickHz > 0) await sleep(Math.max(0, 1000 / params.clickHz - (nowMs() - t0)));
          }
        };
        const running = Promise.all(Array.from({ length: params.clickers }, (_, k) => clicker(k)));
        try {
          for (let i = 0; i < perWindow; i++) loaded.push(await pair.roundTrip());
        } finally {
          stop = true;
          await running;
        }
      }
    } finally {
      pair.destroy();
    }
    const idleS = summarize(idle);
    const loadedS = summarize(loaded);
    const ratioP50 = loadedS.p50 / idleS.p50;
    const ratioP99 = loadedS.p99 / idleS.p99;
    const rows: Array<[string, LatencySummary]> = [
      ["encoder per image (worker)", summarize(encoder)],
      ["first click on a view (REST round trip)", summarize(firstClick)],
      ["decoder per click (worker)", summarize(decoder)],
      ["click on an embedded view (REST round trip)", summarize(cachedClick)],
      ["edit round trip, idle", idleS],
      [
        `edit round trip, ${params.clickers} clickers at ${params.clickHz > 0 ? `${params.clickHz}/s` : "full speed"}`,
        loadedS,
      ],
    ];
    return {
      json: {
        scenario: "inference",
        params,
        model: modelDir === null ? "tiny SAM pair (scripts/tiny-sam.mjs)" : `${data.model} (${modelDir})`,
        results: Object.fromEntries(rows),
        clicksDuringEdits: clicksDuring,
        refusedDuringEdits: refused,
        ratioP50,
        ratioP99,
        loadAverage1m: os.loadavg()[0],
      },
      tables: [
        {
          head: ["measure", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"],
          rows: rows.map(([name, s]) => [name, String(s.n), ...latencyCells(s)]),
        },
        {
          head: ["clicks during the loaded edits", "503s", "loaded/idle p50", "loaded/idle p99", "load 1m"],
          rows: [
            [
              String(clicksDuring),
              String(refused),
              fmt(ratioP50, 2),
              fmt(ratioP99, 2),
              fmt(os.loadavg()[0] ?? Number.NaN, 2),
            ],
          ],
        },
      ],
    };
  } finally {
    await server.stop();
    await rm(data.root, { recursive: true, force: true });
  }
}
