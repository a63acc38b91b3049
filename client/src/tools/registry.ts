import type { ToolName } from "../canvas/types.js";
import { bboxTool } from "./bboxTool.js";
import { brushTool } from "./brushTool.js";
import { keypointsTool } from "./keypointsTool.js";
import { polygonTool, polylineTool } from "./pathTool.js";
import { selectTool } from "./selectTool.js";
import type { Tool } from "./types.js";

/** Every tool by name. States are opaque to the canvas, which only threads them through `transition`. */
export const TOOLS: Readonly<Record<ToolName, Tool<unknown>>> = {
  select: selectTool as Tool<unknown>,
  bbox: bboxTool as Tool<unknown>,
  polygon: polygonTool as Tool<unknown>,
  polyline: polylineTool as Tool<unknown>,
  keypoints: keypointsTool as Tool<unknown>,
  brush: brushTool("brush") as Tool<unknown>,
  eraser: brushTool("eraser") as Tool<unknown>,
};

/** Tools that draw new shapes (what N repeats). */
export const DRAWING_TOOLS: ReadonlySet<ToolName> = new Set([
  "bbox",
  "polygon",
  "polyline",
  "keypoints",
  "brush",
  "eraser",
]);
