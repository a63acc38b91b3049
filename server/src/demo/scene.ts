import type { Prng } from "@tessera/shared-crdt";
import { footprint, makeObject, type Category, type Placement, type SceneObject } from "./shapes.js";

/**
 * A synthetic outdoor scene: a weather-dependent sky and ground and a few non-overlapping
 * objects. Small (320×240) so that hundreds of them embed in a demo dataset in a few MB.
 */
export const SCENE_WIDTH = 320;
export const SCENE_HEIGHT = 240;

export const WEATHERS = ["sunny", "cloudy", "rainy", "foggy", "snowy"] as const;
type Weather = (typeof WEATHERS)[number];

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly weather: Weather;
  readonly horizon: number;
  /** Objects in drawing order (far to near). */
  readonly objects: readonly SceneObject[];
  /** Background decoration for `weather` (sky, sun, clouds) — drawn under the objects. */
  readonly backdrop: string;
  /** Weather drawn over the objects (rain, fog, snowflakes). */
  readonly overlay: string;
}

const SKY: Record<Weather, readonly [string, string]> = {
  sunny: ["#4f9be8", "#bfe2ff"],
  cloudy: ["#8ea4bb", "#d5dde6"],
  rainy: ["#5b6675", "#9aa4ad"],
  foggy: ["#b9c0c6", "#e3e6e8"],
  snowy: ["#9fb3c8", "#e8eef4"],
};
const GROUND: Record<Weather, readonly [string, string]> = {
  sunny: ["#8fcf6a", "#4f9a3a"],
  cloudy: ["#7db061", "#497f36"],
  rainy: ["#5f8a4e", "#35572b"],
  foggy: ["#9fb59a", "#6f8a69"],
  snowy: ["#f4f7fa", "#cfd9e2"],
};

const r1 = (v: number) => Math.round(v * 10) / 10;

function backdrop(weather: Weather, width: number, horizon: number, rng: Prng): string {
  const parts: string[] = [];
  if (weather === "sunny") {
    parts.push(`<circle cx="${r1(rng.float(30, width - 30))}" cy="${r1(rng.float(22, 45))}" r="16" fill="#ffe27a"/>`);
  }
  if (weather === "cloudy" || weather === "rainy" || (weather === "sunny" && rng.chance(0.5))) {
    const n = weather === "sunny" ? 1 : rng.int(2, 4);
    for (let i = 0; i < n; i++) {
      const cx = rng.float(20, width - 20);
      const cy = rng.float(18, Math.max(24, horizon - 60));
      const fill = weather === "rainy" ? "#6f7884" : "#f4f6f8";
      parts.push(
        `<g fill="${fill}" fill-opacity="0.9"><ellipse cx="${r1(cx)}" cy="${r1(cy)}" rx="28" ry="11"/>` +
          `<ellipse cx="${r1(cx + 16)}" cy="${r1(cy - 7)}" rx="18" ry="10"/><ellipse cx="${r1(cx - 14)}" cy="${r1(cy - 4)}" rx="14" ry="8"/></g>`,
      );
    }
  }
  return parts.join("");
}

function overlay(weather: Weather, width: number, height: number, rng: Prng): string {
  switch (weather) {
    case "rainy": {
      const lines: string[] = [];
      for (let i = 0; i < 70; i++) {
        const x = rng.float(0, width);
        const y = rng.float(0, height);
        lines.push(`<line x1="${r1(x)}" y1="${r1(y)}" x2="${r1(x - 3)}" y2="${r1(y + 9)}"/>`);
      }
      return `<g stroke="#dfe8f2" stroke-opacity="0.55" stroke-width="1">${lines.join("")}</g>`;
    }
    case "snowy": {
      const dots: string[] = [];
      for (let i = 0; i < 60; i++)
        dots.push(
          `<circle cx="${r1(rng.float(0, width))}" cy="${r1(rng.float(0, height))}" r="${r1(rng.float(0.8, 1.8))}"/>`,
        );
      return `<g fill="#ffffff" fill-opacity="0.85">${dots.join("")}</g>`;
    }
    case "foggy":
      return `<rect width="${width}" height="${height}" fill="#f0f2f4" fill-opacity="0.35"/>`;
    default:
      return "";
  }
}

