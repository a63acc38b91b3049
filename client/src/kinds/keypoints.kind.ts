import { KeypointsView } from "../canvas/render/views/KeypointsView.js";
import { sx, sy } from "../canvas/render/screenShapes.js";
import { STYLE } from "../canvas/render/style.js";
import { translateCoords } from "../tools/geometry.js";
import { keypointsTool, nextKeypointState } from "../tools/keypointsTool.js";
import { coordsBounds, numbers, strings, viewIdOf } from "../tools/shapes.js";
import type { KindView } from "./KindView.js";

/**
 * `keypoints`: points laid out by a template (its skeleton edges drawn between them), each
 * visible, invisible (occluded) or hidden. On the overlays the points are markers with the
 * skeleton; a plain click on a point cycles its state.
 */
export const kindView: KindView<"keypoints"> = {
  table: "keypoints",
  shape: "keypoints",
  order: 30,
  label: "keypoints",
  geometryFields: ["coords", "states", "template_id"],
  shapeOfRow(row) {
    const coords = numbers(row.coords);
    if (coords.length === 0 || coords.length % 2 !== 0) return null;
    return {
      kind: "keypoints",
      viewId: viewIdOf(row),
      coords,
      states: strings(row.states),
      templateId: typeof row.template_id === "string" ? row.template_id : "",
    };
  },
  bounds: (s) => coordsBounds(s.coords),
  hitScore(s, tile, wx, wy, tol) {
    const nx = (wx - tile.x) / tile.width;
    const ny = (wy - tile.y) / tile.height;
    const tx = tol / tile.width;
    const ty = tol / tile.height;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i + 1 < s.coords.length; i += 2) {
      const x = s.coords[i] as number;
      const y = s.coords[i + 1] as number;
      if (Math.abs(x - nx) <= tx && Math.abs(y - ny) <= ty) return 0;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    if (nx < minX || nx > maxX || ny < minY || ny > maxY) return -1;
    return (maxX - minX) * tile.width * (maxY - minY) * tile.height;
  },
  outline: () => [],
  marks(g, xf, s, color, env) {
    const n = s.coords.length / 2;
    const px = (i: number) => sx(xf, s.coords[i * 2] as number);
    const py = (i: number) => sy(xf, s.coords[i * 2 + 1] as number);
    for (const [a, b] of env.template(s.templateId)?.edges ?? [])
      if (a < n && b < n) g.moveTo(px(a), py(a)).lineTo(px(b), py(b));
    g.stroke({ width: 1.5, color });
    for (let i = 0; i < n; i++) g.circle(px(i), py(i), STYLE.keypointRadiusPx + 1);
    g.fill({ color });
  },
  createView: (item, env) => new KeypointsView(item, env),
  translate: (s, dx, dy) => ({ coords: translateCoords(s.coords, dx, dy) }),
  vertices: (s) => s.coords,
  vertexClick(s, index) {
    const states = [...s.states];
    while (states.length < s.coords.length / 2) states.push("visible");
    states[index] = nextKeypointState(states[index]);
    return { states };
  },
  tools: [
    {
      name: "keypoints",
      key: "k",
      label: "Keypoints",
      icon: "M11 4a2 2 0 110 .1M6 13a2 2 0 110 .1M16 13a2 2 0 110 .1M11 5l-5 8M11 5l5 8",
      cursor: "crosshair",
      tool: keypointsTool,
      options: ["template"],
    },
  ],
};
