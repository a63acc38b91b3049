import { coordsBounds } from "../tools/shapes.js";
import { ringPoints, strokeRings, sx, sy } from "../canvas/render/screenShapes.js";
import { STYLE } from "../canvas/render/style.js";
import type { Ring, ShapeGeometry } from "./KindView.js";

/**
 * Geometry of the tools' previews, which are shapes but not annotation kinds: a path being drawn
 * (`draft`) and a brush or eraser stroke in progress (`stroke`). They are never hit.
 */

const draft: ShapeGeometry<"draft"> = {
  shape: "draft",
  bounds: (s) => coordsBounds([...s.rings.flat(), ...s.current, ...(s.pointer ?? [])]),
  outline(xf, s) {
    const out: Ring[] = s.rings.map((r) => ({ points: ringPoints(xf, r, 0, r.length / 2), closed: s.closed }));
    const cur = ringPoints(xf, s.current, 0, s.current.length / 2);
    if (s.pointer) cur.push(sx(xf, s.pointer[0]), sy(xf, s.pointer[1]));
    out.push({ points: cur, closed: false });
    return out;
  },
  drawPreview(g, xf, s) {
    strokeRings(g, this.outline(xf, s), 1.5, STYLE.previewColor);
    const pts = [...s.rings.flat(), ...s.current];
    for (let i = 0; i + 1 < pts.length; i += 2)
      g.rect(sx(xf, pts[i] as number) - 3, sy(xf, pts[i + 1] as number) - 3, 6, 6);
    if (pts.length > 0) g.fill({ color: STYLE.previewColor });
  },
  hitScore: () => -1,
};

const stroke: ShapeGeometry<"stroke"> = {
  shape: "stroke",
  bounds: (s) => coordsBounds(s.points),
  outline: () => [],
  drawPreview(g, xf, p) {
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
  },
  hitScore: () => -1,
};

export const PREVIEW_GEOMETRY: readonly ShapeGeometry[] = [draft, stroke];
