import type { CanvasController, CanvasOptions } from "../../canvas/types.js";

/**
 * Loads the PixiJS canvas (`client/src/canvas/index.ts`, `createCanvas`) in its own chunk, so the
 * library and the explorer never download Pixi. `import.meta.glob` keeps the build working while
 * the canvas module does not exist yet: the workspace then shows the plain image instead.
 */
type CanvasModule = { createCanvas(container: HTMLElement, options: CanvasOptions): Promise<CanvasController> };

const modules = import.meta.glob<CanvasModule>("../../canvas/index.ts");

export function canvasAvailable(): boolean {
  return Object.keys(modules).length > 0;
}

export async function loadCanvas(): Promise<CanvasModule | null> {
  const load = Object.values(modules)[0];
  if (!load) return null;
  // The server's CSP forbids eval (script-src 'self'); Pixi's own shims make it run without.
  await import("pixi.js/unsafe-eval");
  return load();
}
