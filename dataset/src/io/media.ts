import { promises as fs, type Dirent } from "node:fs";
import path from "node:path";
import { MediaError } from "../errors.js";
import { imageInfo, makePreview } from "../previews.js";
import { ImportError, type SourceLocation } from "./errors.js";

/**
 * Media helpers shared by every importer: which files are images, their size and Pillow format
 * name (what Pixano stores in `images.format`), the 64×64 PNG grid thumbnail, and a small glob
 * (frame patterns such as `frames/vid1/*.jpg`) with Python `pathlib.glob` + `sorted` semantics.
 */

/** Image extensions we can decode (sharp/libvips); matched case-insensitively. */
const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".gif", ".avif"] as const;

export function isImageFile(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

export function isRemoteUri(uri: string): boolean {
  return /^(https?|s3):\/\//i.test(uri);
}

export interface ImageProbe {
  readonly width: number;
  readonly height: number;
  /** Pillow's format name (`PNG`, `JPEG`, …). */
  readonly format: string;
}

/** Size and format of encoded image bytes, as Pillow reports them (the library's `imageInfo`). */
export async function probeImage(bytes: Uint8Array, where: SourceLocation): Promise<ImageProbe> {
  try {
    return await imageInfo(bytes);
  } catch (err) {
    if (err instanceof MediaError)
      throw new ImportError("unreadable_media", `cannot read the image: ${err.message}`, where);
    throw err;
  }
}

/**
 * Pixano's grid thumbnail (the library's `makePreview`: PNG fitting in 64×64, aspect kept).
 * Returns `null` for undecodable bytes: like Pixano, a bad thumbnail never fails an import.
 */
export async function makeThumbnail(bytes: Uint8Array): Promise<Uint8Array | null> {
  try {
    return (await makePreview(bytes)).bytes;
  } catch (err) {
    // Pixano skips the thumbnail of an undecodable image; the row keeps an empty preview.
    if (err instanceof MediaError) return null;
    throw err;
  }
}

/** Reads a media file, turning "not found" into a located {@link ImportError}. */
export async function readMedia(file: string, where: SourceLocation): Promise<Uint8Array> {
  try {
    const b = await fs.readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EISDIR")
      throw new ImportError("missing_media", `media file not found: ${file}`, where);
    throw err;
  }
}

export async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return false;
    throw err;
  }
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return false;
    throw err;
  }
}

export function hasGlobMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function segmentRegex(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}

/** Every file and folder under `dir` (relative paths), depth first. */
async function walk(dir: string, rel: string, out: string[]): Promise<void> {
  for (const e of await listDir(dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory()) await walk(path.join(dir, e.name), r, out);
  }
}

/**
 * Files matching a glob relative to `base` (`*`, `?`, `[...]`, `**`), as sorted relative POSIX
 * paths — the frame order Pixano derives from `sorted(dir.glob(pattern))`.
 */
export async function globFiles(base: string, pattern: string): Promise<string[]> {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  let current: string[] = [""];
  for (const seg of segments) {
    const next: string[] = [];
    if (seg === "**") {
      for (const c of current) {
        next.push(c);
        const all: string[] = [];
        await walk(path.join(base, c), c, all);
        for (const a of all) if (await isDirectory(path.join(base, a))) next.push(a);
      }
    } else if (!hasGlobMagic(seg)) {
      for (const c of current) next.push(c ? `${c}/${seg}` : seg);
    } else {
      const re = segmentRegex(seg);
      for (const c of current) {
        for (const e of await listDir(path.join(base, c)))
          if (re.test(e.name)) next.push(c ? `${c}/${e.name}` : e.name);
      }
    }
    current = [...new Set(next)];
  }
  const files: string[] = [];
  for (const c of current) if (c !== "" && (await isFile(path.join(base, c)))) files.push(c);
  return files.sort(comparePaths);
}

/** Python's ordering of `Path` objects: part by part, by code point. */
function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function compareCodePoints(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i]!.codePointAt(0)! - cb[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** Every file under `dir`, recursively, sorted, as relative POSIX paths (dot-entries skipped). */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const all: string[] = [];
  await walk(dir, "", all);
  const out: string[] = [];
  for (const rel of all) {
    if (rel.split("/").some((p) => p.startsWith("."))) continue;
    if (await isFile(path.join(dir, rel))) out.push(rel);
  }
  return out.sort(comparePaths);
}
