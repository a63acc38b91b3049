import { promises as fs } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { MediaError } from "./errors.js";

/**
 * Media references of views (`uri`): files under `DATA_DIR/media` (Pixano's 0.7 server never served
 * them; we do, but never anything outside that folder, symlinks included), or remote URLs the REST
 * layer hands to the client as they are.
 */

/** Pixano's `FORMAT_TO_MIME` (api/media.py), with lower-case video container names added. */
const FORMAT_TO_MIME: Readonly<Record<string, string>> = {
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  tiff: "image/tiff",
  tif: "image/tiff",
  bmp: "image/bmp",
  gif: "image/gif",
  avif: "image/avif",
  pdf: "application/pdf",
  ply: "application/x-ply",
  pcd: "application/x-pcd",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  mkv: "video/x-matroska",
  txt: "text/plain",
};

/** MIME type of a Pixano `format` (PIL name or extension); `application/octet-stream` if unknown. */
export function mimeOfFormat(format: string | null | undefined): string {
  if (!format) return "application/octet-stream";
  return FORMAT_TO_MIME[format.toLowerCase().replace(/^\./, "")] ?? "application/octet-stream";
}

const REMOTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True for `http(s)://`, `s3://`, … (anything with a scheme except `file://`). */
export function isRemoteUri(uri: string): boolean {
  return REMOTE.test(uri) && !uri.toLowerCase().startsWith("file://");
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/**
 * The real path of a view's `uri` inside `mediaDir`: relative URIs are resolved against it,
 * `file://` and absolute paths must already point into it. Symlinks are resolved before the check,
 * so a link pointing outside is refused too.
 */
export async function resolveMediaPath(mediaDir: string, uri: string): Promise<string> {
  if (uri === "") throw new MediaError("no_media", "this view has no uri");
  if (isRemoteUri(uri)) throw new MediaError("remote", `remote media: ${uri}`);
  let candidate: string;
  try {
    candidate = uri.toLowerCase().startsWith("file://") ? fileURLToPath(uri) : path.resolve(mediaDir, uri);
  } catch (err) {
    throw new MediaError("outside_media", `invalid media uri ${JSON.stringify(uri)}: ${(err as Error).message}`);
  }
  if (candidate.includes("\0")) throw new MediaError("outside_media", "invalid media uri");
  let root: string;
  try {
    root = await fs.realpath(mediaDir);
  } catch (err) {
    throw new MediaError("not_found", `media folder ${mediaDir} is missing (${(err as NodeJS.ErrnoException).code})`);
  }
  if (!isInside(path.resolve(mediaDir), candidate) && !isInside(root, candidate)) {
    throw new MediaError("outside_media", `media uri ${JSON.stringify(uri)} is outside the media folder`);
  }
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") {
      throw new MediaError("not_found", `media file not found: ${uri}`);
    }
    throw err;
  }
  if (!isInside(root, real))
    throw new MediaError("outside_media", `media uri ${JSON.stringify(uri)} resolves outside the media folder`);
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw new MediaError("not_found", `media uri ${JSON.stringify(uri)} is not a file`);
  return real;
}
