import type { Camera } from "../scene/camera.js";
import type { SceneItem, SceneModel } from "../scene/SceneModel.js";
import type { PinWorld } from "../render/pinLayout.js";
import type { CanvasView } from "../types.js";

/**
 * The canvas seen by review pins: its camera, its views by logical name, its frame, and the bounds
 * of what an object shows now (visible shapes only: a hidden, filtered or deleted object, or one
 * not on this frame, has none). Built on demand by `TesseraCanvas.pinWorld()`.
 */
export function pinWorldOf(scene: SceneModel, camera: Camera, views: readonly CanvasView[], frame: number): PinWorld {
  const names = new Map(views.map((v) => [v.id, v.logicalName]));
  return {
    camera,
    frame,
    views: scene.tiles.map((tile) => ({ tile, name: names.get(tile.id) ?? tile.id })),
    objectBounds(entityId, annotationId) {
      const shown = (item: SceneItem) => !scene.isHidden(item);
      let items: SceneItem[] = [];
      if (entityId !== undefined) {
        const all = [...scene.entityItems(entityId)].filter(shown);
        const own = annotationId === undefined ? [] : all.filter((i) => i.ref.id === annotationId);
        items = own.length > 0 ? own : all;
      } else if (annotationId !== undefined) {
        for (const i of scene.all()) if (i.ref.id === annotationId && shown(i)) items.push(i);
      }
      if (items.length === 0) return null;
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (const i of items) {
        minX = Math.min(minX, i.minX);
        minY = Math.min(minY, i.minY);
        maxX = Math.max(maxX, i.maxX);
        maxY = Math.max(maxY, i.maxY);
      }
      return [minX, minY, maxX, maxY];
    },
  };
}
