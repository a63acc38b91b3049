import type { Prng } from "@tessera/shared-crdt";

/**
 * The objects a demo scene is made of. Each object is described twice from one set of numbers:
 * as SVG (what is drawn) and as geometry (what is annotated), so the annotation always matches
 * the picture — the outline polygon is exactly the union of the drawn filled parts, and the
 * person's keypoints are the joints its limbs are drawn between.
 */
export const CATEGORIES = ["car", "house", "tree", "person", "balloon", "sign"] as const;
export type Category = (typeof CATEGORIES)[number];

/** A 2D point in pixels, origin at the top-left corner of the image. */
export type Point = readonly [number, number];

const PERSON_EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 2],
  [1, 3],
  [1, 4],
  [4, 5],
  [4, 6],
];

export interface SceneObject {
  readonly category: Category;
  /** A short human description used by captions and VQA ("red car"). */
  readonly label: string;
  readonly color: string;
  /** Outline in pixels (one closed ring); for a person, the joints (no outline). */
  readonly outline: readonly Point[] | null;
  readonly joints: readonly Point[] | null;
  /** Tight axis-aligned bounds of what is drawn, in pixels: x1, y1, x2, y2. */
  readonly bounds: readonly [number, number, number, number];
  readonly svg: string;
}

const COLORS: readonly (readonly [string, string])[] = [
  ["red", "#d94141"],
  ["blue", "#3f6fd8"],
  ["yellow", "#e8c33a"],
  ["green", "#3f9d4b"],
  ["orange", "#ec8a2f"],
  ["purple", "#8a4fc4"],
  ["white", "#f2f2f2"],
];

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();
const pointsAttr = (pts: readonly Point[]) => pts.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(" ");
const poly = (pts: readonly Point[], fill: string, extra = "") =>
  `<polygon points="${pointsAttr(pts)}" fill="${fill}"${extra}/>`;

function boundsOf(pts: readonly Point[], pad = 0): [number, number, number, number] {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
}

/** A regular polygon approximating an ellipse: drawn and annotated as the same polygon. */
function ellipse(cx: number, cy: number, rx: number, ry: number, n = 28): Point[] {
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as const;
  });
}

/** Where an object stands: bottom-centre `(x, yb)` in pixels and a size `s` in pixels. */
export interface Placement {
  readonly x: number;
  readonly yb: number;
  readonly s: number;
}

/** The footprint an object of this category occupies around its placement (for non-overlap checks). */
export function footprint(category: Category, { x, yb, s }: Placement): [number, number, number, number] {
  switch (category) {
    case "car":
      return [x - 0.8 * s, yb - 0.8 * s, x + 0.8 * s, yb];
    case "house":
      return [x - 0.5 * s, yb - 1.25 * s, x + 0.5 * s, yb];
    case "tree":
      return [x - 0.5 * s, yb - 1.2 * s, x + 0.5 * s, yb];
    case "person":
      return [x - 0.3 * s - 2, yb - 1.4 * s - 2, x + 0.3 * s + 2, yb + 2];
    case "balloon":
      return [x - 0.35 * s, yb - 0.9 * s, x + 0.35 * s, yb];
    case "sign":
      return [x - 0.35 * s, yb - 1.0 * s, x + 0.35 * s, yb];
  }
}

