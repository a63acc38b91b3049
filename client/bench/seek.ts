import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { clientOrigin, datasetSchemaOf, parseDatasetInfo, transact, writeRow } from "@tessera/shared-crdt";
import { createTesseraCanvas } from "../src/canvas/createCanvas.js";
import type { FrameLookup, VideoFrameInfo } from "../src/canvas/types.js";
import { PERSON } from "./scene.js";

/**
 * Video seek benchmark page: the real canvas in frame mode on a synthetic record of `?frames=`
 * frames (default 10 000) of 1280×720 JPEGs, with `?tracks=` tracks (default 40) keyframed every
 * 25 frames (≈16k stored boxes). Measures, in the browser:
 * - seek latency, decoding (`cold`: the frame's JPEG decoded on the seek, as when it is not in the
 *   workspace's cache yet) and cached (`warm`): from `setFrame` to the frame's image and boxes in
 *   the scene (`frameShownMs`) and to the next painted frame (`paintedMs`);
 * - scrubbing: one new frame every animation frame for `?seconds=` (default 5), frames shown per
 *   second. The network (the frame batch route) is not part of it.
 * The result lands in `window.__bench`.
 */
/** Where `run.mjs` reads the result (typed apart from the render page's). */
const out = window as unknown as { __bench?: unknown };

const W = 1280;
const H = 720;
const DISTINCT = 48;

function schema() {
  const plain = (base: string) => ({ base, fields: {} });
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "bench-video",
      name: "bench-video",
      workspace: "video",
      record: plain("Record"),
      entity: plain("Entity"),
      bbox: plain("BBox"),
      keypoint: plain("KeyPoints"),
      tracklet: plain("Tracklet"),
      views: { image: plain("SequenceFrame") },
    }),
  );
}

function videoDoc(frames: number, tracks: number): { doc: Y.Doc; boxes: number } {
  const doc = new Y.Doc();
  let boxes = 0;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  transact(doc, clientOrigin("bench"), () => {
    for (let t = 0; t < tracks; t++) {
      const start = Math.floor(rnd() * frames * 0.2);
      const end = Math.min(frames - 1, start + Math.floor(frames * (0.5 + 0.5 * rnd())));
      const entity = `e${t}`;
      const track = `t${t}`;
      writeRow(doc, "entities", { id: entity, record_id: "r", parent_id: "" });
      writeRow(doc, "tracklets", {
        id: track,
        record_id: "r",
        entity_id: entity,
        source_type: "",
        source_name: "",
        source_metadata: "{}",
        view_id: "f0",
        start_timestep: start,
        end_timestep: end,
        start_timestamp: start / 25,
        end_timestamp: end / 25,
      });
      for (let f = start; f <= end; f = f === end ? end + 1 : Math.min(end, f + 25)) {
        const x = 0.05 + 0.7 * ((f / frames + t / tracks) % 1);
        writeRow(doc, "bboxes", {
          id: `b${t}_${f}`,
          record_id: "r",
          entity_id: entity,
          source_type: "",
          source_name: "",
          source_metadata: "{}",
          view_id: `f${f}`,
          tracklet_id: track,
          entity_dynamic_state_id: "",
          frame_id: `f${f}`,
          frame_index: f,
          coords: [x, 0.1 + 0.8 * ((t * 0.137) % 0.8), 0.1, 0.1],
          format: "xywh",
          is_normalized: true,
          confidence: 1,
        });
        boxes++;
      }
    }
  });
  return { doc, boxes };
}

async function jpegs(): Promise<Blob[]> {
  const out: Blob[] = [];
  const c = new OffscreenCanvas(W, H);
  const g = c.getContext("2d");
  if (!g) throw new Error("no 2d context");
  for (let i = 0; i < DISTINCT; i++) {
    const grad = g.createLinearGradient(0, 0, W, H);
    grad.addColorStop(0, `hsl(${(i * 37) % 360} 60% 40%)`);
    grad.addColorStop(1, `hsl(${(i * 37 + 120) % 360} 60% 60%)`);
    g.fillStyle = grad;
    g.fillRect(0, 0, W, H);
    for (let k = 0; k < 200; k++) {
      g.fillStyle = `hsl(${(k * 53 + i) % 360} 70% 50% / 0.5)`;
      g.fillRect((k * 97 + i * 13) % W, (k * 61 + i * 7) % H, 40, 30);
    }
    g.fillStyle = "#fff";
    g.font = "64px sans-serif";
    g.fillText(`frame ${i}`, 40, 100);
    out.push(await c.convertToBlob({ type: "image/jpeg", quality: 0.85 }));
  }
  return out;
}

