import type { Graphics } from "pixi.js";
import { batchedGraphics } from "./batched.js";
import type { SceneItem } from "../../scene/SceneModel.js";
import { STYLE } from "../style.js";
import type { AnnotationView, ViewEnv, ViewStyle } from "./AnnotationView.js";

/** A polygon (closed rings, faintly filled) or polyline (open paths) of a `multi_paths` row. */
export class PathView implements AnnotationView {
  readonly zoomDependent = false;
  drawnZoom = 0;
  private readonly stroke = batchedGraphics();
  private readonly fill: Graphics | null;
  private points: number[] = [];

  constructor(
    readonly item: SceneItem,
    env: ViewEnv,
  ) {
    env.layers.strokes.addChild(this.stroke);
    const closed = item.shape.kind === "path" && item.shape.closed;
    this.fill = env.fill && closed ? batchedGraphics() : null;
    if (this.fill) env.layers.fills.addChild(this.fill);
  }

  redraw(zoom: number): void {
    const s = this.item.shape;
    if (s.kind !== "path") return;
    const t = this.item.tile;
    this.stroke.clear();
    this.fill?.clear();
    let offset = 0;
    for (const n of s.numPoints) {
      const pts = this.points;
      pts.length = 0;
      for (let i = 0; i < n; i++)
        pts.push(
          t.x + (s.coords[(offset + i) * 2] as number) * t.width,
          t.y + (s.coords[(offset + i) * 2 + 1] as number) * t.height,
        );
      offset += n;
      if (n < 2) continue;
      if (s.closed) {
        this.stroke.poly(pts, true);
        if (this.fill && n >= 3) this.fill.poly(pts, true).fill({ color: 0xffffff, alpha: STYLE.fillAlpha });
      } else {
        this.stroke.moveTo(pts[0] as number, pts[1] as number);
        for (let i = 2; i < pts.length; i += 2) this.stroke.lineTo(pts[i] as number, pts[i + 1] as number);
      }
    }
    this.stroke.stroke({ width: 1, color: 0xffffff, pixelLine: true });
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