/** Builds one object at a placement; colours and small variations come from the PRNG. */
export function makeObject(category: Category, at: Placement, rng: Prng): SceneObject {
  const [colorName, color] = rng.pick(COLORS);
  const { x, yb, s } = at;
  switch (category) {
    case "car": {
      const outline: Point[] = [
        [x - 0.8 * s, yb],
        [x + 0.8 * s, yb],
        [x + 0.8 * s, yb - 0.45 * s],
        [x + 0.4 * s, yb - 0.5 * s],
        [x + 0.2 * s, yb - 0.8 * s],
        [x - 0.4 * s, yb - 0.8 * s],
        [x - 0.6 * s, yb - 0.5 * s],
        [x - 0.8 * s, yb - 0.45 * s],
      ];
      const window: Point[] = [
        [x - 0.33 * s, yb - 0.72 * s],
        [x + 0.15 * s, yb - 0.72 * s],
        [x + 0.3 * s, yb - 0.52 * s],
        [x - 0.48 * s, yb - 0.52 * s],
      ];
      const r = 0.13 * s;
      const wheel = (cx: number) => `<circle cx="${fmt(cx)}" cy="${fmt(yb - r)}" r="${fmt(r)}" fill="#222"/>`;
      const svg = poly(outline, color) + poly(window, "#bfe3f5") + wheel(x - 0.5 * s) + wheel(x + 0.5 * s);
      return { category, label: `${colorName} car`, color, outline, joints: null, bounds: boundsOf(outline), svg };
    }
    case "house": {
      const outline: Point[] = [
        [x - 0.5 * s, yb],
        [x + 0.5 * s, yb],
        [x + 0.5 * s, yb - 0.8 * s],
        [x, yb - 1.25 * s],
        [x - 0.5 * s, yb - 0.8 * s],
      ];
      const roof: Point[] = [
        [x - 0.5 * s, yb - 0.8 * s],
        [x, yb - 1.25 * s],
        [x + 0.5 * s, yb - 0.8 * s],
      ];
      const door = `<rect x="${fmt(x - 0.1 * s)}" y="${fmt(yb - 0.4 * s)}" width="${fmt(0.2 * s)}" height="${fmt(0.4 * s)}" fill="#6b4226"/>`;
      const win = `<rect x="${fmt(x + 0.18 * s)}" y="${fmt(yb - 0.62 * s)}" width="${fmt(0.18 * s)}" height="${fmt(0.16 * s)}" fill="#fff6c2"/>`;
      const svg = poly(outline, color) + poly(roof, "#8b2f2f") + door + win;
      return { category, label: `${colorName} house`, color, outline, joints: null, bounds: boundsOf(outline), svg };
    }
    case "tree": {
      const outline: Point[] = [
        [x - 0.08 * s, yb],
        [x + 0.08 * s, yb],
        [x + 0.08 * s, yb - 0.3 * s],
        [x + 0.5 * s, yb - 0.3 * s],
        [x, yb - 1.2 * s],
        [x - 0.5 * s, yb - 0.3 * s],
        [x - 0.08 * s, yb - 0.3 * s],
      ];
      const crown: Point[] = [
        [x + 0.5 * s, yb - 0.3 * s],
        [x, yb - 1.2 * s],
        [x - 0.5 * s, yb - 0.3 * s],
      ];
      const trunk: Point[] = [
        [x - 0.08 * s, yb],
        [x + 0.08 * s, yb],
        [x + 0.08 * s, yb - 0.3 * s],
        [x - 0.08 * s, yb - 0.3 * s],
      ];
      const green = rng.pick(["#2f7d32", "#3f9d4b", "#5a8f29"]);
      const svg = poly(trunk, "#7a4b24") + poly(crown, green);
      return { category, label: "tree", color: green, outline, joints: null, bounds: boundsOf(outline), svg };
    }
    case "balloon": {
      const outline = ellipse(x, yb - 0.45 * s, 0.35 * s, 0.45 * s);
      const shine = `<ellipse cx="${fmt(x - 0.12 * s)}" cy="${fmt(yb - 0.62 * s)}" rx="${fmt(0.07 * s)}" ry="${fmt(0.11 * s)}" fill="#ffffff" fill-opacity="0.45"/>`;
      const svg = poly(outline, color) + shine;
      return { category, label: `${colorName} balloon`, color, outline, joints: null, bounds: boundsOf(outline), svg };
    }
    case "sign": {
      const outline: Point[] = [
        [x - 0.03 * s, yb],
        [x + 0.03 * s, yb],
        [x + 0.03 * s, yb - 0.6 * s],
        [x + 0.35 * s, yb - 0.6 * s],
        [x + 0.35 * s, yb - 1.0 * s],
        [x - 0.35 * s, yb - 1.0 * s],
        [x - 0.35 * s, yb - 0.6 * s],
        [x - 0.03 * s, yb - 0.6 * s],
      ];
      const board: Point[] = [
        [x + 0.35 * s, yb - 0.6 * s],
        [x + 0.35 * s, yb - 1.0 * s],
        [x - 0.35 * s, yb - 1.0 * s],
        [x - 0.35 * s, yb - 0.6 * s],
      ];
      const pole: Point[] = [
        [x - 0.03 * s, yb],
        [x + 0.03 * s, yb],
        [x + 0.03 * s, yb - 0.6 * s],
        [x - 0.03 * s, yb - 0.6 * s],
      ];
      const svg =
        poly(pole, "#777") +
        poly(board, color) +
        `<rect x="${fmt(x - 0.25 * s)}" y="${fmt(yb - 0.83 * s)}" width="${fmt(0.5 * s)}" height="${fmt(0.06 * s)}" fill="#222"/>`;
      return { category, label: `${colorName} sign`, color, outline, joints: null, bounds: boundsOf(outline), svg };
    }
    case "person":
      return makePerson(at, rng, colorName, color);
  }
}

/** A stick figure drawn along Pixano's `person` template joints. */
function makePerson({ x, yb, s }: Placement, rng: Prng, colorName: string, color: string): SceneObject {
  const h = 1.4 * s;
  const w = 0.6 * s;
  const at = (u: number, v: number): Point => [x + (u - 0.5) * w, yb - h + v * h];
  const joints: Point[] = [
    at(0.5, 0.1),
    at(0.5, 0.35),
    at(rng.float(0.02, 0.2), rng.float(0.3, 0.6)),
    at(rng.float(0.8, 0.98), rng.float(0.3, 0.6)),
    at(0.5, 0.68),
    at(rng.float(0.18, 0.38), 0.97),
    at(rng.float(0.62, 0.82), 0.97),
  ];
  const stroke = Math.max(2, 0.05 * h);
  const headR = 0.09 * h;
  const line = (a: number, b: number) => {
    const p = joints[a];
    const q = joints[b];
    if (!p || !q) throw new RangeError("person joint index");
    return `<line x1="${fmt(p[0])}" y1="${fmt(p[1])}" x2="${fmt(q[0])}" y2="${fmt(q[1])}" stroke="${color}" stroke-width="${fmt(stroke)}" stroke-linecap="round"/>`;
  };
  const head = joints[0] ?? at(0.5, 0.1);
  const svg =
    PERSON_EDGES.map(([a, b]) => line(a, b)).join("") +
    `<circle cx="${fmt(head[0])}" cy="${fmt(head[1])}" r="${fmt(headR)}" fill="#f0c8a0" stroke="${color}" stroke-width="${fmt(stroke / 2)}"/>`;
  // Round caps reach stroke/2 past each joint; the head reaches headR (+ half its outline).
  const [x1, y1, x2, y2] = boundsOf(joints, stroke / 2);
  const bounds: [number, number, number, number] = [
    Math.min(x1, head[0] - headR - stroke / 4),
    Math.min(y1, head[1] - headR - stroke / 4),
    Math.max(x2, head[0] + headR + stroke / 4),
    y2,
  ];
  return { category: "person", label: `person in ${colorName}`, color, outline: null, joints, bounds, svg };
}
