/** Pure tool state machines: `transition(state, event, ctx) → { state, effects }`. */
export * from "./types.js";
export { bboxTool, type BboxState } from "./bboxTool.js";
export { brushTool, BRUSH_STEP, MAX_BRUSH_RADIUS, MIN_BRUSH_RADIUS, type BrushState } from "./brushTool.js";
export {
  keypointsTool,
  layoutInBox,
  nextKeypointState,
  KEYPOINT_STATE_CYCLE,
  type KeypointsState,
} from "./keypointsTool.js";
export { pathTool, polygonTool, polylineTool, type PathState } from "./pathTool.js";
export { selectTool, pick, sameRef, type SelectState } from "./selectTool.js";
export { dragEffects, dragStart, revertEffects, type Drag } from "./selectDrag.js";
export { boxPatch, boxRowFields, coordsBounds, type ViewSizeOf } from "./shapes.js";
export { shapeBounds, shapeOfRow } from "../kinds/registry.js";
export { paintStroke, strokeMask } from "./maskRaster.js";
export * from "./geometry.js";
export { allTools, isDrawingTool, SELECT_TOOL, toolEntry, type ToolEntry } from "./registry.js";
