import { Graphics } from "pixi.js";

/**
 * A Graphics Pixi always batches. Pixi batches a Graphics only below 200 vertices ("auto") and
 * otherwise draws it alone with its own buffer; annotation shapes are small but a few (keypoint
 * sets, long polygons) cross that line, and thousands of lone draw calls cost far more than a
 * few extra vertices in a shared batch.
 */
export function batchedGraphics(): Graphics {
  const g = new Graphics();
  g.context.batchMode = "batch";
  return g;
}
