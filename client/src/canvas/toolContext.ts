import { PICK_PX } from "../tools/geometry.js";
import type { ShapeRef, ToolContext, ToolPoint } from "../tools/types.js";
import type { KeypointTemplate } from "./types.js";
import { screenToWorldX, screenToWorldY, type Camera } from "./scene/camera.js";
import { tileAt, toNormX, toNormY } from "./scene/layout.js";
import type { SceneModel } from "./scene/SceneModel.js";

/**
 * Builds the {@link ToolContext} the tools read from the scene model and the camera, and turns
 * screen positions into {@link ToolPoint}s. Pure functions of their inputs: the canvas calls it
 * per event with the current state; tests call it with a real scene built from a `Y.Doc`.
 */
export interface ToolContextInput {
  readonly scene: SceneModel;
  readonly camera: Camera;
  readonly editable: boolean;
  readonly selection: readonly ShapeRef[];
  readonly template: KeypointTemplate | undefined;
  readonly brushRadius: number;
}

export function makeToolContext(input: ToolContextInput): ToolContext {
  const { scene, camera } = input;
  const tileOf = (viewId: string) => scene.tiles.find((t) => t.id === viewId);
  return {
    editable: input.editable,
    selection: input.selection,
    template: input.template,
    brushRadius: input.brushRadius,
    pixel(viewId) {
      const t = tileOf(viewId);
      return t ? { x: 1 / (camera.zoom * t.width), y: 1 / (camera.zoom * t.height) } : { x: 1, y: 1 };
    },
    viewSize(viewId) {
      const t = tileOf(viewId);
      return t ? { width: t.width, height: t.height } : undefined;
    },
    project(p, viewId) {
      const t = tileOf(viewId);
      if (!t) return { x: p.x, y: p.y };
      return { x: toNormX(t, screenToWorldX(camera, p.sx)), y: toNormY(t, screenToWorldY(camera, p.sy)) };
    },
    hit(p) {
      return scene.hitTest(screenToWorldX(camera, p.sx), screenToWorldY(camera, p.sy), PICK_PX / camera.zoom);
    },
    shape(ref) {
      return scene.get(ref)?.shape;
    },
    locked(ref) {
      return scene.isLocked(ref);
    },
  };
}

/** The tool point for a screen position (CSS px relative to the canvas). */
export function pointAt(scene: SceneModel, camera: Camera, sx: number, sy: number): ToolPoint {
  const wx = screenToWorldX(camera, sx);
  const wy = screenToWorldY(camera, sy);
  const t = tileAt(scene.tiles, wx);
  if (!t) return { viewId: "", x: 0, y: 0, sx, sy };
  return { viewId: t.id, x: toNormX(t, wx), y: toNormY(t, wy), sx, sy };
}
