import { Container, Graphics } from "pixi.js";
import type { Hit, Shape, ShapeRef } from "../../tools/types.js";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";
import type { SceneModel } from "../scene/SceneModel.js";
import type { KeypointTemplate } from "../types.js";
import { drawHandles, drawKeypointMarkers, outlineRings, strokeRings, sx, sy, type ScreenXf } from "./screenShapes.js";
import { STYLE } from "./style.js";

/**
 * Local interaction feedback in screen space, above the annotations: hover outline, selection
 * outlines with their handles, and the preview of the shape being drawn. Only a handful of
 * shapes, redrawn when something here or the camera changed (`markDirty`).
 */
export interface OverlayState {
  hover: Hit | null;
  selection: readonly ShapeRef[];
  preview: Shape | null;
  editable: boolean;
}

export class OverlayLayer {
  readonly root = new Container({ label: "overlay" });
  private readonly g = new Graphics();
  private dirty = true;
  private empty = false;

  constructor(
    private readonly scene: SceneModel,
    private readonly colorOf: (entityId: string) => number,
    private readonly templates: ReadonlyMap<string, KeypointTemplate>,
  ) {
    this.root.eventMode = "none";
    this.root.addChild(this.g);
  }

  markDirty(): void {
    this.dirty = true;
  }

  draw(state: OverlayState, cam: Camera): void {
    if (!this.dirty) return;
    this.dirty = false;
    // Nothing to show and nothing shown: skip the clear (a camera move marks the overlay dirty).
    const nothing = !state.hover && state.selection.length === 0 && !state.preview;
    if (nothing && this.empty) return;
    this.empty = nothing;
    const g = this.g.clear();
    const tileOf = (viewId: string): ViewTile | undefined => this.scene.tiles.find((t) => t.id === viewId);
    const hovered = state.hover ? this.scene.get(state.hover.ref) : undefined;
    if (
      hovered &&
      !state.selection.some((r) => r.table === hovered.ref.table && r.id === hovered.ref.id) &&
      !this.scene.isHidden(hovered)
    ) {
      const xf = { cam, tile: hovered.tile };
      strokeRings(g, outlineRings(xf, hovered.shape), STYLE.hoverWidthPx, this.colorOf(hovered.entityId), 0.9);
      if (hovered.shape.kind === "keypoints")
        drawKeypointMarkers(g, xf, hovered.shape, this.edges(hovered.shape.templateId), this.colorOf(hovered.entityId));
    }
    for (const ref of state.selection) {
      const item = this.scene.get(ref);
      if (!item) continue;
      const xf = { cam, tile: item.tile };
      const color = this.colorOf(item.entityId);
      strokeRings(g, outlineRings(xf, item.shape), STYLE.selectionWidthPx, 0xffffff, 0.95);
      strokeRings(g, outlineRings(xf, item.shape), 1, color);
      if (item.shape.kind === "keypoints")
        drawKeypointMarkers(g, xf, item.shape, this.edges(item.shape.templateId), color);
      if (state.editable && !this.scene.isLocked(ref)) drawHandles(g, xf, item.shape, color);
    }
    const p = state.preview;
    if (p) {
      const tile = tileOf(p.viewId);
      if (tile) this.drawPreview(g, { cam, tile }, p);
    }
  }

  private edges(templateId: string): ReadonlyArray<readonly [number, number]> {
    return this.templates.get(templateId)?.edges ?? [];
  }

  private drawPreview(g: Graphics, xf: ScreenXf, p: Shape): void {
    if (p.kind === "stroke") {
      const r = p.radius * xf.cam.zoom;
      const color = p.erase ? STYLE.eraserColor : STYLE.previewColor;
      for (let i = 0; i + 1 < p.points.length; i += 2)
        g.circle(sx(xf, p.points[i] as number), sy(xf, p.points[i + 1] as number), r);
      if (p.points.length > 2) {
        g.fill({ color, alpha: 0.35 });
        g.moveTo(sx(xf, p.points[0] as number), sy(xf, p.points[1] as number));
        for (let i = 2; i + 1 < p.points.length; i += 2)
          g.lineTo(sx(xf, p.points[i] as number), sy(xf, p.points[i + 1] as number));
        g.stroke({ width: 2 * r, color, alpha: 0.35, cap: "round", join: "round" });
      } else {
        g.stroke({ width: 1.5, color });
      }
      return;
    }
    if (p.kind === "keypoints") {
      drawKeypointMarkers(g, xf, p, this.edges(p.templateId), STYLE.previewColor);
      return;
    }
    strokeRings(g, outlineRings(xf, p), 1.5, STYLE.previewColor);
    if (p.kind === "draft") {
      const pts = [...p.rings.flat(), ...p.current];
      for (let i = 0; i + 1 < pts.length; i += 2)
        g.rect(sx(xf, pts[i] as number) - 3, sy(xf, pts[i + 1] as number) - 3, 6, 6);
      if (pts.length > 0) g.fill({ color: STYLE.previewColor });
    }
  }

  destroy(): void {
    this.root.destroy({ children: true });
  }
}