function overlaps(a: readonly number[], b: readonly number[], margin: number): boolean {
  const [ax1 = 0, ay1 = 0, ax2 = 0, ay2 = 0] = a;
  const [bx1 = 0, by1 = 0, bx2 = 0, by2 = 0] = b;
  return ax1 < bx2 + margin && bx1 < ax2 + margin && ay1 < by2 + margin && by1 < ay2 + margin;
}

/** Where an object of a category may stand: ground objects grow with depth, balloons float. */
function place(category: Category, horizon: number, rng: Prng): Placement {
  if (category === "balloon") {
    const s = rng.float(34, 52);
    return { x: rng.float(0.4 * s + 4, SCENE_WIDTH - 0.4 * s - 4), yb: rng.float(0.9 * s + 6, horizon - 4), s };
  }
  const yb = rng.float(horizon + 14, SCENE_HEIGHT - 6);
  const depth = (yb - horizon) / (SCENE_HEIGHT - horizon);
  const base = category === "house" ? 70 : category === "car" ? 52 : category === "person" ? 52 : 60;
  const s = base * (0.55 + 0.6 * depth);
  const half = category === "car" ? 0.8 * s : 0.5 * s;
  return { x: rng.float(half + 4, SCENE_WIDTH - half - 4), yb, s };
}

function inside([x1, y1, x2, y2]: readonly number[]): boolean {
  return (x1 ?? -1) >= 1 && (y1 ?? -1) >= 1 && (x2 ?? 1e9) <= SCENE_WIDTH - 1 && (y2 ?? 1e9) <= SCENE_HEIGHT - 1;
}

export interface SceneOptions {
  readonly weather?: Weather;
  /** Categories to draw, in order of preference; objects that do not fit are dropped. */
  readonly categories: readonly Category[];
}

/** Lays out a scene: tries each requested object a few times, keeps those that fit without overlap. */
export function makeScene(rng: Prng, options: SceneOptions): Scene {
  const weather = options.weather ?? rng.pick(["sunny", "sunny", "cloudy", "rainy", "foggy", "snowy"] as const);
  const horizon = Math.round(rng.float(120, 150));
  const taken: [number, number, number, number][] = [];
  const objects: SceneObject[] = [];
  for (const category of options.categories) {
    for (let attempt = 0; attempt < 40; attempt++) {
      const at = place(category, horizon, rng);
      const fp = footprint(category, at);
      if (!inside(fp) || taken.some((t) => overlaps(t, fp, 4))) continue;
      taken.push(fp);
      objects.push(makeObject(category, at, rng));
      break;
    }
  }
  objects.sort((a, b) => a.bounds[3] - b.bounds[3]);
  return {
    width: SCENE_WIDTH,
    height: SCENE_HEIGHT,
    weather,
    horizon,
    objects,
    backdrop: backdrop(weather, SCENE_WIDTH, horizon, rng),
    overlay: overlay(weather, SCENE_WIDTH, SCENE_HEIGHT, rng),
  };
}

/** The scene as a standalone SVG document. */
export function sceneSvg(scene: Scene, objects: readonly SceneObject[] = scene.objects): string {
  const { width, height, horizon, weather } = scene;
  const [skyTop, skyBottom] = SKY[weather];
  const [groundTop, groundBottom] = GROUND[weather];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="${skyBottom}"/></linearGradient>` +
    `<linearGradient id="ground" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${groundTop}"/><stop offset="1" stop-color="${groundBottom}"/></linearGradient></defs>` +
    `<rect width="${width}" height="${horizon}" fill="url(#sky)"/>` +
    `<rect y="${horizon}" width="${width}" height="${height - horizon}" fill="url(#ground)"/>` +
    scene.backdrop +
    objects.map((o) => o.svg).join("") +
    scene.overlay +
    `</svg>`
  );
}
