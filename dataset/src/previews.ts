import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { writeFileAtomic } from "./datasetFiles.js";
import type { Metadata, OverlayOptions, Region } from "sharp";
import { MediaError } from "./errors.js";

/**
 * Image thumbnails as Pixano makes them: the 64×64 PNG `preview` of `Image.from_bytes`
 * (PIL `thumbnail`, aspect kept, never enlarged) and the 350×150 2×2 dataset mosaic
 * (`create_mosaic`: cover-crop each cell, JPEG).
 */

const PREVIEW_SIZE = 64;
const MOSAIC_WIDTH = 350;
const MOSAIC_HEIGHT = 150;

/** sharp format → PIL format name (what Pixano stores in `images.format`). */
const PIL_FORMATS: Readonly<Record<string, string>> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WEBP",
  gif: "GIF",
  tiff: "TIFF",
  heif: "HEIF",
  avif: "AVIF",
  svg: "SVG",
};

export interface ImageInfo {
  readonly width: number;
  readonly height: number;
  /** PIL format name (`JPEG`, `PNG`, …). */
  readonly format: string;
}

async function readMetadata(bytes: Uint8Array): Promise<Metadata & { width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new MediaError("bad_image", `not a decodable image: ${(err as Error).message}`);
  }
  if (!meta.width || !meta.height) throw new MediaError("bad_image", "image has no size");
  return { ...meta, width: meta.width, height: meta.height };
}

/** Size and format of encoded image bytes. */
export async function imageInfo(bytes: Uint8Array): Promise<ImageInfo> {
  const meta = await readMetadata(bytes);
  return {
    width: meta.width,
    height: meta.height,
    format: PIL_FORMATS[meta.format ?? ""] ?? (meta.format ?? "").toUpperCase(),
  };
}

/**
 * Whether an image is single-channel (PIL modes `L`, `LA`, `I;16`, `1`): PIL's thumbnail keeps the
 * source mode, so the preview of a grayscale image is a grayscale PNG (with its alpha, if any).
 */
function isGrayscale(meta: Metadata): boolean {
  return (
    meta.channels === 1 ||
    (meta.channels === 2 && meta.hasAlpha === true) ||
    meta.space === "b-w" ||
    meta.space === "grey16"
  );
}

/** PIL `round_aspect`: floor or ceil, whichever keeps the aspect closer; at least 1. */
function roundAspect(value: number, error: (n: number) => number): number {
  const lo = Math.floor(value);
  const hi = Math.ceil(value);
  return Math.max(error(hi) < error(lo) ? hi : lo, 1);
}

/** The size PIL's `Image.thumbnail((box, box))` gives an image (aspect kept, never enlarged). */
export function thumbnailSize(width: number, height: number, box = PREVIEW_SIZE): { width: number; height: number } {
  if (width <= box && height <= box) return { width, height };
  const aspect = width / height;
  if (box / box >= aspect) {
    return { width: roundAspect(box * aspect, (n) => Math.abs(aspect - n / box)), height: box };
  }
  return { width: box, height: roundAspect(box / aspect, (n) => (n === 0 ? 0 : Math.abs(aspect - box / n))) };
}

export interface Preview {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: "png";
  /** The source image. */
  readonly source: ImageInfo;
}

/**
 * The `preview` thumbnail of an image view: PNG fitting in 64×64 (`preview_format: "png"`), in the
 * source's colour model as PIL keeps it: grayscale stays single-channel (16-bit stays 16-bit).
 */
export async function makePreview(bytes: Uint8Array): Promise<Preview> {
  const meta = await readMetadata(bytes);
  const source: ImageInfo = {
    width: meta.width,
    height: meta.height,
    format: PIL_FORMATS[meta.format ?? ""] ?? (meta.format ?? "").toUpperCase(),
  };
  const size = thumbnailSize(source.width, source.height);
  let pipeline = sharp(bytes).resize(size.width, size.height, { fit: "fill" });
  if (isGrayscale(meta)) pipeline = pipeline.toColourspace(meta.depth === "ushort" ? "grey16" : "b-w");
  const out = await pipeline.png().toBuffer();
  return { bytes: new Uint8Array(out), width: size.width, height: size.height, format: "png", source };
}

/** The 350×150 dataset mosaic of up to 4 images (1, 2 or 2×2 cells), as a JPEG. */
export async function makeMosaic(images: readonly Uint8Array[]): Promise<Uint8Array> {
  const n = Math.min(images.length, 4);
  const cols = n > 1 ? 2 : 1;
  const rows = n > 2 ? 2 : 1;
  const w = Math.floor(MOSAIC_WIDTH / cols);
  const h = Math.floor(MOSAIC_HEIGHT / rows);
  const target = w / h;
  const cells: OverlayOptions[] = [];
  for (let i = 0; i < Math.min(n, cols * rows); i++) {
    const bytes = images[i]!;
    const { width, height } = await imageInfo(bytes);
    let region: Region;
    if (width / height > target) {
      const cw = Math.max(1, Math.trunc(height * target));
      region = { left: Math.floor((width - cw) / 2), top: 0, width: cw, height };
    } else {
      const ch = Math.max(1, Math.trunc(width / target));
      region = { left: 0, top: Math.floor((height - ch) / 2), width, height: ch };
    }
    const cell = await sharp(bytes)
      .extract(region)
      .resize(w, h, { fit: "fill", kernel: "lanczos3" })
      .flatten({ background: "#ffffff" })
      .png()
      .toBuffer();
    cells.push({ input: cell, left: (i % cols) * w, top: Math.floor(i / cols) * h });
  }
  const out = await sharp({
    create: { width: MOSAIC_WIDTH, height: MOSAIC_HEIGHT, channels: 3, background: "#ffffff" },
  })
    .composite(cells)
    .jpeg({ quality: 75 })
    .toBuffer();
  return new Uint8Array(out);
}

/**
 * The dataset mosaic at `file` (`previews/dataset_preview.jpg`): read if present, else made from
 * `images()` (Pixano takes the first 4 rows of the first image-like view table, skipping empty
 * bytes) and written. Null when there is no embedded image.
 */
export async function datasetMosaic(file: string, images: () => Promise<Uint8Array[]>): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const sources = await images();
  if (sources.length === 0) return null;
  const jpeg = await makeMosaic(sources);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, jpeg);
  return jpeg;
}
