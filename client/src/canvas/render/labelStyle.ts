import { TextStyle } from "pixi.js";
import { STYLE } from "./style.js";

/**
 * The one text style of every canvas label. Pixi keys dynamic bitmap fonts of stroked styles by
 * the style instance, so all labels must share this instance to share one glyph atlas.
 */
let shared: TextStyle | null = null;

export function labelStyle(): TextStyle {
  shared ??= new TextStyle({ fontFamily: "system-ui, sans-serif", fontSize: STYLE.labelFontSize, fill: 0xffffff });
  return shared;
}
