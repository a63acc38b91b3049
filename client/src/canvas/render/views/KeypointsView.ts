import { batchedGraphics } from "./batched.js";
import type { SceneItem } from "../../scene/SceneModel.js";
import { STYLE } from "../style.js";
import type { AnnotationView, ViewEnv, ViewStyle } from "./AnnotationView.js";

/**
 * Keypoints: skeleton edges from the template (1-px lines, between points that are not hidden)
 * and one diamond per point — filled when visible, an outline when invisible (occluded), nothing
 * when hidden. Markers keep a constant screen size, so they redraw on zoom steps.
 */
export class KeypointsView implements AnnotationView {
  readonly zoomDependent = true;
  drawnZoom = 0;
  private readonly edges = batchedGraphics();
  private readonly markers = batchedGraphics();

  constructor(
    readonly item: SceneItem,
    private readonly env: ViewEnv,
  ) {
    env.layers.strokes.addChild(this.edges);
    env.layers.points.addChild(this.markers);
  }

  redraw(zoom: number): void {
    const s = this.item.shape;
    if (s.kind !== "keypoints") return;
    const t = this.item.tile;
    const wx = (i: number) => t.x + (s.coords[i * 2] as number) * t.width;
    const wy = (i: number) => t.y + (s.coords[i * 2 + 1] as number) * t.height;
    const n = s.coords.length / 2;
    const shown = (i: number) => i < n && s.states[i] !== "hidden";
    this.edges.clear();
    const template = this.env.template(s.templateId);
    let any = false;
    for (const [a, b] of template?.edges ?? []) {
      if (!shown(a) || !shown(b)) continue;
      this.edges.moveTo(wx(a), wy(a)).lineTo(wx(b), wy(b));
      any = true;
    }
    // Markers are diamonds (2 triangles; a software rasteriser pays per primitive): filled when
    // visible, an outline (1-px lines, with the edges) when invisible, nothing when hidden.
    const r = STYLE.keypointRadiusPx / zoom;
    for (let i = 0; i < n; i++) {
      if (s.states[i] !== "invisible" || !shown(i)) continue;
      const x = wx(i);
      const y = wy(i);
      this.edges.poly([x, y - r, x + r, y, x, y + r, x - r, y], true);
      any = true;
    }
    if (any) this.edges.stroke({ width: 1, color: 0xffffff, alpha: STYLE.skeletonAlpha, pixelLine: true });
    this.markers.clear();
    let filled = false;
    for (let i = 0; i < n; i++) {
      if (!shown(i) || s.states[i] === "invisible") continue;
      const x = wx(i);
      const y = wy(i);
      this.markers.poly([x, y - r, x + r, y, x, y + r, x - r, y], true);
      filled = true;
    }
    if (filled) this.markers.fill({ color: 0xffffff });
    this.drawnZoom = zoom;
  }

  restyle(style: ViewStyle): void {
    this.edges.tint = style.color;
    this.markers.tint = style.color;
    this.edges.alpha = style.alpha;
    this.markers.alpha = style.alpha;
  }

  setVisible(visible: boolean): void {
    this.edges.visible = visible;
    this.markers.visible = visible;
  }

  destroy(): void {
    this.edges.destroy();
    this.markers.destroy();
  }
}
