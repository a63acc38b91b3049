import { Awareness } from "y-protocols/awareness";
import { createTesseraCanvas } from "../src/canvas/createCanvas.js";
import { benchDoc, benchImage, benchSchema, CATEGORIES, HEIGHT, PERSON, WIDTH } from "./scene.js";

/**
 * Render benchmark page: mounts the real canvas on a synthetic record of `?n=` annotations, waits
 * for the image and all annotations, then pans and zooms programmatically for `?seconds=`
 * (default 6; half of the time around "fit" where every shape is on screen, half zoomed in),
 * timing frames with requestAnimationFrame. The result lands in `window.__bench`.
 */
export interface BenchResult {
  annotations: number;
  fps: { p50: number; p5: number; min: number };
  phases: Record<string, { p50: number; p5: number; min: number; frames: number }>;
  firstImageMs: number;
  allAnnotationsMs: number;
  renderer: string;
  viewport: { width: number; height: number; dpr: number };
  frames: number;
}

declare global {
  interface Window {
    __bench?: BenchResult | { error: string };
  }
}

const PALETTE = [0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x46f0f0, 0xf032e6];

function stats(intervals: number[]): { p50: number; p5: number; min: number; frames: number } {
  const s = [...intervals].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Infinity;
  const fps = (ms: number) => Math.round((1000 / ms) * 10) / 10;
  return { p50: fps(at(0.5)), p5: fps(at(0.95)), min: fps(s[s.length - 1] ?? Infinity), frames: s.length };
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const n = Number(q.get("n") ?? 1000);
  const seconds = Number(q.get("seconds") ?? 6);
  const recordId = "bench-record";
  const doc = benchDoc(n, recordId, "image");
  const src = await benchImage();
  const stage = document.getElementById("stage");
  if (!stage) throw new Error("no stage");
  const categoryIndex = (entityId: string) => Number(entityId.slice(1)) % CATEGORIES.length;
  const milestones: { image?: number; annotations?: number } = {};
  const shown = new Promise<void>((resolve) => {
    const check = () => milestones.image !== undefined && milestones.annotations !== undefined && resolve();
    void createTesseraCanvas(stage, {
      doc,
      schema: benchSchema(),
      recordId,
      views: [{ id: "image", logicalName: "image", src, width: WIDTH, height: HEIGHT }],
      awareness: new Awareness(doc),
      origin: { source: "client", sessionId: "bench" },
      newId: () => crypto.randomUUID(),
      colorOf: (entityId) => PALETTE[categoryIndex(entityId)] ?? 0xffffff,
      templates: [PERSON],
      editable: true,
      ...(q.has("aa") ? { antialias: q.get("aa") === "1" } : {}),
      ...(q.has("fill") ? { fill: q.get("fill") === "1" } : {}),
    }).then(({ canvas, renderer }) => {
      canvas.on("imageShown", ({ ms }) => {
        milestones.image = ms;
        check();
      });
      canvas.on("annotationsShown", ({ ms }) => {
        milestones.annotations = ms;
        check();
      });
      (window as unknown as { canvas: unknown; renderer: unknown }).canvas = canvas;
      (window as unknown as { canvas: unknown; renderer: unknown }).renderer = renderer;
      run = (onDone) => animate(canvas, renderer, seconds, onDone);
      check();
    });
  });
  let run:
    ((onDone: (r: Omit<BenchResult, "firstImageMs" | "allAnnotationsMs" | "annotations">) => void) => void) | null =
    null;
  await shown;
  const result = await new Promise<Omit<BenchResult, "firstImageMs" | "allAnnotationsMs" | "annotations">>((resolve) =>
    run?.(resolve),
  );
  window.__bench = {
    annotations: n,
    firstImageMs: Math.round(milestones.image ?? -1),
    allAnnotationsMs: Math.round(milestones.annotations ?? -1),
    ...result,
  };
}

type Canvas = Awaited<ReturnType<typeof createTesseraCanvas>>["canvas"];
type Renderer = Awaited<ReturnType<typeof createTesseraCanvas>>["renderer"];

/** Pans a Lissajous path at two zoom levels, recording frame intervals. */
function animate(
  canvas: Canvas,
  r: Renderer,
  seconds: number,
  done: (r: Omit<BenchResult, "firstImageMs" | "allAnnotationsMs" | "annotations">) => void,
): void {
  canvas.fit();
  const fitZoom = canvas.getViewport().zoom;
  const phases: Record<string, number[]> = { fit: [], zoomed: [] };
  const all: number[] = [];
  let start = -1;
  let last = -1;
  const frame = (t: number) => {
    if (start < 0) start = t;
    const e = (t - start) / 1000;
    if (last >= 0) {
      all.push(t - last);
      (e < seconds / 2 ? phases.fit : phases.zoomed)?.push(t - last);
    }
    last = t;
    if (e >= seconds) {
      done({
        fps: (({ p50, p5, min }) => ({ p50, p5, min }))(stats(all)),
        phases: { fit: stats(phases.fit ?? []), zoomed: stats(phases.zoomed ?? []) },
        renderer: r.rendererName,
        viewport: { width: r.screenW, height: r.screenH, dpr: window.devicePixelRatio },
        frames: all.length,
      });
      return;
    }
    // First half: breathe around fit (everything on screen); second half: 4× zoom, panning across.
    const zoom =
      e < seconds / 2 ? fitZoom * (1.05 + 0.1 * Math.sin(e * 3)) : fitZoom * 4 * (1 + 0.15 * Math.sin(e * 2));
    const cx = 0.5 + (e < seconds / 2 ? 0.03 : 0.35) * Math.sin(e * 1.3);
    const cy = 0.5 + (e < seconds / 2 ? 0.03 : 0.35) * Math.cos(e * 0.9);
    canvas.setViewport({ viewId: "image", cx, cy, zoom });
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

main().catch((err: unknown) => {
  console.error(err);
  window.__bench = { error: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err) };
});
