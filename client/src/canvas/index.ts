/**
 * The annotation canvas: `createCanvas(container, options)` mounts the PixiJS scene and tools
 * and returns the {@link CanvasController} the workspace drives (contract in `types.ts`).
 */
export { createCanvas } from "./createCanvas.js";
export type * from "./types.js";
