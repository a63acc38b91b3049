import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { Library } from "@tessera/dataset";
import { ROOT } from "../support/cli.js";

/** The dataset of the inference tests: one image per record, media files under `DATA_DIR/media`. */
export const SEG_DS = "seg-ds";
/** The views: [id, record, width, height]. */
export const VIEWS = [
  ["img-0", "r0", 120, 90],
  ["img-1", "r1", 50, 200],
  ["img-2", "r2", 64, 64],
  ["img-3", "r3", 80, 60],
] as const;

/** The tiny SAM pair's disc radius in its 64-pixel input frame (scripts/tiny-sam.mjs). */
const TINY_RADIUS = 12;

const str = (dflt = "") => ({ collection: false, type: "str", required: false, default: dflt });

/** Writes the tiny SAM pair (`scripts/tiny-sam.mjs`) into `dir`. */
export function writeTinySam(dir: string, name = "tiny-sam"): void {
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "tiny-sam.mjs"), dir, name]);
}

/** A temp DATA_DIR with {@link SEG_DS} and, unless `model: false`, the tiny SAM pair registered as `tiny-sam`. */
export async function buildSegDataDir(
  options: { model?: boolean } = {},
): Promise<{ root: string; dataDir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-seg-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("seg_ds", {
    id: SEG_DS,
    name: "Seg DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str() } },
    bbox: { base: "BBox", fields: {} },
    mask: { base: "CompressedRLE", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  await mkdir(path.join(dataDir, "media"), { recursive: true });
  for (const [id, , w, h] of VIEWS) {
    const png = await sharp({ create: { width: w, height: h, channels: 3, background: { r: 40, g: 90, b: 200 } } })
      .png()
      .toBuffer();
    await writeFile(path.join(dataDir, "media", `${id}.png`), png);
  }
  await ds.add(
    "records",
    VIEWS.map(([, r]) => ({ id: r, split: "train" })),
  );
  await ds.add(
    "images",
    VIEWS.map(([id, r, w, h]) => ({
      id,
      record_id: r,
      logical_name: "image",
      uri: `${id}.png`,
      width: w,
      height: h,
      format: "PNG",
    })),
  );
  await library.close();
  if (options.model !== false) writeTinySam(path.join(dataDir, "models", "tiny-sam"));
  return { root, dataDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Whether view pixel (x, y) is inside the tiny model's disc around `centre` (view pixels) on a w×h view. */
export function inTinyDisc(x: number, y: number, centre: readonly [number, number], w: number, h: number): boolean {
  const k = 64 / Math.max(w, h);
  const dx = (x + 0.5) * k - centre[0] * k;
  const dy = (y + 0.5) * k - centre[1] * k;
  return dx * dx + dy * dy < TINY_RADIUS * TINY_RADIUS;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? null : (JSON.parse(text) as unknown),
    ms: performance.now() - started,
  };
}
