import { Container, Graphics } from "pixi.js";
import type { Hit, Shape, ShapeRef } from "../../tools/types.js";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";
import type { SceneModel } from "../scene/SceneModel.js";
import type { KeypointTemplate } from "../types.js";
import type { MarkEnv } from "../../kinds/KindView.js";
import { drawHandles, drawMarks, drawPreview, outlineRings } from "../../kinds/draw.js";
import { dashRings, strokeRings } from "./screenShapes.js";
import { STYLE } from "./style.js";

/**
 * Local interaction feedback in screen space, above the annotations: hover outline, selection
 * outlines with their handles, and the preview of the shape being drawn. Only a handful of
 * shapes, redrawn when something here or the camera changed (`markDirty`).
 */
export interface OverlayState {
  hover: Hit | null;
  /** Entities whose shapes are outlined as if hovered (a panel points at them). */
  highlighted: ReadonlySet<string>;
  selection: readonly ShapeRef[];
  preview: Shape | null;
  editable: boolean;
}

export class OverlayLayer {
  readonly root = new Container({ label: "overlay" });
  private readonly g = new Graphics();
  private dirty = true;
  private empty = false;
  private readonly env: MarkEnv;
  private readonly dashScratch: number[] = [];

  constructor(
    private readonly scene: SceneModel,
    private readonly colorOf: (entityId: string) => number,
    templates: ReadonlyMap<string, KeypointTemplate>,
  ) {
    this.root.eventMode = "none";
    this.root.addChild(this.g);
    this.env = { template: (id) => templates.get(id) };
  }

  markDirty(): void {
    this.dirty = true;
  }

  draw(state: OverlayState, cam: Camera): void {
    if (!this.dirty) return;
    this.dirty = false;
    // Nothing to show and nothing shown: skip the clear (a camera move marks the overlay dirty).
    const synthetic = [...this.scene.synthetic(), ...this.scene.proposalItems()];
    const nothing =
      !state.hover &&
      state.highlighted.size === 0 &&
      state.selection.length === 0 &&
      !state.preview &&
      synthetic.length === 0;
    if (nothing && this.empty) return;
    this.empty = nothing;
    const g = this.g.clear();
    // Frame mode: the tracks' interpolated shapes, dashed (stored keyframes are drawn solid by the scene);
    // pending model proposals, dashed over their dimmed shape (SPEC D-PROPOSAL).
    for (const item of synthetic) {
      if (this.scene.isHidden(item)) continue;
      const xf = { cam, tile: item.tile };
      const color = this.colorOf(item.entityId);
      dashRings(g, outlineRings(xf, item.shape), 1.5, color, this.dashScratch);
      drawMarks(g, xf, item.shape, color, this.env);
    }
    const tileOf = (viewId: string): ViewTile | undefined => this.scene.tiles.find((t) => t.id === viewId);
    const hovered = state.hover ? this.scene.get(state.hover.ref) : undefined;
    if (
      hovered &&
      !state.selection.some((r) => r.table === hovered.ref.table && r.id === hovered.ref.id) &&
      !this.scene.isHidden(hovered)
    ) {
      const xf = { cam, tile: hovered.tile };
      strokeRings(g, outlineRings(xf, hovered.shape), STYLE.hoverWidthPx, this.colorOf(hovered.entityId), 0.9);
      drawMarks(g, xf, hovered.shape, this.colorOf(hovered.entityId), this.env);
    }
    for (const entityId of state.highlighted) {
      for (const item of this.scene.entityItems(entityId)) {
        if (this.scene.isHidden(item)) continue;
        const xf = { cam, tile: item.tile };
        const color = this.colorOf(entityId);
        strokeRings(g, outlineRings(xf, item.shape), STYLE.selectionWidthPx + 2, 0xffffff, 0.8);
        strokeRings(g, outlineRings(xf, item.shape), STYLE.selectionWidthPx, color, 1);
      }
    }
    for (const ref of state.selection) {
      const item = this.scene.get(ref);
      if (!item) continue;
      const xf = { cam, tile: item.tile };
      const color = this.colorOf(item.entityId);
      strokeRings(g, outlineRings(xf, item.shape), STYLE.selectionWidthPx, 0xffffff, 0.95);
      strokeRings(g, outlineRings(xf, item.shape), 1, color);
      drawMarks(g, xf, item.shape, color, this.env);
      if (state.editable && !this.scene.isLocked(ref)) drawHandles(g, xf, item.shape, color);
    }
    const p = state.preview;
    if (p) {
      const tile = tileOf(p.viewId);
      if (tile) drawPreview(g, { cam, tile }, p, this.env);
    }
  }

  destroy(): void {
    this.root.destroy({ children: true });
  }
}
