import { pointInMultiPath } from "@tessera/shared-crdt";
import { PathView } from "../canvas/render/views/PathView.js";
import { ringPoints } from "../canvas/render/screenShapes.js";
import type { ViewTile } from "../canvas/scene/layout.js";
import { segmentDistance2, translateCoords } from "../tools/geometry.js";
import { polygonTool, polylineTool } from "../tools/pathTool.js";
import { coordsBounds, numbers, viewIdOf } from "../tools/shapes.js";
import type { ShapeOf } from "../tools/types.js";
import type { KindView, Ring } from "./KindView.js";

/** `multi_paths`: polygons (closed rings, faintly filled) and polylines (open paths). */
export const kindView: KindView<"path"> = {
  table: "multi_paths",
  shape: "path",
  order: 20,
  label: "polygon",
  labelOfRow: (row) => (row.is_closed === true ? "polygon" : "polyline"),
  geometryFields: ["coords", "num_points", "is_closed"],
  shapeOfRow(row) {
    const coords = numbers(row.coords);
    const numPoints = numbers(row.num_points);
    if (coords.length === 0 || coords.length % 2 !== 0 || numPoints.reduce((s, n) => s + n, 0) * 2 !== coords.length)
      return null;
    return { kind: "path", viewId: viewIdOf(row), coords, numPoints, closed: row.is_closed === true };
  },
  bounds: (s) => coordsBounds(s.coords),
  hitScore(s, tile, wx, wy, tol) {
    if (nearEdge(s.coords, s.numPoints, s.closed, tile, wx, wy, tol)) return s.closed ? pathArea(s, tile) : 0;
    const nx = (wx - tile.x) / tile.width;
    const ny = (wy - tile.y) / tile.height;
    if (s.closed && s.coords.length >= 6 && pointInMultiPath(nx, ny, s.coords, s.numPoints)) return pathArea(s, tile);
    return -1;
  },
  outline(xf, s) {
    const out: Ring[] = [];
    let offset = 0;
    for (const n of s.numPoints) {
      out.push({ points: ringPoints(xf, s.coords, offset, n), closed: s.closed });
      offset += n;
    }
    return out;
  },
  createView: (item, env) => new PathView(item, env),
  translate: (s, dx, dy) => ({ coords: translateCoords(s.coords, dx, dy) }),
  vertices: (s) => s.coords,
  tools: [
    {
      name: "polygon",
      key: "p",
      label: "Polygon",
      icon: "M6 4l11 3-2 10-10-2z",
      cursor: "crosshair",
      tool: polygonTool,
    },
    {
      name: "polyline",
      key: "l",
      label: "Polyline",
      icon: "M3 16l5-8 5 5 6-9",
      cursor: "crosshair",
      tool: polylineTool,
    },
  ],
};

function pathArea(shape: ShapeOf<"path">, tile: ViewTile): number {
  let area = 0;
  let offset = 0;
  for (const n of shape.numPoints) {
    let twice = 0;
    for (let i = 0, j = n - 1; i < n; j = i, i++) {
      const xi = shape.coords[(offset + i) * 2] as number;
      const yi = shape.coords[(offset + i) * 2 + 1] as number;
      const xj = shape.coords[(offset + j) * 2] as number;
      const yj = shape.coords[(offset + j) * 2 + 1] as number;
      twice += xj * yi - xi * yj;
    }
    area += Math.abs(twice / 2);
    offset += n;
  }
  return area * tile.width * tile.height;
}

function nearEdge(
  coords: readonly number[],
  numPoints: readonly number[],
  closed: boolean,
  tile: ViewTile,
  wx: number,
  wy: number,
  tol: number,
): boolean {
  const t2 = tol * tol;
  let offset = 0;
  for (const n of numPoints) {
    const last = closed ? n : n - 1;
    for (let i = 0; i < last; i++) {
      const a = offset + i;
      const b = offset + ((i + 1) % n);
      const ax = tile.x + (coords[a * 2] as number) * tile.width;
      const ay = tile.y + (coords[a * 2 + 1] as number) * tile.height;
      const bx = tile.x + (coords[b * 2] as number) * tile.width;
      const by = tile.y + (coords[b * 2 + 1] as number) * tile.height;
      if (segmentDistance2(wx, wy, ax, ay, bx, by) <= t2) return true;
    }
    if (n === 1) {
      const ax = tile.x + (coords[offset * 2] as number) * tile.width;
      const ay = tile.y + (coords[offset * 2 + 1] as number) * tile.height;
      if ((wx - ax) ** 2 + (wy - ay) ** 2 <= t2) return true;
    }
    offset += n;
  }
  return false;
}
