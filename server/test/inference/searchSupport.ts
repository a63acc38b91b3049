import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { Library } from "@tessera/dataset";
import { ROOT } from "../support/cli.js";

/** The semantic-search dataset: pure-colour records, a query record and its planted near-duplicate, and fillers. */
export const SEARCH_DS = "search-ds";
export const QUERY = "r-query";
export const DUPLICATE = "r-dup";
export const PURE: Readonly<Record<string, readonly [number, number, number]>> = {
  "r-red": [255, 0, 0],
  "r-blue": [0, 0, 255],
  "r-green": [0, 255, 0],
  "r-yellow": [255, 255, 0],
};
const QUERY_HALVES = [
  [200, 120, 40],
  [40, 140, 200],
] as const;
/** Muted filler colours (none pure, none the query's). */
const PALETTE = [
  [90, 60, 120],
  [20, 100, 80],
  [150, 150, 60],
  [60, 60, 60],
  [180, 90, 140],
  [100, 40, 30],
  [30, 70, 140],
  [200, 200, 180],
] as const;

function writeTinyClip(dir: string, name = "tiny-clip"): void {
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-clip.mjs"), dir, name]);
}

/** A `w`×`h` picture, left half `left`, right half `right`, with a deterministic ±`noise` jitter. */
async function picture(
  w: number,
  h: number,
  left: readonly number[],
  right: readonly number[],
  noise: number,
  format: "png" | "jpeg",
): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  let seed = 11;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const j = noise === 0 ? 0 : Math.round(((seed / 2147483648) * 2 - 1) * noise);
        raw[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, ((x < w / 2 ? left : right)[c] ?? 0) + j));
      }
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return format === "png" ? img.png().toBuffer() : img.jpeg({ quality: 70 }).toBuffer();
}

export interface SearchDataDir {
  readonly root: string;
  readonly dataDir: string;
  readonly recordIds: readonly string[];
  cleanup(): Promise<void>;
}

/**
 * A temp DATA_DIR with {@link SEARCH_DS}: the pure-colour records, {@link QUERY} and its planted
 * near-duplicate {@link DUPLICATE} (the same picture re-encoded as JPEG with noise, at another
 * size), and `fillers` records of two palette colours; the tiny CLIP pair registered as `tiny-clip`.
 */
export async function buildSearchDataDir(fillers = 24): Promise<SearchDataDir> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-search-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("search_ds", {
    id: SEARCH_DS,
    name: "Search DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", fields: {} },
    bbox: { base: "BBox", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  const media = path.join(dataDir, "media");
  await mkdir(media, { recursive: true });
  const views: Array<{ id: string; record: string; file: string; w: number; h: number; format: string }> = [];
  const put = async (record: string, bytes: Buffer, w: number, h: number, format: "png" | "jpeg") => {
    const file = `${record}.${format === "png" ? "png" : "jpg"}`;
    await writeFile(path.join(media, file), bytes);
    views.push({ id: `img-${record}`, record, file, w, h, format: format.toUpperCase() });
  };
  for (const [record, rgb] of Object.entries(PURE))
    await put(record, await picture(48, 40, rgb, rgb, 0, "png"), 48, 40, "png");
  await put(QUERY, await picture(64, 48, QUERY_HALVES[0], QUERY_HALVES[1], 0, "png"), 64, 48, "png");
  await put(DUPLICATE, await picture(96, 72, QUERY_HALVES[0], QUERY_HALVES[1], 10, "jpeg"), 96, 72, "jpeg");
  for (let i = 0; i < fillers; i++) {
    const left = PALETTE[i % PALETTE.length] ?? PALETTE[0];
    const right = PALETTE[(i * 3 + 1) % PALETTE.length] ?? PALETTE[1];
    await put(`r-${String(i).padStart(4, "0")}`, await picture(40, 40, left, right, 6, "png"), 40, 40, "png");
  }
  await ds.add(
    "records",
    views.map((v) => ({ id: v.record, split: "train" })),
  );
  await ds.add(
    "images",
    views.map((v) => ({
      id: v.id,
      record_id: v.record,
      logical_name: "image",
      uri: v.file,
      width: v.w,
      height: v.h,
      format: v.format,
    })),
  );
  await library.close();
  writeTinyClip(path.join(dataDir, "models", "tiny-clip"));
  return {
    root,
    dataDir,
    recordIds: views.map((v) => v.record),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
