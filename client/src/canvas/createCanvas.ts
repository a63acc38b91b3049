import { tableMap } from "@tessera/shared-crdt";
import type { CanvasController, CanvasOptions } from "./types.js";
import { browserClock } from "./clock.js";
import { tileViews } from "./scene/layout.js";
import { SceneModel } from "./scene/SceneModel.js";
import { shapeTables } from "../kinds/registry.js";
import { TesseraCanvas } from "./TesseraCanvas.js";
import { PixiRenderer } from "./PixiRenderer.js";

/**
 * Mounts the annotation canvas in `container` (the workspace's contract, see `types.ts`): a Pixi
 * WebGL scene of the record's views and annotations, the tools, and the live overlays. Resolves
 * once the renderer is ready; the image and the annotations then appear progressively
 * (`imageShown`, `annotationsShown` events). `destroy()` releases everything.
 */
export async function createCanvas(container: HTMLElement, options: CanvasOptions): Promise<CanvasController> {
  return (await createTesseraCanvas(container, options)).canvas;
}

/** Same as {@link createCanvas}, typed with the concrete classes (benchmark and debugging). */
export async function createTesseraCanvas(
  container: HTMLElement,
  options: CanvasOptions,
): Promise<{ readonly canvas: TesseraCanvas; readonly renderer: PixiRenderer }> {
  const t0 = performance.now();
  const expected = shapeTables().reduce((n, t) => n + tableMap(options.doc, t).size, 0);
  const scene = new SceneModel(options.doc, tileViews(options.views), expected);
  const canvas = new TesseraCanvas(options, scene, browserClock);
  let renderer: PixiRenderer;
  try {
    renderer = await PixiRenderer.create(container, canvas, scene, options, t0);
  } catch (err) {
    canvas.destroy();
    throw err;
  }
  renderer.events.on("imageShown", (e) => canvas.events.emit("imageShown", e));
  renderer.events.on("annotationsShown", (e) => canvas.events.emit("annotationsShown", e));
  canvas.attach(renderer);
  renderer.start();
  canvas.start();
  return { canvas, renderer };
}
