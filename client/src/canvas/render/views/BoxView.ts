import type { Graphics } from "pixi.js";
import { batchedGraphics } from "./batched.js";
import type { SceneItem } from "../../scene/SceneModel.js";
import { STYLE } from "../style.js";
import type { AnnotationView, ViewEnv, ViewStyle } from "./AnnotationView.js";

/** A bounding box: a 1-px outline, plus a faint fill in the fill layer. */
export class BoxView implements AnnotationView {
  readonly zoomDependent = false;
  drawnZoom = 0;
  private readonly stroke = batchedGraphics();
  private readonly fill: Graphics | null;

  constructor(
    readonly item: SceneItem,
    env: ViewEnv,
  ) {
    env.layers.strokes.addChild(this.stroke);
    this.fill = env.fill ? batchedGraphics() : null;
    if (this.fill) env.layers.fills.addChild(this.fill);
  }

  redraw(zoom: number): void {
    const s = this.item.shape;
    if (s.kind !== "box") return;
    const t = this.item.tile;
    const x = t.x + s.x * t.width;
    const y = t.y + s.y * t.height;
    const w = s.w * t.width;
    const h = s.h * t.height;
    this.stroke.clear().rect(x, y, w, h).stroke({ width: 1, color: 0xffffff, pixelLine: true });
    this.fill?.clear().rect(x, y, w, h).fill({ color: 0xffffff, alpha: STYLE.fillAlpha });
    this.drawnZoom = zoom;
  }

  restyle(style: ViewStyle): void {
    this.stroke.tint = style.color;
    this.stroke.alpha = style.alpha;
    if (this.fill) {
      this.fill.tint = style.color;
      this.fill.alpha = style.alpha;
    }
  }

  setVisible(visible: boolean): void {
    this.stroke.visible = visible;
    if (this.fill) this.fill.visible = visible;
  }

  destroy(): void {
    this.stroke.destroy();
    this.fill?.destroy();
  }
}