function pct(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length };
}

const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const frames = Number(q.get("frames") ?? 10_000);
  const tracks = Number(q.get("tracks") ?? 40);
  const seconds = Number(q.get("seconds") ?? 5);
  const stage = document.getElementById("stage");
  if (!stage) throw new Error("no stage");
  const blobs = await jpegs();
  const decoded = await Promise.all(blobs.map((b) => createImageBitmap(b)));
  const { doc, boxes } = videoDoc(frames, tracks);
  const info = (i: number): VideoFrameInfo => ({ id: `f${i}`, logicalName: "image", index: i, timestamp: i / 25 });
  const lookup: FrameLookup = {
    byId: (id) => (id.startsWith("f") ? info(Number(id.slice(1))) : undefined),
    at: (name, i) => (name === "image" && i >= 0 && i < frames ? info(i) : undefined),
  };
  let cold = true;
  const blobAt = (i: number) => blobs[i % DISTINCT] as Blob;
  const { canvas, renderer } = await createTesseraCanvas(stage, {
    doc,
    schema: schema(),
    recordId: "r",
    views: [{ id: "f0", logicalName: "image", src: URL.createObjectURL(blobAt(0)), width: W, height: H }],
    awareness: new Awareness(doc),
    origin: clientOrigin("bench"),
    newId: () => crypto.randomUUID(),
    colorOf: (e) => [0xe6194b, 0x3cb44b, 0x4363d8, 0xf58231][Number(e.slice(1)) % 4] ?? 0xffffff,
    templates: [PERSON],
    editable: true,
  });
  const t0 = performance.now();
  canvas.enableFrames(
    {
      lookup,
      image: (f) => (cold ? createImageBitmap(blobAt(f.index)) : (decoded[f.index % DISTINCT] as ImageBitmap)),
    },
    0,
  );
  const enableMs = performance.now() - t0;
  await nextPaint();

  const shown = (index: number) =>
    new Promise<number>((resolve) => {
      const off = canvas.on("frameShown", (e) => {
        if (e.index !== index) return;
        off();
        resolve(e.ms);
      });
    });
  let seed = 11;
  const rnd = () => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) * frames);
  const seeks = async (n: number) => {
    const shownMs: number[] = [];
    const paintedMs: number[] = [];
    const syncMs: number[] = [];
    for (let k = 0; k < n; k++) {
      let target = rnd();
      if (target === canvas.getFrame()) target = (target + 1) % frames;
      const done = shown(target);
      const start = performance.now();
      canvas.setFrame(target);
      syncMs.push(performance.now() - start);
      shownMs.push(await done);
      paintedMs.push((await nextPaint()) - start);
    }
    return { setFrameMs: pct(syncMs), frameShownMs: pct(shownMs), paintedMs: pct(paintedMs) };
  };
  const coldSeeks = await seeks(60);
  cold = false;
  const warmSeeks = await seeks(150);

  // Scrubbing: the next frame on every animation frame, images cached.
  const intervals: number[] = [];
  let scrubbed = 0;
  await new Promise<void>((resolve) => {
    let start = -1;
    let last = -1;
    let f = canvas.getFrame();
    const tick = (t: number) => {
      if (start < 0) start = t;
      if (last >= 0) intervals.push(t - last);
      last = t;
      if (t - start >= seconds * 1000) {
        resolve();
        return;
      }
      f = (f + 1) % frames;
      canvas.setFrame(f);
      scrubbed++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const fps = (ms: number) => Math.round((1000 / ms) * 10) / 10;
  const iv = pct(intervals);
  out.__bench = {
    frames,
    tracks,
    storedBoxes: boxes,
    frameSize: `${W}x${H} JPEG`,
    renderer: renderer.rendererName,
    enableFramesMs: Math.round(enableMs),
    seekDecoding: coldSeeks,
    seekCached: warmSeeks,
    scrub: { seconds, framesShown: scrubbed, fps: { p50: fps(iv.p50), p5: fps(iv.p95), min: fps(iv.max) } },
  };
}

main().catch((err: unknown) => {
  console.error(err);
  out.__bench = { error: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err) };
});
